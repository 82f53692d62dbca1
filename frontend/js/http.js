// Queries and mutations over HTTP POST /graphql.

export class GraphQLRequestError extends Error {
  constructor(message, { errors = [], code = null, network = false } = {}) {
    super(message);
    this.name = "GraphQLRequestError";
    this.errors = errors;
    this.code = code;
    this.network = network;
  }
}

/**
 * Run a query or mutation and return its `data`.
 * Throws GraphQLRequestError on network failure or when the response carries errors.
 */
export async function graphqlRequest(query, variables = {}, { token = "", endpoint = "/graphql", timeoutMs = 10000 } = {}) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (cause) {
    throw new GraphQLRequestError(`server unreachable (${cause.name === "TimeoutError" ? "timed out" : "network error"})`, { network: true });
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new GraphQLRequestError(`unexpected response (HTTP ${response.status})`);
  }
  if (body.errors?.length) {
    const first = body.errors[0];
    throw new GraphQLRequestError(first.message, { errors: body.errors, code: first.extensions?.code ?? null });
  }
  return body.data;
}

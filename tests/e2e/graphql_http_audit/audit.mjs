// Runs the graphql-http server audit against the URL given and prints one JSON summary line.
import { auditServer } from "graphql-http";

const url = process.argv[2];
const results = await auditServer({ url, fetchFn: fetch });
const summary = { ok: 0, notice: 0, warn: 0, error: 0, problems: [] };
for (const result of results) {
  summary[result.status] += 1;
  if (result.status !== "ok") {
    summary.problems.push({ id: result.id, name: result.name, status: result.status, reason: result.reason });
  }
}
console.log(JSON.stringify(summary));

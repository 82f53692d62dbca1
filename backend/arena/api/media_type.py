"""GraphQL over HTTP's own media type, `application/graphql-response+json`, for clients that ask.

A client that accepts it (at least as much as `application/json`) gets that content type, and a
request error — the document does not parse or validate, or the variables do not coerce, so
nothing was executed — is a 400 without a `data` entry, as the GraphQL-over-HTTP spec says.
Clients that ask for `application/json` (or nothing) get exactly what they got before.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


def wants_graphql_response_json(accept: str | None) -> bool:
    """Whether `accept` prefers the GraphQL response type to plain JSON (ties go to the newer type)."""
    if not accept:
        return False
    weights: dict[str, float] = {}
    for item in accept.split(","):
        kind, *params = (part.strip() for part in item.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        kind = kind.lower()
        weights[kind] = max(weights.get(kind, 0.0), weight)
    ours = weights.get(GRAPHQL_RESPONSE_JSON, 0.0)
    plain = max(weights.get(JSON, 0.0), weights.get("application/*", 0.0), weights.get("*/*", 0.0))
    return ours > 0 and ours >= plain


def is_request_error(result: Any) -> bool:
    """Errors and no data, none of them from executing a field (those have a `path`)."""
    if not isinstance(result, dict) or result.get("data") is not None or not result.get("errors"):
        return False
    return all(isinstance(e, dict) and "path" not in e for e in result["errors"])


def as_graphql_response(response: Response) -> Response:
    """`response` (a JSON GraphQL result) in the GraphQL response media type."""
    if not response.headers.get("content-type", "").startswith(JSON):
        return response  # GraphiQL's page, or anything else that is not a result
    status = response.status_code
    body = bytes(response.body)
    try:
        result = json.loads(body)
    except ValueError:
        result = None
    if is_request_error(result):
        result.pop("data", None)
        body = json.dumps(result, separators=(",", ":")).encode()
        status = status if status >= 400 else 400
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-type", "content-length")}
    return Response(body, status_code=status, headers=headers, media_type=f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8")

"""Choosing the response media type from Accept, and what a request error looks like in it."""

from __future__ import annotations

import json

import pytest
from starlette.responses import JSONResponse, Response

from arena.api.media_type import as_graphql_response, is_request_error, wants_graphql_response_json


@pytest.mark.parametrize(
    ("accept", "wanted"),
    [
        (None, False),
        ("", False),
        ("application/json", False),
        ("*/*", False),
        ("application/graphql-response+json", True),
        ("application/graphql-response+json, application/json", True),
        ("application/json, application/graphql-response+json", True),  # equal weights: the newer type
        ("application/json;q=1, application/graphql-response+json;q=0.9", False),
        ("application/graphql-response+json;q=0", False),
        ("application/graphql-response+json;q=nonsense", False),
        ("APPLICATION/GRAPHQL-RESPONSE+JSON", True),
    ],
)
def test_the_graphql_response_type_when_the_client_prefers_it(accept: str | None, wanted: bool) -> None:
    assert wants_graphql_response_json(accept) is wanted


def test_request_errors_are_those_with_no_data_and_no_field_path() -> None:
    parse_error = {"data": None, "errors": [{"message": "Syntax Error", "extensions": {"code": "BAD_REQUEST"}}]}
    field_error = {"data": None, "errors": [{"message": "boom", "path": ["arena"]}]}
    assert is_request_error(parse_error) and not is_request_error(field_error)
    assert not is_request_error({"data": {"a": 1}, "errors": [{"message": "partial"}]})
    assert not is_request_error({"data": {"a": 1}}) and not is_request_error([])


def test_a_request_error_becomes_a_400_without_data_and_a_result_keeps_its_status() -> None:
    refused = as_graphql_response(JSONResponse({"data": None, "errors": [{"message": "Syntax Error"}]}))
    assert refused.status_code == 400 and json.loads(refused.body) == {"errors": [{"message": "Syntax Error"}]}
    assert refused.headers["content-type"] == "application/graphql-response+json; charset=utf-8"
    executed = as_graphql_response(JSONResponse({"data": None, "errors": [{"message": "boom", "path": ["x"]}]}))
    assert executed.status_code == 200 and json.loads(executed.body)["data"] is None
    page = Response("<html></html>", media_type="text/html")
    assert as_graphql_response(page) is page  # GraphiQL is not a result

"""Schemathesis fuzzing of the GraphQL endpoint of a real `arena serve` (issue 7: target 0 internal errors).

One server per module, on a throwaway SQLite file, with a running competition, a registered bot
and some trades. Schemathesis loads the schema by introspection and generates, for every root
field of Query and Mutation, positive (schema-valid) and negative (schema-invalid) documents;
custom scalars (Decimal, DateTime, JSON) and IDs get hostile values (NaN, Infinity, 1E+400,
unicode digits, huge integers, real and forged global IDs and cursors). Each case is sent three
ways: inline literals over POST (schemathesis' own `case.call`), the root field's arguments
hoisted into JSON variables over POST, and queries over GET. The same run is repeated without a
token, with the bot's token and with the operator's token, so mutations really run.

Every response must: not be a 5xx; be a JSON object; give every GraphQL error an
`extensions.code` from the documented set, never INTERNAL; never break the schema's non-null
contract. The server must still answer /health and keep playing rounds afterwards, log no
masked internal error, and exit 0 on SIGTERM.

Fixed seed, bounded examples: the whole module runs in well under a minute.
"""

from __future__ import annotations

import base64
import json
import math
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import graphql
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from schemathesis.graphql import nodes
from schemathesis.specs.graphql import scalars as gql_scalars

from arena.errors import ErrorCode
from tests.e2e.server import ServerProcess

SEED = 20240607
# examples per auth variant (anonymous, bot, operator); one-of over every root field and both modes
EXAMPLES = {"anonymous": 120, "bot": 160, "operator": 200}
TRANSPORTS = ("inline", "variables", "get")

# every code the README documents, plus the engine's and BAD_REQUEST for GraphQL's own errors
DOCUMENTED_CODES = {c.value for c in ErrorCode} | {"BAD_REQUEST"}
NON_NULL_MARKER = "Cannot return null for non-nullable field"
INTERNAL_LOG_MARKER = "internal error in"  # arena.api.errors logs every masked error with this

SYMBOLS = ["BTC-USD", "ETH-USD", "SOL-USD", "btc-usd", "DOGE-USD", "", " ", "BTC-USD ", "₿-USD", "\u202e", "\x00"]
STRATEGIES = ["momentum", "mean_reversion", "balanced", "buy_and_hold", "random", "external", "", "__init__"]
SPEEDS = ["max", "1s", "0.05s", "0.001s", "0s", "-1s", "NaNs", "infs", "1e9s", "10x", "0x", "100x", "1000000x", "fast"]
REPLAY_FILES = ["fuzz.csv", "../fuzz.csv", "/etc/passwd", "..", ".", "missing.csv", "fuzz.csv\x00"]
DECIMAL_WORDS = [
    "NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "1E+400", "-1E+400", "1E-30", "1e999999999",
    "1e-999999999", "0", "-0", "0E-100", "1E+15", "1000000000000001", "999999999999999.99999999",
    "0.00000001", "0.000000005", " 12 ", "1_000", "\u0661\u0662\u0663", "\uff15", "0x10", "", "abc", "1e",
    "--1", "+5", ".5", "5.", "100", "500", "10000", "1e12", "1e13",
]
DATETIME_WORDS = [
    "0001-01-01T00:00:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59", "9999-12-31T23:59:59-14:00",
    "1970-01-01T00:00:00Z", "2024-02-30T00:00:00", "2024-01-01", "now", "", "2024-01-01T25:00:00",
    "1e400", "-1", "2024-01-01T00:00:00.9999999999Z",
]


# --- hostile values for scalars and IDs ---------------------------------------------


def global_id(type_name: str, raw: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{raw}".encode()).decode().rstrip("=")


def _json_node(value: Any) -> graphql.ValueNode:
    if value is None:
        return nodes.Null
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([_json_node(v) for v in value])
    return nodes.Object([
        graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=_json_node(v)) for k, v in value.items()
    ])


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8) | st.sampled_from(["x", "1E+400", "NaN", "fast_window", "window", "seed"]),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["fast_window", "slow_window", "position_fraction", "window", "threshold",
                                       "probability", "seed", "a", "__class__"]) | st.from_regex(r"[_A-Za-z][_0-9A-Za-z]{0,6}", fullmatch=True),
                      children, max_size=3),
    max_leaves=6,
)


def decimal_nodes() -> st.SearchStrategy[graphql.ValueNode]:
    return st.one_of(
        st.sampled_from(DECIMAL_WORDS).map(nodes.String),
        st.decimals(allow_nan=True, allow_infinity=True).map(str).map(nodes.String),
        st.integers(-(10**30), 10**30).map(nodes.Int),
        st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
        st.text(max_size=6).map(nodes.String),
    )


def datetime_nodes() -> st.SearchStrategy[graphql.ValueNode]:
    zones = st.none() | st.just(UTC) | st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
    return st.one_of(
        st.datetimes(timezones=zones).map(datetime.isoformat).map(nodes.String),
        st.sampled_from(DATETIME_WORDS).map(nodes.String),
        st.text(max_size=8).map(nodes.String),
        st.integers().map(nodes.Int),
    )


@dataclass
class Known:
    """Real identifiers read from the server before fuzzing, to reach past the 'not found' branches."""

    raw_ids: list[str] = field(default_factory=list)  # competition ids, agent ids, bot ids
    global_ids: list[str] = field(default_factory=list)  # node ids, trade ids, cursors

    def raw_pieces(self) -> st.SearchStrategy[str]:
        return st.one_of(
            st.sampled_from(self.raw_ids or ["x"]),
            st.integers(-(2**80), 2**80).map(str),
            st.sampled_from(["", "/", "-1", "0", "\u00b2", "\u0661", "\uff11", "1e3", " 1", "9" * 40]),
            st.tuples(st.sampled_from(self.raw_ids or ["x"]),
                      st.sampled_from(["1", "0", "-1", "\u00b2", "\u0661", "9" * 30, "", "x", "1/2"]))
            .map("/".join),
            st.text(max_size=10),
        )

    def id_strings(self) -> st.SearchStrategy[str]:
        types = st.sampled_from(["Agent", "Trade", "Competition", "cursor", "competition", "Bot", "agent", "", "x"])
        forged = st.builds(global_id, types, self.raw_pieces())
        return st.one_of(
            st.sampled_from(self.raw_ids or ["x"]),
            st.sampled_from(self.global_ids or ["x"]),
            forged,
            forged.map(lambda s: s + "=="),
            st.sampled_from(["", "!!!", "Zm9v", "=", "a" * 300]),
            st.text(max_size=12),
        )

    def string_nodes(self) -> st.SearchStrategy[graphql.ValueNode]:
        words = SYMBOLS + STRATEGIES + SPEEDS + REPLAY_FILES + ["fuzz", "a" * 65, "x" * 2000]
        return st.one_of(
            st.text(max_size=20), st.sampled_from(words), self.id_strings(),
        ).map(nodes.String)

    def register(self) -> dict[str, Any]:
        """Register the scalar strategies with schemathesis; returns what to restore afterwards."""
        saved = dict(gql_scalars.CUSTOM_SCALARS)
        schemathesis.graphql.scalar("Decimal", decimal_nodes())
        schemathesis.graphql.scalar("DateTime", datetime_nodes())
        schemathesis.graphql.scalar("JSON", JSON_VALUES.map(_json_node))
        schemathesis.graphql.scalar("ID", st.one_of(self.id_strings().map(nodes.String),
                                                    st.integers(-(2**70), 2**70).map(nodes.Int)))
        schemathesis.graphql.scalar("String", self.string_nodes())
        return saved


# --- the server under test ------------------------------------------------------------


@dataclass
class Arena:
    server: ServerProcess
    bot_token: str
    known: Known


REGISTER = "mutation($n: String!) { registerBot(name: $n) { bot { id } token userErrors { code } } }"
START = """mutation($input: StartCompetitionInput!) {
  startCompetition(input: $input) { competition { id } userErrors { code message } } }"""
ORDER = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { trade { id } userErrors { code message } } }"
HARVEST = """{
  competitions(first: 50) { edges { cursor node { id } } }
  agents { id }
  trades(first: 50) { edges { cursor node { id agentId competitionId } } }
  bots { id }
}"""


def _wait_until(predicate, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def arena(tmp_path_factory):
    base = tmp_path_factory.mktemp("fuzz")
    replay_dir = base / "replay"
    replay_dir.mkdir()
    # a tiny replay file, so a fuzzed REPLAY competition ends quickly
    start = datetime(2024, 1, 1, tzinfo=UTC)
    (replay_dir / "fuzz.csv").write_text("timestamp,open,high,low,close,volume\n" + "".join(
        f"{(start + timedelta(minutes=i)).strftime('%Y-%m-%d %H:%M:%S')},{100 + i},{101 + i},{99 + i},{100 + i},5\n"
        for i in range(30)))
    server = ServerProcess(
        db=base / "fuzz.db", extra_args=("--tick-interval", "0.05"),
        env={"ARENA_REPLAY_DIRS": str(replay_dir), "ARENA_BOT_ORDERS_PER_SECOND": "1000"},
    ).start()
    try:
        registered = server.operator(REGISTER, {"n": "fuzzbot"})["data"]["registerBot"]
        bot_id, bot_token = registered["bot"]["id"], registered["token"]
        started = server.operator(START, {"input": {"name": "fuzz", "speed": "0.05s", "bots": [bot_id]}})
        assert started["data"]["startCompetition"]["userErrors"] == [], started
        _wait_until(lambda: server.graphql("{ arena { round } }")["data"]["arena"]["round"] >= 2, "two rounds")
        placed = server.graphql(ORDER, {"i": {"symbol": "BTC-USD", "side": "BUY", "notional": "500"}}, token=bot_token)
        assert placed["data"]["placeOrder"]["userErrors"] == [], placed
        harvested = server.operator(HARVEST)
        assert "errors" not in harvested, harvested
        data = harvested["data"]
        known = Known()
        for edge in data["competitions"]["edges"]:
            known.raw_ids.append(edge["node"]["id"])
            known.global_ids += [edge["cursor"], global_id("Competition", edge["node"]["id"])]
        for agent in data["agents"]:
            known.raw_ids.append(agent["id"])
            known.global_ids.append(global_id("Agent", agent["id"]))
        for edge in data["trades"]["edges"]:
            known.global_ids += [edge["cursor"], edge["node"]["id"]]
        known.raw_ids += [b["id"] for b in data["bots"]]
        saved = known.register()
        try:
            yield Arena(server, bot_token, known)
        finally:
            gql_scalars.CUSTOM_SCALARS.clear()
            gql_scalars.CUSTOM_SCALARS.update(saved)
        # after all the fuzzing: still healthy, still playing rounds, nothing internal in the log
        health = httpx.get(f"{server.url}/health", timeout=10)
        assert health.status_code == 200, health.text
        before = server.graphql("{ prices { timestamp } }")["data"]["prices"]
        _wait_until(lambda: server.graphql("{ prices { timestamp } }")["data"]["prices"] != before,
                    "the market feed to keep ticking after the fuzzing")
    finally:
        code = server.stop()
    log = server.log()
    internal = [line for line in log.splitlines() if INTERNAL_LOG_MARKER in line]
    assert not internal, f"the server logged {len(internal)} internal error(s):\n" + _log_excerpt(log)
    assert code == 0, f"server did not exit cleanly ({code}):\n{log[-4000:]}"


@pytest.fixture(scope="module")
def schema(arena):
    return schemathesis.graphql.from_url(f"{arena.server.url}/graphql", timeout=10)


def _log_excerpt(log: str, limit: int = 6000) -> str:
    """The tracebacks of masked internal errors, for the failure message."""
    blocks = re.split(r"\n(?=(?:ERROR|INFO|WARNING|DEBUG) )", log)
    internal = [b for b in blocks if INTERNAL_LOG_MARKER in b]
    return "\n".join(internal)[-limit:]


# --- sending a case three ways ------------------------------------------------------------


def hoist_arguments(document: str, schema: graphql.GraphQLSchema) -> tuple[str, dict[str, Any]] | None:
    """Move the root field's literal arguments into variables: the same values, coerced through
    `parse_value` (JSON) instead of `parse_literal`. None where a literal cannot be a JSON value."""
    ast = graphql.parse(document)
    operation = ast.definitions[0]
    assert isinstance(operation, graphql.OperationDefinitionNode)
    root = schema.query_type if operation.operation is graphql.OperationType.QUERY else schema.mutation_type
    if root is None or not operation.selection_set.selections:
        return None
    variables: dict[str, Any] = {}
    definitions = []
    selections = []
    for index, selection in enumerate(operation.selection_set.selections):
        if not isinstance(selection, graphql.FieldNode) or selection.name.value not in root.fields:
            return None
        field_def = root.fields[selection.name.value]
        arguments = []
        for argument in selection.arguments or ():
            arg_def = field_def.args.get(argument.name.value)
            if arg_def is None:
                return None
            value = graphql.value_from_ast_untyped(argument.value)
            if isinstance(value, float) and not math.isfinite(value):
                return None
            name = f"v{index}_{argument.name.value}"
            variables[name] = value
            type_node = graphql.parse_type(str(arg_def.type))
            definitions.append(graphql.VariableDefinitionNode(
                variable=graphql.VariableNode(name=graphql.NameNode(value=name)), type=type_node))
            arguments.append(graphql.ArgumentNode(name=argument.name,
                                                  value=graphql.VariableNode(name=graphql.NameNode(value=name))))
        selections.append(graphql.FieldNode(alias=selection.alias, name=selection.name, arguments=tuple(arguments),
                                            directives=selection.directives or (),
                                            selection_set=selection.selection_set))
    hoisted = graphql.OperationDefinitionNode(
        operation=operation.operation, name=operation.name, variable_definitions=tuple(definitions),
        directives=operation.directives or (), selection_set=graphql.SelectionSetNode(selections=tuple(selections)))
    return graphql.print_ast(graphql.DocumentNode(definitions=(hoisted,))), variables


@dataclass
class Sent:
    transport: str
    status: int
    body: Any
    repro: str


def send(case, transport: str, url: str, headers: dict[str, str], client: httpx.Client) -> Sent:
    if transport == "inline":
        response = case.call(headers=headers, timeout=15)
        body = _json(response.content)
        return Sent(transport, response.status_code, body, case.as_curl_command(headers=headers))
    if transport == "get":
        params = {"query": case.body}
        response = client.get(url, params=params, headers={**headers, "accept": "application/json"})
        return Sent(transport, response.status_code, _json(response.content), f"GET {url} params={params!r}")
    hoisted = hoist_arguments(case.body, case.operation.schema.client_schema)
    payload: dict[str, Any] = {"query": case.body} if hoisted is None else {"query": hoisted[0], "variables": hoisted[1]}
    response = client.post(url, json=payload, headers=headers)
    return Sent(transport, response.status_code, _json(response.content), f"POST {url} json={json.dumps(payload)}")


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return content[:500]


def problems(sent: Sent) -> list[str]:
    """What is wrong with one response, per the issue's rules (empty: all good)."""
    found = []
    if sent.status >= 500:
        found.append(f"HTTP {sent.status}")
    body = sent.body
    if not isinstance(body, dict):
        return found + [f"not a JSON object: {body!r}"]
    errors = body.get("errors") or []
    if not isinstance(errors, list):
        return found + [f"`errors` is not a list: {errors!r}"]
    for error in errors:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        if not isinstance(code, str):
            found.append(f"error without extensions.code: {error!r}")
        elif code == ErrorCode.INTERNAL.value:
            found.append(f"INTERNAL error at path {error.get('path')}: {error.get('message')!r}")
        elif code not in DOCUMENTED_CODES:
            found.append(f"undocumented error code {code!r}: {error!r}")
        if isinstance(error, dict) and NON_NULL_MARKER in str(error.get("message")):
            found.append(f"schema violation: {error.get('message')!r}")
    for user_error in _user_errors(body.get("data")):
        code = user_error.get("code") if isinstance(user_error, dict) else None
        if code is not None and (code == ErrorCode.INTERNAL.value or code not in DOCUMENTED_CODES):
            found.append(f"user error with code {code!r}: {user_error!r}")
    return found


def _user_errors(data: Any):
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "userErrors" and isinstance(value, list):
                yield from value
            else:
                yield from _user_errors(value)
    elif isinstance(data, list):
        for item in data:
            yield from _user_errors(item)


# --- the fuzzing -----------------------------------------------------------------------


def fuzz(arena: Arena, schema, token: str | None, examples: int) -> None:
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {op.label for op in operations}
    assert {"Query.trades", "Query.node", "Mutation.startCompetition", "Mutation.placeOrder"} <= labels, labels
    strategy = st.one_of([op.as_strategy(generation_mode=mode)
                          for op in operations for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)])
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = f"{arena.server.url}/graphql"
    failures: dict[tuple[str, str], str] = {}
    seen_ops: set[str] = set()

    with httpx.Client(timeout=15) as client:

        @seed(SEED)
        @settings(max_examples=examples, deadline=None, database=None, derandomize=False, print_blob=False,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                         HealthCheck.filter_too_much, HealthCheck.large_base_example])
        @given(case=strategy, transport=st.sampled_from(TRANSPORTS))
        def run(case, transport):
            seen_ops.add(case.operation.label)
            if transport == "get" and case.operation.label.startswith("Mutation."):
                transport = "inline"
            sent = send(case, transport, url, headers, client)
            for problem in problems(sent):
                # one example per (operation, kind of problem): the report stays readable
                kind = re.sub(r"'.*|\{.*", "", problem)[:60]
                failures.setdefault((case.operation.label, kind), f"{problem}\n    reproduce: {sent.repro}")

        run()

    assert failures == {}, (
        f"{len(failures)} problem(s) found by fuzzing with {'a token' if token else 'no token'}:\n\n"
        + "\n\n".join(f"[{op}] {text}" for (op, _), text in sorted(failures.items()))
        + "\n\nserver log (masked internal errors):\n" + _log_excerpt(arena.server.log())
    )
    # the one-of reached (almost) every root field, not just a few
    assert len(seen_ops) >= len(operations) * 3 // 4, sorted(labels - seen_ops)


def test_fuzz_without_a_token(arena, schema):
    fuzz(arena, schema, None, EXAMPLES["anonymous"])


def test_fuzz_with_the_bot_token(arena, schema):
    fuzz(arena, schema, arena.bot_token, EXAMPLES["bot"])


def test_fuzz_with_the_operator_token(arena, schema):
    fuzz(arena, schema, arena.server.token, EXAMPLES["operator"])

"""Fuzzing the GraphQL endpoint of a real `arena serve` (issue 7: target 0 internal errors).

One server for the module, on a throwaway SQLite file, with a running competition, a registered
bot and some trades. Two kinds of test:

- Schemathesis fuzzing. Schemathesis loads the schema by introspection and generates, for every
  root field of Query and Mutation, positive (schema-valid) and negative (schema-invalid)
  documents; scalars get hostile values (NaN, Infinity, 1E+400, unicode digits, lone surrogates,
  huge integers, real and forged global IDs and cursors). Each case goes one of three ways: inline
  literals over POST (schemathesis' own `case.call`), the root field's arguments hoisted into JSON
  variables over POST, or a query over GET. It runs without a token, with the bot's token and with
  the operator's token, so mutations really run. Fixed seeds, bounded examples
  (ARENA_FUZZ_SEED and ARENA_FUZZ_SCALE change them for a deeper local run).
- A sweep: every argument (and every field of an input argument) of every root field gets every
  value of a dictionary of hostile values for its type, through variables, a batch of aliases per
  request. Schemathesis has no coverage phase for GraphQL; this is one.

Every response must: not be a 5xx; be a JSON object; give every GraphQL error an
`extensions.code` from the documented set, never INTERNAL; never break the schema's non-null
contract. Afterwards the server must still answer /health and play rounds, must have logged no
masked internal error and no failed recording, and must exit 0 on SIGTERM.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
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
from tests.e2e.helpers import ArenaServer

# CI runs the fixed seed and the bounded examples below; for a deeper local run, e.g.
#   ARENA_FUZZ_SEED=7 ARENA_FUZZ_SCALE=10 .venv/bin/python -m pytest tests/fuzz
SEED = int(os.environ.get("ARENA_FUZZ_SEED", "20240607"))
SCALE = float(os.environ.get("ARENA_FUZZ_SCALE", "1"))
TRANSPORTS = ("inline", "variables", "get")
# Examples per root field, per auth variant. Each variant has its own seed, so the queries every
# variant may run get different documents; each spends most on what its token unlocks.
VARIANTS = {
    "anonymous": dict(
        seed=SEED + 1, queries=8, bare=2, negative=3, chaos=0, own={"Query.node": 30, "Query.trades": 30}
    ),
    "bot": dict(
        seed=SEED + 2,
        queries=15,
        bare=2,
        negative=3,
        chaos=0,
        own={"Mutation.placeOrder": 60, "Query.me": 5, "Query.node": 30, "Query.trades": 30},
    ),
    "operator": dict(
        seed=SEED + 3,
        queries=15,
        bare=2,
        negative=3,
        chaos=60,
        own={
            "Mutation.startCompetition": 40,
            "Mutation.registerBot": 12,
            "Mutation.revokeBot": 12,
            "Query.bots": 3,
            "Query.node": 30,
            "Query.trades": 30,
        },
    ),
}
SWEEP_BATCH = 25  # aliases per request (the server allows 30)
REQUEST_TIMEOUT = 10.0  # seconds: far more than any request needs (an order waits for one round)

# every code the README documents (and the engine's), plus BAD_REQUEST for GraphQL's own errors
DOCUMENTED_CODES = {c.value for c in ErrorCode} | {"BAD_REQUEST"}
NON_NULL_MARKER = "Cannot return null for non-nullable field"
# what the server logs when it masks an internal error, or loses a batch of events
# an expected refusal logs one line with no traceback: any traceback is an alarm
LOG_ALARMS = ("internal error in", "Traceback", "the store refused")

# --- hostile values --------------------------------------------------------------------

SURROGATES = ["\ud800", "a\udfffb", "\udc80\ud800"]  # valid JSON escapes, not encodable as UTF-8
SYMBOLS = [
    "BTC-USD",
    "ETH-USD",
    "SOL-USD",
    "btc-usd",
    "DOGE-USD",
    "",
    " ",
    "BTC-USD ",
    "\u20bf-USD",
    "\u202e",
    "\x00",
    *SURROGATES,
]
STRATEGIES = ["momentum", "mean_reversion", "balanced", "buy_and_hold", "random", "external", "", "__init__"]
SPEEDS = ["max", "1s", "0.05s", "0.001s", "0s", "-1s", "NaNs", "infs", "1e9s", "10x", "0x", "100x", "1000000x", "fast"]
REPLAY_FILES = ["fuzz.csv", "../fuzz.csv", "/etc/passwd", "..", ".", "missing.csv", "fuzz.csv\x00"]
STRINGS = SYMBOLS + STRATEGIES + SPEEDS + REPLAY_FILES + ["fuzz", "a" * 65, "x" * 2000]
DECIMAL_WORDS = [
    "NaN",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1E+400",
    "-1E+400",
    "1E-30",
    "1e999999999",
    "1e-999999999",
    "0",
    "-0",
    "0E-100",
    "1E+15",
    "1000000000000001",
    "999999999999999.99999999",
    "0.00000001",
    "0.000000005",
    " 12 ",
    "1_000",
    "\u0661\u0662\u0663",
    "\uff15",
    "0x10",
    "",
    "abc",
    "1e",
    "--1",
    "+5",
    ".5",
    "5.",
    "100",
    "500",
    "10000",
    "1e12",
    "1e13",
    "\ud800",
]
DATETIME_WORDS = [
    "0001-01-01T00:00:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59",
    "9999-12-31T23:59:59-14:00",
    "1970-01-01T00:00:00Z",
    "2024-02-30T00:00:00",
    "2024-01-01",
    "now",
    "",
    "2024-01-01T25:00:00",
    "1e400",
    "-1",
    "2024-01-01T00:00:00.9999999999Z",
    "\ud800",
]
INT_WORDS = [
    0,
    1,
    2,
    3,
    10,
    20,
    50,
    499,
    500,
    501,
    1000,
    9999,
    10000,
    10001,
    86400,
    2678400,
    2678401,
    -1,
    2**31 - 1,
    -(2**31),
    2**31,
    2**53 + 1,
]
FLOAT_WORDS = [0.0, -0.0, 0.001, 0.0009, 1.0, 3600.0, 3600.1, 1e-9, 5e-324, 1e308, -1e308, 2.0**63]
# the numeric part of forged IDs and cursors
SEQ_WORDS = [
    "1",
    "2",
    "0",
    "-1",
    "+1",
    " 1",
    "1 ",
    "1_0",
    "1e3",
    "0x1",
    "\u00b2",
    "\u0661",
    "\uff11",
    "",
    "x",
    str(2**63 - 1),
    str(2**63),
    str(-(2**63)),
    str(-(2**63) - 1),
    str(2**64),
    "9" * 30,
    "1" + "0" * 400,
]
JSON_WORDS: list[Any] = [
    None,
    [],
    [1],
    "x",
    5,
    {},
    {"fast_window": -1},
    {"fast_window": "x"},
    {"fast_window": 1e308},
    {"fast_window": 10**30},
    {"position_fraction": "NaN"},
    {"position_fraction": 2},
    {"seed": 2**70},
    {"a": 1},
    {"__class__": {}},
    {"fast_window": 3, "slow_window": 2},
]


def global_id(type_name: str, raw: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{raw}".encode(errors="surrogatepass")).decode().rstrip("=")


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
    return nodes.Object(
        [graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=_json_node(v)) for k, v in value.items()]
    )


def text() -> st.SearchStrategy[str]:
    """Any text, lone surrogates included (hypothesis leaves them out unless asked)."""
    return st.one_of(
        st.text(max_size=16), st.text(st.characters(codec=None, categories=["Cs", "Co", "Cc"]), max_size=4)
    )


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text()
    | st.sampled_from(["x", "1E+400", "NaN", "fast_window", "window", "seed"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "fast_window",
                    "slow_window",
                    "position_fraction",
                    "window",
                    "threshold",
                    "probability",
                    "seed",
                    "a",
                    "__class__",
                ]
            )
            | st.from_regex(r"[_A-Za-z][_0-9A-Za-z]{0,6}", fullmatch=True),
            children,
            max_size=3,
        )
    ),
    max_leaves=6,
)


def decimal_nodes() -> st.SearchStrategy[graphql.ValueNode]:
    return st.one_of(
        st.sampled_from(DECIMAL_WORDS).map(nodes.String),
        st.decimals(allow_nan=True, allow_infinity=True).map(str).map(nodes.String),
        st.integers(-(10**30), 10**30).map(nodes.Int),
        st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
        text().map(nodes.String),
    )


def datetime_nodes() -> st.SearchStrategy[graphql.ValueNode]:
    zones = st.none() | st.just(UTC) | st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
    return st.one_of(
        st.datetimes(timezones=zones).map(datetime.isoformat).map(nodes.String),
        st.sampled_from(DATETIME_WORDS).map(nodes.String),
        text().map(nodes.String),
        st.integers().map(nodes.Int),
    )


def int_nodes() -> st.SearchStrategy[graphql.ValueNode]:
    return st.one_of(
        st.sampled_from(INT_WORDS),
        st.integers(-5, 600),
        st.integers(1, 500),
        st.integers(-(2**31), 2**31 - 1),
        st.integers(-(2**70), 2**70),
    ).map(nodes.Int)


def float_nodes() -> st.SearchStrategy[graphql.ValueNode]:
    return st.one_of(
        st.sampled_from(FLOAT_WORDS), st.floats(-1e4, 1e4), st.floats(allow_nan=False, allow_infinity=False)
    ).map(nodes.Float)


@dataclass
class Known:
    """Real identifiers read from the server before fuzzing, to reach past the 'not found' branches."""

    competition_ids: list[str] = field(default_factory=list)
    agent_ids: list[str] = field(default_factory=list)
    bot_ids: list[str] = field(default_factory=list)
    global_ids: list[str] = field(default_factory=list)  # node ids, trade ids, cursors

    @property
    def raw_ids(self) -> list[str]:
        return (self.competition_ids[:3] + self.agent_ids[:3] + self.bot_ids[:2]) or ["x"]

    def forged_ids(self) -> list[str]:
        """Well-formed global IDs and cursors built around the real ones, with wrong types and odd or
        huge numbers: a flat list, so that any one of them is as likely as another."""
        competitions = [*self.competition_ids[:2], "x", ""]
        forged = [global_id("Trade", f"{cid}/{n}") for cid in competitions for n in SEQ_WORDS]
        forged += [global_id(kind, n) for kind in ("cursor", "Trade", "competition") for n in SEQ_WORDS]
        forged += [
            global_id(kind, raw)
            for kind in ("Agent", "Competition", "competition", "agent", "Bot", "x", "")
            for raw in [*self.raw_ids, "", "x", "/", "-", "\x00", "�"]
        ]
        return sorted(set(forged))

    def ids(self) -> list[Any]:
        """The sweep's dictionary for IDs and cursors: the real ones and the nastiest forgeries."""
        competition = (self.competition_ids or ["x"])[0]
        numbers = ["-1", "x", "\u00b2", "\u0661", str(2**63), str(-(2**63) - 1), "9" * 30, "1" + "0" * 400]
        forged = [global_id("Trade", f"{competition}/{n}") for n in numbers]
        forged += [global_id("cursor", n) for n in numbers]
        forged += [
            global_id(kind, raw)
            for kind, raw in [
                ("Agent", (self.agent_ids or ["x"])[0]),
                ("Competition", competition),
                ("competition", competition),
                ("Agent", "\x00"),
                ("x", "y"),
                ("Trade", ""),
            ]
        ]
        junk = ["", "!!!", "=", "a" * 300, "\x00", *SURROGATES, 2**70]
        return self.raw_ids[:3] + self.global_ids[:2] + forged + junk

    def id_strings(self) -> st.SearchStrategy[str]:
        forged = self.forged_ids()
        return st.one_of(
            st.sampled_from(self.raw_ids),
            st.sampled_from(self.global_ids or ["x"]),
            st.sampled_from(forged),
            st.sampled_from(forged),  # twice: well-formed forgeries reach furthest
            st.sampled_from(forged).map(lambda s: s + "=="),
            st.builds(global_id, st.sampled_from(["Trade", "cursor", "Agent", "x"]), text()),
            st.sampled_from(["", "!!!", "Zm9v", "=", "a" * 300, "\x00", *SURROGATES]),
            text(),
        )

    def register(self) -> dict[str, Any]:
        """Register the value strategies with schemathesis; returns what to restore afterwards."""
        saved = dict(gql_scalars.CUSTOM_SCALARS)
        schemathesis.graphql.scalar("Decimal", decimal_nodes())
        schemathesis.graphql.scalar("DateTime", datetime_nodes())
        schemathesis.graphql.scalar("JSON", JSON_VALUES.map(_json_node))
        # built-in scalars too: hypothesis-graphql consults the custom strategies first
        ids = self.id_strings().map(nodes.String)
        schemathesis.graphql.scalar("ID", st.one_of(ids, ids, ids, int_nodes()))
        schemathesis.graphql.scalar(
            "String",
            st.one_of(text(), st.sampled_from(STRINGS), self.id_strings(), st.sampled_from(self.forged_ids())).map(
                nodes.String
            ),
        )
        schemathesis.graphql.scalar("Int", int_nodes())
        schemathesis.graphql.scalar("Float", float_nodes())
        return saved

    def dictionary(self, type_name: str, name: str = "") -> list[Any]:
        """The sweep's hostile values for an argument of a named input type (JSON, sent as variables)."""
        if type_name == "String" and name in ("after", "before"):  # cursors
            return [v for v in self.ids() if isinstance(v, str)]
        return {
            "ID": self.ids(),
            "String": [
                "",
                " ",
                "\x00",
                "\u202e",
                *SURROGATES,
                "a" * 65,
                "x" * 2000,
                "BTC-USD",
                "DOGE-USD",
                "max",
                "0s",
                "-1s",
                "NaNs",
                "1e9s",
                "1000000x",
                "../fuzz.csv",
                "/etc/passwd",
                "fuzz.csv",
                "momentum",
                "external",
            ],
            "Decimal": [
                "NaN",
                "sNaN",
                "-Infinity",
                "1E+400",
                "-1E+400",
                "1E-30",
                "1e999999999",
                "0",
                "-0",
                "1E+15",
                "999999999999999.99999999",
                "0.000000005",
                " 12 ",
                "1_000",
                "\u0661\u0662\u0663",
                "0x10",
                "",
                "abc",
                "\ud800",
                1e308,
                10**30,
                float("nan"),
                True,
                "1",
            ],
            "DateTime": [
                "0001-01-01T00:00:00",
                "0001-01-01T00:00:00+14:00",
                "9999-12-31T23:59:59-14:00",
                "2024-02-30T00:00:00",
                "",
                "now",
                "\ud800",
                0,
                1e20,
                float("nan"),
                "2024-01-01",
            ],
            "Int": [0, -1, 1, 500, 501, 10000, 10001, 2**31 - 1, -(2**31), 2**31, float("nan"), float("inf"), 1.5, "1"],
            "Float": [0.0, -0.0, 1e-9, 5e-324, 1e308, -1e308, float("nan"), float("inf"), 10**400, "1"],
            "JSON": [*JSON_WORDS, float("nan"), "�", {"�": 1}],
        }.get(type_name, [])


# --- the server under test ----------------------------------------------------------------


@dataclass
class Arena:
    server: ArenaServer
    bot_id: str
    bot_token: str
    known: Known


REGISTER = "mutation($n: String!) { registerBot(name: $n) { bot { id } token userErrors { code } } }"
START = """mutation($input: StartCompetitionInput!) {
  startCompetition(input: $input) { competition { id } userErrors { code message } } }"""
ORDER = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { trade { id } userErrors { code message } } }"
HARVEST = """{
  competitions(first: 50) { edges { cursor node { id } } }
  agents { id }
  trades(first: 50) { edges { cursor node { id } } }
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
    # a tiny replay file, so that a fuzzed REPLAY competition ends quickly
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    (replay_dir / "fuzz.csv").write_text(
        "timestamp,open,high,low,close,volume\n"
        + "".join(
            f"{(t0 + timedelta(minutes=i)):%Y-%m-%d %H:%M:%S},{100 + i},{101 + i},{99 + i},{100 + i},5\n"
            for i in range(30)
        )
    )
    server = ArenaServer(
        db=base / "fuzz.db",
        args=("--tick-interval", "0.05"),
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
            known.competition_ids.append(edge["node"]["id"])
            known.global_ids += [edge["cursor"], global_id("Competition", edge["node"]["id"])]
        for agent in data["agents"]:
            known.agent_ids.append(agent["id"])
            known.global_ids.append(global_id("Agent", agent["id"]))
        for edge in data["trades"]["edges"]:
            known.global_ids += [edge["node"]["id"], edge["cursor"]]
        known.bot_ids += [b["id"] for b in data["bots"]]
        saved = known.register()
        try:
            yield Arena(server, bot_id, bot_token, known)
        finally:
            gql_scalars.CUSTOM_SCALARS.clear()
            gql_scalars.CUSTOM_SCALARS.update(saved)
        # after all the fuzzing: still healthy, and the market still ticks
        health = httpx.get(f"{server.url}/health", timeout=10)
        assert health.status_code == 200, health.text
        before = server.graphql("{ prices { timestamp } }")["data"]["prices"]
        _wait_until(
            lambda: server.graphql("{ prices { timestamp } }")["data"]["prices"] != before,
            "the market feed to keep ticking after the fuzzing",
            timeout=5,
        )
    finally:
        code = server.stop()
    log = server.log()
    alarms = [line for line in log.splitlines() if any(alarm in line for alarm in LOG_ALARMS)]
    assert not alarms, f"the server logged {len(alarms)} alarm(s):\n" + log_excerpt(log)
    assert code == 0, f"server did not exit cleanly ({code}):\n{log[-4000:]}"


@pytest.fixture(scope="module")
def schema(arena):
    return schemathesis.graphql.from_url(f"{arena.server.url}/graphql", timeout=10)


def log_excerpt(log: str, limit: int = 8000) -> str:
    """The log records (with their tracebacks) of masked internal errors and lost batches."""
    records = re.split(r"\n(?=(?:ERROR|INFO|WARNING|DEBUG|CRITICAL)\b)", log)
    return "\n".join(r for r in records if any(alarm in r for alarm in LOG_ALARMS))[-limit:]


# --- checking a response --------------------------------------------------------------------


def problems(status: int, body: Any) -> list[str]:
    """What is wrong with one response, per the issue's rules (empty: all good)."""
    found = [f"HTTP {status}"] if status >= 500 else []
    if not isinstance(body, dict):
        return [*found, f"not a JSON object: {body!r}"]
    errors = body.get("errors") or []
    if not isinstance(errors, list):
        return [*found, f"`errors` is not a list: {errors!r}"]
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


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return content[:500]


def post_json(client: httpx.Client, url: str, payload: dict, headers: dict[str, str]) -> httpx.Response:
    """JSON with \\u escapes (lone surrogates survive) and NaN/Infinity as Python writes them."""
    return client.post(
        url, content=json.dumps(payload).encode(), headers={**headers, "content-type": "application/json"}
    )


def curl(url: str, payload: dict, who: str | None) -> str:
    auth = f" -H 'Authorization: Bearer <{who} token>'" if who else ""
    return f"curl -s {url} -H 'content-type: application/json'{auth} -d {json.dumps(json.dumps(payload))}"


# --- schemathesis fuzzing ---------------------------------------------------------------


def hoist_arguments(document: str, schema: graphql.GraphQLSchema) -> tuple[str, dict[str, Any]] | None:
    """Move the root fields' literal arguments into variables: the same values, coerced through
    `parse_value` (JSON) instead of `parse_literal`. None where that cannot be done."""
    # GraphQL source may not hold lone surrogates, JSON variables may: stand them in while parsing
    if any(_PARKED <= ord(c) < _PARKED + 0x800 for c in document):
        return None
    parked = "".join(chr(_PARKED + ord(c) - 0xD800) if 0xD800 <= ord(c) < 0xE000 else c for c in document)
    try:
        operation = graphql.parse(parked).definitions[0]
    except graphql.GraphQLError:
        return None
    assert isinstance(operation, graphql.OperationDefinitionNode)
    root = schema.query_type if operation.operation is graphql.OperationType.QUERY else schema.mutation_type
    if root is None:
        return None
    variables: dict[str, Any] = {}
    definitions, selections = [], []
    for index, selection in enumerate(operation.selection_set.selections):
        if not isinstance(selection, graphql.FieldNode) or selection.name.value not in root.fields:
            return None
        field_def = root.fields[selection.name.value]
        arguments = []
        for argument in selection.arguments or ():
            arg_def = field_def.args.get(argument.name.value)
            if arg_def is None:
                return None
            value = _unpark(graphql.value_from_ast_untyped(argument.value))
            if isinstance(value, float) and not math.isfinite(value):
                return None
            name = graphql.NameNode(value=f"v{index}_{argument.name.value}")
            variables[name.value] = value
            definitions.append(
                graphql.VariableDefinitionNode(
                    variable=graphql.VariableNode(name=name), type=graphql.parse_type(str(arg_def.type))
                )
            )
            arguments.append(graphql.ArgumentNode(name=argument.name, value=graphql.VariableNode(name=name)))
        selections.append(
            graphql.FieldNode(
                alias=selection.alias,
                name=selection.name,
                arguments=tuple(arguments),
                directives=selection.directives or (),
                selection_set=selection.selection_set,
            )
        )
    hoisted = graphql.OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=tuple(definitions),
        directives=operation.directives or (),
        selection_set=graphql.SelectionSetNode(selections=tuple(selections)),
    )
    return graphql.print_ast(graphql.DocumentNode(definitions=(hoisted,))), variables


_PARKED = 0xF0000  # lone surrogates U+D800..U+DFFF stand in as U+F0000..U+F07FF (private use) while parsing


def _unpark(value: Any) -> Any:
    if isinstance(value, str):
        return "".join(chr(0xD800 + ord(c) - _PARKED) if _PARKED <= ord(c) < _PARKED + 0x800 else c for c in value)
    if isinstance(value, list):
        return [_unpark(v) for v in value]
    if isinstance(value, dict):
        return {_unpark(k): _unpark(v) for k, v in value.items()}
    return value


def send(
    case, transport: str, url: str, headers: dict[str, str], client: httpx.Client, who: str | None
) -> tuple[int, Any, str]:
    """(status, body, how to reproduce)."""
    if transport == "get" and (case.operation.label.startswith("Mutation.") or not _utf8(case.body)):
        transport = "inline"  # GET refuses mutations by design; a URL cannot carry a lone surrogate
    if transport == "inline":
        response = case.call(headers=headers, timeout=REQUEST_TIMEOUT)  # schemathesis' own transport
        return response.status_code, _json(response.content), curl(url, {"query": case.body}, who)
    if transport == "get":
        response = client.get(url, params={"query": case.body}, headers={**headers, "accept": "application/json"})
        auth = f" -H 'Authorization: Bearer <{who} token>'" if who else ""
        return (
            response.status_code,
            _json(response.content),
            f"curl -G {url}{auth} --data-urlencode query={json.dumps(case.body)}",
        )
    hoisted = hoist_arguments(case.body, case.operation.schema.client_schema)
    payload = {"query": case.body} if hoisted is None else {"query": hoisted[0], "variables": hoisted[1]}
    response = post_json(client, url, payload, headers)
    return response.status_code, _json(response.content), curl(url, payload, who)


def _unicode(value: Any) -> bool:
    """No lone surrogates anywhere in a JSON value."""
    if isinstance(value, str):
        return _utf8(value)
    if isinstance(value, dict):
        return all(_unicode(k) and _unicode(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_unicode(v) for v in value)
    return True


def _utf8(text_: str) -> bool:
    try:
        text_.encode()
    except UnicodeEncodeError:
        return False
    return True


def plan(operations, variant: dict) -> list[tuple[Any, int]]:
    """(strategy, examples): every root field on its own, those with arguments more, negative
    (schema-invalid) documents where there are arguments to break; then mutations interleaved at
    random, so that start/pause/resume/stop meet every state."""
    runs = []
    for op in operations:
        has_arguments = bool(op.definition.raw.args)
        default = variant["queries"] if has_arguments and op.label.startswith("Query.") else variant["bare"]
        runs.append((op.as_strategy(generation_mode=GenerationMode.POSITIVE), variant["own"].get(op.label, default)))
        if has_arguments:
            runs.append((op.as_strategy(generation_mode=GenerationMode.NEGATIVE), variant["negative"]))
    if variant["chaos"]:
        mutations = [op.as_strategy() for op in operations if op.label.startswith("Mutation.")]
        runs.append((st.one_of(mutations), variant["chaos"]))
    return runs


def fuzz(arena: Arena, schema, who: str, token: str | None) -> None:
    variant = VARIANTS[who]
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {op.label for op in operations}
    assert {"Query.trades", "Query.node", "Mutation.startCompetition", "Mutation.placeOrder"} <= labels, labels
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = f"{arena.server.url}/graphql"
    failures: dict[tuple[str, str], str] = {}
    sent = 0

    with httpx.Client(timeout=REQUEST_TIMEOUT) as client:
        for strategy, examples in plan(operations, variant):

            @seed(variant["seed"])
            @settings(
                max_examples=max(1, round(examples * SCALE)),
                deadline=None,
                database=None,
                print_blob=False,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[
                    HealthCheck.too_slow,
                    HealthCheck.data_too_large,
                    HealthCheck.filter_too_much,
                    HealthCheck.large_base_example,
                ],
            )
            @given(case=strategy, transport=st.sampled_from(TRANSPORTS))
            def run(case, transport):
                nonlocal sent
                status, body, repro = send(case, transport, url, headers, client, who if token else None)
                sent += 1
                for problem in problems(status, body):
                    # one example per (field, kind of problem), so that the report stays readable
                    kind = re.sub(r"['{\[].*", "", problem)
                    failures.setdefault((case.operation.label, kind), f"{problem}\n    reproduce: {repro}")

            run()

    assert not failures, (
        f"{len(failures)} problem(s) in {sent} fuzzed requests ({who}):\n\n"
        + "\n\n".join(f"[{label}] {text_}" for (label, _), text_ in sorted(failures.items()))
        + "\n\nserver log:\n"
        + log_excerpt(arena.server.log())
    )


def test_fuzz_without_a_token(arena, schema):
    fuzz(arena, schema, "anonymous", None)


def test_fuzz_with_the_bot_token(arena, schema):
    fuzz(arena, schema, "bot", arena.bot_token)


def test_fuzz_with_the_operator_token(arena, schema):
    fuzz(arena, schema, "operator", arena.server.token)


# --- the sweep --------------------------------------------------------------------------------


def baseline(arena: Arena, root: str, field_name: str) -> dict[str, Any]:
    """Valid values for a field's required arguments, so that one hostile value at a time gets tested."""
    known = arena.known
    return {
        ("Query", "competition"): {"id": known.competition_ids[0]},
        ("Query", "agent"): {"id": known.agent_ids[0]},
        ("Query", "node"): {"id": global_id("Agent", known.agent_ids[0])},
        ("Query", "equityHistory"): {"agentId": known.agent_ids[0]},
        ("Query", "priceHistory"): {"symbol": "BTC-USD"},
        ("Mutation", "registerBot"): {"name": "sweep"},
        ("Mutation", "revokeBot"): {"id": "no-such-bot"},  # the bot must keep its token
        ("Mutation", "startCompetition"): {"input": {"name": "sweep", "speed": "0.05s"}},
        ("Mutation", "placeOrder"): {"input": {"symbol": "BTC-USD", "side": "BUY", "notional": "1"}},
    }.get((root, field_name), {})


def sweep_targets(arena: Arena, client_schema: graphql.GraphQLSchema):
    """(root, field, argument type, [variables for one alias, per hostile value], path) for every
    argument of every root field, and every field of input-object arguments (and of list elements)."""
    for root, root_type in (("Query", client_schema.query_type), ("Mutation", client_schema.mutation_type)):
        for field_name, field_def in root_type.fields.items():
            base = baseline(arena, root, field_name)
            for arg_name, arg_def in field_def.args.items():
                named = graphql.get_named_type(arg_def.type)
                if isinstance(named, graphql.GraphQLScalarType):
                    pinned = {"last": 5} if arg_name == "before" else {}  # `before` pages with `last`
                    values = [{**base, **pinned, arg_name: v} for v in arena.known.dictionary(named.name, arg_name)]
                    yield root, field_name, field_def, values, arg_name
                    continue
                if not isinstance(named, graphql.GraphQLInputObjectType):
                    continue
                for sub_name, sub_def in named.fields.items():
                    sub_named = graphql.get_named_type(sub_def.type)
                    if isinstance(sub_named, graphql.GraphQLInputObjectType):  # e.g. agents: [AgentInput!]
                        element = {"name": "a", "strategy": "momentum"}
                        for leaf_name, leaf_def in sub_named.fields.items():
                            leaf_named = graphql.get_named_type(leaf_def.type)
                            values = [
                                {**base, arg_name: {**base.get(arg_name, {}), sub_name: [{**element, leaf_name: v}]}}
                                for v in arena.known.dictionary(leaf_named.name, leaf_name)
                            ]
                            yield root, field_name, field_def, values, f"{arg_name}.{sub_name}[].{leaf_name}"
                        continue
                    template = dict(base.get(arg_name, {}))
                    if sub_name in ("quantity", "notional"):  # an order takes one of them
                        template.pop("notional", None)
                    if sub_name == "replayFiles":  # read only for a replay
                        template["feed"] = "REPLAY"
                    if sub_name in ("seed", "symbols"):  # a feed of the competition's own
                        template["feed"] = "SIMULATED"
                    values = [
                        {**base, arg_name: {**template, sub_name: v}}
                        for v in arena.known.dictionary(sub_named.name, sub_name)
                    ]
                    yield root, field_name, field_def, values, f"{arg_name}.{sub_name}"


def _selection(field_def: graphql.GraphQLField) -> str:
    named = graphql.get_named_type(field_def.type)
    if isinstance(named, (graphql.GraphQLObjectType, graphql.GraphQLInterfaceType, graphql.GraphQLUnionType)):
        fields = getattr(named, "fields", {})
        extra = " userErrors { field message code }" if "userErrors" in fields else ""
        return " { __typename" + extra + " }"
    return ""


STOP = "stopCompetition { __typename userErrors { field message code } }"


def sweep_payload(root: str, field_name: str, field_def, batch: list[dict[str, Any]]) -> dict[str, Any]:
    """One request: an alias per set of arguments, every argument a variable. Each startCompetition
    comes after a stopCompetition, so that every one of them meets a stopped arena and really starts."""
    definitions, aliases, variables = [], [], {}
    for i, arguments in enumerate(batch):
        parts = []
        for arg_name, value in arguments.items():
            variables[f"v{i}_{arg_name}"] = value
            definitions.append(f"$v{i}_{arg_name}: {field_def.args[arg_name].type}")
            parts.append(f"{arg_name}: $v{i}_{arg_name}")
        args = f"({', '.join(parts)})" if parts else ""
        if field_name == "startCompetition":
            aliases.append(f"s{i}: {STOP}")
        aliases.append(f"a{i}: {field_name}{args}{_selection(field_def)}")
    keyword = "query" if root == "Query" else "mutation"
    head = f"{keyword}({', '.join(definitions)})" if definitions else keyword
    return {"query": f"{head} {{ {' '.join(aliases)} }}", "variables": variables}


def test_sweep_every_argument_with_hostile_values(arena, schema):
    url = f"{arena.server.url}/graphql"
    # whatever the fuzzing left running: a fresh competition with the bot in it
    arena.server.operator("mutation { stopCompetition { userErrors { code } } }")
    started = arena.server.operator(START, {"input": {"name": "sweep", "speed": "0.05s", "bots": [arena.bot_id]}})
    assert started["data"]["startCompetition"]["userErrors"] == [], started
    failures: dict[tuple[str, str], str] = {}
    requests = 0
    stuck: list[str] = []  # once the server stops answering, the rest is skipped

    def run_batch(client: httpx.Client, target: tuple, batch: list[dict[str, Any]]) -> None:
        nonlocal requests
        if stuck:
            return
        root, field_name, field_def, path = target
        token, who = (arena.bot_token, "bot") if field_name == "placeOrder" else (arena.server.token, "operator")
        payload = sweep_payload(root, field_name, field_def, batch)
        try:
            response = post_json(client, url, payload, {"Authorization": f"Bearer {token}"})
        except httpx.TimeoutException:
            stuck.append(
                f"no answer within {REQUEST_TIMEOUT:g} s, so the sweep stopped: the server is stuck (an "
                "earlier request may have broken it: see the server log below); the request was\n"
                f"    {curl(url, payload, who)}"
            )
            return
        requests += 1
        body = _json(response.content)
        found = problems(response.status_code, body)
        errors = (body.get("errors") or []) if isinstance(body, dict) else []
        if found and len(batch) > 1:
            # reproduce with each alias at fault, where the errors say which
            culprits = sorted(
                {
                    int(str(e["path"][0])[1:])
                    for e in errors
                    if isinstance(e, dict)
                    and e.get("path")
                    and str(e["path"][0])[:1] == "a"
                    and problems(200, {"errors": [e]})
                }
            )
            for index in culprits[:3]:
                run_batch(client, target, [batch[index]])
            if culprits:
                found = [p for p in found if not p.startswith("INTERNAL error at path")]
        for problem in found:
            kind = re.sub(r"['{\[].*", "", problem)
            failures.setdefault(
                (f"{root}.{field_name}({path})", kind), f"{problem}\n    reproduce: {curl(url, payload, who)}"
            )
        # a variable the server could not coerce refuses the whole request: drop those values, send the rest
        refused = {
            int(m.group(1))
            for e in errors
            if isinstance(e, dict) and not e.get("path")
            for m in [re.search(r"Variable '\$v(\d+)_", str(e.get("message")))]
            if m
        }
        kept = [arguments for i, arguments in enumerate(batch) if i not in refused]
        if refused and kept:
            run_batch(client, target, kept)
        elif len(batch) > 1 and not refused and any(isinstance(e, dict) and not e.get("path") for e in errors):
            for arguments in batch:  # refused as a whole, without saying for which value: one at a time
                run_batch(client, target, [arguments])
        elif root == "Mutation" and len(batch) > 1 and isinstance(body, dict) and body.get("data") is None:
            # a failed non-null mutation stops the ones after it: send those again
            failed = [int(str(e["path"][0])[1:]) for e in errors if isinstance(e, dict) and e.get("path")]
            if failed and min(failed) + 1 < len(batch):
                run_batch(client, target, batch[min(failed) + 1 :])

    # A non-null query field that fails nulls the whole response, hiding its siblings' errors: those get a
    # request per value; nullable ones share one. Mutations run in order, and share one too (what a failure
    # stops is sent again). Queries run 4 at a time; mutations one request at a time.
    query_jobs, mutation_jobs = [], []
    for root, field_name, field_def, values, path in sweep_targets(arena, schema.client_schema):
        alone = root == "Query" and isinstance(field_def.type, graphql.GraphQLNonNull)
        size = 1 if alone else SWEEP_BATCH // 2 if field_name == "startCompetition" else SWEEP_BATCH
        jobs = query_jobs if root == "Query" else mutation_jobs
        target = (root, field_name, field_def, path)
        # values that are not valid Unicode may get the whole request refused: each goes alone
        jobs += [(target, [v]) for v in values if not _unicode(v)]
        values = [v for v in values if _unicode(v)]
        jobs += [(target, values[i : i + size]) for i in range(0, len(values), size)]
    # starting competitions stops the bot's: then a fresh one for the bot's orders, which come last
    order = {"startCompetition": 1, "placeOrder": 2}
    mutation_jobs.sort(key=lambda job: order.get(job[0][1], 0))
    with httpx.Client(timeout=REQUEST_TIMEOUT) as client:
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda job: run_batch(client, *job), query_jobs))
        restarted = False
        for job in mutation_jobs:
            if job[0][1] == "placeOrder" and not restarted and not stuck:
                arena.server.operator("mutation { stopCompetition { userErrors { code } } }")
                started = arena.server.operator(
                    START, {"input": {"name": "orders", "speed": "0.05s", "bots": [arena.bot_id]}}
                )
                assert started["data"]["startCompetition"]["userErrors"] == [], started
                restarted = True
            run_batch(client, *job)

    for text_ in stuck[:1]:
        failures[("(server stuck)", "timeout")] = text_
    assert not failures, (
        f"{len(failures)} problem(s) in {requests} sweep requests:\n\n"
        + "\n\n".join(f"[{label}] {text_}" for (label, _), text_ in sorted(failures.items()))
        + "\n\nserver log:\n"
        + log_excerpt(arena.server.log())
    )

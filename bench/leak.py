"""Memory retained per subscription event, on the installed graphql-core.

    python -m bench.leak [--smoke] [--events 10000]

graphql-core 3.3.2 keeps ~1.2 KB per subscription event for the life of the
subscription (DESIGN.md): per-event executors are shallow copies that share the
subscription executor's `_relevant_sub_fields` memo, keyed by the id of a list that is
new every event. This measures it, with tracemalloc (bytes still allocated after
gc.collect(), after a warm-up, divided by the number of events):

* graphql-core `subscribe` on a minimal schema, N events;
* the same with a per-event memo (an executor class whose per-event copies get their
  own empty `_relevant_sub_fields`): the candidate workaround;
* baseline: the same payloads through plain `execute` of the same selection (a query);
* the arena's real schema through Strawberry, as shipped (`subscription { prices { ... } }`
  fed via pub/sub; the arena patches graphql-core itself, see arena.api.subscription_memo_fix),
  and its `prices` query as the baseline.

Time per event is measured in a separate pass without tracemalloc.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import metadata
from typing import Any

from bench.common import parse_args, table, write_result

SDL = """
type PriceTick { symbol: String! price: String! timestamp: String! }
type Query { price: PriceTick }
type Subscription { prices: PriceTick }
"""
SELECTION = "{ symbol price timestamp }"
START = datetime(2022, 1, 1, tzinfo=UTC)


def _extra(parser: Any) -> None:
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=200)


def _payload(i: int) -> dict[str, Any]:
    return {
        "symbol": "BTC-USD",
        "price": str(Decimal("46000.12345678") + i),
        "timestamp": (START + timedelta(minutes=i)).isoformat(),
    }


def per_event_memo(base: type) -> type:
    """An executor class whose per-event copies get their own `_relevant_sub_fields` memo."""

    class PerEventMemo(base):  # type: ignore[misc, valid-type]
        def build_per_event_executor(self, payload: Any) -> Any:
            executor = super().build_per_event_executor(payload)
            executor._relevant_sub_fields = {}
            return executor

    PerEventMemo.__name__ = f"PerEventMemo{base.__name__}"
    return PerEventMemo


Step = Callable[[int], Awaitable[Any]]


async def measure(
    make: Callable[[], Awaitable[tuple[Step, Callable[[], Awaitable[None]]]]], events: int, warmup: int
) -> dict[str, Any]:
    """Run warm-up, then `events` steps, traced (retained bytes) and untraced (time)."""
    step, close = await make()
    for i in range(warmup):
        await step(i)
    started = time.perf_counter()
    for i in range(warmup, warmup + events):
        await step(i)
    seconds = time.perf_counter() - started
    gc.collect()
    tracemalloc.start()
    for i in range(warmup + events, 2 * warmup + events):
        await step(i)
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(2 * warmup + events, 2 * warmup + 2 * events):
        await step(i)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    await close()
    return {
        "events": events,
        "retained_bytes": after - before,
        "bytes_per_event": (after - before) / events,
        "us_per_event": seconds / events * 1e6,
    }


# --- bare graphql-core -------------------------------------------------------------------


def core_subscription(executor_class: type | None) -> Callable[[], Awaitable[tuple[Step, Any]]]:
    from graphql import build_schema, parse, subscribe

    schema = build_schema(SDL)
    document = parse(f"subscription {{ prices {SELECTION} }}")

    async def make() -> tuple[Step, Any]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        async def source(_root: Any, _info: Any) -> AsyncIterator[dict[str, Any]]:
            while True:
                yield {"prices": await queue.get()}

        kwargs = {"executor_class": executor_class} if executor_class else {}
        stream = subscribe(schema, document, subscribe_field_resolver=source, **kwargs)
        if asyncio.iscoroutine(stream) or isinstance(stream, Awaitable):
            stream = await stream
        iterator = stream.__aiter__()

        async def step(i: int) -> Any:
            queue.put_nowait(_payload(i))
            result = await iterator.__anext__()
            assert result.errors is None and result.data["prices"]["symbol"] == "BTC-USD", result
            return result

        async def close() -> None:
            await iterator.aclose()

        return step, close

    return make


def core_query() -> Callable[[], Awaitable[tuple[Step, Any]]]:
    from graphql import build_schema, execute, parse

    schema = build_schema(SDL)
    document = parse(f"{{ price {SELECTION} }}")

    async def make() -> tuple[Step, Any]:
        async def step(i: int) -> Any:
            result = execute(schema, document, root_value={"price": _payload(i)})
            assert result.errors is None, result.errors
            return result

        async def close() -> None:
            return None

        return step, close

    return make


# --- the arena schema through Strawberry -------------------------------------------------------


def _arena_state() -> Any:
    from arena.config import get_settings
    from arena.main import build_state

    return build_state(get_settings(db="sqlite+aiosqlite:///:memory:", feed="sim", demo=False))


def _quote(i: int) -> Any:
    from arena.domain.market import Quote

    return Quote("BTC-USD", Decimal("46000.12345678") + i, START + timedelta(minutes=i))


def arena_subscription() -> Callable[[], Awaitable[tuple[Step, Any]]]:
    async def make() -> tuple[Step, Any]:
        from arena.api.context import Context
        from arena.api.schema import schema
        from arena.broker.topics import PRICES
        from arena.domain.events import QuotesReceived
        from arena.domain.market import QuoteBatch

        state = _arena_state()
        context = Context(state=state, request=None)  # type: ignore[arg-type]
        stream = await schema.subscribe("subscription { prices { symbol price timestamp } }", context_value=context)
        iterator = stream.__aiter__()
        first = asyncio.ensure_future(iterator.__anext__())  # starts the resolver: it subscribes to pub/sub
        for _ in range(100):
            if state.pubsub.subscriber_count(PRICES):
                break
            await asyncio.sleep(0.001)
        pending = [first]

        async def step(i: int) -> Any:
            quote = _quote(i)
            state.pubsub.publish(PRICES, QuotesReceived("sim:42", None, None, QuoteBatch(quote.timestamp, (quote,))))
            result = await (pending.pop() if pending else iterator.__anext__())
            assert not result.errors and result.data["prices"]["symbol"] == "BTC-USD", result
            return result

        async def close() -> None:
            await iterator.aclose()

        return step, close

    return make


def arena_query() -> Callable[[], Awaitable[tuple[Step, Any]]]:
    async def make() -> tuple[Step, Any]:
        from arena.api.context import Context
        from arena.api.schema import schema
        from arena.domain.market import QuoteBatch

        state = _arena_state()
        context = Context(state=state, request=None)  # type: ignore[arg-type]
        feed_id = state.reader.current_feed_id()
        assert feed_id is not None, "the bench state has no market feed"

        async def step(i: int) -> Any:
            quote = _quote(i)
            state.runner.prices.update(feed_id, QuoteBatch(quote.timestamp, (quote,)))
            result = await schema.execute("query { prices { symbol price timestamp } }", context_value=context)
            assert not result.errors and result.data["prices"][0]["symbol"] == "BTC-USD", result.errors
            return result

        async def close() -> None:
            return None

        return step, close

    return make


def arena_fix_installed() -> bool:
    """Whether arena.api.subscription_memo_fix (the arena's own workaround) patched graphql-core here."""
    from graphql.execution.executor import Executor

    return bool(getattr(Executor.build_per_event_executor, "_arena_per_event_memo", False))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args("bytes retained per subscription event", argv, _extra)
    events = 300 if args.smoke else args.events
    warmup = 150 if args.smoke else args.warmup
    from graphql import Executor

    # The bare graphql-core cases run first, before anything imports the arena (whose schema module
    # patches graphql-core's Executor process-wide), so "stock" really is the installed graphql-core.
    stock_ok = not arena_fix_installed()
    cases = [
        ("graphql-core subscribe (stock)", "subscription", core_subscription(None)),
        (
            "graphql-core subscribe, per-event memo",
            "subscription (workaround)",
            core_subscription(per_event_memo(Executor)),
        ),
        ("graphql-core execute (baseline)", "query", core_query()),
        ("arena schema, as shipped: prices subscription", "subscription (arena)", arena_subscription()),
        ("arena schema: prices query (baseline)", "query", arena_query()),
    ]
    if not stock_ok:
        cases = cases[1:]
        print("note: graphql-core is already patched in this process; the stock case is left out", file=sys.stderr)
    rows = []
    for name, kind, make in cases:
        print(f"leak: {name} ...", file=sys.stderr, flush=True)
        rows.append({"case": name, "kind": kind, **asyncio.run(measure(make, events, warmup))})
    fixed = arena_fix_installed()
    version = metadata.version("graphql-core")
    print(
        table(
            ["case", "events", "bytes/event", "µs/event"],
            [[r["case"], r["events"], r["bytes_per_event"], r["us_per_event"]] for r in rows],
            title=f"\nMemory retained per event (tracemalloc, after gc), graphql-core {version}, "
            f"strawberry-graphql {metadata.version('strawberry-graphql')}",
        )
    )
    print(f"the arena's own workaround (arena.api.subscription_memo_fix) installed: {fixed}")
    stock = next((r for r in rows if r["kind"] == "subscription"), None)
    if stock:
        print(
            "Unpatched, at 1,000 subscribers x 30 events/s: "
            f"{stock['bytes_per_event'] * 30_000 / 2**20:,.1f} MiB/s of growth."
        )
    result = {"graphql_core": version, "events": events, "warmup": warmup, "rows": rows, "arena_fix_installed": fixed}
    write_result("leak", result, args.out, args.smoke)
    return result


if __name__ == "__main__":
    main()

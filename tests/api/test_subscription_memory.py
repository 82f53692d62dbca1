"""Memory must not grow per subscription event (graphql-core 3.3's per-event memo leak)."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import AsyncGenerator

import strawberry

import arena.api.schema  # noqa: F401 - installs the fix, as the server does
from arena.api.subscription_memo_fix import install


@strawberry.type
class Inner:
    a: int
    b: str


@strawberry.type
class Tick:
    symbol: str
    price: float
    inner: Inner


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self, n: int) -> AsyncGenerator[Tick, None]:
        for i in range(n):
            yield Tick(symbol="BTC-USD", price=float(i), inner=Inner(a=i, b="x"))


async def retained_after(schema: strawberry.Schema, events: int) -> int:
    """Bytes still allocated after `events` events, measured while the subscription is still open."""
    stream = await schema.subscribe(f"subscription {{ ticks(n: {events + 1}) {{ symbol price inner {{ a b }} }} }}")
    await stream.__anext__()  # warm up
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(events):
        result = await stream.__anext__()
        assert not result.errors
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    await stream.aclose()
    return after - before


async def test_memory_does_not_grow_per_subscription_event():
    install()
    schema = strawberry.Schema(query=Query, subscription=Subscription)
    small = await retained_after(schema, 200)
    large = await retained_after(schema, 2200)
    per_event = (large - small) / 2000
    assert per_event < 100, f"{per_event:.0f} bytes retained per event"

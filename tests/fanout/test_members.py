"""A group's members: each its own first snapshot, then exactly the group's live frames from where
it joined (none missed, none twice); each its own access check; leaving a group, and the last
one leaving ends it, with nothing left behind."""

from __future__ import annotations

import asyncio
import gc
import weakref

from arena.api.fanout.groups import Group, Member
from arena.app.prices import LatestPrices
from arena.broker.topics import PRICES
from arena.domain.market import Quote
from tests.fanout.clients import LEGACY_WS, TRANSPORT_WS, RawClient
from tests.in_process import TOKEN, serving, until

PRICES_DOC = "subscription { prices { symbol price timestamp } }"


def ticks(client: RawClient, operation_id: str) -> list[tuple[str, str, str]]:
    return [tuple(p["data"]["prices"].values()) for p in client.data(operation_id)]  # (symbol, price, timestamp)


async def test_members_get_their_own_snapshot_then_the_group_frames_from_where_they_joined(tmp_path):
    async with serving(tmp_path / "arena.db", tick_interval=0.01) as (address, state):
        hub = state.fanout
        assert hub is not None
        async with (
            RawClient(address, TRANSPORT_WS) as first,
            RawClient(address, TRANSPORT_WS) as later,
            RawClient(address, LEGACY_WS) as legacy,
        ):
            await first.subscribe("ref", PRICES_DOC)
            await first.wait_for(lambda: len(first.frames["ref"]) >= 6, what="the first member's frames")
            joiners = [later, legacy] * 6
            for n, client in enumerate(joiners):
                seen = len(first.frames["ref"])
                # join at a moment of the stream's own choosing: right after a frame arrived
                await first.wait_for(lambda s=seen: len(first.frames["ref"]) > s, what="a new frame")
                await client.subscribe(f"m{n}", PRICES_DOC)
            await until(lambda: hub.member_count() == 1 + len(joiners), 10, "every member to join")
            assert len(hub.groups) == 1
            target = len(first.frames["ref"]) + 30
            await first.wait_for(lambda: len(first.frames["ref"]) >= target, what="30 frames more")
            state.pubsub.close_all()  # the streams end after what was published
            await first.wait_for(lambda: "ref" in first.completed, what="the first member to complete")
            for n, client in enumerate(joiners):
                await client.wait_for(lambda c=client, i=f"m{n}": i in c.completed, what=f"member {n} to complete")

            reference = ticks(first, "ref")
            symbols = {s for s, _, _ in reference}
            for n, client in enumerate(joiners):
                frames = ticks(client, f"m{n}")
                snapshot, live = frames[: len(symbols)], frames[len(symbols) :]
                assert {s for s, _, _ in snapshot} == symbols, "the snapshot: the latest price of every symbol"
                assert live, "live frames after the snapshot"
                start = reference.index(live[0])
                assert reference[start:] == live, "from where it joined on, exactly the group's frames"
                latest = {s: (s, p, t) for s, p, t in reference[:start]}
                assert sorted(latest.values()) == sorted(snapshot), "the snapshot is the state just before them"


async def test_access_is_checked_for_each_member_not_for_the_group(tmp_path):
    async with serving(tmp_path / "arena.db", public_subscriptions=False) as (address, state):
        hub = state.fanout
        assert hub is not None
        async with (
            RawClient(address, TRANSPORT_WS, token=TOKEN) as allowed,
            RawClient(address, TRANSPORT_WS) as refused,
            RawClient(address, TRANSPORT_WS) as refused_alone,
        ):
            await allowed.subscribe("1", PRICES_DOC)
            await allowed.wait_for(lambda: len(allowed.frames["1"]) >= 4, what="the allowed member's frames")
            await refused.subscribe("1", PRICES_DOC)
            await refused.wait_for(lambda: "1" in refused.completed, what="the refused member's answer")
            hub.enabled = False
            await refused_alone.subscribe("1", PRICES_DOC)
            await refused_alone.wait_for(lambda: "1" in refused_alone.completed, what="the lone refusal")
            assert refused.frames["1"] == refused_alone.frames["1"], "refused exactly as it would be alone"
            (error,) = refused.data("1")
            assert error["data"] is None and error["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert hub.member_count() == 1, "only the allowed one joined"


async def test_the_last_member_leaving_ends_the_group_and_nothing_is_left_behind(tmp_path):
    async with serving(tmp_path / "arena.db", tick_interval=0.01) as (address, state):
        hub = state.fanout
        assert hub is not None
        baseline_tasks = len(asyncio.all_tasks())
        async with RawClient(address, TRANSPORT_WS) as one, RawClient(address, LEGACY_WS) as two:
            await one.subscribe("a", PRICES_DOC)
            await two.subscribe("b", PRICES_DOC)
            await until(lambda: hub.member_count() == 2, 10, "both to join")
            (group,) = hub.groups.values()
            task = weakref.ref(group.task)  # no reference of the test's own may keep them alive
            del group
            await one.stop("a")
            await until(lambda: hub.member_count() == 1, 10, "the first to leave")
            running = task()
            assert running is not None and not running.done(), "one member left: the group goes on"
            del running
            seen = len(two.frames["b"])
            await two.wait_for(lambda: len(two.frames["b"]) > seen + 3, what="frames after the other left")
            await two.stop("b")
            await until(
                lambda: not hub.groups and (task() is None or task().done()),
                10,
                "the group to end with its last member",
            )
            assert state.pubsub.subscriber_count(PRICES) == 0

        for cycle in range(60):  # joins and leaves of every kind: complete, disconnect, either protocol
            protocol = TRANSPORT_WS if cycle % 2 else LEGACY_WS
            async with RawClient(address, protocol) as client:
                await client.subscribe("p", PRICES_DOC)
                await client.subscribe("q", 'subscription { prices(symbols: ["BTC-USD"]) { price } }')
                await client.wait_for(lambda c=client: len(c.frames["p"]) >= 1 and len(c.frames["q"]) >= 1)
                if cycle % 3 == 0:
                    await client.stop("p")
        await until(lambda: not hub.groups and hub.member_count() == 0, 10, "every group to end")
        await until(lambda: state.pubsub.subscriber_count() == 0, 10, "every listener to be detached")
        await until(lambda: len(asyncio.all_tasks()) <= baseline_tasks, 10, "every task to end")
        gc.collect()
        left = [o for o in gc.get_objects() if isinstance(o, (Group, Member))]
        assert left == [], f"{len(left)} groups or members are still alive"


class _FailingSnapshot(LatestPrices):
    """The latest prices, whose snapshot read fails (a store or memory fault while joining)."""

    def quotes(self, feed_id: str | None = None) -> list[Quote]:
        raise RuntimeError("the snapshot could not be read")


async def test_a_member_whose_snapshot_fails_ends_as_it_would_alone(tmp_path):
    """Alone, an error raised while the snapshot is sent ends the stream (an error, then complete):
    a member that already joined its group must end the same way, not follow the group."""
    async with serving(tmp_path / "arena.db", tick_interval=0.01) as (address, state):
        hub = state.fanout
        assert hub is not None
        async with RawClient(address, TRANSPORT_WS) as healthy, RawClient(address, TRANSPORT_WS) as failing:
            await healthy.subscribe("ok", PRICES_DOC)
            await healthy.wait_for(lambda: len(healthy.frames["ok"]) >= 3, what="the group's frames")
            working = state.runner.prices
            state.runner.prices = _FailingSnapshot()
            state.runner.prices.feed_id = working.feed_id
            try:
                for grouped in (True, False):
                    hub.enabled = grouped
                    await failing.subscribe(f"f{grouped}", PRICES_DOC)
                    await failing.wait_for(lambda g=grouped: f"f{g}" in failing.completed, what="the failed one to end")
            finally:
                state.runner.prices = working
                hub.enabled = True
            grouped_frames, alone_frames = failing.data("fTrue"), failing.data("fFalse")
            assert [p["errors"][0]["extensions"]["code"] for p in grouped_frames] == ["INTERNAL"]  # one, masked
            assert grouped_frames == alone_frames
            await until(lambda: hub.member_count() == 1, 10, "the failed member to leave its group")
            seen = len(healthy.frames["ok"])
            await healthy.wait_for(lambda: len(healthy.frames["ok"]) > seen + 3, what="the group to go on")

"""The group's contract, without sockets: a member gets the frames of exactly the events published
after it joined, even when it joins while the group has not yet run the events before it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from arena.api.fanout.frames import TRANSPORT_WS
from arena.api.fanout.groups import Member
from arena.api.fanout.keys import group_key
from arena.broker.topics import PRICES
from arena.config import get_settings
from arena.domain.events import QuotesReceived
from arena.domain.market import Quote, QuoteBatch
from arena.main import build_state

DOC = "subscription { prices { symbol price } }"
START = datetime(2026, 1, 1, tzinfo=UTC)


def batch(n: int) -> QuotesReceived:
    at = START + timedelta(minutes=n)
    return QuotesReceived("feed", None, None, QuoteBatch(at, (Quote("BTC-USD", Decimal(100 + n), at),)))


async def collect(member: Member, into: list[str]) -> None:
    async def send(text: str) -> None:
        into.append(text)

    await member.send_all(send)


async def test_a_member_joining_before_the_group_ran_an_earlier_event_does_not_get_it(tmp_path):
    state = build_state(get_settings(db=str(tmp_path / "a.db")))
    hub = state.fanout
    assert hub is not None
    key = group_key(DOC, None, None)
    assert key is not None
    early, late = Member(TRANSPORT_WS, "1", 100, lambda: None), Member(TRANSPORT_WS, "1", 100, lambda: None)
    early_frames: list[str] = []
    late_frames: list[str] = []
    writers = [asyncio.create_task(collect(early, early_frames)), asyncio.create_task(collect(late, late_frames))]
    hub.join(early, key, PRICES)
    state.pubsub.publish(PRICES, batch(1))
    hub.join(late, key, PRICES)  # the group has not run batch 1 yet: it is still queued
    state.pubsub.publish(PRICES, batch(2))
    async with asyncio.timeout(10):
        while len(early_frames) < 2 or len(late_frames) < 1:
            await asyncio.sleep(0.01)
    assert ['"101"' in f for f in early_frames] == [True, False]
    assert late_frames == early_frames[1:], "the late member starts with the event after its join"
    group = early.group
    assert group is not None
    hub.leave(early)
    hub.leave(late)
    await asyncio.wait_for(asyncio.gather(group.task, return_exceptions=True), 10)
    assert not hub.groups and state.pubsub.subscriber_count() == 0
    for writer in writers:
        writer.cancel()
    await state.db.close()


def test_a_member_holds_as_many_events_as_a_lone_subscriber_whatever_frames_each_gives():
    closed: list[bool] = []
    member = Member(TRANSPORT_WS, "1", 2, lambda: closed.append(True))
    for seq in (1, 2):
        for quote in range(3):  # a batch of three quotes: three frames, one event
            member.offer(seq, f"frame {seq}.{quote}")
    assert not member.overflowed and closed == [], "two events fit a buffer of two, however many frames"
    member.offer(3, "frame 3.0")
    assert member.overflowed and closed == [True]


async def test_a_group_that_fell_behind_takes_no_new_member(tmp_path):
    state = build_state(get_settings(db=str(tmp_path / "a.db"), subscriber_queue=2))
    hub = state.fanout
    assert hub is not None
    key = group_key(DOC, None, None)
    assert key is not None
    closed: list[bool] = []
    member = Member(TRANSPORT_WS, "1", 100, lambda: closed.append(True))
    hub.join(member, key, PRICES)
    group = member.group
    assert group is not None
    for n in range(4):  # published before the group ran any: its own queue (2) overflows
        state.pubsub.publish(PRICES, batch(n))
    assert closed == [True] and key not in hub.groups, "its members are closed and a newcomer starts afresh"
    hub.leave(member)
    await asyncio.wait_for(asyncio.gather(group.task, return_exceptions=True), 10)
    assert state.pubsub.subscriber_count() == 0
    await state.db.close()

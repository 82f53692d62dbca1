"""The broker's codec: every event of a real competition comes back equal, and what is not ours is refused."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from arena.api.inputs import FeedChoice, StartCompetitionInput, build_config
from arena.app.outbox import EventOutbox
from arena.app.runner import ArenaRunner
from arena.cluster import codec
from arena.domain.events import Event
from arena.feeds.spec import SpeedMode, SpeedSpec


async def played(rounds: int) -> list[Event]:
    seen: list[Event] = []

    async def sink(events):
        seen.extend(events)

    config = build_config(StartCompetitionInput(name="codec", feed=FeedChoice.SIMULATED, seed=3, rounds=rounds), ())
    runner = ArenaRunner(EventOutbox(None, [sink]))
    await runner.start(replace(config, speed=SpeedSpec(SpeedMode.MAX)))
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(runner.finished.wait(), 30)
    runner.request_shutdown()
    await task
    return seen


async def test_every_event_of_a_competition_comes_back_equal() -> None:
    events = await played(200)
    kinds = {type(e).__name__ for e in events}
    assert {"CompetitionCreated", "StateChanged", "QuotesReceived", "OrderFilled", "RoundCompleted"} <= kinds
    for event in events:
        assert codec.loads(codec.dumps(event)) == event


@pytest.mark.parametrize(
    "raw",
    [b"not json", b'{"_": "os.system", "v": []}', b'{"_": "Quote", "v": [1]}', b'{"e": "Side", "v": "UP"}', b"[{}]"],
)
def test_what_is_not_an_encoding_of_our_events_is_refused(raw: bytes) -> None:
    with pytest.raises(codec.CodecError):
        codec.loads(raw)

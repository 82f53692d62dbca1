"""The engine's part of `arena serve`: the market feed, the round loop and the alerts, run by the one
active engine.

On SQLite (one process by design) the engine is active from the start, as it always was. On
PostgreSQL it first takes the engine lease (`arena.cluster.lease`); a second engine on the same
database stands by meanwhile (its API serves reads, its commands answer ENGINE_UNAVAILABLE) and
takes over within a second or so of the active one's death: it marks what was running as
INTERRUPTED, as any start after a crash does, and resumes it from its last stored round (own feed:
by deterministic replay; shared feed: from the rebuilt accounts). An engine that loses its lease
stops at once: its writes are already refused (the lease's fence), and its supervisor restarts it
as a standby.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any

from arena.agents.spec import default_agents
from arena.api.context import AppState
from arena.app.api_role import ApiRole
from arena.app.auto_feed import market_feed
from arena.app.resume import resume_interrupted
from arena.cluster.commands import CommandServer
from arena.cluster.lease import EngineLease, LeaseState
from arena.config import Settings
from arena.domain.events import CompetitionStatus
from arena.engine.config import CompetitionConfig
from arena.errors import ArenaError
from arena.feeds.live.exchanges import LiveOptions
from arena.feeds.spec import FeedSpec
from arena.store.competitions import interrupt_live

logger = logging.getLogger(__name__)

LOST_LEASE_EXIT = 3  # the exit status of an engine that lost its lease
STANDBY = "this engine is standing by: another engine is active and takes the commands"


class EngineRole:
    """`begin()` at startup, `end()` at shutdown; `status` for /health."""

    def __init__(self, state: AppState, settings: Settings, options: LiveOptions) -> None:
        self.state = state
        self.settings = settings
        self.options = options
        db = state.db
        self.lease = None if db.is_sqlite else EngineLease(db.url, retry_seconds=settings.lease_retry_seconds)
        self._runner_task: asyncio.Task[None] | None = None
        self._alerts_task: asyncio.Task[None] | None = None
        self._lease_task: asyncio.Task[None] | None = None
        self._commands_task: asyncio.Task[None] | None = None
        # a standby with a broker serves as an API replica does (events relayed, commands forwarded)
        self._replica = ApiRole(state, settings.broker, settings.engine_timeout) if settings.broker else None
        self._cache = state.query_cache

    @property
    def status(self) -> str:
        """active, standby or lost."""
        return LeaseState.ACTIVE.value if self.lease is None else self.lease.state.value

    @property
    def broker(self) -> str | None:
        """While standing by with a broker: whether the relay is connected."""
        if self._replica is None or self.status != LeaseState.STANDBY.value:
            return None
        return self._replica.broker

    async def begin(self) -> None:
        """Start the engine before the server serves, when it can: on SQLite, or when the lease is
        free; otherwise serve as a standby and take over once the lease is ours."""
        if self.lease is None:
            await self._activate(resume=False)
            return
        self.state.runner.unavailable = STANDBY
        if await self.lease.try_acquire():
            await self._take_over(self.lease)
            self._lease_task = asyncio.create_task(self._watch(self.lease), name="arena-engine-lease")
            return
        if self._replica is not None:
            await self._replica.begin()
        else:  # nothing tells it of the active engine's commits: every read goes to the database
            self.state.query_cache = None
        self._lease_task = asyncio.create_task(self._hold_lease(self.lease), name="arena-engine-lease")

    async def end(self) -> None:
        for task in (self._lease_task, self._commands_task):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._runner_task is not None:
            self.state.runner.request_shutdown()  # finishes the current round and flushes it
            await self._runner_task
        if self._alerts_task is not None:
            self._alerts_task.cancel()  # what is still pending stays in the outbox: the next start delivers it
            with contextlib.suppress(asyncio.CancelledError):
                try:
                    await self._alerts_task
                except Exception:  # its failure must not keep the store open or the streams running
                    logger.exception("the alerts task had stopped")
        if self._replica is not None:
            await self._replica.end()
        if self.lease is not None:
            await self.lease.release()

    async def _hold_lease(self, lease: EngineLease) -> None:
        await lease.acquire()
        try:
            await self._take_over(lease)
        except Exception:
            logger.exception("the engine could not start after taking the lease")
            _exit_now()
        await self._watch(lease)

    async def _take_over(self, lease: EngineLease) -> None:
        if self._replica is not None:
            await self._replica.end()  # from here on this process's own events reach its subscribers
            await self._replica.relay.catch_up("taking over")  # and, first, what the old engine stored last
        self.state.query_cache = self._cache
        self.state.recorder.fence = lease.fence
        await self._activate(resume=True)

    @staticmethod
    async def _watch(lease: EngineLease) -> None:
        await lease.watch()
        _exit_now()

    async def _activate(self, *, resume: bool) -> None:
        state, settings = self.state, self.settings
        was = await interrupt_live(state.db)
        if was:
            logger.warning("competitions left running by a crash are now INTERRUPTED: %s", ", ".join(sorted(was)))
        if state.alerts is not None:
            await state.alerts.load()
            self._alerts_task = asyncio.create_task(state.alerts.run(), name="arena-alerts")
        runner = state.runner
        if runner.sources.market is None:
            spec = FeedSpec.parse(settings.feed, seed=settings.seed)
            runner.use_market(await market_feed(spec, settings.symbols, self.options, settings.auto_probe_seconds))
        self._runner_task = asyncio.create_task(runner.run(), name="arena-runner")
        self._runner_task.add_done_callback(self._report_runner_end)
        runner.unavailable = None
        resumed = await self._resume(was) if resume and was else False
        if settings.demo and not resumed:
            info = runner.feed_info
            symbols = info.symbols if info else settings.symbols
            await runner.start(CompetitionConfig(name="Demo", symbols=symbols, agents=default_agents()))
        if settings.broker is not None:  # the API replicas' commands, once what was running runs again
            server = CommandServer(settings.broker, state)
            self._commands_task = asyncio.create_task(server.run(), name="arena-engine-commands")
            self._commands_task.add_done_callback(self._report_runner_end)

    async def _resume(self, was: dict[str, CompetitionStatus]) -> bool:
        """Take over the competition the last engine ran (the newest of those it left live)."""
        runner = self.state.runner
        try:
            only = next(iter(was)) if len(was) == 1 else None  # several: the newest
            paused = only is not None and was[only] is CompetitionStatus.PAUSED
            competition = await resume_interrupted(runner, self.state.db, only, paused=paused)
        except ArenaError as error:
            logger.error("cannot resume the interrupted competition (%s): %s", error.code.value, error)
            return False
        logger.info("took over competition %s at round %d", competition.id, competition.round)
        return True

    def _report_runner_end(self, task: asyncio.Task[Any]) -> None:
        """The round loop (and the command server) end only at shutdown. If one dies before, /health
        must say so; and an engine under a lease leaves, so that a standby takes over."""
        if not task.cancelled() and task.exception() is not None:
            logger.error("%s stopped", task.get_name(), exc_info=task.exception())
            self.state.runner.last_error = f"{task.get_name()} stopped: {task.exception()!r}"
            if self.lease is not None:
                _exit_now()


def _exit_now() -> None:
    """Leave at once, like a crash: nothing more may be written (the fence refuses it anyway), and
    everything stored is safe; the new active engine resumes from there."""
    logging.shutdown()
    os._exit(LOST_LEASE_EXIT)

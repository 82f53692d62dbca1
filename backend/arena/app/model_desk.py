"""Where the runner's model agents get their answers: one request in flight per agent, the answer
handed to the competition to execute at its next round.

In real-time and replay-factor runs the requests run beside the rounds, which never wait on a
model: a decision due while the agent's last one is still out marks that one late (recorded, not
executed) and is asked as soon as it comes back. At `--speed max` the runner waits for every
answer (`settle`) before the next round, so a backtest of a model means something.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from arena.app.clock import utc_now
from arena.domain.decisions import DecisionRequest, ModelAnswer
from arena.engine.competition import ACTIVE_STATES, Competition

logger = logging.getLogger(__name__)


class Asker(Protocol):
    async def ask(self, request: DecisionRequest) -> ModelAnswer: ...

    async def aclose(self) -> None: ...


ClientFactory = Callable[[Mapping[str, Any], float], Asker]


def openai_client(params: Mapping[str, Any], timeout: float, clock: Callable[[], datetime] = utc_now) -> Asker:
    # imported here: the openai package takes ~1 s to import, and most runs ask no model
    from arena.llm.client import ModelClient

    return ModelClient(params, timeout=timeout, clock=clock)


class ModelDesk:
    def __init__(self, client_factory: ClientFactory = openai_client) -> None:
        self._factory = client_factory
        self._clients: dict[str, Asker] = {}
        self._out: dict[str, asyncio.Task[None]] = {}
        self._newer: dict[str, DecisionRequest] = {}  # asked for while the agent's last request was out
        self.requests = 0
        self.waited_s = 0.0  # time the rounds spent waiting on models (max speed)

    @property
    def busy(self) -> bool:
        return bool(self._out)

    def ask(self, competition: Competition, request: DecisionRequest, timeout_cap: float | None = None) -> None:
        if request.agent_id in self._out:
            self._newer[request.agent_id] = request
            return
        try:
            client = self._client(competition, request.agent_id, timeout_cap)
        except Exception as exc:  # e.g. an endpoint the client cannot use: the decision fails, not the round
            logger.warning(
                "model agent %s: cannot ask its endpoint (%s: %s)", request.agent_id, type(exc).__name__, exc
            )
            competition.submit_decision(_failed(request, f"cannot use the endpoint: {type(exc).__name__}: {exc}"))
            return
        self.requests += 1
        task = asyncio.create_task(
            self._answer(competition, client, request, timeout_cap), name=f"model-{request.agent_id}"
        )
        self._out[request.agent_id] = task
        task.add_done_callback(functools.partial(self._forget, request.agent_id))

    async def settle(self, stop: asyncio.Event) -> None:
        """Wait for every request out (and those asked again after a late answer), or for `stop`."""
        started = time.perf_counter()
        stopper = asyncio.create_task(stop.wait())
        try:
            while self._out and not stop.is_set():
                await asyncio.wait([*self._out.values(), stopper], return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
            self.waited_s += time.perf_counter() - started

    def cancel(self) -> None:
        """Drop what is out: the competition ended, nothing it asked for will be executed."""
        for task in self._out.values():
            task.cancel()
        self._newer.clear()

    async def reset(self) -> None:
        """Drop what is out (another competition starts, or the arena stops) and close the clients."""
        tasks = list(self._out.values())
        self.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._out.clear()
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.aclose()

    def _forget(self, agent_id: str, task: asyncio.Task[None]) -> None:
        """A request is no longer out once its task is done, however it ended (a cancel before it ran too)."""
        if self._out.get(agent_id) is task:
            del self._out[agent_id]

    def _client(self, competition: Competition, agent_id: str, timeout_cap: float | None) -> Asker:
        client = self._clients.get(agent_id)
        if client is None:
            params = competition.entrants[agent_id].info.params
            timeout = params["timeout_s"] if timeout_cap is None else min(params["timeout_s"], timeout_cap)
            client = self._clients[agent_id] = self._factory(params, timeout)
        return client

    async def _answer(
        self, competition: Competition, client: Asker, request: DecisionRequest, timeout_cap: float | None
    ) -> None:
        agent_id = request.agent_id
        try:
            answer = await client.ask(request)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug of ours, not the model's: recorded on the decision all the same
            logger.exception("asking the model of %s failed", agent_id)
            answer = _failed(request, f"{type(exc).__name__}: {exc}")
        finally:
            self._out.pop(agent_id, None)
        if answer.error is not None:
            logger.warning("model agent %s, decision %d: %s", agent_id, request.number, answer.error)
        newer = self._newer.pop(agent_id, None)
        if newer is not None and answer.error is None:
            answer = replace(answer, late=True)
        if competition.status not in ACTIVE_STATES:
            return
        competition.submit_decision(answer)
        if newer is not None:
            self.ask(competition, newer, timeout_cap)


def _failed(request: DecisionRequest, error: str) -> ModelAnswer:
    now = utc_now()
    return ModelAnswer(request.agent_id, request.round, now, now, "", "", None, error=error)

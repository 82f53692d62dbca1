"""Commands from the API replicas to the active engine, through Redis, with an answer and a deadline.

A replica pushes `{"id", "op", "args", "deadline"}` onto the `arena:commands` list and waits on its
own reply list (BLPOP) until the deadline; the active engine (only it: a standby does not listen)
pops commands one at a time, runs each through `arena.app.commands` (the code a mutation runs in
a one-process arena) and pushes `{"competition_id", "errors", "fill"}` back. A command whose
deadline passed before an engine took it is dropped unrun, so a start never happens minutes after
its caller gave up; the caller's answer then is ENGINE_UNAVAILABLE.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import replace
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError

from arena.api.context import AppState
from arena.app import commands
from arena.cluster import codec
from arena.engine.config import CompetitionConfig
from arena.errors import ArenaError, ErrorCode

logger = logging.getLogger(__name__)

QUEUE = "arena:commands"
REPLY_TTL_S = 60
COMMAND_TIMEOUT_S = 10.0
ORDER_TIMEOUT_S = commands.ORDER_TIMEOUT_S + 5.0


class CommandClient:
    """An API replica's way to the engine."""

    def __init__(self, url: str, timeout: float = COMMAND_TIMEOUT_S) -> None:
        self._client = redis.from_url(url)
        self.timeout = timeout

    async def call(self, op: str, args: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """The engine's answer; ENGINE_UNAVAILABLE when none answers within `timeout` (default: the
        client's; an order waits longer, for its round)."""
        timeout = self.timeout if timeout is None else max(timeout, self.timeout)
        request_id = uuid.uuid4().hex
        request = {"id": request_id, "op": op, "args": args, "deadline": time.time() + timeout}
        try:
            await self._client.lpush(QUEUE, json.dumps(request))
            answer = await self._client.blpop([_reply_key(request_id)], timeout=timeout)
        except (RedisError, OSError) as exc:
            raise ArenaError(ErrorCode.ENGINE_UNAVAILABLE, f"the broker cannot be reached ({exc})") from None
        if answer is None:
            raise ArenaError(ErrorCode.ENGINE_UNAVAILABLE, f"no engine answered within {timeout:g} s")
        reply: dict[str, Any] = json.loads(answer[1])
        return reply

    async def close(self) -> None:
        await self._client.aclose()


class CommandServer:
    """The active engine's end: takes the replicas' commands, one at a time, and answers each."""

    def __init__(self, url: str, state: AppState, *, retry_seconds: float = 0.5) -> None:
        self.url = url
        self.state = state
        self.retry_seconds = retry_seconds
        self._running: set[asyncio.Task[None]] = set()  # commands run side by side, as mutations do

    async def run(self) -> None:
        client = redis.from_url(self.url)
        failing = False
        try:
            while True:
                try:
                    popped = await client.brpop([QUEUE], timeout=1)
                    if failing:
                        logger.info("engine commands: Redis answers again")
                        failing = False
                except (RedisError, OSError) as exc:
                    if not failing:
                        logger.warning("engine commands: cannot reach Redis (%s); retrying", exc)
                        failing = True
                    await asyncio.sleep(self.retry_seconds)
                    continue
                if popped is not None:
                    task = asyncio.create_task(self._serve(client, popped[1]))
                    self._running.add(task)
                    task.add_done_callback(self._running.discard)
        finally:
            for task in self._running:
                task.cancel()
            await asyncio.gather(*self._running, return_exceptions=True)
            await client.aclose()

    async def _serve(self, client: Any, raw: bytes | str) -> None:
        reply = await self._answer(raw)
        if reply is None:
            return
        request_id, body = reply
        key = _reply_key(request_id)
        try:
            async with client.pipeline(transaction=True) as pipe:
                await pipe.lpush(key, body).expire(key, REPLY_TTL_S).execute()
        except (RedisError, OSError) as exc:
            logger.warning("engine commands: an answer was lost (%s); its caller times out", exc)

    async def _answer(self, raw: bytes | str) -> tuple[str, str] | None:
        try:
            request = json.loads(raw)
            request_id, op, args = str(request["id"]), str(request["op"]), dict(request["args"])
            deadline = float(request["deadline"])
        except (ValueError, KeyError, TypeError):
            logger.warning("engine commands: an unreadable command dropped")
            return None
        if time.time() > deadline:
            logger.info("engine commands: a %s command came after its caller gave up; not run", op)
            return None
        reply: dict[str, Any] = {"competition_id": None, "errors": [], "fill": None}
        try:
            reply.update(await self._run(op, args))
        except ArenaError as error:
            live = self.state.runner.competition
            reply["competition_id"] = live.id if live else None
            reply["errors"] = [{"code": error.code.value, "message": error.message, "field": error.field}]
        except Exception:
            logger.exception("engine commands: %s failed", op)
            reply["errors"] = [{"code": ErrorCode.INTERNAL.value, "message": "the engine failed on it", "field": None}]
        return request_id, json.dumps(reply)

    async def _run(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        state = self.state
        if op == "start":
            config = CompetitionConfig.from_dict(args["config"])
            competition = await commands.start(state, config, market_symbols=bool(args["market_symbols"]))
        elif op == "pause":
            competition = await commands.pause(state)
        elif op == "resume":
            competition = await commands.resume(state, args.get("id"))
        elif op == "stop":
            competition = await commands.stop(state)
        elif op == "order":
            competition_id, fill = await commands.place_order(state, str(args["bot_id"]), codec.decode(args["intent"]))
            return {"competition_id": competition_id, "fill": codec.encode(fill)}
        elif op.startswith("alert_"):
            return await self._alert(op, args)
        else:
            raise ArenaError(ErrorCode.INVALID_INPUT, f"unknown engine command {op!r}")
        return {"competition_id": competition.id}

    async def _alert(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        """The alert rules live in the engine's evaluator: their changes are made there."""
        service = self.state.alerts
        if service is None:
            raise ArenaError(ErrorCode.INTERNAL, "alerts are not running on the engine")
        if op == "alert_create":
            return {"rule": codec.encode(await service.create(codec.decode(args["values"])))}
        if op == "alert_update":  # the secret was shown at creation, and only then
            changed = await service.update(str(args["id"]), codec.decode(args["changes"]))
            return {"rule": codec.encode(replace(changed, secret=""))}
        if op == "alert_delete":
            await service.delete(str(args["id"]))
            return {}
        raise ArenaError(ErrorCode.INVALID_INPUT, f"unknown engine command {op!r}")


def _reply_key(request_id: str) -> str:
    return f"arena:reply:{request_id}"

"""Commands from the API replicas to the active engine, through Redis, with an answer and a deadline.

A replica stores the command `{"op", "args"}` under its own key, expiring when the caller stops
waiting (Redis's clock alone decides), pushes the key's id onto the `arena:commands` list and
waits on its own reply list (BLPOP). The active engine (only it: a standby does not listen) pops
ids and runs each command, side by side, through `arena.app.commands` (the code a mutation runs
in a one-process arena), pushing `{"competition_id", "errors", "fill", "rule"}` back. A command
whose key expired before an engine took it is dropped unrun, so a start never happens minutes
after its caller gave up; the caller's answer then is ENGINE_UNAVAILABLE.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from redis.exceptions import RedisError

from arena.api.context import AppState
from arena.app import commands
from arena.cluster import codec
from arena.cluster.broker import connect, shown
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
        self._client = connect(url)
        self.timeout = timeout

    async def call(self, op: str, args: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """The engine's answer; ENGINE_UNAVAILABLE when none answers within `timeout` (default: the
        client's; an order waits longer, for its round)."""
        timeout = self.timeout if timeout is None else max(timeout, self.timeout)
        request_id = uuid.uuid4().hex
        try:
            async with asyncio.timeout(timeout + 2):
                async with self._client.pipeline(transaction=True) as pipe:
                    request = json.dumps({"op": op, "args": args})
                    pipe.set(_request_key(request_id), request, px=int(timeout * 1000))
                    pipe.lpush(QUEUE, request_id)
                    await pipe.execute()
                answer = await self._client.blpop([_reply_key(request_id)], timeout=timeout)
        except (RedisError, OSError, TimeoutError) as exc:
            logger.warning("engine commands: the broker cannot be reached (%s)", exc)
            raise ArenaError(ErrorCode.ENGINE_UNAVAILABLE, "the broker cannot be reached") from None
        if answer is None:
            raise ArenaError(ErrorCode.ENGINE_UNAVAILABLE, f"no engine answered within {timeout:g} s")
        try:
            reply: dict[str, Any] = json.loads(answer[1])
            reply["errors"] = [_error(e) for e in reply.get("errors", [])]
        except (ValueError, TypeError, KeyError, AttributeError):
            raise ArenaError(ErrorCode.INTERNAL, "the engine's answer could not be read") from None
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
        client = connect(self.url)
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
        request_id = raw.decode() if isinstance(raw, bytes) else raw
        try:
            request = await client.getdel(_request_key(request_id))
        except (RedisError, OSError) as exc:
            logger.warning("engine commands: a command could not be read (%s); its caller times out", exc)
            return
        if request is None:
            logger.info("engine commands: a command came after its caller gave up; not run")
            return
        try:
            body = await self._answer(request)
        except Exception:  # never lose the command loop to one command
            logger.exception("engine commands: a command failed")
            return
        if body is None:
            return
        key = _reply_key(request_id)
        try:
            async with client.pipeline(transaction=True) as pipe:
                await pipe.lpush(key, body).expire(key, REPLY_TTL_S).execute()
        except (RedisError, OSError) as exc:
            logger.warning("engine commands: an answer was lost (%s); its caller times out", exc)

    async def _answer(self, raw: bytes | str) -> str | None:
        try:
            request = json.loads(raw)
            op, args = str(request["op"]), dict(request["args"])
        except (ValueError, KeyError, TypeError):
            logger.warning("engine commands: an unreadable command dropped")
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
        return json.dumps(reply)

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
            made = await service.create(codec.decode(args["values"]))
            return {"rule": codec.encode(shown(made, secret=True))}
        if op == "alert_update":  # the secret was shown at creation, and only then
            changed = await service.update(str(args["id"]), codec.decode(args["changes"]))
            return {"rule": codec.encode(shown(changed))}
        if op == "alert_delete":
            await service.delete(str(args["id"]))
            return {}
        raise ArenaError(ErrorCode.INVALID_INPUT, f"unknown engine command {op!r}")


def _reply_key(request_id: str) -> str:
    return f"arena:reply:{request_id}"


def _request_key(request_id: str) -> str:
    return f"arena:command:{request_id}"


def _error(data: Any) -> dict[str, str | None]:
    """An error of the engine's answer, as a UserError takes it (a code we know, or INTERNAL)."""
    code = str(data["code"])
    known = code in ErrorCode.__members__
    return {
        "code": code if known else ErrorCode.INTERNAL.value,
        "message": str(data["message"]),
        "field": None if data.get("field") is None else str(data["field"]),
    }

"""One model agent's endpoint: the official `openai` client against any OpenAI-compatible server.

A decision is one chat completion (JSON schema structured output where the server takes it),
validated; an invalid answer gets one repair request; what cannot be used becomes the answer's
`error` and the agent holds. The API key is read from the environment variable the agent names,
at the moment it is needed: it is never in params, the record, the logs or any answer.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import openai
from openai import AsyncOpenAI

from arena.domain.decisions import DecisionRequest, ModelAnswer, SymbolAction
from arena.llm.answer import InvalidAnswer, parse_answer
from arena.llm.prompt import ANSWER_SCHEMA, as_text, messages, repair_message

logger = logging.getLogger(__name__)

NO_KEY = "no-key"  # local servers need none, but the client insists on a value
MAX_ERROR = 300
MAX_RESPONSE = 20_000  # characters of a raw answer kept (a model can ramble; the record need not)
RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {"name": "decisions", "schema": ANSWER_SCHEMA, "strict": True},
}


class ModelClient:
    def __init__(
        self,
        params: Mapping[str, Any],
        *,
        timeout: float,
        clock: Callable[[], datetime],
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self.model: str = params["model"]
        self.base_url: str = params["base_url"]
        self.temperature: float = params["temperature"]
        self.timeout = timeout
        self._clock = clock
        self._client = AsyncOpenAI(
            base_url=self.base_url,
            api_key=environ.get(params["api_key_env"]) or NO_KEY,
            timeout=timeout,
            max_retries=0,  # a failed decision is recorded; the next one comes at the next interval
        )
        self._structured = True  # until the server refuses `response_format`

    async def aclose(self) -> None:
        await self._client.close()

    async def ask(self, request: DecisionRequest) -> ModelAnswer:
        asked_at = self._clock()
        chat = messages(request.facts)
        symbols = request.facts["rules"]["symbols"]
        texts: list[str] = []
        usage = [0, 0]
        counted = False
        actions: tuple[SymbolAction, ...] = ()
        error: str | None = None
        attempts = 0
        for attempt in (1, 2):
            attempts = attempt
            try:
                async with asyncio.timeout(self.timeout):  # the client's own timeout is per read: a trickle passes it
                    completion = await self._complete(chat)
            except (openai.APITimeoutError, TimeoutError):
                error = f"timed out after {self.timeout:g} s"
                break
            except openai.APIStatusError as exc:
                error = f"HTTP {exc.status_code} from {self.base_url}: {_short(_said(exc))}"
                break
            except openai.APIConnectionError as exc:
                error = f"cannot reach {self.base_url}: {_short(str(exc.__cause__ or exc))}"
                break
            if completion.usage is not None:
                usage[0] += _count(completion.usage.prompt_tokens)
                usage[1] += _count(completion.usage.completion_tokens)
                counted = True
            text = completion.choices[0].message.content if completion.choices else None
            if text is not None and not isinstance(text, str):
                text = str(text)
            texts.append(_capped(text or ""))
            try:
                actions = parse_answer(text, symbols)
                error = None
                break
            except InvalidAnswer as exc:
                error = f"invalid answer: {_short(str(exc))}"
                if attempt == 1:  # one repair: show it its answer and what is wrong with it
                    chat += [
                        {"role": "assistant", "content": text or ""},
                        {"role": "user", "content": repair_message(_short(str(exc)))},
                    ]
        return ModelAnswer(
            agent_id=request.agent_id,
            asked_round=request.round,
            asked_at=asked_at,
            answered_at=self._clock(),
            model=self.model,
            prompt=as_text(chat),
            response="\n\n".join(texts) if texts else None,
            actions=actions,
            error=error,
            prompt_tokens=usage[0] if counted else None,
            completion_tokens=usage[1] if counted else None,
            attempts=attempts,
        )

    async def _complete(self, chat: list[dict[str, str]]) -> Any:
        create: Any = self._client.chat.completions.create  # the messages are plain dicts, as the API takes
        if self._structured:
            try:
                return await create(
                    model=self.model,
                    messages=chat,
                    temperature=self.temperature,
                    response_format=RESPONSE_FORMAT,
                )
            except openai.BadRequestError as exc:
                if not _about_structured_output(exc):
                    raise
                logger.info(
                    "%s refused structured output (%s); asking for plain JSON from now on",
                    self.base_url,
                    _short(exc.message),
                )
                self._structured = False
        return await create(model=self.model, messages=chat, temperature=self.temperature)


def _about_structured_output(error: openai.BadRequestError) -> bool:
    """A 400 that refuses `response_format` itself (not, say, an unknown model)."""
    said = _said(error).lower()
    return any(word in said for word in ("response_format", "json_schema", "structured", "schema"))


def _said(error: openai.APIStatusError) -> str:
    """The server's own words: its error object's message, or the whole error."""
    body = error.body
    said = body.get("message") if isinstance(body, dict) else None
    return said if isinstance(said, str) else error.message


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _capped(text: str) -> str:
    return (
        text if len(text) <= MAX_RESPONSE else text[:MAX_RESPONSE] + f"… [{len(text) - MAX_RESPONSE:,} more characters]"
    )


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"

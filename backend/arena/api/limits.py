"""Request body limit: a body over the limit is answered 413 before GraphQL sees it."""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arena.errors import ErrorCode

MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 10  # of a GraphQL document
MAX_TOKENS = 2000
MAX_ALIASES = 30
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def has_lone_surrogate(value: object) -> bool:
    """True if a decoded JSON value holds text that is not valid Unicode (cannot be stored or matched)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def body_has_lone_surrogate(body: bytes) -> bool:
    if not _SURROGATE_ESCAPE.search(body):  # the cheap test first: surrogates only arrive as \u escapes
        return False
    try:
        return has_lone_surrogate(json.loads(body))
    except ValueError:
        return False  # malformed JSON: GraphQL answers that itself


def error_body(message: str, code: ErrorCode) -> bytes:
    return json.dumps({"data": None, "errors": [{"message": message, "extensions": {"code": code.value}}]}).encode()


async def send_json_error(
    send: Send, status: int, message: str, code: ErrorCode, media_type: str = "application/json"
) -> None:
    body = error_body(message, code)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", media_type.encode()), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = f"request body is larger than {self.max_bytes:,} bytes"
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.max_bytes):
                await send_json_error(send, 413, too_large, ErrorCode.PAYLOAD_TOO_LARGE)
                return
        # read the (small) body up front so that a chunked body cannot exceed the limit either
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await send_json_error(send, 413, too_large, ErrorCode.PAYLOAD_TOO_LARGE)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body_has_lone_surrogate(body):
            await send_json_error(
                send, 400, "text in the request must be valid Unicode (no lone surrogates)", ErrorCode.BAD_REQUEST
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

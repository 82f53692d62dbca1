"""Every GraphQL error carries `extensions.code`; internal errors are masked; refusals log one line.

An expected refusal (a missing token, a bad id, a bad argument, a query that does not
validate) is logged once at INFO, without a traceback. Only an internal error (a bug) is
logged at ERROR with its traceback, and its details never reach the client.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from arena.broker.pubsub import SubscriberOverflow
from arena.errors import ArenaError, ErrorCode

logger = logging.getLogger(__name__)

INTERNAL_MESSAGE = "Internal server error"


def coded(error: GraphQLError) -> GraphQLError:
    """The error with a code: ours keep theirs, GraphQL's own are BAD_REQUEST, anything else is masked."""
    original = error.original_error
    extensions = dict(error.extensions or {})
    if isinstance(original, ArenaError):
        extensions.setdefault("code", original.code.value)
        if original.field:
            extensions.setdefault("field", original.field)
        return _with(error, error.message, extensions)
    if isinstance(original, SubscriberOverflow):
        extensions["code"] = ErrorCode.SLOW_SUBSCRIBER.value
        return _with(error, error.message, extensions)
    if original is None or isinstance(original, GraphQLError):
        extensions.setdefault("code", ErrorCode.BAD_REQUEST.value)
        return _with(error, error.message, extensions)
    if isinstance(original, UnicodeEncodeError):  # lone surrogates in a string argument cannot be stored or matched
        return _with(error, "text arguments must be valid Unicode", {"code": ErrorCode.INVALID_INPUT.value})
    if "code" in extensions:  # e.g. permission errors carry their own code
        return _with(error, error.message, extensions)
    return _with(error, INTERNAL_MESSAGE, {"code": ErrorCode.INTERNAL.value})


def log_error(error: GraphQLError) -> None:
    """One line at INFO for a refusal; a traceback at ERROR for an internal error."""
    code = (coded(error).extensions or {}).get("code")
    if code == ErrorCode.INTERNAL.value:
        logger.error("internal error in %s: %s", _where(error), error.message, exc_info=error.original_error)
    else:
        logger.info("refused %s [%s]: %s", _where(error), code, error.message)


def _where(error: GraphQLError) -> str:
    return ".".join(str(p) for p in error.path) if error.path else "request"


def _with(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [coded(e) for e in result.errors]

    def on_stream_result(self, result: object) -> Iterator[None]:
        """Subscription results pass here one by one, before each frame is sent."""
        if getattr(result, "errors", None):
            result.errors = [coded(e) for e in result.errors]  # type: ignore[attr-defined]
        yield None

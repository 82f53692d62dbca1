"""Every GraphQL error carries `extensions.code`; internal errors are masked."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from arena.errors import ArenaError, ErrorCode
from arena.pubsub import SubscriberOverflow

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
        extensions["code"] = "SLOW_SUBSCRIBER"
        return _with(error, error.message, extensions)
    if original is None or isinstance(original, GraphQLError):
        if "code" not in extensions:
            extensions["code"] = "BAD_REQUEST"
        return _with(error, error.message, extensions)
    if isinstance(original, UnicodeEncodeError):  # lone surrogates in a string argument cannot be stored or matched
        return _with(error, "text arguments must be valid Unicode", {"code": ErrorCode.INVALID_INPUT.value})
    if "code" in extensions:  # e.g. permission errors carry their own code
        return _with(error, error.message, extensions)
    logger.error("internal error in %s", error.path, exc_info=original)
    return _with(error, INTERNAL_MESSAGE, {"code": ErrorCode.INTERNAL.value})


def _with(error: GraphQLError, message: str, extensions: dict) -> GraphQLError:
    return GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions,
                        path=error.path, original_error=None, extensions=extensions)


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and getattr(result, "errors", None):
            result.errors = [coded(e) for e in result.errors]

    def on_stream_result(self, result: object) -> Iterator[None]:
        """Subscription results pass here one by one, before each frame is sent."""
        if getattr(result, "errors", None):
            result.errors = [coded(e) for e in result.errors]  # type: ignore[attr-defined]
        yield None

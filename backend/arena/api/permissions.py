"""Field permissions: the operator token guards every mutation."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from arena.api.context import Context
from arena.errors import ErrorCode


class IsOperator(BasePermission):
    message = (
        "operator token required: send Authorization: Bearer <token> (HTTP) or connectionParams.authToken (websocket)"
    )
    error_extensions = {"code": ErrorCode.UNAUTHENTICATED.value}  # noqa: RUF012 - Strawberry's own attribute

    def has_permission(self, source: Any, info: Info[Context, Any], **kwargs: Any) -> bool:
        return info.context.is_operator()


class CanRead(BasePermission):
    """Queries are public unless the server is configured otherwise (then: operator or bot token)."""

    message = "this server's queries are private: send an operator or bot token"
    error_extensions = {"code": ErrorCode.UNAUTHENTICATED.value}  # noqa: RUF012 - Strawberry's own attribute

    async def has_permission(self, source: Any, info: Info[Context, Any], **kwargs: Any) -> bool:
        return await can_read(info.context)


async def can_read(ctx: Context) -> bool:
    return ctx.state.settings.public_queries or ctx.is_operator() or await ctx.bot() is not None

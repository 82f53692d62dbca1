"""Field permissions: the operator token guards every mutation."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from arena.api.context import Context


class IsOperator(BasePermission):
    message = "operator token required: send Authorization: Bearer <token> (HTTP) or connectionParams.authToken (websocket)"
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info[Context, Any], **kwargs: Any) -> bool:
        return info.context.is_operator()

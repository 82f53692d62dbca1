"""What every noun uses: enums, the Node interface, user errors and page info."""

from __future__ import annotations

import strawberry

from arena.domain.events import AgentKind, AgentStatus, CompetitionStatus
from arena.domain.orders import Side
from arena.errors import ArenaError
from arena.feeds.base import FeedKind, FeedStatus

CompetitionStatusEnum = strawberry.enum(CompetitionStatus, name="CompetitionStatus")
AgentStatusEnum = strawberry.enum(AgentStatus, name="AgentStatus")
AgentKindEnum = strawberry.enum(AgentKind, name="AgentKind")
SideEnum = strawberry.enum(Side, name="Side")
FeedKindEnum = strawberry.enum(FeedKind, name="FeedKind")
FeedStatusEnum = strawberry.enum(FeedStatus, name="FeedStatus")


@strawberry.interface(description="An object with a global ID (Relay).")
class Node:
    id: strawberry.ID


@strawberry.type
class UserError:
    field: str | None
    message: str
    code: str

    @classmethod
    def of(cls, error: ArenaError) -> UserError:
        return cls(field=error.field, message=error.message, code=error.code.value)


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None

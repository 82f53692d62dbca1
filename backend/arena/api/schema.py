"""The schema and its guard rails."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, ParserCache, QueryDepthLimiter, ValidationCache

from arena.api import subscription_memo_fix
from arena.api.errors import ErrorCodes
from arena.api.mutations import Mutation
from arena.api.queries import Query
from arena.api.subscriptions import Subscription
from arena.api.types import Agent, Competition, Trade

MAX_DEPTH = 10
MAX_TOKENS = 2000
MAX_ALIASES = 30


def build_schema() -> strawberry.Schema:
    subscription_memo_fix.install()
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Agent, Trade, Competition],
        extensions=[
            ErrorCodes,
            ParserCache,
            ValidationCache,
            lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        ],
    )


schema = build_schema()

"""The schema and its guard rails."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule
from strawberry.types import ExecutionContext

from arena.api import subscription_memo_fix
from arena.api.errors import ErrorCodes, log_error
from arena.api.limits import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS
from arena.api.mutations import Mutation
from arena.api.queries import Query
from arena.api.query_cache import CachedStoredReads
from arena.api.subscriptions import Subscription
from arena.api.types.agents import Agent
from arena.api.types.competitions import Competition
from arena.api.types.trades import Trade

# The same rule classes for every request: ValidationCache keys on them, so rules built per
# request (as the QueryDepthLimiter/MaxAliasesLimiter factories do) would never hit the cache.
GUARD_RULES: list[Any] = [max_depth_rule(MAX_DEPTH, None, None), max_aliases_rule(MAX_ALIASES)]


class ArenaSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            log_error(error)


def build_schema() -> strawberry.Schema:
    subscription_memo_fix.install()
    return ArenaSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Agent, Trade, Competition],
        extensions=[
            ErrorCodes,
            CachedStoredReads,
            ParserCache,
            ValidationCache,
            lambda: AddValidationRules(GUARD_RULES),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        ],
    )


schema = build_schema()

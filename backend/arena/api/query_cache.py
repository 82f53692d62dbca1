"""Results of queries that read only stored rows, kept until the store next changes.

Many viewers ask for the same page (the dashboard's trade tape, a bot polling `trades(first: 50)`):
its result is a function of the stored rows alone (see `stored_reads`), so it is the same until
the next commit. Entries are keyed by the exact document text, operation name and variables, and
belong to one store generation (`Database.generation`, bumped after every commit): once the
store commits, every entry is dropped at the next lookup. A result is stored only if the
generation is still the one read at its start, so a read that overlapped a commit is never
served. Concurrent misses of one key share one execution. Only results without errors are kept;
the access check runs for every request before the cache is consulted.

Only this process's commits are seen: the server is its database's one writer (another process
writing the same file — `arena run` on the server's own database — is not a supported setup).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Any

from graphql import ExecutionResult as GraphQLResult
from graphql import GraphQLError, parse
from prometheus_client import Counter
from strawberry.extensions import SchemaExtension

from arena.api.context import Context
from arena.api.documents import variables_text
from arena.api.limits import MAX_TOKENS
from arena.api.permissions import can_read
from arena.api.stored_reads import reads_only_stored
from arena.store.db import Database

logger = logging.getLogger(__name__)

CacheKey = tuple[str, str | None, str]
Data = dict[str, Any]


class StoredReadCache:
    """Query results of one store generation, least recently used dropped past `max_entries`."""

    def __init__(self, db: Database, outcomes: Counter | None = None, max_entries: int = 256) -> None:
        self._db = db
        self._outcomes = outcomes
        self._max_entries = max_entries
        self._generation = db.generation
        self._results: OrderedDict[CacheKey, Data] = OrderedDict()
        self._running: dict[CacheKey, asyncio.Future[Data | None]] = {}

    def count(self, outcome: str) -> None:
        if self._outcomes is not None:
            self._outcomes.labels(outcome).inc()

    @property
    def generation(self) -> int:
        current = self._db.generation
        if current != self._generation:
            self._results.clear()
            self._running.clear()  # their results belong to an older generation: not to be shared
            self._generation = current
        return current

    def __len__(self) -> int:
        return len(self._results)

    def cached(self, key: CacheKey) -> Data | None:
        self.generation  # noqa: B018 - drops what an intervening commit outdated
        found = self._results.get(key)
        if found is not None:
            self._results.move_to_end(key)
        return found

    def running(self, key: CacheKey) -> asyncio.Future[Data | None] | None:
        self.generation  # noqa: B018
        return self._running.get(key)

    def start(self, key: CacheKey) -> tuple[int, asyncio.Future[Data | None]]:
        """Become the one execution of `key` at this generation (its waiters share its result)."""
        generation = self.generation
        future: asyncio.Future[Data | None] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        return generation, future

    def finish(self, key: CacheKey, generation: int, future: asyncio.Future[Data | None], data: Data | None) -> None:
        if not future.done():
            future.set_result(data)
        if self._running.get(key) is future:
            del self._running[key]
        if data is None or self.generation != generation:
            return  # an error, or the store committed while it ran: the result may be outdated
        self._results[key] = data
        self._results.move_to_end(key)
        while len(self._results) > self._max_entries:
            self._results.popitem(last=False)


@lru_cache(maxsize=512)
def _eligible(query: str, operation_name: str | None) -> bool:
    from arena.api.schema import schema  # the schema imports this extension

    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return False
    return reads_only_stored(schema._schema, document, operation_name)


class CachedStoredReads(SchemaExtension):
    """Serves a stored-only query from `AppState.query_cache` when a current result is there."""

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        key = await self._key()
        cache = self._cache()
        if key is None or cache is None:
            yield
            return
        found = cache.cached(key)
        if found is None and (running := cache.running(key)) is not None:
            found = await asyncio.shield(running)  # a waiter cancelled must not cancel the others
            if found is not None:
                cache.count("shared")
        elif found is not None:
            cache.count("hit")
        if found is not None:
            execution.result = GraphQLResult(data=found, errors=None)
            yield
            return
        cache.count("miss")
        generation, future = cache.start(key)
        data: Data | None = None
        try:
            yield
            result = execution.result
            if isinstance(result, GraphQLResult) and not result.errors and result.data is not None:
                data = result.data
        finally:
            cache.finish(key, generation, future, data)

    def _cache(self) -> StoredReadCache | None:
        context = self.execution_context.context
        return context.state.query_cache if isinstance(context, Context) else None

    async def _key(self) -> CacheKey | None:
        execution = self.execution_context
        context, query = execution.context, execution.query
        if not isinstance(context, Context) or context.state.query_cache is None or not isinstance(query, str):
            return None
        variables = variables_text(execution.variables)
        if variables is None or not _eligible(query, execution.operation_name):
            return None
        if not await can_read(context):
            return None  # executed as usual: the field reports the refusal
        return query, execution.operation_name, variables

"""Which subscriptions can be grouped, and the key that groups them.

A subscription qualifies when its one root field is a stream whose results do not depend on who
asks (everything but `myFills`), selected plainly (no directive or fragment at the root: such
documents run alone, which is always correct). The key is the document's exact text (errors
carry locations in it, so only identical texts may share a run), the operation name and the
variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from graphql import FieldNode, GraphQLError, OperationType, parse

from arena.api.documents import chosen_operation, variables_text
from arena.api.limits import MAX_TOKENS

GROUPABLE_FIELDS = frozenset({"prices", "trades", "leaderboard", "arenaEvents", "decisions"})

GroupKey = tuple[str, str | None, str]


def group_key(query: Any, operation_name: Any, variables: Any) -> GroupKey | None:
    if not isinstance(query, str) or not (operation_name is None or isinstance(operation_name, str)):
        return None
    values = variables_text(variables)
    if values is None or not _groupable(query, operation_name):
        return None
    return query, operation_name, values


@lru_cache(maxsize=512)
def _groupable(query: str, operation_name: str | None) -> bool:
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return False  # the member's own run reports it, as it would alone
    operation = chosen_operation(document, operation_name)
    if operation is None or operation.operation is not OperationType.SUBSCRIPTION or operation.directives:
        return False
    selections = operation.selection_set.selections
    if len(selections) != 1 or not isinstance(selections[0], FieldNode):
        return False
    root = selections[0]
    return root.name.value in GROUPABLE_FIELDS and not root.directives

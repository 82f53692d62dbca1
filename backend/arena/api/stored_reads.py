"""Which query documents read only stored rows: their result is the same until the store changes.

A document qualifies when it is a query whose every selected field reads the record and nothing
the engine holds in memory: the `trades` and `decisions` connections, their edges, page info,
counts and nodes with their leaf fields and nested stored values. A field that reaches a live
object (`Trade.agent` has the agent's current standing, `Trade.competition` its live state) or any
other root field makes the whole document ineligible. Fragments and inline fragments are
followed; a fragment on an interface (`... on Node`) is ineligible (conservative, never wrong).
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_leaf_type,
)

from arena.api.documents import chosen_operation

ROOT_FIELDS = frozenset({"trades", "decisions"})
STORED_TYPES = frozenset(
    {
        "TradeConnection",
        "TradeEdge",
        "Trade",
        "PageInfo",
        "DecisionConnection",
        "DecisionEdge",
        "Decision",
        "DecisionAction",
        "DecisionOrderResult",
    }
)


def reads_only_stored(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> bool:
    """True when the operation to run is a query of stored rows only (see the module's doc)."""
    operation = chosen_operation(document, operation_name)
    query_type = schema.query_type
    if operation is None or operation.operation != OperationType.QUERY or query_type is None:
        return False
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return _stored(query_type, operation.selection_set, fragments, root=True, seen=set())


def _stored(
    parent: GraphQLObjectType,
    selections: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    *,
    root: bool,
    seen: set[str],
) -> bool:
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            if not _stored_field(parent, selection, fragments, root=root, seen=seen):
                return False
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else parent.name
            if condition != parent.name:
                return False
            if not _stored(parent, selection.selection_set, fragments, root=root, seen=seen):
                return False
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or fragment.type_condition.name.value != parent.name or name in seen:
                return False  # unknown, on another type, or a cycle (validation refuses those anyway)
            if not _stored(parent, fragment.selection_set, fragments, root=root, seen=seen | {name}):
                return False
    return True


def _stored_field(
    parent: GraphQLObjectType,
    node: FieldNode,
    fragments: dict[str, FragmentDefinitionNode],
    *,
    root: bool,
    seen: set[str],
) -> bool:
    name = node.name.value
    if name == "__typename":
        return True
    if root and name not in ROOT_FIELDS:
        return False
    if not root and parent.name not in STORED_TYPES:
        return False
    field = parent.fields.get(name)
    if field is None:
        return False
    named: GraphQLNamedType = get_named_type(field.type)
    if is_leaf_type(named):
        return node.selection_set is None
    if not isinstance(named, GraphQLObjectType) or named.name not in STORED_TYPES or node.selection_set is None:
        return False
    return _stored(named, node.selection_set, fragments, root=False, seen=seen)

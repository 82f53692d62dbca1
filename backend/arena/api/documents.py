"""What caches of documents key on: the operation a request runs, and its variables as text."""

from __future__ import annotations

import json
from typing import Any

from graphql import DocumentNode, OperationDefinitionNode


def chosen_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation a request with this operation name runs (None: none, or ambiguous)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    chosen = [o for o in operations if o.name is not None and o.name.value == name]
    return chosen[0] if len(chosen) == 1 else None


def variables_text(variables: Any) -> str | None:
    """The variables as one canonical JSON text (None when they are not a JSON object)."""
    if variables is not None and not isinstance(variables, dict):
        return None
    try:
        return json.dumps(variables or {}, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        return None

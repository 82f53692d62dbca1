"""Work around a memory leak in graphql-core 3.3 subscriptions.

Per-event executors are shallow copies that share the subscription executor's
`_relevant_sub_fields` memo, keyed by the id of a field list that is new every
event: every event adds an entry that lives as long as the subscription
(~1.2 KB per event, measured). Giving each per-event executor its own memo keeps
the memo's benefit within an event and frees it afterwards. Strawberry 0.341
requires graphql-core 3.3, so pinning 3.2 (which does not leak) is not an option.
tests/api/test_subscription_memory.py fails if the leak comes back.
"""

from __future__ import annotations

from typing import Any

from graphql.execution.executor import Executor

_PATCHED = "_arena_per_event_memo"


def install() -> None:
    if getattr(Executor.build_per_event_executor, _PATCHED, False):
        return
    original = Executor.build_per_event_executor

    def build_per_event_executor(self: Executor[Any], payload: Any) -> Executor[Any]:
        executor = original(self, payload)
        if hasattr(executor, "_relevant_sub_fields"):
            executor._relevant_sub_fields = {}
        return executor

    setattr(build_per_event_executor, _PATCHED, True)
    Executor.build_per_event_executor = build_per_event_executor  # type: ignore[method-assign]

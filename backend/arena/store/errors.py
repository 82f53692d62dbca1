"""Store failures: internal errors, not user-facing refusals (those are `ArenaError`)."""

from __future__ import annotations


class StoreError(RuntimeError):
    """Something the store cannot do or cannot trust."""


class RecordError(StoreError):
    """A batch of events could not be recorded; nothing of it was stored."""


class CorruptLedgerError(StoreError):
    """Persisted fills do not replay to the persisted results."""

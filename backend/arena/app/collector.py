"""Tuning Python's cyclic garbage collector for the arena's two long workloads.

Almost everything the arena allocates is freed by reference counting the moment it is done with
(a replay of the BTC month leaves ten objects in cycles); the cyclic collector only looks for
what counting cannot free, yet at its defaults it walks the young objects every 700 allocations
and, once enough have survived, every object there is. Both workloads collect and freeze what
startup made (it lives as long as the process: no full collection scans it again) and collect
young objects far less often; `ARENA_TUNE_GC=0` leaves the collector as Python sets it.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

# a server: young collections every 50k allocations, full ones rare (their pause grows with every
# connection held; BENCHMARKS.md, "gc max ms")
SERVING = (50_000, 20, 100)
# a backtest at max speed allocates a few dozen objects per round that die young: every 500k
BACKTEST = (500_000, 50, 100)


def tune_for_serving() -> None:
    """For the rest of the process (the server's lifespan)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING)


@contextlib.contextmanager
def tuned_for_backtest(enabled: bool = True) -> Iterator[None]:
    """While a headless run plays; the collector is as it was afterwards."""
    if not enabled:
        yield
        return
    before = gc.get_threshold()
    freeze = gc.get_freeze_count() == 0  # frozen already (by whoever runs us): theirs to undo
    if freeze:
        gc.collect()
        gc.freeze()
    gc.set_threshold(*BACKTEST)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        if freeze:
            gc.unfreeze()

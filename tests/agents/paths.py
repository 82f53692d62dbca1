"""Constructed and random price paths for the strategy tests."""

from __future__ import annotations

import math
import random


def ramp(start: float, end: float, steps: int) -> list[float]:
    """`steps` prices moving linearly from `start` towards `end` (end excluded)."""
    return [start + (end - start) * i / steps for i in range(steps)]


def wiggle(level: float, steps: int, amplitude: float = 0.5) -> list[float]:
    """A deterministic small oscillation around `level`."""
    return [level + amplitude * math.sin(i * 1.3) for i in range(steps)]


def random_walk(seed: int, steps: int, start: float = 100.0, vol: float = 0.02) -> list[float]:
    rng = random.Random(seed)
    prices = [start]
    for _ in range(steps - 1):
        prices.append(prices[-1] * math.exp(rng.gauss(0.0, vol)))
    return prices

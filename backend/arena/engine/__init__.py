"""The engine: risk checks, matching, competitions and the runner. Pure domain code."""

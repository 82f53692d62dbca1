"""Tools for the arena's own tests, benchmarks and soak runs (not used by the server itself)."""

"""Running past one process: the engine's lease on PostgreSQL (one active engine, standbys waiting)."""

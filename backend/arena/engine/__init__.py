"""The engine: risk checks, matching, competitions, statistics and recovery. Pure domain code: no asyncio,
no clock, no I/O; it neither builds feeds nor imports the store or the API."""

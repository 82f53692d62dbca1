"""Pure domain values: no I/O, no framework imports."""

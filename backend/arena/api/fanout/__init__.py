"""Grouped subscription fan-out: subscribers of the same document, operation and variables share
one execution and one encoding per event; each still gets its own access check, first snapshot
and send buffer (see `groups`)."""

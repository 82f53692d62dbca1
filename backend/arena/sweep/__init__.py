"""`arena sweep`: one strategy over a grid of parameters, a headless competition per combination.

`grid` parses and validates the grid, `plan` turns it into competitions, `worker` runs one in a
process of its own (into a SQLite file of its own), `merge` copies a finished run into the arena's
database, `runner` drives the pool and `report` ranks the results.
"""

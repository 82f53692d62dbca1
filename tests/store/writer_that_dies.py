"""A writer child for tests: it commits the first batch it is given, then dies without answering
(a writer killed between its commit and its reply)."""

from __future__ import annotations

import marshal
import os
import sqlite3
import sys

from arena.store.sqlite_pragmas import apply_pragmas
from arena.store.writer import HEADER, commit, read_exactly


def main() -> None:
    connection = sqlite3.connect(sys.argv[1], isolation_level=None)
    apply_pragmas(connection)
    (size,) = HEADER.unpack(read_exactly(sys.stdin.buffer, HEADER.size))
    _, number, statements = marshal.loads(read_exactly(sys.stdin.buffer, size))
    reply = commit(connection, number, statements)
    assert reply == ("ok",), reply
    connection.close()
    os._exit(9)


if __name__ == "__main__":
    main()

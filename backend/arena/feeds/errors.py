"""The error a recorded market-data file raises when it cannot be replayed."""

from __future__ import annotations

from arena.errors import ArenaError, ErrorCode


class FeedFileError(ArenaError):
    """A file that cannot be read or parsed; the message names the file and the line.

    ``str(error)`` reads like ``btc.csv line 17: expected a number in column
    'close', got 'abc'`` (without ``line N`` when no line applies, e.g. a
    missing file).
    """

    def __init__(self, source: str, detail: str, line: int | None = None) -> None:
        where = source if line is None else f"{source} line {line}"
        super().__init__(ErrorCode.FEED_ERROR, f"{where}: {detail}", "feed")
        self.source = source
        self.line = line
        self.detail = detail

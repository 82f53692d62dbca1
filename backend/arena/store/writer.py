"""A process of its own that writes batches to an SQLite file: a backtest's commit beside its play.

A replay at max speed computes its next rounds while a batch commits. In one process the two take
turns: CPython's sqlite3 binds every row holding the interpreter's lock (the GIL), which the
round loop holds all the time, so a writer thread advances a row or so per switch interval and
play soon waits for it. In a process of its own the batch is written on the other core, really
beside play: on the BTC month, storing adds ~0.5 s to a run instead of ~0.8 s in one process
(BENCHMARKS.md).

The parent sends a batch's statements (`bulk.Write`s, rendered in the parent) as one frame: an
8-byte length and a `marshal` of plain tuples (sql, parameter tuples, single, refusal); the child runs
them in one transaction with sqlite3 itself and answers ("ok",) or ("error", message), having
rolled everything back. Nothing but the two processes of the arena ever reads the pipe. One
batch is in the pipe at a time, even when its caller gave up waiting for it.

A child that dies (killed, out of memory) fails the batch it had, with its exit code, and the
next batch starts a new child: the outbox retries the batch, in order, as after any refusal.
Unless the child died after its commit, before its answer: then the batch is stored, and the
parent must say so, or the retry would store it twice. So each batch carries a number, which its
transaction writes to the file's `user_version` (a header field SQLite keeps for applications;
nothing else of the arena uses it); when a child dies with a batch, the parent reads the field:
the batch's number there means the batch is stored. A writer numbers its batches on from a
random start, so that two runs writing one file do not take each other's numbers for their own.

    python -m arena.store.writer PATH    (started by `WriterProcess`; its stdin and stdout are the pipe)
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import marshal
import os
import secrets
import signal
import sqlite3
import struct
import sys
from collections.abc import Sequence
from typing import Any, BinaryIO

from arena.store.sqlite_pragmas import apply_pragmas

logger = logging.getLogger(__name__)

HEADER = struct.Struct(">Q")
CLOSE_TIMEOUT_S = 30.0  # a last batch still committing when the run closes
PIPE_SIZE = 4 << 20

Statement = tuple[str, list[tuple[Any, ...]], bool, str]  # sql, parameters, single, refusal
LEDGER_LIMIT = 2**31 - 1  # user_version is a signed 32-bit integer: batch numbers wrap below it


class WriterError(Exception):
    """The writer process refused a batch (its database's error) or stopped; nothing of it was stored."""


class _Refused(Exception):
    """A statement of a batch changed not the one row it had to (its refusal is the message)."""


def _frame(message: tuple[Any, ...]) -> bytes:
    # marshal: the two ends are the same interpreter, and a batch is only tuples, lists, text and
    # numbers (exactly those types: a str or int subclass, an enum member, is refused), which it
    # writes in ~60 % of pickle's time
    try:
        payload = marshal.dumps(message)
    except ValueError as exc:
        raise WriterError(f"a batch holds a value the writer cannot take ({exc}): a converter missed it") from None
    return HEADER.pack(len(payload)) + payload


def next_batch(number: int) -> int:
    return number % LEDGER_LIMIT + 1


class WriterProcess:
    """The parent's end: `write` one batch at a time (the recorder holds its lock around it)."""

    def __init__(self, path: str, command: Sequence[str] | None = None) -> None:
        """`command` starts a child (the path is added to it); by default this module's `main`."""
        self.path = path
        self.command = list(command) if command is not None else [sys.executable, "-m", "arena.store.writer"]
        self._process: asyncio.subprocess.Process | None = None
        self._starts = 0
        self._lock = asyncio.Lock()  # one exchange in the pipe at a time
        self._stored = secrets.randbelow(LEDGER_LIMIT)  # the number of this writer's last stored batch

    @property
    def restarts(self) -> int:
        """Children started after the first (each after one stopped)."""
        return max(0, self._starts - 1)

    async def start(self) -> WriterProcess:
        """Start the child now (it opens the file while the caller goes on: loading a replay, say)."""
        await self._running()
        return self

    async def write(self, statements: Sequence[Statement]) -> None:
        """Commit `statements` in one transaction; raises `WriterError` (nothing stored) otherwise."""
        # shielded, and under the lock inside the shield: a caller that stops waiting leaves the
        # exchange to finish (and the numbering to follow it), and the next batch goes in only once
        # the answer of the one before is read
        reply = await asyncio.shield(self._locked_exchange(statements))
        if reply[0] != "ok":
            raise WriterError(str(reply[1]))

    async def close(self) -> None:
        async with self._lock:  # a batch still being exchanged finishes first
            process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        assert process.stdin is not None
        with contextlib.suppress(ConnectionError):
            process.stdin.write(_frame(("close",)))
            await process.stdin.drain()
            process.stdin.close()
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await process.wait()
        except TimeoutError:
            logger.error("the database writer did not stop within %.0fs; killing it", CLOSE_TIMEOUT_S)
            process.kill()
            await process.wait()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def _running(self) -> asyncio.subprocess.Process:
        process = self._process
        if process is None or process.returncode is not None:
            self._starts += 1
            process = self._process = await asyncio.create_subprocess_exec(
                *self.command,
                self.path,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            _widen(process.stdin)
        return process

    async def _locked_exchange(self, statements: Sequence[Statement]) -> tuple[Any, ...]:
        async with self._lock:
            number = next_batch(self._stored)
            frame = _frame(("batch", number, list(statements)))
            process = await self._running()
            reply = await self._exchange(process, frame, number)
            if reply[0] == "ok":
                self._stored = number
            return reply

    async def _exchange(self, process: asyncio.subprocess.Process, frame: bytes, number: int) -> tuple[Any, ...]:
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(frame)
            await process.stdin.drain()
            header = await process.stdout.readexactly(HEADER.size)
            (size,) = HEADER.unpack(header)
            reply: tuple[Any, ...] = marshal.loads(await process.stdout.readexactly(size))
        except (ConnectionError, asyncio.IncompleteReadError):
            code = await process.wait()
            self._drop(process)
            if _ledger(self.path) == number:  # it died after its commit: the batch is stored
                logger.warning("the database writer stopped (exit code %s) after storing its batch", code)
                return ("ok",)
            raise WriterError(f"the database writer process stopped (exit code {code})") from None
        except Exception as exc:  # an answer that is not one: the pipe cannot be trusted any more
            process.kill()
            await process.wait()
            self._drop(process)
            raise WriterError(f"the database writer's answer was unreadable ({type(exc).__name__}: {exc})") from None
        return reply

    def _drop(self, process: asyncio.subprocess.Process) -> None:
        if self._process is process:
            self._process = None  # the next batch starts a new one


def _widen(stream: asyncio.StreamWriter | None) -> None:
    """Let the pipe to the child hold a whole batch's frame (Linux: up to pipe-max-size, 1 MiB by
    default, against 64 KiB): the frame goes in at one or two turns of the event loop, which at
    max speed comes every few dozen rounds, instead of one turn per 64 KiB."""
    setpipe = getattr(fcntl, "F_SETPIPE_SZ", None)
    pipe = stream.get_extra_info("pipe") if stream is not None else None
    if setpipe is None or pipe is None:
        return
    try:
        with open("/proc/sys/fs/pipe-max-size") as limit:
            size = min(int(limit.read()), PIPE_SIZE)
        fcntl.fcntl(pipe.fileno(), setpipe, size)
    except (OSError, ValueError):
        logger.debug("the pipe to the database writer keeps its default size", exc_info=True)


# --- the child ------------------------------------------------------------------------------


def serve(path: str, requests: BinaryIO, replies: BinaryIO) -> int:
    """Run batches from `requests` until it closes or says "close"; each answered on `replies`."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    apply_pragmas(connection)
    try:
        while True:
            header = requests.read(HEADER.size)
            if len(header) < HEADER.size:
                return 0  # the parent went away: nothing is half-written (each batch is one transaction)
            (size,) = HEADER.unpack(header)
            message = marshal.loads(read_exactly(requests, size))
            if message[0] == "close":
                return 0
            replies.write(_frame(commit(connection, message[1], message[2])))
            replies.flush()
    finally:
        connection.close()


def commit(connection: sqlite3.Connection, number: int, statements: list[Statement]) -> tuple[str, ...]:
    try:
        connection.execute("BEGIN IMMEDIATE")
        for sql, params, single, refusal in statements:
            if single:
                if connection.execute(sql, params[0]).rowcount != 1:
                    raise _Refused(refusal)
            else:
                connection.executemany(sql, params)
        connection.execute(f"PRAGMA user_version = {int(number)}")  # (a pragma takes no parameter)
        connection.execute("COMMIT")
    except _Refused as refused:
        connection.execute("ROLLBACK")
        return ("error", str(refused))
    except Exception as exc:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        return ("error", f"{type(exc).__name__}: {exc}".splitlines()[0])
    return ("ok",)


def _ledger(path: str) -> int:
    """The number of the last batch a writer stored in the file."""
    connection = sqlite3.connect(path)
    try:
        (stored,) = connection.execute("PRAGMA user_version").fetchone()
    finally:
        connection.close()
    return int(stored)


def read_exactly(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError(f"the parent closed the pipe within a frame ({len(data)} of {size} bytes)")
    return data


def main(argv: Sequence[str] | None = None) -> int:
    (path,) = argv if argv is not None else sys.argv[1:]
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the parent's to handle: it closes us
    requests = sys.stdin.buffer
    # the pipe to the parent is fd 1: keep it for the replies, and send anything else printed to stderr
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return serve(path, requests, replies)


if __name__ == "__main__":
    raise SystemExit(main())

"""A real `arena serve` in its own process on a free loopback port: started, waited for, stopped.

The one launcher the end-to-end tests, the browser tests, the benchmarks and the soak run
share. Only the standard library, so it works wherever the arena is installed.

    server = ServerProcess(db=tmp / "arena.db", args=("--tick-interval", "0.05")).start()
    server.operator("mutation { stopCompetition { userErrors { code } } }")
    assert server.stop() == 0
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

HOST = "127.0.0.1"
SERVE = ("-m", "arena.cli", "serve")
_GENERATED_TOKEN = re.compile(r"\?token=(\S+)")


def free_port(host: str = HOST) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    """`python -m arena.cli serve --host H --port P --db DB ARGS...` (or another entry point taking the
    same flags, e.g. the bench server). `token` None lets the server generate one; it is read from
    its output. `ready_path` answers 200 once the server is up. `feed` is the market's unless `args`
    name one: the simulation by default, since the server's own default reaches for the internet."""

    db: Path | str  # an SQLite file, or a database URL (its log then goes to `log_dir`)
    args: Sequence[str] = ()
    token: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    command: Sequence[str] = SERVE
    ready_path: str = "/health"
    feed: str = "sim"
    host: str = HOST
    port: int = field(default_factory=free_port)
    cwd: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    log_dir: Path | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/graphql"

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 30.0) -> ServerProcess:
        """Start (or start again, on the same port and database) and wait until `ready_path` answers."""
        return self.launch().wait_ready(timeout)

    def launch(self) -> ServerProcess:
        """Start the process without waiting for it (several servers start side by side; then
        `wait_ready` each)."""
        if isinstance(self.db, Path):
            self.log_path = self.db.with_suffix(f".{self.port}.log")
        else:
            assert self.log_dir is not None, "a server on a database URL needs a log_dir"
            self.log_path = self.log_dir / f"arena.{self.port}.log"
        env = {**os.environ, **self.env}
        if self.token is not None:
            env["ARENA_OPERATOR_TOKEN"] = self.token
        else:
            env.pop("ARENA_OPERATOR_TOKEN", None)
        argv = [
            sys.executable,
            *self.command,
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--db",
            str(self.db),
            *(() if "--feed" in self.args else ("--feed", self.feed)),
            *self.args,
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.cwd)
        return self

    def wait_ready(self, timeout: float = 30.0) -> ServerProcess:
        """Wait until the launched server answers `ready_path`; raises (and kills it) if it exits or does not."""
        assert self.process is not None, "launch first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log()}")
            if self._ready():
                if self.token is None:
                    self.token = self._generated_token()
                return self
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"the server did not answer {self.ready_path} within {timeout:g}s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send `sig` (SIGTERM: a graceful stop) and return the exit code; kills it after `timeout`."""
        assert self.process is not None, "not started"
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def log(self, tail: int | None = None) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-tail:]) if tail else text

    # --- talking to it ---------------------------------------------------------------

    def get(self, path: str, timeout: float = 10.0) -> tuple[int, Any]:
        """(status, decoded JSON body) of a GET."""
        return self._request(urllib.request.Request(self.url + path), timeout)

    def graphql(
        self, query: str, variables: Mapping[str, Any] | None = None, token: str | None = None, timeout: float = 10.0
    ) -> Any:
        """The decoded response of a GraphQL POST (whatever its HTTP status)."""
        body = json.dumps({"query": query, "variables": dict(variables or {})}).encode()
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self._request(urllib.request.Request(self.url + "/graphql", data=body, headers=headers), timeout)[1]

    def operator(self, query: str, variables: Mapping[str, Any] | None = None) -> Any:
        return self.graphql(query, variables, token=self.token)

    # --- helpers ---------------------------------------------------------------------

    def _ready(self) -> bool:
        try:
            status, _ = self.get(self.ready_path, timeout=1)
        except OSError:
            return False
        return status == 200

    def _generated_token(self) -> str:
        found = _GENERATED_TOKEN.search(self.log())
        if found is None:
            raise RuntimeError(f"no operator token given, and the server printed none:\n{self.log()}")
        return found.group(1)

    @staticmethod
    def _request(request: urllib.request.Request, timeout: float) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, _decode(response)
        except urllib.error.HTTPError as error:
            return error.code, _decode(error)


def _decode(response: IO[bytes]) -> Any:
    raw = response.read()
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")

"""A throwaway PostgreSQL server on a free loopback port: initdb, start, a database per test, stop.

For the tests and benchmarks that need a real PostgreSQL (`--db postgresql+asyncpg://...`). It
uses the machine's own binaries (Debian's `postgresql` package keeps them in
/usr/lib/postgresql/<version>/bin, off the PATH); as root it runs them as the `postgres` user,
since PostgreSQL refuses to run as root. Commits do not wait for the disk (synchronous_commit off),
and unless `durable`, nothing is flushed at all (fsync off): the data is thrown away with the server.

    server = PostgresServer.find()          # None where PostgreSQL is not installed
    server.start()
    url = server.create_database("t1")      # postgresql+asyncpg://arena@127.0.0.1:PORT/t1
    server.stop()
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arena.testing.server import HOST, free_port

USER = "arena"
_FAST = {"fsync": "off", "full_page_writes": "off"}  # the tests' servers: nothing to keep
_SETTINGS = {
    "synchronous_commit": "off",
    "max_connections": "200",
    "shared_buffers": "128MB",
    "listen_addresses": HOST,
}


def find_binaries() -> Path | None:
    """The folder holding `initdb` and `postgres`: on the PATH, or the newest Debian version."""
    found = shutil.which("initdb")
    if found and shutil.which("postgres"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


@dataclass
class PostgresServer:
    bin_dir: Path
    port: int = field(default_factory=free_port)
    durable: bool = False  # fsync on (as SQLite's WAL with synchronous=NORMAL): for benchmarks
    root: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def find(cls) -> PostgresServer | None:
        bin_dir = find_binaries()
        return None if bin_dir is None else cls(bin_dir)

    @property
    def data_dir(self) -> Path:
        assert self.root is not None, "not started"
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        assert self.root is not None, "not started"
        return self.root / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://{USER}@{HOST}:{self.port}/{database}"

    def start(self, timeout: float = 60.0) -> PostgresServer:
        if self.root is None:
            self.root = Path(tempfile.mkdtemp(prefix="arena-pg-"))
            self.root.chmod(0o755)
            self.data_dir.mkdir()
            self._own(self.root, self.data_dir)
            self._run("initdb", "-D", str(self.data_dir), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync")
        chosen = _SETTINGS if self.durable else {**_SETTINGS, **_FAST}
        settings = [arg for key, value in chosen.items() for arg in ("-c", f"{key}={value}")]
        argv = [str(self.bin_dir / "postgres"), "-D", str(self.data_dir), "-p", str(self.port)]
        argv += ["-k", str(self.root), *settings]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, **_as_owner())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited with {self.process.returncode}:\n{self.log()}")
            if self._accepts():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"postgres did not accept connections within {timeout:g}s:\n{self.log()}")

    def create_database(self, name: str) -> str:
        """A new, empty database; its asyncpg URL."""
        self._psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self._psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def kill(self) -> None:
        """kill -9: what a machine's loss looks like to its clients."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def remove(self) -> None:
        self.stop()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    # --- helpers ---------------------------------------------------------------------

    def _accepts(self) -> bool:
        ready = subprocess.run(
            [str(self.bin_dir / "pg_isready"), "-h", HOST, "-p", str(self.port), "-U", USER, "-q"],
            check=False,
            capture_output=True,
        )
        return ready.returncode == 0

    def _psql(self, sql: str) -> None:
        psql = self.bin_dir / "psql"
        command = [str(psql) if psql.exists() else "psql", "-h", HOST, "-p", str(self.port), "-U", USER]
        subprocess.run([*command, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True)

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run(
            [str(self.bin_dir / program), *args], capture_output=True, text=True, check=False, **_as_owner()
        )
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed ({result.returncode}):\n{result.stdout}{result.stderr}")

    @staticmethod
    def _own(*paths: Path) -> None:  # the server's files belong to the user it runs as
        if os.geteuid() != 0:
            return
        owner = pwd.getpwnam("postgres")
        for path in paths:
            os.chown(path, owner.pw_uid, owner.pw_gid)


def _as_owner() -> dict[str, Any]:
    """As root, the `postgres` user (which Debian's package makes): PostgreSQL will not run as root.
    The process itself changes user, so signals reach the server and not a wrapper."""
    if os.geteuid() != 0:
        return {}
    owner = pwd.getpwnam("postgres")
    return {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}

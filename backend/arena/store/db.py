"""The database: SQLite (the default, a file) or PostgreSQL (past one machine), behind one async
engine; SQLite's pragmas on every connection; sessions; migrations."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from arena.store import migrate
from arena.store.sqlite_pragmas import BUSY_TIMEOUT_MS, apply_pragmas

__all__ = ["BUSY_TIMEOUT_MS", "Database"]

logger = logging.getLogger(__name__)

DRIVER = "sqlite+aiosqlite"
POSTGRES_DRIVER = "postgresql+asyncpg"
POSTGRES_KEEPALIVES = {"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "2", "tcp_keepalives_count": "3"}
# the async drivers each database is reached through, by the names people write in a URL
_DRIVERS = {
    "sqlite": DRIVER,
    DRIVER: DRIVER,
    "postgresql": POSTGRES_DRIVER,
    "postgres": POSTGRES_DRIVER,
    POSTGRES_DRIVER: POSTGRES_DRIVER,
}


def _to_url(url_or_path: str | Path) -> URL:
    """An async driver's URL from a URL (SQLite or PostgreSQL) or a plain SQLite file path."""
    text_value = str(url_or_path)
    if "://" not in text_value:
        return URL.create(DRIVER, database=str(Path(text_value).expanduser().resolve()))
    url = make_url(text_value)
    driver = _DRIVERS.get(url.drivername)
    if driver is None:
        raise ValueError(
            f"unsupported database {url.drivername!r}: use an SQLite file or {DRIVER}:// URL, "
            f"or a {POSTGRES_DRIVER}:// URL"
        )
    return url.set(drivername=driver)


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
    apply_pragmas(dbapi_connection)


class Database:
    """An SQLite file (or URL) or a PostgreSQL database behind an SQLAlchemy `AsyncEngine`."""

    def __init__(self, url: str | Path, *, echo: bool = False) -> None:
        self.url = _to_url(url)
        options: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            if _is_memory(self.url):
                options["poolclass"] = StaticPool  # one shared connection, or every session sees an empty db
        else:
            options["pool_pre_ping"] = True  # a server restarted under us: reconnect instead of failing once
            # the server notices a vanished client within ~10 s and rolls its transaction back (so a
            # takeover's fence waits no longer than that for a dead engine's open batch)
            options["connect_args"] = {"server_settings": {**POSTGRES_KEEPALIVES, "application_name": "arena"}}
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _set_pragmas)
        self._generation = 0
        # a session class of this database's own, so its commit hook counts only its commits
        sync_session = type("ArenaSession", (Session,), {})
        event.listen(sync_session, "after_commit", self._committed)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, sync_session_class=sync_session, expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def file(self) -> Path | None:
        """The SQLite file, where its URL is a plain path (None for PostgreSQL, an in-memory
        database, or a URL with options: a `file:` URI names its file its own way)."""
        if not self.is_sqlite or _is_memory(self.url) or self.url.database is None or self.url.query:
            return None
        return Path(self.url.database)

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self.url.get_backend_name()

    @property
    def display(self) -> str:
        """Where it is, for logs and errors: the file, or the URL without its password."""
        if self.is_sqlite:
            return str(self.url.database)
        return self.url.render_as_string(hide_password=True)

    @property
    def generation(self) -> int:
        """How many session commits this process has made here: a read taken at generation g is
        current while the generation is still g (every write goes through a session)."""
        return self._generation

    def note_external_commit(self) -> None:
        """Another process committed here (an API replica hears it from the broker): reads of the
        generation before are outdated, as after a commit of this process's own."""
        self._generation += 1

    def _committed(self, _session: Any) -> None:
        # after_commit runs once the driver's commit returned: a read begun later sees the change
        self._generation += 1

    @classmethod
    def open(cls, path_or_url: str | Path, *, echo: bool = False) -> Database:
        """A database from a setting: a URL as it is, a file path with its folders made."""
        if "://" in str(path_or_url):
            return cls(path_or_url, echo=echo)
        return cls.from_path(path_or_url, echo=echo)

    @classmethod
    def from_path(cls, path: str | Path, *, echo: bool = False) -> Database:
        """Open (or create) the database file at `path`, creating parent folders."""
        file = Path(path).expanduser().resolve()
        file.parent.mkdir(parents=True, exist_ok=True)
        return cls(file, echo=echo)

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"

    async def init(self) -> migrate.SchemaVersion:
        """Bring the schema to the code's revision (creating it in a new database)."""
        version = await migrate.upgrade(self.engine)
        logger.info("database ready at %s (schema revision %s)", self.display, version.after)
        return version

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            logger.warning("database ping failed", exc_info=True)
            return False
        return True

    async def close(self) -> None:
        await self.engine.dispose()

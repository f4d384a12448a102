"""The database: one async engine built at start-up, and Alembic upgrades.

SQLite gets WAL, a busy timeout and `BEGIN IMMEDIATE` for every transaction
(a deferred read-then-write transaction ignores the busy timeout and fails
with "database is locked" under concurrent writers; ENGINEERING.md).
PostgreSQL runs through psycopg 3, which serves both the async engine and
Alembic's sync one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _driver_url(url: str, *, asynchronous: bool) -> str:
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        return u.set(drivername="sqlite+aiosqlite" if asynchronous else "sqlite").render_as_string(
            hide_password=False
        )
    if backend in ("postgresql", "postgres"):
        return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Take over transaction control from the driver, so `begin` below decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin_immediate(conn) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """The engine and a way to run one transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        # SQLite has one writer. One connection queues transactions in the event loop, in
        # order; a pool of them would wait in SQLite's busy handler, which sleeps in growing
        # steps and serves no one in order (bench/ack.py: p99 630 ms with a pool, 70 ms without).
        self.engine: AsyncEngine = create_async_engine(
            _driver_url(url, asynchronous=True),
            **({"pool_size": 1, "max_overflow": 0, "pool_timeout": 60} if self.sqlite
               else {"pool_size": 10, "max_overflow": 10}),
        )
        if self.sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin_immediate)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back on error."""
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            async with session.begin():
                yield session

    def insert(self, table):
        """An INSERT that can say ON CONFLICT DO NOTHING, in this database's dialect."""
        if self.sqlite:
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        return insert(table)

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", _driver_url(url, asynchronous=False).replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    """Bring the database to the newest schema (run by `serve` at start)."""
    if is_sqlite(url):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    # "heads": flows built side by side may add migration branches before a merge revision joins them.
    command.upgrade(alembic_config(url), "heads")

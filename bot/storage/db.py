"""The database: one async engine built at start-up, and Alembic upgrades.

SQLite gets WAL, a busy timeout and `BEGIN IMMEDIATE` for every transaction
(a deferred read-then-write transaction ignores the busy timeout and fails
with "database is locked" under concurrent writers; ENGINEERING.md).
PostgreSQL runs through psycopg 3, which serves both the async engine and
Alembic's sync one.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, NullPool
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage import inline_sqlite

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The advisory lock that runs the flows' write transactions one at a time on PostgreSQL.
FLOW_WRITES = 0x4C42_0001
# The advisory lock `upgrade` holds on PostgreSQL, in the two-key form (a key space apart from the
# one-key FLOW_WRITES): this key and a hash of the schema the URL's search_path names.
MIGRATIONS_LOCK = 0x4C42
_SCHEMA_KEY = "hashtext(coalesce(current_schema(), ''))"


def _driver_url(url: str, *, asynchronous: bool) -> str:
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        return u.set(drivername="sqlite+aiosqlite" if asynchronous else "sqlite").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # `dbapi_connection`: SQLAlchemy's aiosqlite adapter around inline_sqlite's connection,
    # which has sqlite3's attributes but no declared type.
    # Take over transaction control from the driver, so `begin` below decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A wait for another process's write lock would wait in the event loop (inline
    # statements): SQLite serves one bot process, so this only guards a short overlap.
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin_immediate(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class _Turns:
    """Whose transaction gets SQLite's one connection next: urgent ones (writing down a
    request before it is acknowledged) before the background work queued for it, which
    is served in order. So an acknowledgement waits for at most the transaction under
    way, never for a queue of them."""

    def __init__(self) -> None:
        self._busy = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()

    async def acquire(self, urgent: bool) -> None:
        if not self._busy:
            self._busy = True
            return
        future = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._normal).append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # it was our turn: pass it on
            raise

    def release(self) -> None:
        for queue in (self._urgent, self._normal):
            while queue:
                future = queue.popleft()
                if not future.done():
                    future.set_result(None)
                    return
        self._busy = False


def _insert(table: Table, on_sqlite: bool) -> sqlite.Insert | postgresql.Insert:
    return sqlite.insert(table) if on_sqlite else postgresql.insert(table)


def insert_into(session: AsyncSession, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that can say ON CONFLICT, in the dialect of the session's database (for
    code that has the session, not the `Database`)."""
    return _insert(table, session.get_bind().dialect.name == "sqlite")


class Database:
    """The engine and a way to run one transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        # SQLite has one writer. One connection queues transactions in the event loop, in
        # order; a pool of them would wait in SQLite's busy handler, which sleeps in growing
        # steps and serves no one in order (bench/ack.py: p99 630 ms with a pool, 70 ms without).
        # SQLite's statements run inline in the event loop rather than in aiosqlite's thread
        # (bot/storage/inline_sqlite.py: a third of the bot's work was the thread hops).
        self.engine: AsyncEngine = create_async_engine(
            _driver_url(url, asynchronous=True),
            **(
                {
                    "pool_size": 1,
                    "max_overflow": 0,
                    "pool_timeout": 60,
                    "async_creator": inline_sqlite.connect(make_url(url).database or ":memory:"),
                }
                if self.sqlite
                else {"pool_size": 10, "max_overflow": 10}
            ),
        )
        # What runs at the end of every transaction, before it commits (the overview's stored
        # entries of the contracts it changed: bot/flows/overview_store.py).
        self.before_commit: list[Callable[[AsyncSession], Awaitable[None]]] = []
        self._turns = _Turns() if self.sqlite else None
        self._flow_writes = None if self.sqlite else asyncio.Lock()
        if self.sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin_immediate)

    @asynccontextmanager
    async def transaction(self, *, urgent: bool = False) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back on error. `urgent`:
        a request waiting for its acknowledgement goes before queued background work."""
        if self._turns is not None:
            await self._turns.acquire(urgent)
        try:
            async with AsyncSession(self.engine, expire_on_commit=False) as session, session.begin():
                yield session
                for hook in self.before_commit:
                    await hook(session)
        finally:
            if self._turns is not None:
                self._turns.release()

    @asynccontextmanager
    async def flow_transaction(self) -> AsyncIterator[AsyncSession]:
        """A transaction that may write the flows' state (`serialize` inside it).

        On PostgreSQL such transactions of one instance go one at a time before they take a
        connection: they would only wait for the advisory lock anyway, and waiting there
        they would hold the connections that acknowledgements need."""
        if self._flow_writes is None:
            async with self.transaction() as session:
                yield session
            return
        async with self._flow_writes, self.transaction() as session:
            yield session

    async def serialize(self, session: AsyncSession) -> None:
        """Make this transaction one of the flows' writes, which run one at a time.

        A flow's handler reads and then writes (both parties have sent: tell the leader), so
        two handlers of one contract at once could each miss the other's write. SQLite's
        `BEGIN IMMEDIATE` already runs write transactions one at a time; on PostgreSQL a
        transaction-scoped advisory lock does the same, across instances. Only the short
        database part is serialized: platform calls and sending run at once, lane by lane.
        """
        if not self.sqlite:
            connection = await session.connection()
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FLOW_WRITES})

    def insert(self, table: Table) -> sqlite.Insert | postgresql.Insert:
        """An INSERT that can say ON CONFLICT DO NOTHING, in this database's dialect."""
        return _insert(table, self.sqlite)

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", _driver_url(url, asynchronous=False).replace("%", "%%"))
    return cfg


def upgrade(url: str) -> frozenset[str]:
    """Bring the database to the newest schema (`laeringsbot migrate`), one migrator at a time;
    returns the revisions it found under the lock (empty for an empty database).

    Instances started together must not run the migrations side by side (both would create the
    same tables). On PostgreSQL the upgrade runs under a session-level advisory lock, keyed by
    the schema (so migrations of other schemas of the same database, the tests' for instance,
    do not wait for each other); whoever comes second waits, then finds the schema at head and
    does nothing. A migrator that dies loses its session and with it the lock. SQLite files
    are locked with flock(2) instead (SQLite's own locks are fcntl's, which flock does not meet
    on Linux), as Alembic's DDL on SQLite is not one transaction.
    """
    # "heads": flows built side by side may add migration branches before a merge revision joins them.
    if is_sqlite(url):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            with _file_lock(Path(path)):
                return _upgrade(url)
        return _upgrade(url)
    engine = create_engine(_driver_url(url, asynchronous=False), poolclass=NullPool)
    key = {"key": MIGRATIONS_LOCK}
    try:
        with engine.connect() as lock:
            lock.execute(text(f"SELECT pg_advisory_lock(:key, {_SCHEMA_KEY})"), key)
            lock.commit()
            try:
                return _upgrade(url)
            finally:
                lock.execute(text(f"SELECT pg_advisory_unlock(:key, {_SCHEMA_KEY})"), key)
                lock.commit()
    finally:
        engine.dispose()


def _upgrade(url: str) -> frozenset[str]:
    engine = create_engine(_driver_url(url, asynchronous=False), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            found = frozenset(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
    command.upgrade(alembic_config(url), "heads")
    return found


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # not a POSIX system: one process is all SQLite serves anyway
        yield
        return
    with open(path, "ab") as handle:  # an empty file is an empty SQLite database
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

"""SQLite for the async engine without a thread: statements run inline, in the event loop.

SQLAlchemy's async SQLite dialect drives `aiosqlite`, which runs every statement in a
thread of its own and hands the result back to the event loop: three thread hops a
statement (execute, fetch, close), each a wake-up of the other thread and a turn of
the GIL. Measured on 2 cores: a raw aiosqlite round trip ~170 µs against ~10 µs for
the same statement in `sqlite3`; with the ORM on top, ~740 µs against ~370 µs. The bot
makes ~25 statements per answer, so the hops were about a third of its work.

A SQLite statement on a local file in WAL mode takes microseconds, so running it
inline costs the event loop less than handing it over. This module is the smallest
stand-in for an `aiosqlite.Connection` that SQLAlchemy's aiosqlite adapter needs
(`create_async_engine(..., async_creator=connect(path))`), over a plain `sqlite3`
connection. It holds only while one process uses the file (the bot's SQLite mode):
a statement that had to wait for another process's lock would wait in the loop, so the
busy timeout is kept short (bot/storage/db.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import Any


class _Cursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, operation: str, parameters: Sequence[Any] | None = None) -> _Cursor:
        if parameters is None:
            self._cursor.execute(operation)
        else:
            self._cursor.execute(operation, parameters)
        return self

    async def executemany(self, operation: str, seq_of_parameters: Any) -> _Cursor:
        self._cursor.executemany(operation, seq_of_parameters)
        return self

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def close(self) -> None:
        self._cursor.close()


class _Inline:
    """aiosqlite's queue of work for its thread, done at once (SQLAlchemy sets the
    isolation level through it)."""

    def put_nowait(self, item: tuple[Any, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except Exception as exc:  # handed to the waiting side, as aiosqlite does
            future.set_exception(exc)
        else:
            future.set_result(result)


class Connection:
    """What SQLAlchemy's aiosqlite adapter uses of an aiosqlite.Connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = self._connection = connection
        self._tx = _Inline()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> _Cursor:
        return _Cursor(self._conn.cursor())

    async def execute(self, operation: str, parameters: Sequence[Any] | None = None) -> _Cursor:
        return await self.cursor().execute(operation, parameters)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def create_function(self, *args: Any, **kw: Any) -> None:
        self._conn.create_function(*args, **kw)

    async def close(self) -> None:
        self._conn.close()

    def stop(self) -> None:
        self._conn.close()


def connect(path: str) -> Callable[[], Awaitable[Connection]]:
    """An `async_creator` for `create_async_engine`: a new inline connection to `path`."""

    async def creator() -> Connection:
        # Used from the event loop's thread only; closed from it too, or at exit.
        return Connection(sqlite3.connect(path, check_same_thread=False))

    return creator

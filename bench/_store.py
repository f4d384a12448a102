"""The benchmarks' databases: a SQLite file, or a schema of its own in a PostgreSQL
database (`--database-url postgresql://…`), migrated as `laeringsbot migrate` does and
then written with plain SQL (`?` placeholders, on both), fast enough for 100,000 rows."""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.storage.db import _driver_url, is_sqlite, upgrade


def fresh(base: str | None, tmp: Path, name: str) -> str:
    """A new, migrated database for one measurement: `tmp`/`name`.db, or the schema
    `bench_<name>` of the PostgreSQL database `base` (dropped and made anew)."""
    if base is None or is_sqlite(base):
        url = f"sqlite:///{tmp / name}.db"
    else:
        schema = f"bench_{name}"
        with create_engine(_driver_url(base, asynchronous=False)).begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    upgrade(url)
    return url


@functools.cache
def _engine(url: str) -> Engine:
    return create_engine(_driver_url(url, asynchronous=False))


def _sql(url: str, sql: str) -> str:
    return sql if is_sqlite(url) else sql.replace("%", "%%").replace("?", "%s")


def moment(url: str, at: datetime) -> Any:
    """A moment as the bot's columns hold it: SQLAlchemy's text on SQLite, a timestamp on PostgreSQL."""
    return at.strftime("%Y-%m-%d %H:%M:%S.%f") if is_sqlite(url) else at


def write(url: str, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """`sql` once for each of `rows`, in one transaction."""
    if rows:
        with _engine(url).begin() as conn:
            conn.exec_driver_sql(_sql(url, sql), [tuple(r) for r in rows])


def one(url: str, sql: str, *params: Any) -> Any:
    """The first column of the first row of `sql`."""
    with _engine(url).connect() as conn:
        return conn.exec_driver_sql(_sql(url, sql), tuple(params)).scalar()


def column(url: str, sql: str, *params: Any) -> list[Any]:
    with _engine(url).connect() as conn:
        return list(conn.exec_driver_sql(_sql(url, sql), tuple(params)).scalars())


def done_writing(url: str, tables: Sequence[str]) -> None:
    """After rows written with their ids: PostgreSQL's sequences past them, and its
    statistics as autovacuum would have them by now (SQLite: nothing to do)."""
    if is_sqlite(url):
        return
    with _engine(url).begin() as conn:
        for table in tables:
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
        conn.execute(text("ANALYZE"))


def place_overview(url: str) -> None:
    """After rows written around the ORM: the overview's stored places of the contracts
    (`overviewentry`), as the bot's first start after the upgrade writes them."""
    asyncio.run(place_overview_async(url))


async def place_overview_async(url: str) -> None:
    """`place_overview` for a caller in an event loop."""
    from bot.app import Runtime
    from bot.flows.overview_store import REBUILT
    from bot.settings import Settings

    runtime = Runtime(Settings(_env_file=None, database_url=url))
    try:
        async with runtime.db.transaction() as s:  # seeded again: placed again
            await s.exec(text("DELETE FROM maintenancerun WHERE name = :name").bindparams(name=REBUILT))
        await runtime.store_overview()
    finally:
        await runtime.db.dispose()

"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set), migrated with the real Alembic migrations."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from bot.storage.db import upgrade


def _postgres_schema_url(base: str) -> str:
    """A schema of this test process's own, so that parallel runs on one database never meet."""
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{_schema()}"


def _schema() -> str:
    return f"lb_test_{os.getpid()}"


def _engine(base: str) -> Engine:
    return create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))


# Migrating costs most of a short test's time, so each test process migrates once: a SQLite file
# copied for every test, a PostgreSQL schema emptied (every table, identities reset) for every test.
_MIGRATED: dict[str, Path | str] = {}


def _fresh_sqlite(target: Path, tmp_root: Path) -> str:
    template = _MIGRATED.get("sqlite")
    if template is None:
        template = tmp_root / "migrated.db"
        upgrade(f"sqlite:///{template}")
        _MIGRATED["sqlite"] = template
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def _fresh_postgres(base: str) -> str:
    url = _postgres_schema_url(base)
    engine = _engine(base)
    try:
        with engine.begin() as conn:
            if "postgres" not in _MIGRATED:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{_schema()}" CASCADE'))
                conn.execute(text(f'CREATE SCHEMA "{_schema()}"'))
            else:
                tables = (
                    conn.execute(
                        text(
                            "SELECT tablename FROM pg_tables"
                            " WHERE schemaname = :schema AND tablename <> 'alembic_version'"
                        ),
                        {"schema": _schema()},
                    )
                    .scalars()
                    .all()
                )
                if tables:
                    names = ", ".join(f'"{_schema()}"."{t}"' for t in tables)
                    conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()
    if "postgres" not in _MIGRATED:
        upgrade(url)
        _MIGRATED["postgres"] = url
    return url


@pytest.fixture
def database_url(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database, migrated to head with the real Alembic migrations."""
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        yield _fresh_postgres(base)
    else:
        yield _fresh_sqlite(tmp_path / "test.db", tmp_path_factory.getbasetemp())

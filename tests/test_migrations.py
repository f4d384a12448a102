"""The migrations build exactly the tables the models describe (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from bot.storage import models  # noqa: F401  (registers the tables)
from bot.storage.db import _driver_url


def test_the_migrated_schema_is_the_models_schema(database_url: str) -> None:
    engine = create_engine(_driver_url(database_url, asynchronous=False))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_the_migrations_end_in_one_head() -> None:
    """Branches built side by side are joined by a merge revision before they are released."""
    from alembic.script import ScriptDirectory

    from bot.storage.db import alembic_config

    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, heads

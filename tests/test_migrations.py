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


def test_a_series_kept_from_before_the_channel_name_goes_down_and_up_again(database_url: str) -> None:
    """0009: a series made before has no channel name; downgrading drops the column and keeps the
    series, and upgrading again gives it back empty (filled by the next command in the channel)."""
    from alembic import command
    from sqlalchemy import inspect, text

    from bot.storage.db import alembic_config

    engine = create_engine(_driver_url(database_url, asynchronous=False))
    config = alembic_config(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO person (id, platform, external_id, display_name, is_bot, created_at)"
                    " VALUES (1, 'slack', 'ULISE', 'Lise', false, CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO meetingseries (id, platform, channel, channel_name, creator_id, facilitator_ids,"
                    " weekday, hour, minute, timezone, interval_weeks, length_minutes, first_date, language,"
                    " status, created_at) VALUES (1, 'slack', 'CTEAM', 'sygeplejen', 1, '[1]', 1, 9, 0,"
                    " 'Europe/Copenhagen', 2, 30, '2027-03-09', 'da', 'active', CURRENT_TIMESTAMP)"
                )
            )
        command.downgrade(config, "0008_workspaces")
        with engine.connect() as connection:
            assert "channel_name" not in {c["name"] for c in inspect(connection).get_columns("meetingseries")}
            assert "staff_meeting_at" not in {c["name"] for c in inspect(connection).get_columns("visit")}
            assert connection.execute(text("SELECT channel FROM meetingseries")).scalars().all() == ["CTEAM"]
        command.upgrade(config, "head")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT channel, channel_name FROM meetingseries")).all()
            assert [tuple(r) for r in rows] == [("CTEAM", None)]
    finally:
        engine.dispose()

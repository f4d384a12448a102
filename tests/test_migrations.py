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


def test_a_meeting_kept_with_its_one_case_person_keeps_the_case_across_0010(database_url: str) -> None:
    """0010: the occurrence's one case person and title move to a row of meetingcase; downgrading
    gives the first who pressed back to the occurrence, and upgrading again keeps it."""
    from alembic import command
    from sqlalchemy import inspect, text

    from bot.storage.db import alembic_config

    engine = create_engine(_driver_url(database_url, asynchronous=False))
    config = alembic_config(database_url)
    try:
        command.downgrade(config, "0009_series_channel_name")
        with engine.begin() as connection:
            assert "meetingcase" not in inspect(connection).get_table_names()
            for id_, name in ((1, "Lise"), (2, "Anna")):
                connection.execute(
                    text(
                        "INSERT INTO person (id, platform, external_id, display_name, is_bot, created_at)"
                        " VALUES (:id, 'slack', :ext, :name, false, CURRENT_TIMESTAMP)"
                    ),
                    {"id": id_, "ext": f"U{name.upper()}", "name": name},
                )
            connection.execute(
                text(
                    "INSERT INTO meetingseries (id, platform, channel, creator_id, facilitator_ids,"
                    " weekday, hour, minute, timezone, interval_weeks, length_minutes, first_date, language,"
                    " status, created_at) VALUES (1, 'slack', 'CTEAM', 1, '[1]', 1, 9, 0,"
                    " 'Europe/Copenhagen', 2, 30, '2027-03-09', 'da', 'active', CURRENT_TIMESTAMP)"
                )
            )
            for seq, case_person, title in ((0, 2, "En svær samtale med en pårørende"), (1, None, None)):
                connection.execute(
                    text(
                        "INSERT INTO meetingoccurrence (id, series_id, seq, local_date, starts_at, remind_at,"
                        " status, reminded_at, facilitator_id, case_person_id, case_title, step)"
                        " VALUES (:id, 1, :seq, '2027-03-09', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'planned',"
                        " CURRENT_TIMESTAMP, 1, :case_person, :title, 0)"
                    ),
                    {"id": seq + 1, "seq": seq, "case_person": case_person, "title": title},
                )
        command.upgrade(config, "head")
        with engine.connect() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("meetingoccurrence")}
            assert "case_person_id" not in columns and "case_title" not in columns
            rows = connection.execute(text("SELECT occurrence_id, person_id, title FROM meetingcase")).all()
            assert [tuple(r) for r in rows] == [(1, 2, "En svær samtale med en pårørende")]
        with engine.begin() as connection:  # a second case person at the first meeting
            connection.execute(
                text(
                    "INSERT INTO meetingcase (occurrence_id, person_id, title, added_at)"
                    " VALUES (1, 1, NULL, CURRENT_TIMESTAMP)"
                )
            )
        command.downgrade(config, "0009_series_channel_name")
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, case_person_id, case_title FROM meetingoccurrence ORDER BY id")
            ).all()
            assert [tuple(r) for r in rows] == [(1, 2, "En svær samtale med en pårørende"), (2, None, None)]
        command.upgrade(config, "head")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT occurrence_id, person_id, title FROM meetingcase")).all()
            assert [tuple(r) for r in rows] == [(1, 2, "En svær samtale med en pårørende")]
    finally:
        engine.dispose()


def test_who_opened_their_app_home_before_0014_keeps_it_followed(database_url: str) -> None:
    """0014: a person's App Home is followed by their row's home_opened_at; whoever had a home
    published before gets the moment of their first, the others none."""
    from alembic import command
    from sqlalchemy import text

    from bot.storage.db import alembic_config

    engine = create_engine(_driver_url(database_url, asynchronous=False))
    config = alembic_config(database_url)
    try:
        command.downgrade(config, "0013_session_person_flow_phase")
        with engine.begin() as connection:
            for id_, name in ((1, "Lise"), (2, "Anna")):
                connection.execute(
                    text(
                        "INSERT INTO person (id, platform, external_id, display_name, is_bot, created_at)"
                        " VALUES (:id, 'slack', :ext, :name, false, CURRENT_TIMESTAMP)"
                    ),
                    {"id": id_, "ext": f"U{name.upper()}", "name": name},
                )
            for id_, kind, person, created in (
                (1, "home", 1, "2026-03-02 09:00:00"),
                (2, "home", 1, "2026-05-04 10:00:00"),
                (3, "post", 2, "2026-03-02 09:00:00"),
            ):
                connection.execute(
                    text(
                        "INSERT INTO outboxmessage (id, platform, kind, person_id, language, payload, lane,"
                        " status, attempts, next_attempt_at, created_at)"
                        " VALUES (:id, 'slack', :kind, :person, 'da', '{}', '', 'sent', 1, :at, :at)"
                    ),
                    {"id": id_, "kind": kind, "person": person, "at": created},
                )
        command.upgrade(config, "head")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, home_opened_at FROM person ORDER BY id")).all()
        assert [(r[0], str(r[1])[:16] if r[1] is not None else None) for r in rows] == [
            (1, "2026-03-02 09:00"),
            (2, None),
        ]
    finally:
        engine.dispose()

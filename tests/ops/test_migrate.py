"""`laeringsbot migrate` as a deploy step, and `serve` refusing a database it has not run on."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect

from bot.storage import schema
from bot.storage.db import _driver_url
from tests.ops.support import cli, empty_database, popen


def test_instances_migrating_at_once_never_race(tmp_path: Path) -> None:
    with empty_database(tmp_path, "race") as url:
        # Three instances of a deploy start at the same moment on an empty database.
        processes = [popen("migrate", cwd=tmp_path, DATABASE_URL=url) for _ in range(3)]
        outputs = [p.communicate(timeout=120)[0] for p in processes]
        assert [p.returncode for p in processes] == [0, 0, 0], "\n\n".join(outputs)
        # One of them migrated; the others waited for it and found nothing to do.
        assert sum("Migrated the database from empty" in out for out in outputs) == 1, outputs
        assert sum("nothing to do" in out for out in outputs) == 2, outputs
        assert schema.state(url).verdict == schema.AT_HEAD
        engine = create_engine(_driver_url(url, asynchronous=False))
        try:
            assert {"inboxevent", "outboxmessage", "contract"} <= set(inspect(engine).get_table_names())
        finally:
            engine.dispose()


def test_serve_refuses_a_database_that_is_behind_and_serves_it_once_migrated(tmp_path: Path) -> None:
    credentials = {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": "secret", "PORT": "9"}
    with empty_database(tmp_path, "behind") as url:
        refused = cli("serve", cwd=tmp_path, DATABASE_URL=url, **credentials)
        assert refused.returncode == 3, refused.stdout + refused.stderr
        assert "The database schema is behind (database: empty;" in refused.stderr
        assert "run `laeringsbot migrate` first" in refused.stderr
        assert "listens on" not in refused.stdout

        migrated = cli("migrate", cwd=tmp_path, DATABASE_URL=url)
        assert migrated.returncode == 0, migrated.stderr
        assert schema.state(url).describe() == f"at head (database: {', '.join(sorted(schema.heads()))}; " + (
            f"this version: {', '.join(sorted(schema.heads()))})"
        )
        again = cli("migrate", cwd=tmp_path, DATABASE_URL=url)
        assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout + again.stderr


def test_a_revision_of_a_newer_release_is_ahead_not_behind() -> None:
    newer = schema.SchemaState(current=frozenset({"9999_from_a_newer_release"}), heads=schema.heads())
    assert newer.verdict == schema.AHEAD and not newer.behind
    older = schema.SchemaState(current=frozenset({"0001"}), heads=schema.heads())
    assert older.verdict == schema.BEHIND
    assert schema.SchemaState(current=frozenset(), heads=schema.heads()).behind

"""Where a database's schema stands against this version's migrations.

`serve` refuses a database that is behind (the migrations are `laeringsbot migrate`'s job, run
once per deploy under a lock), and `/readyz` says so. A database that is *ahead* carries a
revision this version does not know: a newer release has migrated it during a rolling deploy,
and this instance is about to be replaced. It is served (migrations add, they do not take
away what older code reads), and said.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from bot.storage.db import _driver_url, alembic_config

AT_HEAD, BEHIND, AHEAD = "at head", "behind", "ahead"


@dataclass(frozen=True)
class SchemaState:
    current: frozenset[str]  # the revisions in alembic_version (none: an empty database)
    heads: frozenset[str]  # this version's newest revisions

    @property
    def verdict(self) -> str:
        if self.current == self.heads:
            return AT_HEAD
        scripts = _scripts()
        for revision in self.current:
            try:
                if scripts.get_revision(revision) is None:
                    return AHEAD
            except CommandError:  # a revision of a newer release
                return AHEAD
        return BEHIND

    @property
    def behind(self) -> bool:
        return self.verdict == BEHIND

    def describe(self) -> str:
        current = ", ".join(sorted(self.current)) or "empty"
        return f"{self.verdict} (database: {current}; this version: {', '.join(sorted(self.heads))})"


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def heads() -> frozenset[str]:
    return frozenset(_scripts().get_heads())


def state_of(connection: Connection) -> SchemaState:
    """On a sync connection (or inside AsyncConnection.run_sync)."""
    return SchemaState(frozenset(MigrationContext.configure(connection).get_current_heads()), heads())


def state(url: str) -> SchemaState:
    """Connects, reads alembic_version, disconnects. Raises when the database is unreachable."""
    engine = create_engine(_driver_url(url, asynchronous=False), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return state_of(connection)
    finally:
        engine.dispose()

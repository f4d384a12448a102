"""Slack installations in many workspaces, kept in the bot's own database.

The installations and bot tokens are slack_sdk's own `AsyncSQLAlchemyInstallationStore`
on the bot's async engine: its tables (`slack_installations`, `slack_bots`) are declared
on the models' metadata as slack_sdk builds them (bot/storage/models.py), so the Alembic
migration creates them (0008_workspaces) and the schema test compares them like every
other table.

What the store keeps of the installer is cut to nothing (no user id, no user token): the
bot asks for no user scopes, and a person's id in a table no erasure reads would outlive
`slet-mine-data`.

The OAuth state is the bot's own table rather than slack_sdk's state store: a state is
consumed by one DELETE … RETURNING, so two callbacks with one state cannot both pass
(slack_sdk's reads, then deletes), and its expiry is the bot's clock, not `time.time()`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import delete, desc, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.models import SLACK_BOTS, SLACK_INSTALLATIONS, SlackOAuthState, table_of


class InstallationStore(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's store, keeping nothing of the person who installed."""

    def __init__(self, client_id: str, engine: AsyncEngine) -> None:
        super().__init__(client_id, engine, bots_table_name=SLACK_BOTS, installations_table_name=SLACK_INSTALLATIONS)

    async def async_save(self, installation: Installation) -> None:
        installation.user_id = ""  # a required column; no one in particular
        installation.user_token = installation.user_scopes = installation.user_refresh_token = None
        installation.user_token_expires_at = None
        await super().async_save(installation)


class StateStore(AsyncOAuthStateStore):
    """One state per "Add to Slack" press: issued with an expiry on the bot's clock, used once."""

    def __init__(self, engine: AsyncEngine, now: Callable[[], datetime], lifetime: timedelta) -> None:
        self.engine, self.now, self.lifetime = engine, now, lifetime

    async def async_issue(self, *args: object, **kwargs: object) -> str:
        state = secrets.token_urlsafe(32)
        table = table_of(SlackOAuthState)
        now = self.now()
        async with self.engine.begin() as conn:
            await conn.execute(delete(table).where(table.c.expires_at <= now))  # the abandoned ones
            await conn.execute(insert(table).values(state=state, expires_at=now + self.lifetime))
        return state

    async def async_consume(self, state: str) -> bool:
        if not state or len(state) > 64:
            return False
        table = table_of(SlackOAuthState)
        async with self.engine.begin() as conn:
            taken = await conn.execute(delete(table).where(table.c.state == state).returning(table.c.expires_at))
            expires_at = taken.scalar_one_or_none()
        return expires_at is not None and expires_at > self.now()


@dataclass(frozen=True)
class Workspace:
    team_id: str
    bot_token: str
    bot_user_id: str | None


class Workspaces:
    """The installed workspaces' bot tokens, by team id."""

    def __init__(self, store: InstallationStore) -> None:
        self.store = store

    async def find(self, team_id: str | None) -> Workspace | None:
        if not team_id:
            return None
        bots = self.store.bots
        query = (
            select(bots.c.team_id, bots.c.bot_token, bots.c.bot_user_id)
            .where(bots.c.client_id == self.store.client_id, bots.c.team_id == team_id, bots.c.bot_token.is_not(None))
            .order_by(desc(bots.c.installed_at))
            .limit(1)
        )
        async with self.store.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return Workspace(row.team_id, row.bot_token, row.bot_user_id) if row is not None else None

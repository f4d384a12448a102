"""Conversation references and people, as Teams has shown them to the bot.

Written when an activity arrives (installs, conversationUpdate, every message),
read when the bot writes first: a proactive message needs the service URL,
the tenant and the conversation id, and survives restarts only if they are in
the database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.storage.db import Database
from bot.storage.models import TeamsConversation, TeamsUser
from bot.teams import inbound


class References:
    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self.db, self.now = db, now

    async def remember(self, activity: dict[str, Any]) -> None:
        """Keep what an activity tells; run twice if a concurrent first sighting wins the insert."""
        for attempt in (1, 2):
            try:
                await self._remember(activity)
                return
            except IntegrityError:
                if attempt == 2:
                    raise

    async def _remember(self, activity: dict[str, Any]) -> None:
        now = self.now()
        # On the request path, before the acknowledgement: ahead of background work.
        async with self.db.transaction(urgent=True) as s:
            facts = inbound.conversation_of(activity)
            if facts is not None and inbound.uninstalled(activity):
                found = (
                    await s.exec(
                        select(TeamsConversation).where(TeamsConversation.conversation_id == facts.conversation_id)
                    )
                ).first()
                if found is not None:
                    await s.delete(found)
            elif facts is not None:
                row = (
                    await s.exec(
                        select(TeamsConversation).where(TeamsConversation.conversation_id == facts.conversation_id)
                    )
                ).first()
                row = row or TeamsConversation(
                    conversation_id=facts.conversation_id, kind=facts.kind, service_url=facts.service_url
                )
                row.kind, row.service_url, row.updated_at = facts.kind, facts.service_url, now
                for name in ("tenant_id", "bot_id", "user_id", "team_id"):
                    if getattr(facts, name):
                        setattr(row, name, getattr(facts, name))
                s.add(row)
            for user in inbound.users_of(activity):
                known = (await s.exec(select(TeamsUser).where(TeamsUser.user_id == user.user_id))).first()
                known = known or TeamsUser(user_id=user.user_id)
                for name in ("name", "aad_object_id", "tenant_id", "service_url", "locale", "timezone"):
                    if getattr(user, name):
                        setattr(known, name, getattr(user, name))
                known.updated_at = now
                s.add(known)
                await s.flush()

    async def conversation(self, conversation_id: str) -> TeamsConversation | None:
        async with self.db.transaction() as s:
            return (
                await s.exec(select(TeamsConversation).where(TeamsConversation.conversation_id == conversation_id))
            ).first()

    async def personal(self, user_id: str) -> TeamsConversation | None:
        async with self.db.transaction() as s:
            return (
                await s.exec(
                    select(TeamsConversation)
                    .where(TeamsConversation.user_id == user_id, TeamsConversation.kind == "personal")
                    .order_by(col(TeamsConversation.updated_at).desc())
                )
            ).first()

    async def user(self, user_id: str) -> TeamsUser | None:
        async with self.db.transaction() as s:
            return (await s.exec(select(TeamsUser).where(TeamsUser.user_id == user_id))).first()

    async def save_personal(self, user: TeamsUser, conversation_id: str, bot_id: str) -> TeamsConversation:
        row = TeamsConversation(
            conversation_id=conversation_id,
            kind="personal",
            service_url=user.service_url or "",
            tenant_id=user.tenant_id,
            bot_id=bot_id,
            user_id=user.user_id,
            updated_at=self.now(),
        )
        try:
            async with self.db.transaction() as s:
                existing = (
                    await s.exec(select(TeamsConversation).where(TeamsConversation.conversation_id == conversation_id))
                ).first()
                if existing is not None:
                    return existing
                s.add(row)
        except IntegrityError:
            found = await self.conversation(conversation_id)
            assert found is not None
            return found
        return row

"""`laeringsbot person export|erase <platform> <user id>`: for the data protection officer's
requests about someone who has left and can no longer use the chat.

The same export and erasure as the person's own `mine-data` and `slet-mine-data`
(`bot/flows/personal.py`), run on the database while the bots run: an erasure stops the
person's live contracts, and what it tells the other parties waits in the outbox for a
running instance to send. Both are written to the audit, as the person's own are.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import col, select

from bot.flows.context import Context, Texts
from bot.flows.router import Router
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.models import Person


class NoSuchPerson(LookupError):
    """No one of that platform and user id (or only a tombstone of someone erased)."""


async def _find(db: Database, platform: str, user_id: str) -> Person | None:
    async with db.transaction() as s:
        found: Person | None = (
            await s.exec(
                select(Person).where(
                    Person.platform == platform, Person.external_id == user_id, col(Person.deleted_at).is_(None)
                )
            )
        ).first()
        return found


async def export(settings: Settings, texts: Texts, platform: str, user_id: str, folder: Path) -> list[Path]:
    """Write the person's two files (JSON and Markdown) into `folder`; their paths."""
    db = Database(settings.database_url)
    try:
        if await _find(db, platform, user_id) is None:
            raise NoSuchPerson(f"{platform} {user_id}")
        async with db.flow_transaction() as s:
            await db.serialize(s)
            person = (
                await s.exec(select(Person).where(Person.platform == platform, Person.external_id == user_id))
            ).one()
            ctx = Context(db=s, now=datetime.now(UTC), settings=settings, texts=texts)
            data, markdown = await Router().personal.files(ctx, person)
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"laeringsbot-{platform}-{user_id}".replace("/", "_").replace(":", "_")
        paths = [folder / f"{stem}.json", folder / f"{stem}.md"]
        paths[0].write_bytes(data)
        paths[1].write_bytes(markdown)
        return paths
    finally:
        await db.dispose()


async def erase(settings: Settings, texts: Texts, platform: str, user_id: str) -> None:
    db = Database(settings.database_url)
    try:
        if await _find(db, platform, user_id) is None:
            raise NoSuchPerson(f"{platform} {user_id}")
        async with db.flow_transaction() as s:
            await db.serialize(s)
            person = (
                await s.exec(
                    select(Person)
                    .where(Person.platform == platform, Person.external_id == user_id)
                    .where(col(Person.deleted_at).is_(None))
                    .with_for_update()
                )
            ).one()
            ctx = Context(db=s, now=datetime.now(UTC), settings=settings, texts=texts)
            await Router().personal.erase_now(ctx, person)
    finally:
        await db.dispose()

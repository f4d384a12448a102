"""`laeringsbot person export|erase <platform> <user id>`: for the data protection officer's
requests about someone who has left and can no longer use the chat.

The same export and erasure as the person's own `mine-data` and `slet-mine-data`
(`bot/flows/personal.py`), run on the database while the bots run: an erasure stops the
person's live contracts, and what it tells the other parties waits in the outbox for a
running instance to send. Both are written to the audit, as the person's own are.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flows.context import Context, Texts
from bot.flows.router import Router
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.models import Person


class NoSuchPerson(LookupError):
    """No one of that platform and user id (or only a tombstone of someone erased)."""


async def _person(s: AsyncSession, platform: str, user_id: str) -> Person:
    """The person (not a tombstone of someone erased), locked for the change; or NoSuchPerson."""
    found: Person | None = (
        await s.exec(
            select(Person)
            .where(Person.platform == platform, Person.external_id == user_id, col(Person.deleted_at).is_(None))
            .with_for_update()
        )
    ).first()
    if found is None:
        raise NoSuchPerson(f"{platform} {user_id}")
    return found


@asynccontextmanager
async def _flows(settings: Settings, texts: Texts) -> AsyncIterator[tuple[Context, Router]]:
    """One flow transaction on the database, as the bot's own handlers get it."""
    db = Database(settings.database_url)
    try:
        async with db.flow_transaction() as s:
            await db.serialize(s)
            yield Context(db=s, now=datetime.now(UTC), settings=settings, texts=texts), Router()
    finally:
        await db.dispose()


async def export(settings: Settings, texts: Texts, platform: str, user_id: str, folder: Path) -> list[Path]:
    """Write the person's two files (JSON and Markdown) into `folder`; their paths."""
    async with _flows(settings, texts) as (ctx, router):
        data, markdown = await router.personal.files(ctx, await _person(ctx.db, platform, user_id))
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"laeringsbot-{platform}-{user_id}".replace("/", "_").replace(":", "_")
    paths = [folder / f"{stem}.json", folder / f"{stem}.md"]
    paths[0].write_bytes(data)
    paths[1].write_bytes(markdown)
    return paths


async def erase(settings: Settings, texts: Texts, platform: str, user_id: str) -> None:
    async with _flows(settings, texts) as (ctx, router):
        await router.personal.erase_now(ctx, await _person(ctx.db, platform, user_id))

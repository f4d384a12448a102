"""The inbox: every request is a row before it is acknowledged, and is
processed from the database, once.

A retried or redelivered request has the same `dedupe_key` and is stored once.
Processing a row and the messages it causes commit in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select

from bot.core.events import CommandIn, Incoming, MessageIn
from bot.flows.context import Context, Texts
from bot.flows.router import Router
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.models import InboxEvent, Person
from bot.workers.platform import Platform

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
STORE_BATCH = 200
# Acknowledgements go first: while requests keep arriving, processing (which is
# durable in the inbox) waits for a short lull, but never longer than MAX_DEFER.
QUIET = 0.01
MAX_DEFER = 0.25
PROFILE_MAX_AGE = timedelta(days=1)


class Inbox:
    def __init__(self, db: Database, settings: Settings, texts: Texts, router: Router,
                 platforms: dict[str, Platform], now: Callable[[], datetime],
                 on_processed: Callable[[], None]) -> None:
        self.db, self.settings, self.texts, self.router = db, settings, texts, router
        self.platforms, self.now, self.on_processed = platforms, now, on_processed
        self.wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._last_store = 0.0

    async def store(self, platform: str, dedupe_key: str, kind: str, payload: dict[str, Any]) -> bool:
        """Write a request down; False if it was there already (a retry).

        Requests that arrive while a write is under way are written together, in one
        INSERT … ON CONFLICT DO NOTHING: each caller still returns only once its row is
        committed, and still learns whether it was a duplicate.
        """
        loop = asyncio.get_running_loop()
        self._last_store = loop.time()
        done: asyncio.Future[bool] = loop.create_future()
        row = {"platform": platform, "dedupe_key": dedupe_key[:255], "kind": kind, "payload": payload,
               "status": "pending", "attempts": 0, "received_at": self.now()}
        self._waiting.append((row, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting())
        return await done

    async def _write_waiting(self) -> None:
        table = InboxEvent.__table__
        while self._waiting:
            batch, self._waiting = self._waiting[:STORE_BATCH], self._waiting[STORE_BATCH:]
            try:
                async with self.db.transaction() as s:
                    statement = (self.db.insert(table).values([row for row, _ in batch])
                                 .on_conflict_do_nothing(index_elements=["dedupe_key"])
                                 .returning(table.c.dedupe_key))
                    result = await (await s.connection()).execute(statement)
                    inserted = set(result.scalars().all())
            except Exception as exc:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for row, done in batch:
                done.set_result(row["dedupe_key"] in inserted)
                inserted.discard(row["dedupe_key"])  # a second copy in the same batch is a retry
            self.wake.set()

    async def run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=self.settings.clock_interval_seconds)
            except TimeoutError:
                pass
            self.wake.clear()
            try:
                await self.process_pending()
            except Exception:  # keep the loop alive; the row stays pending
                log.exception("inbox processing failed")
                await asyncio.sleep(1)

    async def process_pending(self) -> int:
        """Process pending rows in arrival order until none is left."""
        done = 0
        async with self._lock:
            while True:
                async with self.db.transaction() as s:
                    row = (await s.exec(select(InboxEvent).where(InboxEvent.status == "pending")
                                        .order_by(col(InboxEvent.id)).limit(1))).first()
                if row is None:
                    return done
                await self.lull()
                await self._process(row)
                done += 1

    async def lull(self) -> None:
        """Wait for a lull in arriving requests (at most MAX_DEFER), so a burst is
        acknowledged at full speed and processed right after."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        while loop.time() - self._last_store < QUIET and loop.time() - started < MAX_DEFER:
            await asyncio.sleep(QUIET)

    async def _process(self, row: InboxEvent) -> None:
        platform = self.platforms.get(row.platform)
        try:
            event = platform.translate(row.kind, row.payload) if platform else None
            people = await self._people(platform, event) if event and platform else {}
            async with self.db.transaction() as s:
                claimed = (await s.exec(select(InboxEvent).where(InboxEvent.id == row.id,
                                                                 InboxEvent.status == "pending")
                                        .with_for_update(skip_locked=True))).first()
                if claimed is None:
                    return  # another instance took it
                if event is not None and event.user in people:
                    # The same people, as rows of this transaction (one query, not one each).
                    people = {p.external_id: p for p in (await s.exec(select(Person).where(
                        Person.platform == row.platform, col(Person.external_id).in_(list(people))))).all()}
                    ctx = Context(db=s, now=self.now(), settings=self.settings, texts=self.texts)
                    await self.router.handle(ctx, event, people)
                claimed.status, claimed.processed_at = "done", self.now()
                s.add(claimed)
        except Exception as exc:
            log.exception("inbox event %s failed", row.id)
            async with self.db.transaction() as s:
                again = await s.get(InboxEvent, row.id)
                if again is not None and again.status == "pending":
                    again.attempts += 1
                    again.error = repr(exc)[:2000]
                    if again.attempts >= MAX_ATTEMPTS:
                        again.status = "failed"
                    s.add(again)
            return
        self.on_processed()

    async def _people(self, platform: Platform, event: Incoming) -> dict[str, Person]:
        """The people an event names, known and fresh; unknown mentions are left out."""
        ids = [event.user, *(event.mentions if isinstance(event, (CommandIn, MessageIn)) else ())]
        found: dict[str, Person] = {}
        async with self.db.transaction() as s:
            for person in (await s.exec(select(Person).where(
                    Person.platform == platform.name, col(Person.external_id).in_(ids)))).all():
                found[person.external_id] = person
        now = self.now()
        # A platform whose profiles cost nothing to read (Teams: what its own activities said) asks every time.
        max_age: timedelta = getattr(platform, "profile_max_age", PROFILE_MAX_AGE)
        for external_id in dict.fromkeys(ids):
            known = found.get(external_id)
            if known and known.profile_refreshed_at and now - known.profile_refreshed_at < max_age:
                continue
            profile = await platform.profile(external_id)
            if profile is None and external_id != event.user:
                continue
            async with self.db.transaction() as s:
                person = (await s.exec(select(Person).where(
                    Person.platform == platform.name, Person.external_id == external_id))).first()
                person = person or Person(platform=platform.name, external_id=external_id,
                                          display_name=external_id, created_at=now)
                if profile is not None:
                    person.display_name = profile.display_name or external_id
                    person.platform_locale, person.timezone = profile.locale, profile.timezone
                    person.is_bot, person.team_id = profile.is_bot, profile.team_id
                    person.reachable = profile.reachable
                    person.profile_refreshed_at = now
                s.add(person)
            found[external_id] = person
        return found

"""The outbox: messages are rows until the platform has taken them.

Rows to one person or channel go out in order; a failure holds back the rows
behind it, and the row is tried again later with backoff, for as long as the
failure is temporary. Rows are leased while being sent, so a second instance
does not send them too, and a crashed sender's rows are taken up again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlmodel import col, func, select

from bot.storage.db import Database
from bot.files import FileLinks
from bot.storage.models import OutboxMessage, Person, StoredFile
from bot.workers.platform import Delivered, OutgoingFile, PermanentFailure, Platform, TemporaryFailure

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
BATCH = 200
# Lanes sent at once (the OUTBOX_LANES setting): enough to overlap the platform's latency;
# each lane waits for a lull in the requests first, so acknowledgements still go first.
LANES_AT_ONCE = 32
MAX_BACKOFF = timedelta(hours=1)


def lane(row: OutboxMessage) -> str:
    """Rows in one lane go out in order: one person's, or one channel's."""
    return lane_of(row.person_id, row.channel, row.response_url)


def lane_of(person_id: int | None, channel: str | None, response_url: str | None) -> str:
    return f"person:{person_id}" if person_id else f"channel:{channel or response_url}"


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=5 * 2 ** min(attempts, 12)), MAX_BACKOFF)


class Outbox:
    def __init__(self, db: Database, platforms: dict[str, Platform], now: Callable[[], datetime],
                 interval: float, lull: Callable[[], Awaitable[None]] | None = None,
                 lanes: int = LANES_AT_ONCE) -> None:
        self.db, self.platforms, self.now, self.interval = db, platforms, now, interval
        # Waits while requests are arriving, so acknowledging them goes first.
        self.lull = lull
        # Signs the download links of file rows (set at start-up, once the key is known).
        self.links: FileLinks | None = None
        self.wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._lanes = asyncio.Semaphore(lanes)

    async def run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=self.interval)
            except TimeoutError:
                pass
            self.wake.clear()
            try:
                await self.send_due()
            except Exception:
                log.exception("outbox sending failed")
                await asyncio.sleep(1)

    async def send_due(self) -> int:
        """Send what is due until nothing is; returns how many rows were sent."""
        sent = 0
        async with self._lock:
            while True:
                if self.lull is not None:
                    await self.lull()
                batch = await self._claim()
                if not batch:
                    return sent
                lanes: dict[str, list[OutboxMessage]] = defaultdict(list)
                for row in batch:
                    lanes[lane(row)].append(row)
                results = await asyncio.gather(*(self._lane(rows) for rows in lanes.values()))
                sent += sum(results)
                if sum(results) == 0:
                    return sent

    async def _claim(self) -> list[OutboxMessage]:
        now = self.now()
        async with self.db.transaction() as s:
            rows = list((await s.exec(
                select(OutboxMessage)
                .where(col(OutboxMessage.status).in_(("pending", "sending")),
                       col(OutboxMessage.next_attempt_at) <= now)
                .order_by(col(OutboxMessage.id)).limit(BATCH)
                .with_for_update(skip_locked=True))).all())
            # Keep order per target: nothing overtakes an earlier row that is not due yet.
            # One row per waiting lane (its first row), however many rows are backing off.
            waiting = (await s.exec(
                select(OutboxMessage.person_id, OutboxMessage.channel, OutboxMessage.response_url,
                       func.min(OutboxMessage.id))
                .where(col(OutboxMessage.status).in_(("pending", "sending")),
                       col(OutboxMessage.next_attempt_at) > now)
                .group_by(col(OutboxMessage.person_id), col(OutboxMessage.channel),
                          col(OutboxMessage.response_url)))).all()
            first_waiting: dict[str, int] = {}
            for person_id, channel, response_url, first in waiting:
                key = lane_of(person_id, channel, response_url)
                first_waiting[key] = min(first, first_waiting.get(key, first))
            taken = [r for r in rows if r.id < first_waiting.get(lane(r), r.id + 1)]
            for row in taken:
                row.status, row.next_attempt_at = "sending", now + LEASE
                s.add(row)
        return taken

    async def _lane(self, rows: list[OutboxMessage]) -> int:
        async with self._lanes:
            if self.lull is not None:
                await self.lull()
            return await self._send_lane(rows)

    async def _send_lane(self, rows: list[OutboxMessage]) -> int:
        sent = 0
        for index, row in enumerate(rows):
            outcome = await self._send(row)
            if outcome is None:
                # Held back: release what follows in this lane for a later round.
                await self._release(rows[index + 1:], row.next_attempt_at)
                break
            sent += outcome
        return sent

    async def _send(self, row: OutboxMessage) -> int | None:
        """1 when sent, 0 when given up, None when it must wait."""
        platform = self.platforms.get(row.platform)
        original = None
        # An update replaces an earlier post, a reply goes into its thread: both wait for it.
        if row.kind in ("update", "reply") and row.update_ref and row.update_ref.startswith("outbox:"):
            async with self.db.transaction() as s:
                original = await s.get(OutboxMessage, int(row.update_ref.split(":", 1)[1]))
            if original is not None and original.status != "sent":
                if original.status == "failed":
                    await self._finish(row, "failed", error="the message to update was never sent")
                    return 0
                await self._retry(row, "waiting for the message it updates", timedelta(seconds=2))
                return None
        if platform is None:
            await self._retry(row, f"platform {row.platform} is not configured", MAX_BACKOFF)
            return None
        try:
            if row.kind == "file":
                delivered = await self._deliver_file(platform, row)
            else:
                delivered = await platform.deliver(row, original)
        except TemporaryFailure as exc:
            log.warning("outbox %s: %s; will try again", row.id, exc)
            await self._retry(row, str(exc), backoff(row.attempts))
            return None
        except PermanentFailure as exc:
            log.error("outbox %s refused: %s", row.id, exc)
            await self._finish(row, "failed", error=str(exc))
            return 0
        await self._finish(row, "sent", delivered=delivered)
        return 1

    async def _deliver_file(self, platform: Platform, row: OutboxMessage) -> Delivered:
        """A file row: the file from its table, with its signed link, to the platform."""
        async with self.db.transaction() as s:
            stored = (await s.exec(select(StoredFile).where(StoredFile.key == row.payload.get("file")))).first()
            person = await s.get(Person, row.person_id) if row.person_id else None
            if stored is not None and stored.expires_at <= self.now():
                # Sent late (the platform was away): the link gets its whole time from now.
                stored.expires_at = self.now() + (stored.expires_at - stored.created_at)
                s.add(stored)
        if person is not None and person.dm_channel:
            row.channel = person.dm_channel  # learnt from a post since the row was written
        if stored is None:
            raise PermanentFailure("the file is gone (deleted with the person's data)")
        url = self.links.url(stored.key, stored.expires_at) if self.links is not None else None
        return await platform.deliver_file(row, OutgoingFile(
            name=stored.name, title=stored.title, mime=stored.mime, data=stored.data, url=url,
            expires_at=stored.expires_at))

    async def _retry(self, row: OutboxMessage, error: str, wait: timedelta) -> None:
        async with self.db.transaction() as s:
            fresh = await s.get(OutboxMessage, row.id)
            assert fresh is not None
            fresh.status, fresh.attempts = "pending", fresh.attempts + 1
            fresh.next_attempt_at, fresh.last_error = self.now() + wait, error[:2000]
            s.add(fresh)
        row.next_attempt_at = fresh.next_attempt_at

    async def _release(self, rows: list[OutboxMessage], after: datetime) -> None:
        if not rows:
            return
        async with self.db.transaction() as s:
            for row in rows:
                fresh = await s.get(OutboxMessage, row.id)
                if fresh is not None and fresh.status == "sending":
                    fresh.status, fresh.next_attempt_at = "pending", after
                    s.add(fresh)

    async def _finish(self, row: OutboxMessage, status: str, *, error: str | None = None,
                      delivered: Delivered | None = None) -> None:
        async with self.db.transaction() as s:
            fresh = await s.get(OutboxMessage, row.id)
            assert fresh is not None
            fresh.status, fresh.last_error = status, error[:2000] if error else fresh.last_error
            if delivered is not None:
                fresh.sent_at = self.now()
                fresh.sent_channel, fresh.sent_ts = delivered.channel, delivered.message_id
                # The first post to a person tells where their DM is; later ones already go there.
                if (fresh.kind == "post" and fresh.person_id and delivered.channel
                        and fresh.channel != delivered.channel):
                    person = await s.get(Person, fresh.person_id)
                    if person is not None and person.dm_channel != delivered.channel:
                        person.dm_channel = delivered.channel
                        s.add(person)
            s.add(fresh)


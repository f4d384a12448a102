"""The outbox: messages are rows until the platform has taken them.

Rows of one lane (one person's DM, one channel) go out in order, one at a time; lanes
go at once, in this instance and in others (bot/workers/lanes.py). A failure holds back
the rows behind it in its lane only: the row is tried again after the platform's
`Retry-After`, or a backoff, for as long as the failure is temporary; other lanes go on.

Sending once: a row is marked `sending` in the database before the platform call. A row
found in `sending` (its sender died, or the answer was lost) may have reached the
platform, so the platform is asked first (Slack: the post's metadata in the
conversation's history) and it is sent again only if it is not there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, column, or_, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.ids import record_id
from bot.files import FileLinks
from bot.ops import logs
from bot.ops.metrics import Metrics
from bot.storage.db import Database
from bot.storage.models import OUTBOX_WRITTEN, OutboxMessage, OutboxWritten, Person, StoredFile, table_of
from bot.workers.lanes import LaneWorker, Leases, backoff
from bot.workers.pace import Pace
from bot.workers.platform import Delivered, OutgoingFile, PermanentFailure, Platform, TemporaryFailure

log = logging.getLogger(__name__)
# Lanes sent at once (the OUTBOX_LANES setting): enough to overlap the platform's latency.
LANES_AT_ONCE = 32
MAX_BACKOFF = timedelta(minutes=5)
# A send the platform's pace puts this near waits in its lane; a later one lets the lane go
# and comes back as a retry (bot/workers/pace.py).
PACE_WAIT_MOST = 2.0
UNSENT = ("pending", "sending")
# A row being sent: the row, the post it updates or replies to, and whether an earlier
# attempt may have reached the platform.
Claim = tuple[OutboxMessage, OutboxMessage | None, bool]


# A lane's next row; built once, its parameter bound at each use (bench/e2e.py: building and
# keying a statement costs more than running it). The statuses are compared one by one: an
# IN of a list is expanded at every run, 33 µs a time (cProfile, bench/e2e.py).
_NEXT = (
    select(OutboxMessage)
    .where(OutboxMessage.lane == bindparam("lane"), or_(*(col(OutboxMessage.status) == status for status in UNSENT)))
    .order_by(col(OutboxMessage.id))
    .limit(2)  # the head, and whether another row follows it
    .with_for_update()
)
_SENDING = update(table_of(OutboxMessage)).where(column("id") == bindparam("row")).values(status="sending")
_SENT = (
    update(table_of(OutboxMessage))
    .where(column("id") == bindparam("row"))
    .values(status="sent", sent_at=bindparam("at"), sent_channel=bindparam("in_channel"), sent_ts=bindparam("ts"))
)


class Outbox(LaneWorker):
    prefix = "out:"
    model = OutboxMessage

    def __init__(
        self,
        db: Database,
        platforms: dict[str, Platform],
        now: Callable[[], datetime],
        leases: Leases | None = None,
        lanes: int = LANES_AT_ONCE,
        metrics: Metrics | None = None,
        paced: bool = True,
    ) -> None:
        super().__init__(db, leases or Leases(db), now, lanes)
        self.paced = paced
        self.platforms = platforms
        self.metrics = metrics or Metrics()
        self.pace = Pace(lambda: self.now().timestamp())
        # Signs the download links of file rows (set at start-up, once the key is known).
        self.links: FileLinks | None = None
        self._claimed: dict[str, Claim] = {}  # lanes' first rows, marked `sending` as they were taken
        # Lanes whose row under way was the last one they had when it was taken (`_finish_in`).
        self._last: set[str] = set()
        # Rows sent, waiting to be written down (`_finish_and_next`), and who writes them.
        self._sent: list[tuple[OutboxMessage, str, Delivered, asyncio.Future[Claim | tuple[None, None, bool]]]] = []
        self._recorder: asyncio.Task[None] | None = None

    # ---- lanes ----------------------------------------------------------------
    def unfinished(self, table: Any) -> Any:
        return table.status.in_(UNSENT)

    def due(self, table: Any) -> Any:
        return table.next_attempt_at <= self.now()

    async def run_lane(self, lane: str) -> None:
        row, original, uncertain = self._claimed.pop(lane, None) or await self._first(lane)
        while row is not None and not self.stopping:
            delivered = await self._send(row, original, uncertain)
            if delivered is None:
                return  # it waits for its retry, and the lane with it
            row, original, uncertain = await self._finish_and_next(row, lane, delivered)

    async def claim(self, s: AsyncSession, lanes: list[str]) -> dict[str, Claim]:
        """In transaction `s`, the one that wrote the rows and took `lanes`: each lane's first
        row, marked as being sent. Handed to `hint` once `s` has committed, a lane sends it
        without a transaction of its own first (one turn on the database fewer per message)."""
        claims: dict[str, Claim] = {}
        for lane in lanes:
            row, original, uncertain = await self._next(s, lane)
            if row is not None:
                claims[lane] = (row, original, uncertain)
        return claims

    def hint(self, lanes: list[str], claims: dict[str, Claim] | None = None) -> None:
        """Lanes this instance now holds, with the rows `claim` marked in the transaction that
        took them (call this only after it committed)."""
        self._claimed.update(claims or {})
        super().hint(lanes)

    async def send_due(self) -> None:
        """Send every row that is due, until none is (tests and the clock)."""
        await self.drain()

    # ---- one row ----------------------------------------------------------------
    async def _first(self, lane: str) -> Claim | tuple[None, None, bool]:
        async with self.db.transaction() as s:
            return await self._next(s, lane)

    async def _next(self, s: AsyncSession, lane: str) -> Claim | tuple[None, None, bool]:
        """In transaction `s`: the lane's next row, marked as being sent, the post it updates
        or replies to, and whether an earlier attempt may have reached the platform. None when
        the lane ran dry (handed back here) or its next row waits."""
        rows = (await s.exec(_NEXT, params={"lane": lane})).all()
        if not rows:
            await self.release_in(s, lane)
            return None, None, False
        row = rows[0]
        if len(rows) == 1:
            self._last.add(lane)
        else:
            self._last.discard(lane)
        if row.next_attempt_at > self.now():
            self.retry_at(row.next_attempt_at)
            return None, None, False
        uncertain = row.status == "sending"
        original = None
        if row.update_ref and row.update_ref.startswith("outbox:") and row.kind in ("update", "reply"):
            number = record_id(row.update_ref.split(":", 1)[1])
            original = await s.get(OutboxMessage, number) if number is not None else None
        if original is None or original.status == "sent":
            # Written around the unit of work (one flush fewer); the row reads as it was written.
            await (await s.connection()).execute(_SENDING, {"row": row.id})
            set_committed_value(row, "status", "sending")
        return row, original, uncertain

    async def _send(self, row: OutboxMessage, original: OutboxMessage | None, uncertain: bool) -> Delivered | None:
        """Send one row; what the platform said, or None when it must wait (the lane ends).
        A row that is given up is finished as failed and stands for Delivered(None)."""
        logs.EVENT.set(f"outbox:{row.id}")
        platform = self.platforms.get(row.platform)
        if platform is None:
            await self._retry(row, f"platform {row.platform} is not configured", MAX_BACKOFF)
            return None
        # An update replaces an earlier post, a reply goes into its thread: both wait for it.
        if original is not None and original.status != "sent":
            if original.status == "failed":
                await self._finish(row, "failed", error="the message to update was never sent")
                return Delivered()
            await self._retry(row, "waiting for the message it updates", timedelta(seconds=2), counts=False)
            return None
        limits = platform.limits(row, original) if self.paced else []
        if limits:
            paced = self.pace.delay(limits)
            if paced > PACE_WAIT_MOST:
                self.metrics.sent(row.platform, "paced")
                await self._retry(
                    row, "keeping the platform's pace", timedelta(seconds=paced), uncertain=uncertain, counts=False
                )
                return None
            if (paced := self.pace.reserve(limits)) > 0:
                await asyncio.sleep(paced)
        try:
            delivered = await platform.delivered_before(row, original) if uncertain else None
            if delivered is not None:
                log.info("outbox %s had reached %s before; not sent again", row.id, row.platform)
                outcome = "found"
            elif row.kind == "file":
                delivered, outcome = await self._deliver_file(platform, row), "sent"
            else:
                delivered, outcome = await platform.deliver(row, original), "sent"
        except TemporaryFailure as exc:
            log.warning("outbox %s: %s; will try again", row.id, exc)
            self.metrics.sent(row.platform, "retry")
            self.metrics.failure(row.platform, exc)
            if exc.retry_after is not None and limits:
                self.pace.hold(limits[:1], exc.retry_after)  # the target waits, the others go on
            wait = (
                timedelta(seconds=exc.retry_after)
                if exc.retry_after is not None
                else backoff(row.attempts + 1, MAX_BACKOFF)
            )
            await self._retry(row, str(exc), wait, uncertain=exc.uncertain or uncertain)
            return None
        except PermanentFailure as exc:
            log.error("outbox %s refused: %s", row.id, exc)
            self.metrics.sent(row.platform, "failed")
            await self._finish(row, "failed", error=str(exc))
            return Delivered()
        self.metrics.sent(row.platform, outcome)
        return delivered

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
        return await platform.deliver_file(
            row,
            OutgoingFile(
                name=stored.name,
                title=stored.title,
                mime=stored.mime,
                data=stored.data,
                url=url,
                expires_at=stored.expires_at,
            ),
        )

    async def _retry(
        self, row: OutboxMessage, error: str, wait: timedelta, *, uncertain: bool = False, counts: bool = True
    ) -> None:
        """Try again after `wait`; `uncertain` keeps it `sending`, so it is looked for first."""
        async with self.db.transaction() as s:
            fresh = await s.get(OutboxMessage, row.id)
            assert fresh is not None
            fresh.status = "sending" if uncertain else "pending"
            fresh.attempts += 1 if counts else 0
            fresh.next_attempt_at, fresh.last_error = self.now() + wait, error[:2000]
            s.add(fresh)
        row.next_attempt_at = fresh.next_attempt_at
        self.retry_at(fresh.next_attempt_at)

    async def _finish(self, row: OutboxMessage, status: str, *, error: str | None = None) -> None:
        async with self.db.transaction() as s:
            fresh = await s.get(OutboxMessage, row.id)
            assert fresh is not None
            fresh.status, fresh.last_error = status, error[:2000] if error else fresh.last_error
            s.add(fresh)
        row.status = status

    async def _finish_and_next(
        self, row: OutboxMessage, lane: str, delivered: Delivered
    ) -> Claim | tuple[None, None, bool]:
        """Write down that the row was sent and take the lane's next row.

        Until this commits, a crash would send the row again where the platform cannot be
        asked (Teams, a response_url): so it goes before queued background work. The rows
        of every lane that were sent while such a transaction ran are written down together,
        in the next one (as the inbox writes requests down): one turn on the database for
        all of them."""
        done: asyncio.Future[Claim | tuple[None, None, bool]] = asyncio.get_running_loop().create_future()
        self._sent.append((row, lane, delivered, done))
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record_sent())
        return await done

    async def _record_sent(self) -> None:
        while self._sent:
            batch, self._sent = self._sent, []
            try:
                async with self.db.transaction(urgent=True) as s:
                    nexts = [await self._finish_in(s, row, lane, delivered) for row, lane, delivered, _ in batch]
            except Exception as exc:  # the database is away: each lane stops, its row stays `sending`
                for *_, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for (*_, done), next_ in zip(batch, nexts, strict=True):
                if not done.done():
                    done.set_result(next_)

    async def _finish_in(
        self, s: AsyncSession, row: OutboxMessage, lane: str, delivered: Delivered
    ) -> Claim | tuple[None, None, bool]:
        """In transaction `s`: the row was sent; the lane's next row."""
        if row.status != "failed":
            sent = {"row": row.id, "at": self.now(), "in_channel": delivered.channel, "ts": delivered.message_id}
            await (await s.connection()).execute(_SENT, sent)
            # The first post to a person tells where their DM is; later ones already go there.
            if row.kind == "post" and row.person_id and delivered.channel and row.channel != delivered.channel:
                person = await s.get(Person, row.person_id)
                if person is not None and person.dm_channel != delivered.channel:
                    person.dm_channel = delivered.channel
                    s.add(person)
                    await s.flush()
        if self.stopping:
            return None, None, False
        if lane in self._last and not self.written_while_held(lane):
            # It was the lane's last row, and nothing was written to the lane here since: it
            # is handed back without looking (one statement fewer a message). A row another
            # instance wrote meanwhile is found by a dispatcher within a second (`POLL`).
            self._last.discard(lane)
            await self.release_in(s, lane)
            return None, None, False
        return await self._next(s, lane)


@contextlib.contextmanager
def collect_outbox_lanes(connection: AsyncConnection) -> Iterator[OutboxWritten]:
    """The lanes of the outbox rows written on `connection` inside the block, and whom they
    were written to."""
    info = connection.info
    written = OutboxWritten()
    info[OUTBOX_WRITTEN] = written
    try:
        yield written
    finally:
        info.pop(OUTBOX_WRITTEN, None)

"""The inbox: every request is a row before it is acknowledged, and is
processed from the database, once.

A retried or redelivered request has the same `dedupe_key` and is stored once.
Processing a row and the messages it causes commit in one transaction.

Rows are processed in lanes (bot/workers/lanes.py): one person's conversation or one
channel thread in order, one row at a time; different lanes at once, in this instance
and in others. A row that cannot be processed because the platform is away (a profile
look-up failed) waits with backoff, its lane behind it, until the platform is back; it is
never dropped for that. A row that raises for another reason is tried a few times, then
set aside as failed, and the person is told.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, column, or_, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.events import Incoming, Profile
from bot.core.messages import Message, Paragraph
from bot.flows.context import Context, Texts
from bot.flows.router import Router
from bot.ops import logs
from bot.ops.metrics import Metrics
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.models import InboxEvent, OutboxWritten, Person, table_of
from bot.workers.lanes import LaneWorker, Leases, backoff
from bot.workers.outbox import Outbox, collect_outbox_lanes
from bot.workers.platform import Platform, TemporaryFailure

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
STORE_BATCH = 200
LANES_AT_ONCE = 64
PROFILE_MAX_AGE = timedelta(days=1)
MAX_BACKOFF = timedelta(seconds=60)


_NEXT, _DRY, _WAIT = "next", "dry", "wait"


class _Refresh(Exception):
    """Rolls the processing transaction back: some people's profiles must be read first."""

    def __init__(
        self, row_id: int, platform: Platform, user: str, ids: list[str], workspace: str | None = None
    ) -> None:
        super().__init__(ids)
        self.row_id, self.platform, self.user, self.ids = row_id, platform, user, ids
        self.workspace = workspace


def _workspace(platform: Platform, row: InboxEvent) -> str | None:
    """Slack in many workspaces (bot/slack/workspaces.py): the workspace a request is from,
    whose people alone it may name. None where a platform has one (Teams, one Slack token)."""
    workspace_of = getattr(platform, "workspace_of", None)
    return workspace_of(row.kind, row.payload) if workspace_of is not None else None


async def _profile(platform: Platform, external_id: str, workspace: str | None) -> Profile | None:
    """The person as the request's workspace shows them (bot/slack/workspaces.py `profile_in`)."""
    if workspace is not None:
        profile_in = getattr(platform, "profile_in")  # noqa: B009 (only a platform of many workspaces has it)
        profile: Profile | None = await profile_in(workspace, external_id)
        return profile
    return await platform.profile(external_id)


class _Failed(Exception):
    """The flow's handler raised: its writes are rolled back, the row is tried again later."""

    def __init__(self, row_id: int, cause: Exception, user: str, response_url: str | None) -> None:
        super().__init__(cause)
        self.row_id, self.cause, self.user, self.response_url = row_id, cause, user, response_url


# The statements of every request, built once with their parameters bound at each use
# (bench/e2e.py: building and keying a statement costs more than running it).
# A lane's head and whether another row follows it, in one statement.
_HEAD = (
    select(InboxEvent)
    .where(InboxEvent.lane == bindparam("lane"), InboxEvent.status == "pending")
    .order_by(col(InboxEvent.id))
    .limit(2)
    .with_for_update()
)
_DONE = (
    update(table_of(InboxEvent))
    .where(column("id") == bindparam("row"))
    .values(status="done", processed_at=bindparam("processed_at"))
)
_PEOPLE = select(Person).where(
    Person.platform == bindparam("platform"), col(Person.external_id).in_(bindparam("ids", expanding=True))
)


class Inbox(LaneWorker):
    prefix = "in:"
    model = InboxEvent

    def __init__(
        self,
        db: Database,
        settings: Settings,
        texts: Texts,
        router: Router,
        platforms: dict[str, Platform],
        now: Callable[[], datetime],
        outbox: Outbox,
        leases: Leases | None = None,
        max_lanes: int = LANES_AT_ONCE,
        metrics: Metrics | None = None,
    ) -> None:
        super().__init__(db, leases or Leases(db), now, max_lanes)
        self.settings, self.texts, self.router = settings, texts, router
        self.metrics = metrics or Metrics()
        self.platforms, self.outbox = platforms, outbox
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    # ---- storing ------------------------------------------------------------
    def lane(self, platform: str, kind: str, payload: dict[str, Any]) -> str:
        adapter = self.platforms.get(platform)
        try:
            lane = adapter.lane(kind, payload) if adapter is not None else ""
        except Exception:  # an odd payload: it is processed (and ignored) in a lane of its own kind
            lane = ""
        return f"{platform}:{lane or kind}"[:300]

    async def store(self, platform: str, dedupe_key: str, kind: str, payload: dict[str, Any]) -> bool:
        """Write a request down; False if it was there already (a retry).

        Requests that arrive while a write is under way are written together, in one
        INSERT … ON CONFLICT DO NOTHING: each caller still returns only once its row is
        committed, and still learns whether it was a duplicate. The same transaction takes
        the rows' lanes, so they are processed at once, with no query to find them.
        """
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        row = {
            "platform": platform,
            "dedupe_key": dedupe_key[:255],
            "kind": kind,
            "payload": payload,
            "lane": self.lane(platform, kind, payload),
            "status": "pending",
            "attempts": 0,
            "received_at": self.now(),
        }
        self._waiting.append((row, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting())
        return await done

    async def _write_waiting(self) -> None:
        table = table_of(InboxEvent)
        statement = (
            self.db.insert(table)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(table.c.dedupe_key, table.c.lane)
        )  # built once: the rows are its parameters
        while self._waiting:
            batch, self._waiting = self._waiting[:STORE_BATCH], self._waiting[STORE_BATCH:]
            try:
                async with self.db.transaction(urgent=True) as s:
                    rows = [row for row, _ in batch]
                    result = (await (await s.connection()).execute(statement, rows)).all()
                    inserted = {key for key, _ in result}
                    won = await self.take(s, {lane for _, lane in result}) if result else []
            except Exception as exc:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for row, done in batch:
                done.set_result(row["dedupe_key"] in inserted)
                inserted.discard(row["dedupe_key"])  # a second copy in the same batch is a retry
            self.hint(won)

    # ---- lanes ----------------------------------------------------------------
    def unfinished(self, table: Any) -> Any:
        return table.status == "pending"

    def due(self, table: Any) -> Any:
        return or_(table.next_attempt_at.is_(None), table.next_attempt_at <= self.now())

    async def run_lane(self, lane: str) -> None:
        refreshed: set[int] = set()
        while not self.stopping:
            try:
                outcome = await self._step(lane, refreshed)
            except _Refresh as refresh:
                # Profiles to read first, outside any transaction; then the same row again.
                try:
                    await self._refresh(refresh.platform, refresh.user, refresh.ids, refresh.workspace)
                except TemporaryFailure as exc:  # the platform is away: wait for it, however long
                    log.warning("inbox event %s waits for the platform: %s", refresh.row_id, exc)
                    self.metrics.failure(refresh.platform.name, exc)
                    await self._later(refresh.row_id, exc, counts=False)
                    return
                except Exception as exc:
                    log.exception("inbox event %s: reading profiles failed", refresh.row_id)
                    await self._later(refresh.row_id, exc, counts=True, user=refresh.user)
                    return
                refreshed.add(refresh.row_id)
                continue
            except _Failed as failed:
                log.error("inbox event %s failed: %r", failed.row_id, failed.cause, exc_info=failed.cause)
                await self._later(
                    failed.row_id, failed.cause, counts=True, user=failed.user, response_url=failed.response_url
                )
                return
            if outcome != _NEXT:
                return  # ran dry (its lease handed back), or its next row waits for a retry

    async def process_pending(self) -> None:
        """Process every row that is due, until none is (tests and the clock)."""
        await self.drain()

    # ---- one row ----------------------------------------------------------------
    async def _step(self, lane: str, refreshed: set[int]) -> str:
        """The lane's next row, in one transaction: claimed, handled, marked done, and the
        outbox lanes it wrote taken; when it was the last, the lane is handed back too."""
        async with self.db.flow_transaction() as s:
            # The head and whether another row follows it, in one statement.
            head = list((await s.exec(_HEAD, params={"lane": lane})).all())
            row, more = (head[0], len(head) > 1) if head else (None, False)
            if row is None:
                await self.release_in(s, lane)
                return _DRY
            assert row.id is not None  # read from the table
            logs.EVENT.set(f"inbox:{row.id}")
            if row.next_attempt_at is not None and row.next_attempt_at > self.now():
                self.retry_at(row.next_attempt_at)
                return _WAIT
            platform = self.platforms.get(row.platform)
            try:
                event = platform.translate(row.kind, row.payload) if platform else None
            except Exception:  # a signed request with odd values: ignored, not retried
                log.warning("inbox event %s could not be read; ignored", row.id, exc_info=True)
                event = None
            written = OutboxWritten()
            if event is not None:
                people = await self._people(s, row, event, refreshed=row.id in refreshed)
                if event.user in people:
                    await self.db.serialize(s)
                    ctx = Context(db=s, now=self.now(), settings=self.settings, texts=self.texts)
                    try:
                        with collect_outbox_lanes(await s.connection()) as written:
                            await self.router.handle(ctx, event, people)
                            await s.flush()
                    except Exception as exc:  # all of it is rolled back; the row is tried again
                        raise _Failed(row.id, exc, event.user, getattr(event, "response_url", None)) from exc
            # Written around the unit of work (one flush fewer); the row reads as it was written.
            processed_at = self.now()
            await (await s.connection()).execute(_DONE, {"row": row.id, "processed_at": processed_at})
            set_committed_value(row, "status", "done")
            set_committed_value(row, "processed_at", processed_at)
            if not more:
                await self.release_in(s, lane)
            taken = await self.outbox.take(s, written.lanes) if written.lanes else []
            claims = await self.outbox.claim(s, taken)
        self.outbox.hint(taken, claims)
        self.metrics.event_done((processed_at - row.received_at).total_seconds())
        return _NEXT if more else _DRY

    async def _people(self, s: AsyncSession, row: InboxEvent, event: Incoming, *, refreshed: bool) -> dict[str, Person]:
        """The people an event names, known and fresh, as rows of this transaction; raises
        _Refresh when some must be read from the platform first. Unknown mentions are left out."""
        ids = list(dict.fromkeys([event.user, *event.mentions]))  # a form's picks are read like mentions
        found = {p.external_id: p for p in (await s.exec(_PEOPLE, params={"platform": row.platform, "ids": ids})).all()}
        platform = self.platforms[row.platform]
        if (workspace := _workspace(platform, row)) is not None:  # someone of another workspace is no one here
            found = {i: p for i, p in found.items() if p.team_id == workspace}
        # A platform whose profiles cost nothing to read (Teams: what its own activities said) asks every time.
        max_age: timedelta = getattr(platform, "profile_max_age", PROFILE_MAX_AGE)
        now = self.now()
        stale = [
            i
            for i in ids
            if not (
                (known := found.get(i)) and known.profile_refreshed_at and now - known.profile_refreshed_at < max_age
            )
        ]
        if stale and not refreshed:
            assert row.id is not None  # read from the table
            raise _Refresh(row.id, platform, event.user, stale, workspace)
        return found

    async def _refresh(self, platform: Platform, user: str, ids: list[str], workspace: str | None = None) -> None:
        """Read the profiles outside any transaction (platform calls), then write them in one."""
        profiles = {external_id: await _profile(platform, external_id, workspace) for external_id in ids}
        now = self.now()
        async with self.db.transaction() as s:
            known = {
                p.external_id: p
                for p in (
                    await s.exec(
                        select(Person).where(Person.platform == platform.name, col(Person.external_id).in_(ids))
                    )
                ).all()
            }
            for external_id, profile in profiles.items():
                if profile is None and external_id != user:
                    continue  # a mention of someone the platform does not know
                person = known.get(external_id) or Person(
                    platform=platform.name, external_id=external_id, display_name=external_id, created_at=now
                )
                if profile is not None:
                    person.display_name = profile.display_name or external_id
                    person.platform_locale, person.timezone = profile.locale, profile.timezone
                    person.is_bot, person.team_id = profile.is_bot, profile.team_id
                    person.reachable = profile.reachable
                    person.profile_refreshed_at = now
                s.add(person)

    async def _later(
        self, row_id: int, exc: BaseException, *, counts: bool, user: str | None = None, response_url: str | None = None
    ) -> None:
        """Try the row again after a backoff; a row that keeps raising is set aside (kept,
        for an operator to look at), and the person is told."""
        async with self.db.transaction() as s:
            again = await s.get(InboxEvent, row_id)
            if again is None or again.status != "pending":
                return
            again.attempts += 1
            again.error = repr(exc)[:2000]
            again.next_attempt_at = self.now() + backoff(again.attempts, MAX_BACKOFF)
            if counts and again.attempts >= MAX_ATTEMPTS:
                again.status = "failed"
                person = (
                    (
                        await s.exec(
                            select(Person).where(Person.platform == again.platform, Person.external_id == user)
                        )
                    ).first()
                    if user
                    else None
                )
                if person is not None:
                    ctx = Context(db=s, now=self.now(), settings=self.settings, texts=self.texts)
                    text = ctx.t(person, "inbox.failed")
                    ctx.respond(person, response_url, Message(text=text, blocks=[Paragraph(text=text)]))
            s.add(again)
        if again.status == "pending":
            self.retry_at(again.next_attempt_at)
        else:
            self.outbox.wake.set()

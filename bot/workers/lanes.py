"""Lanes: work that must be done in order within a lane and may be done at once across lanes.

A lane is one person's conversation, one channel thread (the inbox), one person's DM or
one channel (the outbox). Its rows are handled one at a time, in order, by the instance
that holds the lane's lease; other lanes run at the same time, in this instance or in
another one.

A lease is a row in `lease`, taken with one upsert that succeeds only where the lane is
free or its lease has run out, so two instances never hold a lane at once. Each instance
renews its leases every `RENEW` seconds while it lives. When it dies (kill -9, a lost
machine) its leases run out after `TTL` seconds and any live instance, or the same one
restarted, takes the lanes over: a crash costs seconds, not a minute. A graceful stop
finishes what is under way and hands its lanes back at once.

Leases are timed by the wall clock of the machines, not by the bot's `now` (which the
playground and the tests move about).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import String, delete, exists, literal, select, update
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.db import Database
from bot.storage.models import Lease, table_of

log = logging.getLogger(__name__)

TTL = timedelta(seconds=3)
RENEW = 1.0  # seconds between renewals; well inside TTL
# How often an idle dispatcher looks again, for work that another instance stored and
# then died holding, and for leases of dead instances running out.
POLL = 1.0
STOP_WAIT = 8.0  # seconds a graceful stop gives the work under way


def wall_now() -> datetime:
    return datetime.now(UTC)


def backoff(attempts: int, most: timedelta) -> timedelta:
    """1 s, 2 s, 4 s … up to `most`, with jitter, so a platform that is back is used soon."""
    seconds = min(2.0 ** max(attempts - 1, 0), most.total_seconds())
    return timedelta(seconds=seconds * (0.75 + random.random() / 2))


# The owners of the Leases of this process that have not stopped (tests run two runtimes in one).
_LIVE_HERE: set[str] = set()


def _machine() -> str:
    """This machine (host name and kernel boot), as far as process ids mean the same process."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = "?"
    return f"{socket.gethostname()}:{boot}"[:40]


def gone(owner: str, me: str, machine: str) -> bool:
    """Whether the instance `owner` is known to be dead: it ran on this machine and its
    process is gone (or this process now has its pid: a restart in a container). Owners
    elsewhere, or in doubt, are waited for until their leases run out."""
    where, _, _random = owner.rpartition("/")
    host, _, pid_text = where.rpartition("/")
    if host != machine or not pid_text.isdigit() or owner == me:
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return owner not in _LIVE_HERE  # another runtime of this process lives; an earlier one with our pid does not
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive under another user, or not ours to ask
        return False
    return False


class Leases:
    """The lanes this instance holds.

    On SQLite, which serves one bot process, the lanes running in this process are all
    there is to know, so nothing is written (`shared=False`): a process that dies holds
    nothing its successor must wait for.
    """

    def __init__(self, db: Database, clock: Callable[[], datetime] = wall_now, *, shared: bool | None = None) -> None:
        self.db, self.clock = db, clock
        self.shared = not db.sqlite if shared is None else shared
        # machine/pid/random: a restarted instance can tell its predecessor is gone (`reap`).
        self.machine = _machine()
        self.owner = f"{self.machine}/{os.getpid()}/{uuid.uuid4().hex[:12]}"
        _LIVE_HERE.add(self.owner)
        self._task: asyncio.Task[None] | None = None
        self._reaped_at = 0.0

    async def take(self, s: AsyncSession, names: list[str]) -> set[str]:
        """In transaction `s`: take the lanes that are free or whose lease ran out; the names won."""
        if not self.shared:
            return set(names)
        if not names:
            return set()
        now = self.clock()
        table = table_of(Lease)
        # In the names' order: two transactions taking some of the same lanes lock them in
        # the same order, so neither holds one the other waits for (a deadlock).
        insert = self.db.insert(table).values(
            [{"name": name, "owner": self.owner, "expires_at": now + TTL} for name in sorted(set(names))]
        )
        statement = insert.on_conflict_do_update(
            index_elements=["name"],
            set_={"owner": insert.excluded.owner, "expires_at": insert.excluded.expires_at},
            where=(table.c.expires_at < now) | (table.c.owner == self.owner),
        ).returning(table.c.name)
        result = await (await s.connection()).execute(statement)
        return set(result.scalars().all())

    async def reap(self, s: AsyncSession) -> None:
        """In transaction `s`, at most once a second: hand back the lanes of instances that ran
        on this machine and are gone, so a restart takes its own lanes over at once rather
        than after their leases ran out."""
        loop = asyncio.get_running_loop()
        if not self.shared or loop.time() - self._reaped_at < POLL:
            return
        self._reaped_at = loop.time()
        table = table_of(Lease)
        owners = (await (await s.connection()).execute(select(table.c.owner).distinct())).scalars().all()
        dead = [owner for owner in owners if gone(owner, self.owner, self.machine)]
        if dead:
            log.info("taking over the lanes of %d stopped instance(s) on this machine", len(dead))
            await (await s.connection()).execute(delete(table).where(table.c.owner.in_(dead)))

    async def release(self, s: AsyncSession, name: str) -> None:
        if not self.shared:
            return
        table = table_of(Lease)
        await (await s.connection()).execute(delete(table).where(table.c.name == name, table.c.owner == self.owner))

    async def renew(self) -> None:
        """Every lease of this instance lasts TTL from now, but for those a transaction has
        locked just now: this instance's own, taking or handing back the lane (which sets it
        itself), or another's taking over one that ran out. Waiting for those locks while
        holding others is how the renewal deadlocked with a transaction taking several lanes
        (bench/daily.py on PostgreSQL); one skipped renewal is made up a second later."""
        if not self.shared:
            return
        table = table_of(Lease)
        free = select(table.c.name).where(table.c.owner == self.owner).with_for_update(skip_locked=True)
        async with self.db.transaction() as s:
            await (await s.connection()).execute(
                update(table).where(table.c.name.in_(free.scalar_subquery())).values(expires_at=self.clock() + TTL)
            )

    async def release_all(self) -> None:
        if not self.shared:
            return
        table = table_of(Lease)
        async with self.db.transaction() as s:
            await (await s.connection()).execute(delete(table).where(table.c.owner == self.owner))

    def start(self) -> None:
        if self.shared:
            self._task = asyncio.create_task(self._renew_forever(), name="leases")

    async def stop(self) -> None:
        """Stop renewing and hand every lane back (after the lanes' work has stopped)."""
        _LIVE_HERE.discard(self.owner)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):  # the database is away: the leases run out by themselves
            await self.release_all()

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(RENEW)
            try:
                await self.renew()
            except Exception:  # the database is away for a moment: try again
                log.warning("could not renew the leases", exc_info=True)


class LaneWorker(ABC):
    """Runs the lanes of one table, each in a task of its own, at most `max_lanes` at once.

    Lanes come two ways. Work this instance writes takes its lane's lease in the same
    transaction (`take` then `hint`), so it starts at once with no query of its own. And
    once a second, or when a retry is due, a dispatcher asks the table which lanes have
    due work that nobody holds: rows another instance wrote, retries, and the lanes of
    an instance that died.
    """

    prefix: str  # the leases' names are prefix + lane
    model: Any  # the table of rows, with `id`, `lane`, `status` and `next_attempt_at`

    def __init__(self, db: Database, leases: Leases, now: Callable[[], datetime], max_lanes: int) -> None:
        self.db, self.leases, self.now, self.max_lanes = db, leases, now, max_lanes
        self.wake = asyncio.Event()
        self.stopping = False
        self.active: dict[str, asyncio.Task[None]] = {}
        self._ready: dict[str, None] = {}  # held, waiting for room (in order)
        self._released: set[str] = set()
        self._missed: set[str] = set()
        self._soonest: datetime | None = None  # the earliest retry this instance knows of

    # ---- what a table says --------------------------------------------
    @abstractmethod
    def unfinished(self, table: Any) -> Any:
        """The condition for a row of `table` (the model or an alias of it) still to be done."""

    @abstractmethod
    def due(self, table: Any) -> Any:
        """The condition for an unfinished row of `table` to be done now (no retry waiting)."""

    @abstractmethod
    async def run_lane(self, lane: str) -> None:
        """Handle the lane's due rows in order; return when it has none due (or is stopping).
        A lane that ran dry hands its lease back itself (`release_in`), in its last transaction."""

    # ---- leases ----------------------------------------------------------
    def lease_name(self, lane: str) -> str:
        return (self.prefix + lane)[:320]

    async def take(self, s: AsyncSession, lanes: set[str]) -> list[str]:
        """In transaction `s` (the one that wrote the lanes' rows): take the lanes not running
        here; after the commit, `hint` the result."""
        wanted = [lane for lane in lanes if lane not in self.active and lane not in self._ready]
        # A running lane may be handing itself back just now, and one waiting for room may have
        # taken its rows already: look again when it has ended (`written_while_held`).
        self._missed.update(lane for lane in lanes if lane in self.active or lane in self._ready)
        won = await self.leases.take(s, [self.lease_name(lane) for lane in wanted])
        return [lane for lane in wanted if self.lease_name(lane) in won]

    def written_while_held(self, lane: str) -> bool:
        """Whether rows were written to `lane` in this instance while it was held here (its
        dispatcher looks for them when the lane ends)."""
        return lane in self._missed

    def hint(self, lanes: list[str]) -> None:
        """Lanes this instance now holds: run them (or queue them for room)."""
        for lane in lanes:
            if lane not in self.active:
                self._ready[lane] = None
        self._start_ready()

    async def release_in(self, s: AsyncSession, lane: str) -> None:
        """Hand the lane back in transaction `s` (its last one: nothing is left to do)."""
        await self.leases.release(s, self.lease_name(lane))
        self._released.add(lane)

    def retry_at(self, moment: datetime) -> None:
        """A row waits until `moment`: look for due lanes then."""
        if self._soonest is None or moment < self._soonest:
            self._soonest = moment
        self.wake.set()

    # ---- running ----------------------------------------------------------
    def _start_ready(self) -> None:
        while self._ready and len(self.active) < self.max_lanes and not self.stopping:
            lane = next(iter(self._ready))
            del self._ready[lane]
            if lane not in self.active:
                self.active[lane] = asyncio.create_task(self._lane(lane), name=f"{self.prefix}{lane}")

    async def due_lanes(self, s: AsyncSession, exclude: list[str], limit: int) -> list[str]:
        """Lanes whose first unfinished row is due, not in `exclude`, not held by a live other."""
        model, earlier = self.model, aliased(self.model)
        query = (
            select(model.lane)
            .where(
                self.unfinished(model),
                self.due(model),
                # Nothing overtakes an earlier row of its lane that is not due yet.
                ~exists().where(earlier.lane == model.lane, self.unfinished(earlier), earlier.id < model.id),
                ~exists().where(
                    col(Lease.name) == literal(self.prefix, String) + model.lane,
                    col(Lease.expires_at) > self.leases.clock(),
                    col(Lease.owner) != self.leases.owner,
                ),
            )
            .order_by(model.id)
            .limit(limit)
        )
        if exclude:
            query = query.where(model.lane.not_in(exclude))
        return list((await s.execute(query)).scalars().all())

    async def dispatch(self) -> int:
        """Take the lanes with due work that nobody holds; how many were started."""
        room = self.max_lanes - len(self.active) - len(self._ready)
        if room <= 0 or self.stopping:
            return 0
        async with self.db.transaction() as s:
            await self.leases.reap(s)
            lanes = await self.due_lanes(s, [*self.active, *self._ready], room)
            won = await self.leases.take(s, [self.lease_name(lane) for lane in lanes])
        started = [lane for lane in lanes if self.lease_name(lane) in won and lane not in self.active]
        self.hint(started)
        return len(started)

    async def _lane(self, lane: str) -> None:
        try:
            await self.run_lane(lane)
        except Exception:
            log.exception("lane %s%s stopped", self.prefix, lane)
            self._released.discard(lane)  # a hand-back in a transaction that did not commit
        finally:
            if lane not in self._released:
                try:
                    async with self.db.transaction() as s:
                        await self.leases.release(s, self.lease_name(lane))
                except Exception:  # it runs out by itself
                    log.warning("could not release lane %s%s", self.prefix, lane, exc_info=True)
            self._released.discard(lane)
            self.active.pop(lane, None)
            self._start_ready()
            if lane in self._missed and not self.stopping:
                # Rows written while the lane was handing itself back may have no holder: look.
                self._missed.discard(lane)
                self.wake.set()

    async def run(self) -> None:
        """The dispatcher: once a second, at a known retry, and when a lane ends."""
        while not self.stopping:
            try:
                await self.dispatch()
            except Exception:  # the database is away: keep the loop alive
                log.exception("%s dispatcher failed", self.prefix)
            timeout = POLL
            if self._soonest is not None:
                timeout = max(0.0, min(POLL, (self._soonest - self.now()).total_seconds()))
                if timeout == 0.0:
                    self._soonest = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=timeout)
            self.wake.clear()

    async def drain(self) -> None:
        """Until nothing this instance can take is due and no lane of its is running
        (the tests' and the playground clock's "finish what is there")."""
        while True:
            started = await self.dispatch()
            if self.active:
                await asyncio.wait(list(self.active.values()))
            elif not started and not self._ready:
                return

    async def stop(self) -> None:
        """Take no new lane, let the running ones finish their row (bounded), then stop them."""
        self.stopping = True
        self.wake.set()
        self._ready.clear()  # their leases go with the instance's (Leases.stop)
        tasks = list(self.active.values())
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=STOP_WAIT)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

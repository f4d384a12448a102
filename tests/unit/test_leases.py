"""Leases on lanes, on the real database (as several instances share PostgreSQL): one
holder at a time, taken over when the holder stops renewing, handed back at once by a
graceful stop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.models import Lease, table_of
from bot.workers.lanes import TTL, Leases


class Wall:
    def __init__(self) -> None:
        self.now = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def take(db: Database, leases: Leases, *names: str) -> set[str]:
    async with db.transaction() as s:
        return await leases.take(s, list(names))


async def test_a_lane_has_one_holder_until_its_lease_runs_out(database_url: str) -> None:
    db, wall = Database(database_url), Wall()
    first, second = Leases(db, clock=wall, shared=True), Leases(db, clock=wall, shared=True)
    try:
        assert await take(db, first, "in:a", "in:b") == {"in:a", "in:b"}
        assert await take(db, second, "in:a", "in:c") == {"in:c"}
        assert await take(db, first, "in:a") == {"in:a"}  # its own: taken again
        # The first holder lives: its renewals keep the lanes, however long.
        for _ in range(5):
            wall.now += TTL / 2
            await first.renew()
            assert await take(db, second, "in:a") == set()
        # It dies: no more renewals; after TTL the lanes are free for anyone.
        wall.now += TTL + timedelta(milliseconds=1)
        assert await take(db, second, "in:a", "in:b") == {"in:a", "in:b"}
        assert await take(db, first, "in:a") == set()
    finally:
        await db.dispose()


async def test_a_renewal_waits_for_no_lane_that_a_transaction_is_taking(database_url: str) -> None:
    """The renewal skips the leases a transaction has locked, which that transaction sets
    itself; waiting for them while holding the others deadlocked it with a transaction
    taking several lanes (bench/daily.py on PostgreSQL)."""
    db, wall = Database(database_url), Wall()
    if db.sqlite:
        await db.dispose()
        pytest.skip("SQLite has one writer at a time: no lease is locked by another transaction")
    first = Leases(db, clock=wall, shared=True)
    table = table_of(Lease)
    try:
        assert await take(db, first, "in:a", "in:b") == {"in:a", "in:b"}
        wall.now += TTL / 2
        async with db.transaction() as s:
            assert await first.take(s, ["in:a"]) == {"in:a"}  # locked until this commits
            await asyncio.wait_for(first.renew(), timeout=5)
        async with db.transaction() as s:
            rows = dict((await (await s.connection()).execute(select(table.c.name, table.c.expires_at))).all())
        assert rows == {"in:a": wall.now + TTL, "in:b": wall.now + TTL}
    finally:
        await db.dispose()


async def test_a_graceful_stop_hands_the_lanes_back_at_once(database_url: str) -> None:
    db, wall = Database(database_url), Wall()
    first, second = Leases(db, clock=wall, shared=True), Leases(db, clock=wall, shared=True)
    try:
        assert await take(db, first, "out:person:1") == {"out:person:1"}
        async with db.transaction() as s:
            await first.release(s, "out:person:1")
        assert await take(db, second, "out:person:1") == {"out:person:1"}
        assert await take(db, first, "out:person:2") == {"out:person:2"}
        await first.stop()  # releases everything it holds
        assert await take(db, second, "out:person:2") == {"out:person:2"}
    finally:
        await db.dispose()


async def test_a_restarted_instance_takes_over_at_once_from_one_that_died_on_this_machine(database_url: str) -> None:
    db, wall = Database(database_url), Wall()
    live = Leases(db, clock=wall, shared=True)
    # Left by an earlier process on this machine (its pid is gone), and by one elsewhere.
    dead_here = f"{live.machine}/999999999/0123456789ab"
    elsewhere = "another-host:boot/4242/0123456789ab"
    try:
        async with db.transaction() as s:
            await (await s.connection()).execute(
                table_of(Lease)
                .insert()
                .values(
                    [
                        {"name": "in:a", "owner": dead_here, "expires_at": wall.now + TTL},
                        {"name": "in:b", "owner": elsewhere, "expires_at": wall.now + TTL},
                    ]
                )
            )
        async with db.transaction() as s:
            await live.reap(s)
        # The dead one's lane is free now; the other one's is waited for until it runs out.
        assert await take(db, live, "in:a", "in:b") == {"in:a"}
        other_runtime_here = Leases(db, clock=wall, shared=True)  # two runtimes of one process (tests)
        assert await take(db, other_runtime_here, "in:c") == {"in:c"}
        live._reaped_at = 0.0
        async with db.transaction() as s:
            await live.reap(s)
        assert await take(db, live, "in:c") == set()  # alive: not reaped
        await other_runtime_here.stop()
    finally:
        await db.dispose()

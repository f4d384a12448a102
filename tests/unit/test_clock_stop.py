"""A stop while a tick is under way ends the tick before it returns, and says no error."""

from __future__ import annotations

import asyncio
import logging

from bot.workers.clock import Clock


async def test_a_stop_during_a_tick_ends_it_quietly(caplog) -> None:
    started, ended = asyncio.Event(), asyncio.Event()

    async def tick() -> None:  # a round that waits for the database, say
        started.set()
        try:
            await asyncio.sleep(3600)
        finally:
            ended.set()

    clock = Clock(tick, interval_seconds=0.05)
    caplog.set_level(logging.INFO)
    clock.start()
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(clock.stop(), 5)
    assert ended.is_set()  # over before stop returned: the database may close next
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert "clock tick stopped" in caplog.text

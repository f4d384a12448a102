"""A tick that outlasts the interval is not run twice at once, and the log stays quiet."""

from __future__ import annotations

import asyncio
import logging

from bot.workers.clock import Clock


async def test_a_long_tick_is_not_doubled_and_logs_no_warning(caplog) -> None:
    at_once, most, ticks = 0, 0, 0
    release = asyncio.Event()

    async def tick() -> None:  # the first round: the day's jobs, many intervals long
        nonlocal at_once, most, ticks
        at_once += 1
        most = max(most, at_once)
        ticks += 1
        try:
            if ticks == 1:
                await release.wait()
        finally:
            at_once -= 1

    clock = Clock(tick, interval_seconds=0.02)
    caplog.set_level(logging.INFO)
    clock.start()
    await asyncio.sleep(0.3)  # some fifteen intervals while the first tick runs
    assert ticks == 1
    release.set()
    for _ in range(100):  # the ticks come again once it ended
        if ticks >= 3:
            break
        await asyncio.sleep(0.02)
    await clock.stop()
    assert ticks >= 3 and most == 1
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []

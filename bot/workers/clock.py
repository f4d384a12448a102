"""The clock: APScheduler wakes each instance to look for due work in the
database. It holds no job state of its own (job stores cannot be shared
between processes; ENGINEERING.md), so several instances can run at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)


class Clock:
    def __init__(self, tick: Callable[[], Awaitable[None]], interval_seconds: float) -> None:
        self._tick = tick
        self._running: asyncio.Task[None] | None = None  # the tick under way
        self.scheduler = AsyncIOScheduler()
        self.scheduler.add_job(
            self._run,
            "interval",
            seconds=interval_seconds,
            id="tick",
            # A tick late after downtime is still worth running, once.
            misfire_grace_time=None,
            coalesce=True,
            # A tick that outlasts the interval (the day's jobs at a region's size) is not
            # run twice at once: the tick that comes meanwhile sees it and returns
            # (`_run`). With max_instances=1, APScheduler would log a warning for each.
            max_instances=2,
        )

    async def _run(self) -> None:
        if self._running is not None:
            return  # the last tick is still under way: it goes on with the work
        self._running = asyncio.current_task()
        try:
            await self._tick()
        except asyncio.CancelledError:
            # Stopped (`stop`): the round under way is rolled back, and the next tick, here or
            # in another instance, does it again. Not a failure to report.
            log.info("clock tick stopped")
        except Exception:
            log.exception("clock tick failed")
        finally:
            self._running = None

    def start(self) -> None:
        self.scheduler.start()

    async def stop(self) -> None:
        """No more ticks; the one under way is stopped, and ended before this returns (the
        database it works in closes next)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        running = self._running
        if running is not None and not running.done():
            running.cancel()
            await asyncio.wait([running])  # `_run` ends it quietly; a stop cancelled itself still is

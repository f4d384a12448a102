"""The clock: APScheduler wakes each instance to look for due work in the
database. It holds no job state of its own (job stores cannot be shared
between processes; ENGINEERING.md), so several instances can run at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)


class Clock:
    def __init__(self, tick: Callable[[], Awaitable[None]], interval_seconds: float) -> None:
        self._tick = tick
        self.scheduler = AsyncIOScheduler()
        self.scheduler.add_job(
            self._run,
            "interval",
            seconds=interval_seconds,
            id="tick",
            # A tick late after downtime is still worth running, once.
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
        )

    async def _run(self) -> None:
        try:
            await self._tick()
        except Exception:
            log.exception("clock tick failed")

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

"""The playground's clock: real time plus however far the person has moved it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta


class OffsetClock:
    def __init__(self, base: Callable[[], datetime]) -> None:
        self.base = base
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return self.base() + self.offset

    def advance(self, delta: timedelta) -> None:
        if delta > timedelta():
            self.offset += delta

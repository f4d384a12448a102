"""The outbound pace: the platforms' published limits, kept before a 429 comes back.

A platform names, for each row it sends, the limits the call counts against
(`Platform.limits`): a key (a channel, a conversation, a workspace, a tenant) and the
windows of that key, e.g. Teams' 7 calls a second, 8 in two seconds, 60 in thirty and
1,800 an hour for one conversation. Before each call the outbox asks when the call may be
made: the first moment at which, for every key, each window would still hold fewer calls
than it allows. It takes that moment (reserves it), waits if it is near, and lets the lane
wait for its retry if it is not, so other lanes are never held up by one busy target.

Calls of one key are kept in the order they were reserved, so a channel's posts keep
their order. A 429 holds its key until the platform's `Retry-After` has passed (`hold`):
every later call for that target waits for it, the others do not.

Its clock is the bot's own `now` (the tests and the playground move it): a jump forward
clears the windows it passes, a jump back forgets them (nothing waits for a moment the
clock will reach again only later).

The pace is per process: several instances each keep the whole limit. Their sum may pass
it; the platform's 429 then slows them, with its `Retry-After`, as before.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Window:
    """At most `calls` calls in any `seconds` seconds."""

    calls: int
    seconds: float


Limit = tuple[str, Sequence[Window]]  # a key and its windows


@dataclass
class _Key:
    windows: Sequence[Window]
    # The moments calls were made or reserved, oldest first; no older than the longest window.
    calls: deque[float] = field(default_factory=deque)
    held_until: float = float("-inf")


class Pace:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._keys: dict[str, _Key] = {}
        self._sweep_at = 0.0
        self._last = float("-inf")

    def clock(self) -> float:
        now = self._clock()
        if now < self._last - 1.0:  # the clock was set back
            self._keys.clear()
            self._sweep_at = 0.0
        self._last = now
        return now

    def _key(self, name: str, windows: Sequence[Window]) -> _Key:
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = _Key(windows)
        return key

    def _earliest(self, keys: Iterable[_Key], now: float) -> float:
        at = now
        keys = list(keys)
        moved = True
        while moved:  # each window can only push the moment later; a few rounds settle it
            moved = False
            for key in keys:
                start = max(at, key.held_until, key.calls[-1] if key.calls else at)
                for window in key.windows:
                    if len(key.calls) >= window.calls:
                        # The call `window.calls` back must have left the window by then.
                        start = max(start, key.calls[-window.calls] + window.seconds)
                if start > at:
                    at, moved = start, True
        return at

    def delay(self, limits: Sequence[Limit]) -> float:
        """Seconds until a call counting against `limits` may be made (nothing is reserved)."""
        now = self.clock()
        return max(0.0, self._earliest((self._key(n, w) for n, w in limits), now) - now)

    def reserve(self, limits: Sequence[Limit]) -> float:
        """Take the first free moment for one call; the seconds to wait for it."""
        now = self.clock()
        keys = [self._key(n, w) for n, w in limits]
        at = self._earliest(keys, now)
        for key in keys:
            key.calls.append(at)
            longest = max((w.seconds for w in key.windows), default=0.0)
            most = max((w.calls for w in key.windows), default=0)
            while key.calls and (len(key.calls) > most or key.calls[0] <= at - longest):
                key.calls.popleft()
        self._sweep(now)
        return at - now

    def hold(self, limits: Sequence[Limit], seconds: float) -> None:
        """The platform said 429: nothing more for these keys for `seconds`."""
        until = self.clock() + seconds
        for name, windows in limits:
            key = self._key(name, windows)
            key.held_until = max(key.held_until, until)

    def _sweep(self, now: float) -> None:
        """Forget the keys that no window remembers (a region has thousands of channels)."""
        if now < self._sweep_at:
            return
        self._sweep_at = now + 60.0
        for name in [
            name
            for name, key in self._keys.items()
            if key.held_until <= now
            and all(c <= now - max((w.seconds for w in key.windows), default=0.0) for c in key.calls)
        ]:
            del self._keys[name]

"""The outbound pace keeps every window of every key a call counts against."""

from __future__ import annotations

from collections.abc import Sequence

from bot.slack.platform import CHANNEL_POSTS, TIER_3, TIER_4, limits_of
from bot.storage.models import OutboxMessage
from bot.teams.platform import TENANT_REQUESTS, THREAD_OPERATIONS
from bot.workers.pace import Pace, Window


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _most_in_any(moments: list[float], seconds: float) -> int:
    """The most calls that fall in any window of `seconds` (open at its start, as the pace
    counts; a call exactly a window before, give or take float rounding, is out of it)."""
    return max(sum(1 for m in moments if start - seconds + 1e-9 < m <= start) for start in moments)


def _reserve_all(pace: Pace, clock: Clock, limits: Sequence[tuple[str, Sequence[Window]]], n: int) -> list[float]:
    return [clock.now + pace.reserve(limits) for _ in range(n)]


def test_a_teams_conversation_keeps_each_of_its_four_windows() -> None:
    clock = Clock()
    pace = Pace(clock)
    moments = _reserve_all(pace, clock, [("teams:a", THREAD_OPERATIONS)], 130)
    assert moments == sorted(moments)  # in the order they were asked for
    assert moments[:7] == [clock.now] * 7  # a burst of seven goes at once
    for window in THREAD_OPERATIONS:
        assert _most_in_any(moments, window.seconds) <= window.calls
    # 60 in any 33 s: the 61st waits for the first to leave that window.
    assert moments[60] >= moments[0] + 33.0


def test_a_busy_channel_does_not_hold_up_another() -> None:
    clock = Clock()
    pace = Pace(clock)
    busy = _reserve_all(pace, clock, [("slack:T:C1", CHANNEL_POSTS)], 20)
    assert busy[:6] == [clock.now] * 6 and busy[6] >= clock.now + 6.6
    assert _most_in_any(busy, 6.6) <= 6
    assert pace.delay([("slack:T:C2", CHANNEL_POSTS)]) == 0.0


def test_a_cap_shared_by_many_targets_spreads_them_over_seconds() -> None:
    clock = Clock()
    pace = Pace(clock)
    workspace = ("slack:T", (Window(10, 1.0),))
    moments = [clock.now + pace.reserve([(f"slack:T:C{n}", CHANNEL_POSTS), workspace]) for n in range(25)]
    assert moments[:10] == [clock.now] * 10
    assert moments[10:20] == [clock.now + 1.0] * 10
    assert moments[20:] == [clock.now + 2.0] * 5
    assert _most_in_any(moments, 1.0) <= 10


def test_delay_reserves_nothing_and_a_429_holds_only_its_target() -> None:
    clock = Clock()
    pace = Pace(clock)
    one, other = ("teams:a", THREAD_OPERATIONS), ("teams:b", THREAD_OPERATIONS)
    for _ in range(5):
        assert pace.delay([one, ("teams:tenant", TENANT_REQUESTS)]) == 0.0
    pace.hold([one], 20.0)
    assert pace.delay([one]) == 20.0
    assert pace.delay([other]) == 0.0
    clock.now += 20.0
    assert pace.delay([one]) == 0.0


def test_keys_no_window_remembers_are_forgotten() -> None:
    clock = Clock()
    pace = Pace(clock)
    for n in range(1000):
        pace.reserve([(f"slack:T:C{n}", CHANNEL_POSTS)])
    clock.now += 120.0
    pace.reserve([("slack:T:again", CHANNEL_POSTS)])
    assert len(pace._keys) == 1


def test_a_clock_set_back_forgets_what_it_had_reserved() -> None:
    clock = Clock()
    pace = Pace(clock)
    _reserve_all(pace, clock, [("teams:a", THREAD_OPERATIONS)], 20)
    pace.hold([("teams:b", THREAD_OPERATIONS)], 30.0)
    clock.now -= 3600.0  # the playground's clock, moved back
    assert pace.delay([("teams:a", THREAD_OPERATIONS)]) == 0.0
    assert pace.delay([("teams:b", THREAD_OPERATIONS)]) == 0.0


def test_each_kind_of_slack_row_counts_against_what_its_call_does() -> None:
    def row(kind: str, channel: str = "C1") -> OutboxMessage:
        return OutboxMessage(platform="slack", kind=kind, team_id="T1", channel=channel, payload={})

    assert limits_of(row("post"), None, 0) == [("slack:T1:C1", CHANNEL_POSTS)]
    assert limits_of(row("post"), None, 200)[1] == ("slack:T1", (Window(200, 1.0),))
    # The other methods count per method in the workspace, whatever the channel.
    assert limits_of(row("update", "C2"), None, 200) == [("slack:T1:chat.update", TIER_3)]
    assert limits_of(row("home", "U1"), None, 0) == [("slack:T1:views.publish", TIER_4)]
    assert [name for name, _ in limits_of(row("file", "U1"), None, 0)] == [
        "slack:T1:files.getUploadURLExternal",
        "slack:T1:files.completeUploadExternal",
        "slack:T1:conversations.open",
    ]
    # A reply through a response_url is no Web API call.
    assert limits_of(row("respond"), None, 200) == []
    # Tier 3 in any minute: fifty at once, the fifty-first a minute later.
    clock = Clock()
    pace = Pace(clock)
    moments = _reserve_all(pace, clock, limits_of(row("update"), None, 0), 51)
    assert moments[:50] == [clock.now] * 50 and moments[50] == clock.now + 60.0

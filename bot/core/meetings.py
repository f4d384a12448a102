"""Learning meetings as rules: the command's words, the calendar, the agenda's clock.

Pure functions: no database, no platform. The calendar is computed here with
`zoneinfo`, not by a scheduler's trigger: the n-th meeting of a series is on
`first_date + n × interval` (local dates, a strict cadence) at the same
wall-clock time in the series' zone, so 09:00 stays 09:00 across
daylight-saving changes (ENGINEERING.md: IntervalTrigger drifts, CronTrigger
follows ISO-week parity).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.workdays import PUBLIC, Workdays

DEFAULT_INTERVAL_WEEKS = 2
DEFAULT_LENGTH = 30
MIN_LENGTH, MAX_LENGTH = 25, 120
MAX_INTERVAL_WEEKS = 8
# The reminder goes out at this local hour on the working day before the meeting.
REMINDER_HOUR = 9
# How many dated meetings a series keeps stored ahead of now.
AHEAD = 4

_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")
_INTERVAL = re.compile(r"^(\d{1,2})\.?$")
_LENGTH = re.compile(r"^(\d{2,3})(?:min|m)?$")


class MeetingUsageError(Exception):
    """The words do not make a series; `key` names the catalogue text that says why."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values


@dataclass(frozen=True)
class SeriesRequest:
    weekday: int
    hour: int
    minute: int
    interval_weeks: int = DEFAULT_INTERVAL_WEEKS
    length_minutes: int = DEFAULT_LENGTH


@dataclass(frozen=True)
class Vocabulary:
    """The words the command understands, in every language (from the catalogues)."""

    weekdays: tuple[frozenset[str], ...]  # Monday first
    every: frozenset[str] = field(default_factory=frozenset)  # "hver", "every"
    weeks: frozenset[str] = field(default_factory=frozenset)  # "uge", "uger", "week", "weeks"
    minutes: frozenset[str] = field(default_factory=frozenset)  # "min", "minutter", "minutes"


def parse_series(words: list[str], vocabulary: Vocabulary) -> SeriesRequest:
    """`<ugedag> <HH:MM> [hver N. uge | hver uge] [N min]` (mentions already taken out)."""
    if not words:
        raise MeetingUsageError("meeting.usage")
    day = words[0].casefold().rstrip(".,")
    weekday = next((i for i, names in enumerate(vocabulary.weekdays) if day in names), None)
    if weekday is None:
        raise MeetingUsageError("meeting.bad_weekday", word=words[0])
    if len(words) < 2:
        raise MeetingUsageError("meeting.bad_time", word="")
    found = _TIME.match(words[1])
    if found is None:
        raise MeetingUsageError("meeting.bad_time", word=words[1])
    hour, minute = int(found.group(1)), int(found.group(2))
    interval, length = DEFAULT_INTERVAL_WEEKS, DEFAULT_LENGTH
    rest = [w.casefold().rstrip(".,") if not _INTERVAL.match(w) else w for w in words[2:]]
    i = 0
    while i < len(rest):
        word = rest[i]
        if word in vocabulary.every:
            # "hver uge" | "hver 3. uge" | "every 3 weeks"
            if i + 1 < len(rest) and rest[i + 1] in vocabulary.weeks:
                interval, i = 1, i + 2
                continue
            number = _INTERVAL.match(rest[i + 1]) if i + 1 < len(rest) else None
            if number and i + 2 < len(rest) and rest[i + 2].casefold().rstrip(".,") in vocabulary.weeks:
                interval, i = int(number.group(1)), i + 3
                if not 1 <= interval <= MAX_INTERVAL_WEEKS:
                    raise MeetingUsageError("meeting.bad_interval", most=MAX_INTERVAL_WEEKS)
                continue
            raise MeetingUsageError("meeting.bad_option", word=" ".join(words[2 + i : 2 + i + 3]))
        length_match = _LENGTH.match(word)
        if length_match and (word.endswith(("min", "m")) or (i + 1 < len(rest) and rest[i + 1] in vocabulary.minutes)):
            length = int(length_match.group(1))
            if not MIN_LENGTH <= length <= MAX_LENGTH:
                raise MeetingUsageError("meeting.bad_length", least=MIN_LENGTH, most=MAX_LENGTH)
            i += 1 if word.endswith(("min", "m")) else 2
            continue
        raise MeetingUsageError("meeting.bad_option", word=words[2 + i])
    return SeriesRequest(weekday, hour, minute, interval, length)


# ---- the calendar -----------------------------------------------------------
def local_start(day: date, hour: int, minute: int, tz: str) -> datetime:
    """The wall-clock time on that local date, as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute), ZoneInfo(tz)).astimezone(UTC)


def first_date(now: datetime, weekday: int, hour: int, minute: int, tz: str) -> date:
    """The next such weekday whose meeting time is still ahead (today included)."""
    today = now.astimezone(ZoneInfo(tz)).date()
    day = today + timedelta(days=(weekday - today.weekday()) % 7)
    if local_start(day, hour, minute, tz) <= now:
        day += timedelta(days=7)
    return day


@dataclass(frozen=True)
class Occurrence:
    seq: int
    local_date: date
    starts_at: datetime
    remind_at: datetime
    holiday: bool


def occurrence(
    seq: int, first: date, interval_weeks: int, hour: int, minute: int, tz: str, calendar: Workdays = PUBLIC
) -> Occurrence:
    day = first + timedelta(weeks=interval_weeks * seq)
    before = calendar.previous_working_day(day)
    return Occurrence(
        seq=seq,
        local_date=day,
        starts_at=local_start(day, hour, minute, tz),
        remind_at=local_start(before, REMINDER_HOUR, 0, tz),
        holiday=calendar.is_holiday(day),
    )


def occurrences(
    first: date,
    interval_weeks: int,
    hour: int,
    minute: int,
    tz: str,
    start: int,
    count: int,
    calendar: Workdays = PUBLIC,
) -> list[Occurrence]:
    return [occurrence(seq, first, interval_weeks, hour, minute, tz, calendar) for seq in range(start, start + count)]


# ---- the agenda -------------------------------------------------------------
def step_minutes(fixed: list[int | None], length: int) -> list[int]:
    """Each step's minutes; the one step without a fixed length (the round) takes the rest."""
    rest = length - sum(m for m in fixed if m is not None)
    return [m if m is not None else max(rest, 1) for m in fixed]


def current_step(step: int, started: datetime, minutes: list[int], now: datetime) -> tuple[int, datetime]:
    """Where the clock has moved the agenda by `now`: (step, when it began).

    Step len(minutes) + 1 means the meeting is over. A step pressed on early
    starts at the press; from there each step runs its minutes.
    """
    while step <= len(minutes) and now >= started + timedelta(minutes=minutes[step - 1]):
        started += timedelta(minutes=minutes[step - 1])
        step += 1
    return step, started

"""Learning visits as rules: the command's words and the day's three moments.

Pure functions: no database, no platform. `/laering besøg @kollega <dato> [halv|hel] [HH:MM]`
names a day as people say it (`bot.core.dates.spoken_date`), its length, and
perhaps the time the visit ends; a reminder goes at 09:00 on the working day
before, and the day starts at 08:00 with the morning reminder and the joint
check-in (seed 004: "Fælles tjek-ind" is the programme's first point, on the day).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.core.dates import spoken_date
from bot.core.workdays import PUBLIC, Workdays

CHECKIN_TIME = time(9, 0)  # on the working day before the visit: the reminder that it is coming
MORNING_TIME = time(8, 0)  # on the day: its start, the morning reminder and the check-in
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class VisitUsageError(Exception):
    """The words do not make a visit; `key` names the catalogue text that says why."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values


@dataclass(frozen=True)
class Vocabulary:
    """The words the command understands, in every language (from the catalogues)."""

    half: frozenset[str]
    full: frozenset[str]
    day: frozenset[str] = field(default_factory=frozenset)  # "dag" after "halv"/"hel"
    filler: frozenset[str] = field(default_factory=frozenset)  # "kl.", "til", "at"


@dataclass(frozen=True)
class VisitRequest:
    day: date
    length: str  # half | full
    end: time | None  # the time the command named, if any


@dataclass(frozen=True)
class Moments:
    # The reminder the working day before (named for the check-in it announces, as the
    # `visit.checkin_at` column is); the check-in itself opens at `morning_at`.
    checkin_at: datetime
    morning_at: datetime
    ends_at: datetime


def parse_visit(words: list[str], vocabulary: Vocabulary, today: date) -> VisitRequest:
    """The words after the mention: a day, `halv`/`hel` (default: a whole day), an end time."""
    length, end, rest, after_length = "full", None, [], False
    for word in words:
        said = word.casefold().rstrip(".,")
        was_length, after_length = after_length, False
        if was_length and said in vocabulary.day:  # "halv dag"
            continue
        if said in vocabulary.half or said in vocabulary.full:
            length, after_length = ("half" if said in vocabulary.half else "full"), True
        elif found := _TIME.match(said):
            end = time(int(found.group(1)), int(found.group(2)))
        elif said not in vocabulary.filler:
            rest.append(word)
    written = " ".join(rest)
    if not written:
        raise VisitUsageError("visit.no_date")
    day = spoken_date(written, today)
    if day is None:
        raise VisitUsageError("visit.bad_date", date=written)
    return VisitRequest(day=day, length=length, end=end)


def moments(request: VisitRequest, default_end: time, tz: str, calendar: Workdays = PUBLIC) -> Moments:
    """When the reminder goes out, the day starts (the morning reminder and the check-in), and the
    visit ends (aware datetimes)."""
    zone = ZoneInfo(tz)
    ends_at = datetime.combine(request.day, request.end or default_end, zone)
    return Moments(
        checkin_at=datetime.combine(calendar.previous_working_day(request.day), CHECKIN_TIME, zone),
        morning_at=min(datetime.combine(request.day, MORNING_TIME, zone), ends_at),
        ends_at=ends_at,
    )

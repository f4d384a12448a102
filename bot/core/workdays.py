"""Working days in Denmark: Monday to Friday, not public holidays, and not the optional days
off a workplace keeps free (`OPTIONAL_DAYS_OFF`: 1 May, Grundlovsdag, Juleaften, Nytårsaften).

A `Workdays` is built from the settings (`Context.workdays`) and passed where dates are
laid out: meetings, visits' check-ins, clinical reminders, nudges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

# The optional days off a workplace may keep free, by the name OPTIONAL_DAYS_OFF writes.
OPTIONAL_DAYS: dict[str, tuple[int, int]] = {
    "1maj": (5, 1),
    "grundlovsdag": (6, 5),
    "juleaften": (12, 24),
    "nytaarsaften": (12, 31),
}
# The holidays library's names for the languages the bot speaks.
_NAME_LANGUAGES = {"da": "da", "en": "en_US"}


@lru_cache(maxsize=16)
def _danish_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("DK", years=year)


@lru_cache(maxsize=32)
def _named(year: int, language: str) -> holidays.HolidayBase:
    return holidays.country_holidays(
        "DK", years=year, language=_NAME_LANGUAGES.get(language, "da"), categories=("public", "optional")
    )


def optional_days(names: str) -> frozenset[tuple[int, int]]:
    """OPTIONAL_DAYS_OFF ("juleaften,nytaarsaften") as (month, day); an unknown name is refused."""
    wanted = [n.strip().casefold() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in OPTIONAL_DAYS]
    if unknown:
        raise ValueError(f"unknown optional days off {unknown}; known: {', '.join(OPTIONAL_DAYS)}")
    return frozenset(OPTIONAL_DAYS[n] for n in wanted)


@dataclass(frozen=True)
class Workdays:
    # (month, day) of the optional days off kept free, besides the public holidays.
    days_off: frozenset[tuple[int, int]] = frozenset()

    def is_holiday(self, day: date) -> bool:
        """A day off for everyone: a Danish public holiday, or an optional day kept free."""
        return day in _danish_holidays(day.year) or (day.month, day.day) in self.days_off

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and not self.is_holiday(day)

    def add_working_days(self, moment: datetime, days: int, tz: str) -> datetime:
        """The same local time `days` working days after `moment`."""
        zone = ZoneInfo(tz)
        local = moment.astimezone(zone)
        day = local.date()
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return datetime.combine(day, local.timetz().replace(tzinfo=None), zone)

    def previous_working_day(self, day: date) -> date:
        """The working day before `day`: weekends and days off skipped."""
        day -= timedelta(days=1)
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def holiday_name(self, day: date, language: str) -> str | None:
        """The day off's name in the language ("Anden pinsedag", "Christmas Eve"), or None."""
        if not self.is_holiday(day):
            return None
        return _named(day.year, language).get(day)


# Public holidays only: what the bot keeps without OPTIONAL_DAYS_OFF.
PUBLIC = Workdays()


@lru_cache(maxsize=8)
def workdays(names: str) -> Workdays:
    """The calendar of OPTIONAL_DAYS_OFF, built once."""
    return Workdays(optional_days(names))

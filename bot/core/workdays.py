"""Working days in Denmark: Monday to Friday, not public holidays."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


@lru_cache(maxsize=16)
def _danish_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("DK", years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _danish_holidays(day.year)


def add_working_days(moment: datetime, days: int, tz: str) -> datetime:
    """The same local time `days` working days after `moment`."""
    zone = ZoneInfo(tz)
    local = moment.astimezone(zone)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return datetime.combine(day, local.timetz().replace(tzinfo=None), zone)


def is_holiday(day: date) -> bool:
    """A Danish public holiday."""
    return day in _danish_holidays(day.year)


# The holidays library's names for the languages the bot speaks.
_NAME_LANGUAGES = {"da": "da", "en": "en_US"}


@lru_cache(maxsize=32)
def _named_holidays(year: int, language: str) -> holidays.HolidayBase:
    return holidays.country_holidays("DK", years=year, language=_NAME_LANGUAGES.get(language, "da"))


def holiday_name(day: date, language: str) -> str | None:
    """The holiday's name in the language ("Anden pinsedag", "Pentecost Monday"), or None on other days."""
    return _named_holidays(day.year, language).get(day)


def previous_working_day(day: date) -> date:
    """The working day before `day`: weekends and public holidays skipped."""
    day -= timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day

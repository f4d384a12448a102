"""Dates and frequencies as people write them, in Danish or English.

parse_date("15-01-2027") == parse_date("15. januar 2027") == date(2027, 1, 15)
every_days("hver anden uge") == every_days("every 2 weeks") == 14
spoken_date("12/3", today) == spoken_date("12. marts", today)   # the next 12 March
spoken_date("i morgen", today) == spoken_date("tomorrow", today)
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.core.text import plain_spellings

_NUMERIC = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WORDED = re.compile(r"^(\d{1,2})\.?\s+([a-zæøå]+)\.?\s+(\d{4})$")
_MONTHS = {
    "januar": 1,
    "january": 1,
    "jan": 1,
    "februar": 2,
    "february": 2,
    "feb": 2,
    "marts": 3,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "maj": 5,
    "may": 5,
    "juni": 6,
    "june": 6,
    "jun": 6,
    "juli": 7,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "october": 10,
    "okt": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}


def numeric_date(text: str) -> date | None:
    """Day, month and year in numbers: 15-01-2027, 15/1/27, 15.01.2027."""
    if not (m := _NUMERIC.match(text.strip())):
        return None
    day, month, year = (int(g) for g in m.groups())
    try:
        return date(year + 2000 if year < 100 else year, month, day)
    except ValueError:
        return None


def parse_date(text: str) -> date | None:
    """A calendar date with its year: 15-01-2027, 15/1/27, 15.01.2027, 2027-01-15, 15. januar 2027."""
    said = " ".join(text.casefold().split())
    if _NUMERIC.match(said):
        return numeric_date(said)
    if m := _ISO.match(said):
        year, month, day = (int(g) for g in m.groups())
    elif (m := _WORDED.match(said)) and m.group(2) in _MONTHS:
        day, month, year = int(m.group(1)), _MONTHS[m.group(2)], int(m.group(3))
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


_UNITS = {
    "dag": 1,
    "dage": 1,
    "day": 1,
    "days": 1,
    "uge": 7,
    "uger": 7,
    "week": 7,
    "weeks": 7,
    "måned": 30,
    "måneder": 30,
    "month": 30,
    "months": 30,
}
_WORDS = {
    "dagligt": 1,
    "daily": 1,
    "hver dag": 1,
    "every day": 1,
    "ugentligt": 7,
    "ugentlig": 7,
    "weekly": 7,
    "hver uge": 7,
    "every week": 7,
    "en gang om ugen": 7,
    "once a week": 7,
    "hver anden uge": 14,
    "hveranden uge": 14,
    "every other week": 14,
    "fortnightly": 14,
    "biweekly": 14,
    "månedligt": 30,
    "månedlig": 30,
    "monthly": 30,
    "hver måned": 30,
    "every month": 30,
    "en gang om måneden": 30,
    "once a month": 30,
}
_NUMBER_UNIT = re.compile(r"^(?:hver|every)?\s*(\d{1,3})\.?\s*([a-zæøå]+)$")
_NUMBERS = {"to": 2, "two": 2, "tre": 3, "three": 3, "fire": 4, "four": 4}


def every_days(text: str) -> int | None:
    """How many days between meetings: "hver uge", "every 2 weeks", "14 dage", "hver 14. dag", "monthly"."""
    said = " ".join(text.casefold().replace(",", " ").split()).rstrip(".")
    if said in _WORDS:
        return _WORDS[said]
    for word, number in _NUMBERS.items():
        said = re.sub(rf"\b{word}\b", str(number), said)
    if (m := _NUMBER_UNIT.match(said)) and m.group(2) in _UNITS:
        days = int(m.group(1)) * _UNITS[m.group(2)]
        return days if 1 <= days <= 366 else None
    return None


# ---- a day as people say it: "12/3", "i morgen", "tirsdag", "tomorrow" ---------------------------
_DAY_MONTH = re.compile(r"^(\d{1,2})[./-](\d{1,2})\.?$")
_DAY_MONTH_WORD = re.compile(r"^(\d{1,2})\.?\s+([a-zæøå]+)\.?$")
_RELATIVE = {
    "i dag": 0,
    "idag": 0,
    "today": 0,
    "i morgen": 1,
    "imorgen": 1,
    "tomorrow": 1,
    "i overmorgen": 2,
    "overmorgen": 2,
    "the day after tomorrow": 2,
}
_WEEKDAYS = {
    "mandag": 0,
    "man": 0,
    "monday": 0,
    "mon": 0,
    "tirsdag": 1,
    "tirs": 1,
    "tir": 1,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "onsdag": 2,
    "ons": 2,
    "wednesday": 2,
    "wed": 2,
    "torsdag": 3,
    "tors": 3,
    "tor": 3,
    "thursday": 3,
    "thu": 3,
    "thurs": 3,
    "fredag": 4,
    "fre": 4,
    "friday": 4,
    "fri": 4,
    "lørdag": 5,
    "lør": 5,
    "saturday": 5,
    "sat": 5,
    "søndag": 6,
    "søn": 6,
    "sunday": 6,
    "sun": 6,
}
# Words people put before a day that change nothing: "på tirsdag", "next tuesday", "den 12/3".
# Each also as written without Danish letters: "lordag", "loerdag", "paa naeste".
_FILLER = tuple(
    {
        spelling
        for word in ("på", "næste", "next", "on", "den", "d.", "this", "på næste")
        for spelling in plain_spellings(word)
    }
)
_WEEKDAYS = {spelling: day for word, day in _WEEKDAYS.items() for spelling in plain_spellings(word)}


def spoken_date(text: str, today: date) -> date | None:
    """A day as people write it, seen from `today`.

    A full date (see `parse_date`) is that date, past or not. A date without a year
    (12/3, 12. marts) is the next such date from today, today included. A weekday
    (tirsdag, tuesday) is the next such weekday after today. `i morgen` / `tomorrow`,
    `i dag` / `today` and `i overmorgen` count from today.
    """
    said = " ".join(text.casefold().replace(",", " ").split()).rstrip(".") if text.strip() else ""
    for filler in sorted(_FILLER, key=len, reverse=True):
        if said.startswith(filler + " "):
            said = said[len(filler) + 1 :]
            break
    if not said:
        return None
    if (full := parse_date(said)) is not None:
        return full
    if said in _RELATIVE:
        return today + timedelta(days=_RELATIVE[said])
    if said in _WEEKDAYS:
        ahead = (_WEEKDAYS[said] - today.weekday()) % 7
        return today + timedelta(days=ahead or 7)
    if m := _DAY_MONTH.match(said):
        day, month = int(m.group(1)), int(m.group(2))
    elif (m := _DAY_MONTH_WORD.match(said)) and m.group(2) in _MONTHS:
        day, month = int(m.group(1)), _MONTHS[m.group(2)]
    else:
        return None
    for year in range(today.year, today.year + 5):  # 29/2 waits for a leap year
        try:
            found = date(year, month, day)
        except ValueError:
            continue
        if found >= today:
            return found
    return None

"""A day as people say it (bot/core/dates.py `spoken_date`), seen from a fixed today."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.dates import numeric_date, parse_date, spoken_date

TODAY = date(2027, 3, 10)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("12/3", date(2027, 3, 12)),
        ("12-03-2027", date(2027, 3, 12)),
        ("12.3", date(2027, 3, 12)),
        ("12.3.", date(2027, 3, 12)),
        ("12. marts", date(2027, 3, 12)),
        ("12 march", date(2027, 3, 12)),
        ("10/3", TODAY),
        ("9/3", date(2028, 3, 9)),
        ("1/1", date(2028, 1, 1)),
        ("i morgen", date(2027, 3, 11)),
        ("I  Morgen", date(2027, 3, 11)),
        ("tomorrow", date(2027, 3, 11)),
        ("i dag", TODAY),
        ("today", TODAY),
        ("i overmorgen", date(2027, 3, 12)),
        ("tirsdag", date(2027, 3, 16)),
        ("Tuesday", date(2027, 3, 16)),
        ("på fredag", date(2027, 3, 12)),
        ("next friday", date(2027, 3, 12)),
        ("onsdag", date(2027, 3, 17)),
        ("den 12/3", date(2027, 3, 12)),
        ("2027-04-01", date(2027, 4, 1)),
        # Without Danish letters, as a keyboard without them writes it.
        ("lørdag", date(2027, 3, 13)),
        ("loerdag", date(2027, 3, 13)),
        ("lordag", date(2027, 3, 13)),
        ("son", date(2027, 3, 14)),
        ("pa fredag", date(2027, 3, 12)),
        ("paa naeste fredag", date(2027, 3, 12)),
        ("pa naste fredag", date(2027, 3, 12)),
    ],
)
def test_a_day_in_the_ways_people_say_it(text: str, day: date) -> None:
    assert spoken_date(text, TODAY) == day


def test_a_full_date_in_the_past_is_read_so_the_caller_can_refuse_it() -> None:
    assert spoken_date("12-03-2026", TODAY) == date(2026, 3, 12)


def test_the_29th_of_february_waits_for_a_leap_year() -> None:
    assert spoken_date("29/2", TODAY) == date(2028, 2, 29)


@pytest.mark.parametrize("text", ["", "snart", "32/3", "12/13", "31/4", "tirsday", "12", "i går"])
def test_what_is_not_a_day(text: str) -> None:
    assert spoken_date(text, TODAY) is None


def test_the_older_readers_are_unchanged() -> None:
    assert parse_date("15-01") is None and parse_date("i morgen") is None
    assert numeric_date("12/3") is None and numeric_date("15-01-2027") == date(2027, 1, 15)

"""The learning visit's command words and its three moments (bot/core/visits.py)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.core.visits import VisitRequest, VisitUsageError, Vocabulary, moments, parse_visit

WORDS = Vocabulary(
    half=frozenset({"halv", "half"}),
    full=frozenset({"hel", "full"}),
    day=frozenset({"dag", "day"}),
    filler=frozenset({"kl", "til", "until"}),
)
TODAY = date(2027, 3, 10)  # a Wednesday
CPH = ZoneInfo("Europe/Copenhagen")


@pytest.mark.parametrize(
    ("text", "request_"),
    [
        ("12/3 halv", VisitRequest(date(2027, 3, 12), "half", None)),
        ("tirsdag", VisitRequest(date(2027, 3, 16), "full", None)),
        ("i morgen hel dag til kl. 14:30", VisitRequest(date(2027, 3, 11), "full", time(14, 30))),
        ("halv dag i dag", VisitRequest(TODAY, "half", None)),
        ("tomorrow half until 11:00", VisitRequest(date(2027, 3, 11), "half", time(11, 0))),
        ("12.03.2027 9:45", VisitRequest(date(2027, 3, 12), "full", time(9, 45))),
    ],
)
def test_the_words_of_the_command(text: str, request_: VisitRequest) -> None:
    assert parse_visit(text.split(), WORDS, TODAY) == request_


@pytest.mark.parametrize(
    ("text", "key"),
    [("halv", "visit.no_date"), ("", "visit.no_date"), ("snart halv", "visit.bad_date"), ("32/3", "visit.bad_date")],
)
def test_what_is_refused_and_why(text: str, key: str) -> None:
    with pytest.raises(VisitUsageError) as refused:
        parse_visit(text.split(), WORDS, TODAY)
    assert refused.value.key == key


def test_the_reminder_skips_the_weekend_and_holidays_and_the_check_in_starts_the_day() -> None:
    monday = moments(VisitRequest(date(2027, 3, 15), "half", None), time(12), "Europe/Copenhagen")
    assert monday.checkin_at == datetime(2027, 3, 12, 9, 0, tzinfo=CPH)  # the reminder, the Friday before
    assert monday.morning_at == datetime(2027, 3, 15, 8, 0, tzinfo=CPH)  # the day starts: the check-in
    assert monday.ends_at == datetime(2027, 3, 15, 12, 0, tzinfo=CPH)
    after_easter = moments(VisitRequest(date(2027, 3, 30), "full", time(15, 30)), time(15), "Europe/Copenhagen")
    assert after_easter.checkin_at == datetime(2027, 3, 24, 9, 0, tzinfo=CPH)  # Easter holidays 25–29 March
    assert after_easter.ends_at == datetime(2027, 3, 30, 15, 30, tzinfo=CPH)


def test_an_end_before_eight_moves_the_morning_reminder_to_the_end() -> None:
    early = moments(VisitRequest(date(2027, 3, 15), "half", time(7, 0)), time(12), "Europe/Copenhagen")
    assert early.morning_at == early.ends_at

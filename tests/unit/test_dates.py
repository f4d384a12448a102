"""Dates and meeting frequencies as people write them (bot/core/dates.py), and the engine's use of them."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core import engine
from bot.core.dates import every_days, parse_date


@pytest.mark.parametrize(
    "text", ["15-01-2027", "15/1/27", "15.01.2027", "2027-01-15", "15. januar 2027", "15 January 2027"]
)
def test_a_date_in_the_ways_people_write_it(text: str) -> None:
    assert parse_date(text) == date(2027, 1, 15)


@pytest.mark.parametrize("text", ["31-02-2027", "i morgen", "15-01", ""])
def test_what_is_not_a_date(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("hver uge", 7),
        ("every 2 weeks", 14),
        ("14 dage", 14),
        ("hver 14. dag", 14),
        ("hver anden uge", 14),
        ("monthly", 30),
        ("every three weeks", 21),
        ("dagligt", 1),
    ],
)
def test_how_often(text: str, days: int) -> None:
    assert every_days(text) == days


def test_the_engine_refuses_what_a_check_refuses_and_keeps_who_was_named() -> None:
    script = engine.Script(
        keys=("when", "who"),
        people=frozenset({"who"}),
        checks={"when": lambda t, _a: None if parse_date(t) else "bad.date", "who": lambda _t, _a: "bad.person"},
    )
    state, _ = engine.start(script)
    state, says = engine.step(script, state, engine.Answer("snart"))
    assert says[0] == engine.Refused("invalid", message="bad.date") and state.index == 0
    state, _ = engine.step(script, state, engine.Answer("15-01-2027"))
    state, says = engine.step(script, state, engine.Answer("Lise"))
    assert says[0] == engine.Refused("invalid", message="bad.person")
    state, says = engine.step(script, state, engine.Answer("@U1", mention=("7", "Lise")))
    assert state.mode == "summary" and state.answers["who"] == "Lise" and state.people == {"who": "7"}


def test_numeric_dates_are_read_alone_and_inside_parse_date() -> None:
    from datetime import date

    from bot.core.dates import numeric_date, parse_date

    assert numeric_date("15-01-2027") == date(2027, 1, 15) == parse_date("15-01-2027")
    assert numeric_date("15/1/27") == date(2027, 1, 15)
    assert numeric_date("31-02-2027") is None
    assert numeric_date("2027-01-15") is None  # ISO is parse_date's, not a follow-up date's

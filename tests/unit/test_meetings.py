"""The learning meeting's rules: the command's words, the calendar, the agenda's clock."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
import yaml

from bot.core import meetings as rules
from bot.core.agenda import load_agenda
from bot.core.dialogs import DialogError
from bot.core.i18n import Catalog

DIALOGS = Path(__file__).resolve().parents[2] / "dialogs"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@pytest.fixture(scope="module")
def vocabulary() -> rules.Vocabulary:
    catalog = Catalog.load(DIALOGS / "messages")
    return rules.Vocabulary(
        weekdays=tuple(frozenset(catalog.words(f"meeting.words.weekdays.{d}")) for d in WEEKDAYS),
        every=frozenset(catalog.words("meeting.words.every")),
        weeks=frozenset(catalog.words("meeting.words.weeks")),
        minutes=frozenset(catalog.words("meeting.words.minutes")),
    )


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("tirsdag 09:00", rules.SeriesRequest(1, 9, 0)),
        ("Tuesday 9.30", rules.SeriesRequest(1, 9, 30)),
        ("fre 14:05 hver uge", rules.SeriesRequest(4, 14, 5, interval_weeks=1)),
        ("onsdag 08:00 hver 3. uge 45 min", rules.SeriesRequest(2, 8, 0, interval_weeks=3, length_minutes=45)),
        ("monday 08:00 every 4 weeks 60min", rules.SeriesRequest(0, 8, 0, interval_weeks=4, length_minutes=60)),
    ],
)
def test_the_command_words(vocabulary, words, expected) -> None:
    assert rules.parse_series(words.split(), vocabulary) == expected


@pytest.mark.parametrize(
    ("words", "key"),
    [
        ("", "meeting.usage"),
        ("tirsday 09:00", "meeting.bad_weekday"),
        ("tirsdag", "meeting.bad_time"),
        ("tirsdag 25:00", "meeting.bad_time"),
        ("tirsdag 9", "meeting.bad_time"),
        ("tirsdag 09:00 hver 12. uge", "meeting.bad_interval"),
        ("tirsdag 09:00 10 min", "meeting.bad_length"),
        ("tirsdag 09:00 stående", "meeting.bad_option"),
    ],
)
def test_wrong_words_name_the_reason(vocabulary, words, key) -> None:
    with pytest.raises(rules.MeetingUsageError) as caught:
        rules.parse_series(words.split(), vocabulary)
    assert caught.value.key == key


def test_every_second_week_keeps_the_wall_clock_time_and_skips_holidays() -> None:
    dates = rules.occurrences(date(2027, 3, 15), 2, 9, 0, "Europe/Copenhagen", 0, 4)
    assert [o.local_date for o in dates] == [date(2027, 3, 15), date(2027, 3, 29), date(2027, 4, 12), date(2027, 4, 26)]
    assert dates[0].starts_at == datetime(2027, 3, 15, 8, tzinfo=UTC)  # CET
    assert dates[2].starts_at == datetime(2027, 4, 12, 7, tzinfo=UTC)  # CEST: still 09:00 local
    assert [o.holiday for o in dates] == [False, True, False, False]  # Easter Monday
    # The working day before Easter Monday: Wednesday (Maundy Thursday, Good Friday, a weekend between).
    assert dates[1].remind_at == datetime(2027, 3, 24, 8, tzinfo=UTC)
    assert dates[0].remind_at == datetime(2027, 3, 12, 8, tzinfo=UTC)  # Friday before Monday


def test_a_strict_cadence_over_the_turn_of_the_year() -> None:
    dates = rules.occurrences(date(2026, 12, 22), 2, 9, 0, "Europe/Copenhagen", 0, 3)
    assert [o.local_date for o in dates] == [date(2026, 12, 22), date(2027, 1, 5), date(2027, 1, 19)]
    assert all(b.local_date - a.local_date == timedelta(days=14) for a, b in pairwise(dates))


def test_the_first_date_is_the_next_such_weekday_still_ahead() -> None:
    tuesday_morning = datetime(2027, 1, 5, 7, 30, tzinfo=UTC)  # 08:30 in Copenhagen
    assert rules.first_date(tuesday_morning, 1, 9, 0, "Europe/Copenhagen") == date(2027, 1, 5)
    assert rules.first_date(tuesday_morning, 1, 8, 0, "Europe/Copenhagen") == date(2027, 1, 12)


def test_the_agenda_clock() -> None:
    minutes = rules.step_minutes([5, 10, 2, None, 5], 30)
    assert minutes == [5, 10, 2, 8, 5]
    assert rules.step_minutes([5, 10, 2, None, 5], 45)[3] == 23
    start = datetime(2027, 1, 5, 8, tzinfo=UTC)
    assert rules.current_step(1, start, minutes, start + timedelta(minutes=4)) == (1, start)
    assert rules.current_step(1, start, minutes, start + timedelta(minutes=16)) == (3, start + timedelta(minutes=15))
    assert rules.current_step(1, start, minutes, start + timedelta(minutes=31))[0] == 6


def test_the_shipped_agenda_has_the_seed_questions() -> None:
    agenda = load_agenda(DIALOGS)
    assert [s.minutes for s in agenda.steps] == [5, 10, 2, None, 5]
    assert agenda.steps[1].questions is not None and len(agenda.steps[1].questions.da) == 8
    assert agenda.steps[1].questions.da[0] == "Hvad var den største udfordring?"
    assert agenda.steps[1].questions.da[7] == "Hvad er den vigtigste læring, du gjorde dig?"


def test_a_broken_agenda_is_refused_with_the_reason(tmp_path) -> None:
    shutil.copy(DIALOGS / "meeting.yaml", tmp_path / "meeting.yaml")
    data = yaml.safe_load((tmp_path / "meeting.yaml").read_text(encoding="utf-8"))
    data["steps"][1]["questions"]["en"].pop()
    data["steps"][0]["text"]["en"] = "{presenter} presents"
    (tmp_path / "meeting.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DialogError) as caught:
        load_agenda(tmp_path)
    assert "8 Danish and 7 English questions" in str(caught.value)
    assert "unknown placeholder" in str(caught.value)


def test_a_step_says_its_text_for_many_case_people_or_its_one_text(tmp_path) -> None:
    """Seed 004: "En eller flere medarbejdere" – with more than one case person, a step's
    `text_many`; a step without one says its `text` either way."""
    shutil.copy(DIALOGS / "meeting.yaml", tmp_path / "meeting.yaml")
    data = yaml.safe_load((tmp_path / "meeting.yaml").read_text(encoding="utf-8"))
    data["steps"][0]["text_many"] = {"da": "{case_person} præsenterer hver en case", "en": "{case_person} each present"}
    data["steps"][2].pop("text_many", None)
    (tmp_path / "meeting.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    case, _, learning, *_ = load_agenda(tmp_path).steps
    assert case.body("da", many=True) == "{case_person} præsenterer hver en case"
    assert case.body("da").startswith("{case_person} præsenterer en case eller opgave")
    assert learning.body("en", many=True) == learning.body("en")
    data["steps"][0]["text_many"]["en"] = "{presenters} each present"
    (tmp_path / "meeting.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DialogError, match=r"step 'case' \(en, text_many\): unknown placeholder"):
        load_agenda(tmp_path)

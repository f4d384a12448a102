"""The neutral forms (bot/core/forms.py): what `check` finds without looking anything up, and
every registered start form's texts in both catalogues."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.core import forms
from bot.core.forms import UNREACHED, Field, Form
from bot.core.i18n import Catalog
from bot.flows.router import Router
from bot.slack.forms import modal
from bot.teams.forms import form_card
from tests.support.slack_specs import check_modal
from tests.support.teams_specs import assert_valid_card

MESSAGES = Path(__file__).resolve().parents[2] / "dialogs" / "messages"
TODAY = date(2027, 3, 8)
FORM = Form(
    name="test",
    fields=(
        Field("who", "person", not_self=True),
        Field("group", "people", required=False),
        Field("day", "date", required=False, not_past=True),
        Field("at", "time", required=False),
        Field("kind", "choice", required=False, choices=("half", "full")),
        Field("note", "text", required=False, max_length=5),
    ),
)


def problems(**values: str) -> dict[str, str]:
    return {k: p.key for k, p in forms.check(FORM, {"who": "U2", **values}, submitter="U1", today=TODAY).items()}


def test_what_is_filled_in_well_has_no_problems() -> None:
    assert problems(group="U2,U3", day="2027-03-08", at="9:30", kind="half", note="kort") == {}


@pytest.mark.parametrize(
    ("values", "found"),
    [
        ({"who": ""}, {"who": "required"}),
        ({"who": "U1"}, {"who": "not_yourself"}),
        ({"who": "U2,U3"}, {"who": "one_person"}),
        ({"who": UNREACHED}, {"who": "unreached"}),
        ({"group": f"U3,{UNREACHED}"}, {"group": "unreached"}),
        ({"day": "2027-03-07"}, {"day": "past_date"}),
        ({"day": "2027-02-30"}, {"day": "bad_date"}),
        ({"day": "08-03-2027"}, {"day": "bad_date"}),
        ({"at": "25:00"}, {"at": "bad_time"}),
        ({"kind": "quarter"}, {"kind": "bad_choice"}),
        ({"note": "for lang"}, {"note": "too_long"}),
    ],
)
def test_each_problem_is_found_at_its_field(values: dict[str, str], found: dict[str, str]) -> None:
    assert problems(**values) == found


def test_too_long_says_the_limit_and_the_length() -> None:
    [problem] = forms.check(FORM, {"who": "U2", "note": "sekstegn"}, submitter="U1", today=TODAY).values()
    assert dict(problem.values) == {"limit": 5, "length": 8}


def test_every_start_form_has_its_texts_in_both_languages() -> None:
    catalog = Catalog.load(MESSAGES)
    starts = Router().forms.starts
    assert set(starts) >= {"elearning", "peer", "clinical", "visit", "meeting"}
    for name, start in starts.items():
        for language in ("da", "en"):
            for key in ("title", "submit", "new"):
                assert catalog.has(language, f"forms.{name}.{key}"), (language, name, key)
            # Slack shows a modal's title and submit in at most 24 characters.
            assert len(catalog.text(language, f"forms.{name}.title")) <= 24
            assert len(catalog.text(language, f"forms.{name}.submit")) <= 24
            for field in start.form.fields:
                assert catalog.has(language, f"forms.{name}.{field.key}.label"), (language, name, field.key)
                for choice in field.choices:
                    assert catalog.has(language, f"forms.{name}.{field.key}.choices.{choice}")
    problems = ("required", "unreached", "one_person", "not_yourself", "bad_date", "past_date", "too_long")
    for problem in (*problems, "unknown_channel"):
        assert catalog.has("da", f"forms.{problem}") and catalog.has("en", f"forms.{problem}")


# ---- a channel field (the learning meeting's) ----------------------------------------------
CHANNELED = Form(name="test", fields=(Field("where", "channel"),))


def _channel_view(value: str | None) -> forms.FormView:
    shown = forms.view(CHANNELED, lambda key: key, lambda key: False, nonce="n", language="da", today=TODAY)
    offered = [forms.Choice(value="C1", label="#team")]
    shown.fields = [f.model_copy(update={"choices": offered, "value": value}) for f in shown.fields]
    return shown


def test_a_channel_field_is_required_and_otherwise_left_to_the_opening() -> None:
    check = forms.check
    assert {k: p.key for k, p in check(CHANNELED, {"where": ""}, submitter="U1", today=TODAY).items()} == {
        "where": "required"
    }
    assert check(CHANNELED, {"where": "C9"}, submitter="U1", today=TODAY) == {}


def test_slack_shows_a_channel_field_as_a_conversations_select() -> None:
    opened = modal(_channel_view("C1"))
    [block] = opened["blocks"]
    assert block["element"] == {
        "action_id": "where",
        "type": "conversations_select",
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
        "initial_conversation": "C1",
        "default_to_current_conversation": True,
    }
    assert check_modal(opened) == []
    assert "initial_conversation" not in modal(_channel_view(None))["blocks"][0]["element"]


def test_teams_shows_a_channel_field_as_a_choice_of_the_channels_offered() -> None:
    card = form_card(_channel_view("C1"))
    [field] = [e for e in card["body"] if e["type"].startswith("Input.")]
    assert (field["type"], field["choices"], field["value"]) == (
        "Input.ChoiceSet",
        [{"title": "#team", "value": "C1"}],
        "C1",
    )
    assert_valid_card(card)

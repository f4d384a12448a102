"""`besøg` alone, and **Nyt besøg**, open a form on Slack (a modal) and in Teams (a card): the
colleague, the day, half or whole, maybe the end time. It books the same visit the typed
command books; a past day, yourself or nobody is answered at the field."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.storage.models import Visit
from tests.e2e.form_steps import (
    aad,
    slack_inputs,
    slack_open_by_button,
    slack_submit,
    teams_error,
    teams_inputs,
    teams_open_by_button,
    teams_submit,
)
from tests.e2e.harness import Chat
from tests.e2e.teams_harness import TeamsChat
from tests.fakes.teams_api import card_text

MADS, ANNA = "UMADS", "UANNA"
CPH = ZoneInfo("Europe/Copenhagen")
ASKED = "Jeg har spurgt Anna, om du må følge Anna som læringsagent"


def _ahead(chat: Chat | TeamsChat, days: int) -> date:
    return chat.bot.clock().astimezone(CPH).date() + timedelta(days=days)


async def visits(chat: Chat | TeamsChat) -> list[Visit]:
    async with chat.bot.runtime.db.transaction() as s:
        return list((await s.exec(select(Visit).order_by(col(Visit.id)))).all())


async def test_slack_the_form_books_the_same_visit_as_the_typed_command(slack_chat: Chat) -> None:
    chat = slack_chat
    day = _ahead(chat, 9)
    await chat.command(MADS, f"besøg <@UANNA|anna> {day:%d-%m-%Y} halv 13:30")
    await chat.expect(MADS, ASKED)
    view = await slack_open_by_button(chat, MADS, "Nyt besøg")
    assert view["title"]["text"] == "Nyt læringsbesøg"
    assert slack_inputs(view) == [
        ("colleague", "users_select", "Kollega", False),
        ("day", "datepicker", "Dag", False),
        ("length", "static_select", "Halv eller hel dag", True),
        ("end", "timepicker", "Slutter kl.", True),
    ]
    options = next(b for b in view["blocks"] if b["block_id"] == "length")["element"]["options"]
    assert [(o["value"], o["text"]["text"]) for o in options] == [("full", "Hel dag"), ("half", "Halv dag")]
    yesterday = _ahead(chat, -1).isoformat()
    assert await slack_submit(chat, MADS, view, colleague=ANNA, day=yesterday) == {
        "response_action": "errors",
        "errors": {"day": "Den dag er allerede forbi. Vælg en dag fra i dag og frem."},
    }
    assert await slack_submit(chat, MADS, view, colleague=MADS, day=None) == {
        "response_action": "errors",
        "errors": {
            "colleague": "Du kan ikke være læringsagent hos dig selv – vælg den kollega, du vil følge.",
            "day": "Udfyld dette felt.",
        },
    }
    chat.person("UBO", "Bo")
    assert (
        await slack_submit(chat, MADS, view, colleague="UBO", day=day.isoformat(), length="half", end="13:30") is None
    )
    await chat.expect(MADS, "Jeg har spurgt Bo, om du må følge Bo som læringsagent")
    typed, formed = await visits(chat)
    assert (typed.day, typed.length, typed.ends_at, typed.checkin_at) == (
        formed.day,
        formed.length,
        formed.ends_at,
        formed.checkin_at,
    )


async def test_slack_besoeg_alone_opens_the_form_and_a_whole_day_is_the_default(slack_chat: Chat) -> None:
    chat = slack_chat
    await chat.command(MADS, "besøg")
    view = await chat.slack.wait_for(lambda fake: fake.views[-1] if fake.views else None)
    assert view["title"]["text"] == "Nyt læringsbesøg"
    assert await slack_submit(chat, MADS, view, colleague=ANNA, day=_ahead(chat, 5).isoformat()) is None
    await chat.expect(MADS, ASKED, "hel dag")
    [visit] = await visits(chat)
    assert visit.length == "full"


async def test_teams_the_card_books_the_visit_and_answers_problems_in_it(teams_chat: TeamsChat) -> None:
    chat = teams_chat
    card_id, card = await teams_open_by_button(chat, MADS, "Nyt besøg")
    fields = teams_inputs(card)
    assert [(k, e["type"]) for k, e in fields.items()] == [
        ("colleague", "Input.ChoiceSet"),
        ("day", "Input.Date"),
        ("length", "Input.ChoiceSet"),
        ("end", "Input.Time"),
    ]
    assert [c["value"] for c in fields["length"]["choices"]] == ["full", "half"]
    answered = await teams_submit(
        chat, card_id, card, MADS, colleague=aad(chat, ANNA), day=_ahead(chat, -3).isoformat()
    )
    assert teams_error(answered, "day") == "Den dag er allerede forbi. Vælg en dag fra i dag og frem."
    answered = await teams_submit(
        chat,
        card_id,
        card,
        MADS,
        colleague=aad(chat, ANNA),
        day=_ahead(chat, 6).isoformat(),
        length="half",
        end="12:00",
    )
    assert "✓ Sendt" in card_text(answered)
    await chat.expect(MADS, ASKED, "halv dag")
    await chat.expect(ANNA, "*Mads* vil gerne følge dig på arbejde som læringsagent")
    [visit] = await visits(chat)
    assert visit.length == "half" and visit.ends_at.astimezone(CPH).strftime("%H:%M") == "12:00"

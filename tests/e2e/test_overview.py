"""The overview (`/laering mine`, PRODUCT.md §3) as people meet it, on Slack and on Teams:
what waits for them, what waits for others, what is coming up, and the leader's
approvals with their buttons right there."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import text

from bot.flows.overview_store import REBUILT
from tests.e2e.harness import Chat, message_text
from tests.e2e.peer_steps import until_approval
from tests.e2e.teams_harness import TeamsChat
from tests.e2e.test_meetings import TEAM, at, local
from tests.fakes import slack_signing as signing

LISE, MADS, SOFIE, ANNA = "ULISE", "UMADS", "USOFIE", "UANNA"
LEADER_ANSWERS = ["Forstå demens og kommunikation", "Bruge validerende kommunikation", "Tid til e-læring hver uge"]
MADS_ANSWERS = ["Viden om demenstyper", "I morgenplejen hos borgere med demens", "Sparring med en kollega"]


@pytest.fixture
def chat(any_chat: Chat) -> Chat:
    return any_chat


# ---- driving the overview ------------------------------------------------------
def _overview_buttons(chat: Chat, user: str, label: str) -> list[dict[str, Any]]:
    """Slack: buttons of that label in the replies to `user` through a response_url, oldest first."""
    replies = [c.args for c in chat.slack.calls_of("response_url")]
    found = []
    for args in chat.slack.messages_to(user):
        if not any(args is r for r in replies):
            continue
        for block in args.get("blocks") or []:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if element["text"]["text"] == label:
                    found.append(element | {"block_id": block.get("block_id", "b")})
    return found


async def click_overview(
    chat: Chat | TeamsChat, user: str, label: str, *, as_user: str | None = None, oldest: bool = False
) -> None:
    """Press a button in the newest (or the oldest) overview the person was shown.

    On Slack the overview is a reply only the person sees (ephemeral, through the
    command's response_url); on Teams a card in the personal chat.
    """
    if isinstance(chat, TeamsChat):
        await chat.click(user, label, as_user=as_user)
        return
    buttons = await chat.slack.wait_for(lambda _: _overview_buttons(chat, user, label))
    element = buttons[0 if oldest else -1]
    presser = as_user or user
    payload = {
        "type": "block_actions",
        "user": {"id": presser, "username": presser.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "token": signing.VERIFICATION_TOKEN,
        "trigger_id": signing._trigger_id(),
        "container": {
            "type": "message",
            "message_ts": "1700000999.000100",
            "channel_id": "D" + user[1:],
            "is_ephemeral": True,
        },
        "team": {"id": "T1", "domain": "testteam"},
        "channel": {"id": "D" + user[1:], "name": "directmessage"},
        "response_url": chat.slack.response_url(user=presser),
        "state": {"values": {}},
        "actions": [
            {
                "action_id": element["action_id"],
                "block_id": element["block_id"],
                "value": element.get("value", ""),
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    response = await chat.bot.post(
        urlencode({"payload": json.dumps(payload)}), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200, response.text


async def refreshed(chat: Chat | TeamsChat, *fragments: str) -> str:
    """The overview the person pressed in, shown again as it is now."""
    if isinstance(chat, TeamsChat):
        return await chat.updated(*fragments)

    def found(_: Any) -> str | None:
        for call in reversed(chat.slack.calls_of("response_url")):
            text = message_text(call.args)
            if call.args.get("replace_original") in (True, "true") and all(f in text for f in fragments):
                return text
        return None

    return await chat.slack.wait_for(found)


async def answer_all(chat: Chat, user: str, answers: list[str]) -> None:
    for number, answer in enumerate(answers, 1):
        if number > 1:
            await chat.expect(user, f"Spørgsmål {number} af {len(answers)}")
        await chat.say(user, answer)
    await chat.expect(user, "Intet sendes, før du trykker")
    await chat.click(user, "Send")


async def until_review(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(LISE, "Spørgsmål 1 af 3")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await answer_all(chat, LISE, LEADER_ANSWERS)
    await chat.expect(LISE, "Når Mads også har sendt")
    await answer_all(chat, MADS, MADS_ANSWERS)
    await chat.expect(LISE, "LÆRINGSMÅL", "[Godkend]")


# ---- the scenarios ----------------------------------------------------------------
async def test_a_leader_approves_from_the_overview(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    # Before anyone has answered: both have questions waiting.
    await chat.command(LISE, "mine")
    shown = await chat.expect(LISE, "Dit overblik", "*Venter på dig* (1)", "ABC Demens med Mads")
    assert "Besvar spørgsmålene før kurset" in shown and "*Venter på andre* (0)" in shown

    await answer_all(chat, LISE, LEADER_ANSWERS)
    await chat.command(LISE, "mine")
    await chat.expect(LISE, "Dit overblik", "*Venter på andre* (1)", "Venter på svar fra Mads")
    await answer_all(chat, MADS, MADS_ANSWERS)
    await chat.expect(LISE, "LÆRINGSMÅL", "[Godkend]")

    # The employee waits for the leader; the leader sees the approval with its buttons.
    await chat.command(MADS, "mine")
    await chat.expect(MADS, "*Venter på andre* (1)", "Venter på godkendelse fra Lise")
    await chat.command(LISE, "mine")
    shown = await chat.expect(LISE, "*Venter på dig* (1)", "Godkend eller bed om ændringer", "[Godkend]")
    assert "[Bed om ændringer]" in shown

    # Someone else pressing it changes nothing and is told why.
    await click_overview(chat, LISE, "Godkend", as_user=SOFIE)
    await chat.expect(SOFIE, "Only Lise")
    # The leader's press goes through the flow, as in the DM.
    await click_overview(chat, LISE, "Godkend")
    await chat.expect(MADS, "Lise har godkendt jeres læringskontrakt", "[Jeg har gennemført kurset]")
    await chat.updated("Godkendt af Lise")  # the approval in the DM has no live button left
    now = await refreshed(chat, "Dit overblik", "*Det kommer* (1)", "Opfølgning efter kurset")
    assert "[Godkend]" not in now and "*Venter på dig* (0)" in now
    await chat.command(MADS, "mine")
    coming = await chat.expect(
        MADS, "*Det kommer* (1)", "Opfølgning efter kurset", " kl. ", "[Jeg har gennemført kurset]"
    )
    assert "ABC Demens med Lise" in coming
    chat.check_payloads()


async def test_an_older_overview_cannot_decide_again(chat: Chat) -> None:
    await until_review(chat)
    for _ in range(2):
        await chat.command(LISE, "mine")
        await chat.expect(LISE, "Dit overblik", "[Godkend]")
    await click_overview(chat, LISE, "Godkend")
    await chat.expect(MADS, "Lise har godkendt jeres læringskontrakt")
    await refreshed(chat, "Dit overblik", "*Det kommer* (1)")
    # The first overview still shows the button; pressing it changes nothing.
    await click_overview(chat, LISE, "Godkend", oldest=True)
    await chat.expect(LISE, "allerede behandlet", "godkendt")
    await chat.settle()
    assert chat.count(MADS, "Lise har godkendt jeres læringskontrakt") == 1
    chat.check_payloads()


async def test_someone_with_nothing_under_way_and_english(chat: Chat) -> None:
    await chat.command(ANNA, "mine")
    await chat.expect(ANNA, "Dit overblik", "Du har ingen kontrakter, besøg eller møder i gang")
    await chat.command(SOFIE, "my")
    await chat.expect(SOFIE, "Your overview", "You have no contracts, visits or meetings")
    await chat.command(LISE, "kontrakt <@USOFIE|sofie> Safe lifting")
    await chat.expect(SOFIE, "Question 1 of 3")
    await chat.command(SOFIE, "mine")
    shown = await chat.expect(
        SOFIE, "*Waiting for you* (1)", "Safe lifting with Lise", "Answer the questions before the course"
    )
    assert "since" in shown and "*Coming up* (0)" in shown
    await chat.command(LISE, "hjælp")
    await chat.expect(LISE, "mine [side]", "dit overblik")
    chat.check_payloads()


async def test_peer_approvals_and_what_comes_next(chat: Chat) -> None:
    await until_approval(chat)
    await chat.expect(LISE, "er nævnt som leder/sponsor", "[Godkend]")
    await chat.command(LISE, "mine")
    await chat.expect(LISE, "*Venter på dig* (1)", "Lær af en kollega: Mads og Anna", "[Godkend]")
    await chat.command(MADS, "mine")
    await chat.expect(MADS, "*Venter på andre* (1)", "Venter på godkendelse fra Lise og Sofie")
    await click_overview(chat, LISE, "Godkend")
    await chat.expect(LISE, "når Sofie også har godkendt")
    await refreshed(chat, "*Venter på dig* (0)", "*Venter på andre* (1)", "Venter på godkendelse fra Sofie")
    await chat.command(SOFIE, "my")
    await chat.expect(SOFIE, "*Waiting for you* (1)", "Learn from a colleague: Mads and Anna", "[Approve]")
    await click_overview(chat, SOFIE, "Approve")
    await chat.expect(MADS, "er godkendt af alle og er nu aktiv")
    await refreshed(chat, "*Coming up* (1)", "The contract ends.")
    await chat.command(MADS, "mine")
    await chat.expect(MADS, "*Det kommer* (1)", "Næste aftalte møde. Forløbet slutter")
    chat.check_payloads()


async def test_meetings_coming_up(chat: Chat) -> None:
    await at(chat, local(2027, 1, 1, 10, 0))
    await chat.post_in_channel(LISE, TEAM, "møde tirsdag 09:00 <@UMADS|mads>")
    await chat.expect_in_channel(TEAM, "Lise har oprettet en serie")
    await chat.command(MADS, "mine")
    shown = await chat.expect(MADS, "*Det kommer* (", "Læringsmøde: Systematisk læringsmøde", "Du er facilitator")
    assert "5. januar 2027 kl. 09:00" in shown
    await chat.command(LISE, "mine")
    await chat.expect(LISE, "Du har ingen kontrakter, besøg eller møder")
    chat.check_payloads()


async def test_a_database_from_before_the_stored_places_is_filled_at_start(chat: Chat) -> None:
    """An upgrade brings the table of the contracts' places in the overview empty: the bot's
    first start fills it from the contracts, so the overview counts what it did before."""
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.command(LISE, "kontrakt <@UANNA|anna> Forflytning")
    await chat.expect(ANNA, "Spørgsmål 1 af 3")
    await answer_all(chat, LISE, LEADER_ANSWERS)  # the first contract's questions
    await chat.settle()
    # As the migration leaves a database of contracts: the table empty, nothing marked done.
    async with chat.bot.runtime.db.transaction() as s:
        await s.exec(text("DELETE FROM overviewentry"))
        await s.exec(text(f"DELETE FROM maintenancerun WHERE name = '{REBUILT}'"))
    await chat.command(LISE, "mine")
    await chat.expect(LISE, "Dit overblik", "Du har ingen kontrakter, besøg eller møder i gang")

    await chat.bot.restart()
    await chat.command(LISE, "mine")
    shown = await chat.expect(LISE, "Dit overblik", "*Venter på dig* (1)", "*Venter på andre* (1)")
    assert "Forflytning med Anna" in shown and "Venter på svar fra Mads" in shown
    await chat.command(MADS, "mine")
    await chat.expect(MADS, "*Venter på dig* (1)", "ABC Demens med Lise", "Besvar spørgsmålene før kurset")
    async with chat.bot.runtime.db.transaction() as s:
        placed = (await s.exec(text("SELECT count(*) FROM overviewentry"))).one()
    assert placed[0] == 4  # two contracts, two parties each
    chat.check_payloads()


async def test_a_leader_writing_changes_sees_that_step_for_that_contract_only(chat: Chat) -> None:
    await until_review(chat)
    await chat.click(LISE, "Bed om ændringer")
    await chat.expect(LISE, "Hvad skal Mads ændre eller uddybe?")
    await chat.command(LISE, "kontrakt <@UANNA|anna> Forflytning")
    await chat.expect(ANNA, "Spørgsmål 1 af 3")
    await chat.command(LISE, "mine")
    shown = await chat.expect(LISE, "Dit overblik", "*Venter på dig* (2)", "ABC Demens med Mads")
    # The contract under review waits for her comment; the new one still for her answers.
    assert "Skriv din kommentar til ændringerne i vores direkte besked." in shown
    assert "Godkend eller bed om ændringer" not in shown and "Besvar spørgsmålene før kurset" in shown
    await chat.say(LISE, "Gør målet mere konkret, tak.")
    await chat.expect(MADS, "Lise har bedt om ændringer")
    await chat.command(LISE, "mine")
    shown = await chat.expect(LISE, "Dit overblik", "*Venter på andre* (1)", "ABC Demens med Mads")
    assert "Skriv din kommentar" not in shown
    chat.check_payloads()

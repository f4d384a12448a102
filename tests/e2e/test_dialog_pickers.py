"""Pickers inside flows (issue 13, point 3): a question that asks for a person or a date offers
a people picker or a calendar beside typing, on Slack and on Teams. A pick is the answer, with
the typed answer's checks; a bad pick is answered clearly; a pick on an old question is stale.

What the platforms send is what their clients send: Slack a `block_actions` with
`selected_user` / `selected_date`; Teams an `adaptiveCard/action` invoke whose data holds the
picked user's Azure AD object id (no mention entities) or the date. Every message sent, picker
and all, is checked against the Block Kit limits and the Adaptive Card schema (the fixtures'
`check_payloads`).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest

from tests.e2e.harness import Chat
from tests.e2e.peer_steps import ANNA, LISE, MADS, invite, profile
from tests.e2e.teams_harness import TeamsChat, teams_id
from tests.fakes import slack_signing as signing
from tests.fakes.slack_api import dm_channel_id
from tests.fakes.teams_api import card_of

STARTS = date.today() + timedelta(days=2)
ENDS = date.today() + timedelta(days=30)
HINT = "Skriv dit svar her"  # under every question (dialog.words_hint)
SUMMARY = "Intet sendes, før du trykker"
STALE = "Den knap hører til en tidligere besked"
LEADER = "Hvem er din leder/sponsor?"
ENDS_ASKED = "Hvornår slutter forløbet?"
# Typed answers to the peer contract's questions, by a piece of each question's text; the
# order the flow asks them in is the flow's.
TYPED = {
    "supervisorens ansvar": "Ole giver sparring",
    "Hvornår starter": f"{STARTS:%d-%m-%Y}",
    ENDS_ASKED: f"{ENDS:%d-%m-%Y}",
    "Hvor ofte mødes": "hver uge",
    "supervisor (videnforvalter)?": "spring over",
    LEADER: "<@ULISE|lise>",
}


@pytest.fixture
def chat(any_chat: Chat | TeamsChat) -> Chat | TeamsChat:
    return any_chat


async def next_question(chat: Chat | TeamsChat, user: str, timeout: float = 5.0) -> str:
    """The next question or summary the person is shown (read in order)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        texts = chat.texts(user)
        for index in range(chat.read.get(user, 0), len(texts)):
            if HINT in texts[index] or SUMMARY in texts[index]:
                chat.read[user] = index + 1
                return texts[index]
        assert asyncio.get_running_loop().time() < deadline, f"no question for {user}: {texts[-3:]}"
        await asyncio.sleep(0.02)


async def until(chat: Chat | TeamsChat, user: str, wanted: str, shown: str | None = None) -> str:
    """Answer the person's questions (typing; Send at a summary) until one holds `wanted`;
    `shown`: the question they were last shown, not answered yet."""
    for _ in range(40):
        shown = shown or await next_question(chat, user)
        if wanted in shown:
            return shown
        if SUMMARY in shown:
            await chat.click(user, "Send")
        else:
            await chat.say(user, next((a for f, a in TYPED.items() if f in shown), "Et svar til kontrakten"))
        shown = None
    raise AssertionError(f"{user} was never asked {wanted!r}")


async def to_question(chat: Chat | TeamsChat, wanted: str) -> str:
    """From the invitation to Mads being asked the question that holds `wanted`."""
    await invite(chat)
    await chat.click(ANNA, "Ja, gerne")
    await chat.expect(MADS, "Anna har sagt ja")
    await profile(chat, MADS, "Hjemmeplejen Nord", "Social- og sundhedsassistent")
    return await until(chat, MADS, wanted)


def answered(summary: str, title: str) -> str:
    """The answer under a question's title in a summary (Slack quotes it with "> ")."""
    lines = summary.split("\n")
    at = next(i for i, line in enumerate(lines) if line.strip("*") == title)
    return lines[at + 1].removeprefix(">").strip()


# ---- picking, as each platform's client sends it -------------------------------------------
@dataclass(frozen=True)
class Picked:
    held: Any  # the picker picked in, to pick in it again
    sent: Any  # the request as sent, to send again


def _slack_picker(chat: Chat, user: str, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The newest message in the DM with a picker of that element type, and its block."""
    for (channel, ts), message in reversed(list(chat.slack.messages.items())):
        if channel != dm_channel_id(user):
            continue
        for block in message.get("blocks") or []:
            if block.get("type") == "actions" and any(e.get("type") == kind for e in block.get("elements", [])):
                return message | {"channel": channel, "ts": ts}, block
    raise AssertionError(f"no {kind} for {user}:\n{chat.slack.dump()}")


async def _slack_pick(chat: Chat, user: str, kind: str, picked: dict[str, Any], held: Any = None) -> Picked:
    message, block = held or _slack_picker(chat, user, kind)
    element = next(e for e in block["elements"] if e["type"] == kind)
    body = signing.block_actions_body(
        user,
        element["action_id"],
        "",
        message_ts=message["ts"],
        channel_id=message["channel"],
        response_url=chat.slack.response_url(user=user),
        block_id=block["block_id"],
    )
    payload = json.loads(parse_qs(body)["payload"][0])
    # What Slack sends for a select or a date picked: the element's type and the pick, no value.
    payload["actions"] = [
        {
            "type": kind,
            "action_id": element["action_id"],
            "block_id": block["block_id"],
            "action_ts": f"{time.time():.6f}",
            **picked,
        }
    ]
    sent = urlencode({"payload": json.dumps(payload)})
    response = await chat.bot.post(sent, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.text
    return Picked((message, block), sent)


def _teams_picker(chat: TeamsChat, user: str, kind: str) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """The newest card in the chat with a picker of that input type: where, the input, its button."""
    conversation = chat.teams.conversation_of(teams_id(user))
    for sent in reversed(chat.teams.activities_in(conversation)):
        body = (card_of(sent.activity) or {}).get("body", [])
        for index, element in enumerate(body):
            if element.get("type") == kind and index + 1 < len(body):
                return conversation, sent.id, element, body[index + 1]["actions"][0]
    raise AssertionError(f"no {kind} for {user}:\n{chat.teams.dump()}")


async def _teams_pick(chat: TeamsChat, user: str, kind: str, value: str, held: Any = None) -> Picked:
    conversation, card_id, field, button = held or _teams_picker(chat, user, kind)
    # Action.Execute sends the button's data with the card's inputs by id: the picked person's
    # AAD object id, or the date as YYYY-MM-DD.
    data = {**button["data"], field["id"]: value}
    presser = teams_id(user)
    press = chat.teams.press(presser, conversation, card_id, button["verb"], data)
    response = await chat.bot.post(press)
    assert response.status_code == 200, response.text
    chat.teams.record_answer(presser, response.json())
    return Picked((conversation, card_id, field, button), press)


async def pick_person(chat: Chat | TeamsChat, user: str, picked: str | None, held: Any = None) -> Picked:
    """`user` picks `picked` (a handle; None: nobody) in the newest people picker (or `held`)."""
    if isinstance(chat, TeamsChat):
        aad = chat.teams.users[teams_id(picked)].aad_object_id if picked else ""
        return await _teams_pick(chat, user, "Input.ChoiceSet", aad, held)
    return await _slack_pick(chat, user, "users_select", {"selected_user": picked} if picked else {}, held)


async def pick_date(chat: Chat | TeamsChat, user: str, day: date) -> Picked:
    if isinstance(chat, TeamsChat):
        return await _teams_pick(chat, user, "Input.Date", day.isoformat())
    return await _slack_pick(chat, user, "datepicker", {"selected_date": day.isoformat()})


async def redeliver(chat: Chat | TeamsChat, picked: Picked) -> None:
    """The platform sends a pick again, as it does when the bot was slow to answer."""
    sent = picked.sent
    if isinstance(chat, TeamsChat):
        response = await chat.bot.post(sent)
    else:
        response = await chat.bot.post(sent, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.text


# ---- the scenarios ----------------------------------------------------------------------------
async def test_the_leader_is_picked_and_a_second_pick_on_the_old_question_is_stale(chat: Chat | TeamsChat) -> None:
    asked = await to_question(chat, LEADER)
    assert HINT in asked  # typing stays, beside the picker
    assert "Vælg personen i listen, eller skriv @navn" in asked  # the question says both ways
    held = await pick_person(chat, MADS, LISE)
    after = await next_question(chat, MADS)
    assert LEADER not in after  # the pick answered the question: the flow moved on
    await chat.updated("✓ Lise")  # the picker is closed, the pick shown in its place

    # The same pick delivered again changes nothing: no new message, the flow where it was.
    before = len(chat.texts(MADS))
    await redeliver(chat, held)
    await chat.settle()
    assert len(chat.texts(MADS)) == before

    # The same picker again (the old message, as a client that still shows it sends it): stale.
    await pick_person(chat, MADS, ANNA, held.held)
    await chat.expect(MADS, STALE)
    shown = await until(chat, MADS, SUMMARY, after)
    assert answered(shown, "DIN LEDER/SPONSOR") == "Lise"
    await chat.click(MADS, "Send")
    await chat.expect(MADS, "Lise får kontrakten til godkendelse")


async def test_picking_yourself_or_nobody_as_leader_is_refused_clearly(chat: Chat | TeamsChat) -> None:
    await to_question(chat, LEADER)
    await pick_person(chat, MADS, MADS)
    await chat.expect(MADS, "Du kan ikke nævne dig selv her")
    again = await next_question(chat, MADS)
    assert LEADER in again  # asked again, picker and all
    await pick_person(chat, MADS, None)
    await chat.expect(MADS, "Du valgte ingen")
    assert LEADER in await next_question(chat, MADS)
    # Typing yourself gets the same answer as picking yourself.
    await chat.say(MADS, "<@UMADS|mads>")
    await chat.expect(MADS, "Du kan ikke nævne dig selv her")
    assert LEADER in await next_question(chat, MADS)
    await pick_person(chat, MADS, LISE)
    assert LEADER not in await next_question(chat, MADS)


async def test_the_end_date_is_picked_and_a_past_one_is_refused(chat: Chat | TeamsChat) -> None:
    asked = await to_question(chat, ENDS_ASKED)
    assert HINT in asked
    await pick_date(chat, MADS, date.today() - timedelta(days=3))
    await chat.expect(MADS, "Slutdatoen skal ligge efter startdatoen og efter i dag")  # as typed
    assert ENDS_ASKED in await next_question(chat, MADS)
    await pick_date(chat, MADS, ENDS)
    after = await next_question(chat, MADS)
    assert ENDS_ASKED not in after
    await chat.updated(f"✓ {ENDS:%d-%m-%Y}")
    shown = await until(chat, MADS, SUMMARY, after)
    assert answered(shown, "SLUTDATO") == f"{ENDS:%d-%m-%Y}"

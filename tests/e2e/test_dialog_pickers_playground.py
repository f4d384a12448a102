"""The playground shows a dialog question's picker from the same neutral description, through
its page's JSON API: the peer contract's leader question offers one of the cast, and the pick
is the answer, as on Slack and Teams (tests/e2e/test_dialog_pickers.py)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import httpx

HINT = "Skriv dit svar her"
SUMMARY = "Intet sendes, før du trykker"
LEADER = "Hvem er din leder/sponsor?"
TYPED = {
    "Hvornår starter": f"{date.today() + timedelta(days=2):%d-%m-%Y}",
    "Hvornår slutter": f"{date.today() + timedelta(days=30):%d-%m-%Y}",
    "Hvor ofte mødes": "hver uge",
    "supervisorens ansvar": "Ole giver sparring",
    "supervisor (videnforvalter)?": "spring over",
}


async def _bot_messages(http: httpx.AsyncClient, person: str) -> list[dict[str, Any]]:
    state: dict[str, Any] = (await http.get("/api/state", params={"person": person})).json()
    return [m for m in state["messages"] if m["from"] == "bot" and "message" in m]


def _text(message: dict[str, Any]) -> str:
    return " ".join(str(b.get("text", "")) for b in message["message"]["blocks"])


async def _next(http: httpx.AsyncClient, person: str, after: int, *fragments: str) -> dict[str, Any]:
    """The first bot message to `person` newer than `after` (an id) that holds one of `fragments`."""
    for _ in range(250):
        for message in await _bot_messages(http, person):
            if message["id"] > after and any(f in _text(message) for f in fragments):
                return message
        await asyncio.sleep(0.02)
    raise AssertionError(f"{person} was never shown any of {fragments}")


async def _press(http: httpx.AsyncClient, person: str, message: dict[str, Any], label: str) -> None:
    [button] = [
        b
        for block in message["message"]["blocks"]
        if block["kind"] == "buttons"
        for b in block["buttons"]
        if b["label"] == label
    ]
    body = {"person": person, "message_id": message["id"], "action": button["action"], "value": button["value"]}
    assert (await http.post("/api/click", json=body)).status_code == 200


async def test_the_leader_question_offers_the_cast_and_the_pick_answers_it(http: httpx.AsyncClient) -> None:
    await http.post("/api/say", json={"person": "mads", "text": "/laering kollega @sofie"})
    invitation = await _next(http, "sofie", 0, "vil gerne lære sammen med dig")
    await _press(http, "sofie", invitation, "Ja, gerne")
    shown = await _next(http, "mads", 0, HINT)
    for _ in range(40):  # the questions before the leader's, typed (their order is the flow's)
        if LEADER in _text(shown):
            break
        if SUMMARY in _text(shown):
            await _press(http, "mads", shown, "Send")
        else:
            typed = next((a for f, a in TYPED.items() if f in _text(shown)), "Et svar til kontrakten")
            await http.post("/api/say", json={"person": "mads", "text": typed})
        shown = await _next(http, "mads", shown["id"], HINT, SUMMARY)
    [picker] = [b for b in shown["message"]["blocks"] if b["kind"] == "picker"]
    assert (picker["picks"], picker["label"], picker["submit"]) == ("person", "Vælg en person", "Vælg")

    # The page sends the pick with the press: one of the cast, the way it shows people.
    click = {
        "person": "mads",
        "message_id": shown["id"],
        "action": picker["action"],
        "value": picker["value"],
        "pick": "lise",
        "picks": "person",
    }
    assert (await http.post("/api/click", json=click)).status_code == 200
    after = await _next(http, "mads", shown["id"], HINT, SUMMARY)
    assert LEADER not in _text(after)
    while SUMMARY not in _text(after):
        typed = next((a for f, a in TYPED.items() if f in _text(after)), "Et svar til kontrakten")
        await http.post("/api/say", json={"person": "mads", "text": typed})
        after = await _next(http, "mads", after["id"], HINT, SUMMARY)
    assert "Lise" in str(after["message"])

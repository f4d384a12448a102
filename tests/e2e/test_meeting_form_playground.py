"""The playground shows the learning meeting's form from the same neutral description,
through its page's JSON API: **Nyt læringsmøde** in the help opens it, its channel field
offers the playground's channel, a missing time comes back at the field, and a good one sets
up the series in the channel as `/laering møde tirsdag 09:00 @mads` does."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from bot.core.mentions import plain
from bot.playground.platform import CHANNEL


async def _state(http: httpx.AsyncClient, person: str) -> dict[str, Any]:
    state: dict[str, Any] = (await http.get("/api/state", params={"person": person})).json()
    return state


async def _wait(http: httpx.AsyncClient, person: str, found: Any) -> Any:
    for _ in range(250):
        if (hit := found(await _state(http, person))) is not None:
            return hit
        await asyncio.sleep(0.02)
    raise AssertionError(f"{person} was never shown it")


def _form(check: Any = lambda form: True) -> Any:
    def found(state: dict[str, Any]) -> dict[str, Any] | None:
        return next((m for m in reversed(state["messages"]) if m.get("form") and check(m["form"])), None)

    return found


def _button(label: str) -> Any:
    def found(state: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
        for message in reversed(state["messages"]):
            for block in (message.get("message") or {}).get("blocks", []):
                for button in block.get("buttons", []) if block["kind"] == "buttons" else []:
                    if button["label"] == label:
                        return message, button
        return None

    return found


async def _send(http: httpx.AsyncClient, shown: dict[str, Any], **fields: str) -> None:
    form = shown["form"]
    body = {
        "person": "lise",
        "message_id": shown["id"],
        "value": f"{form['name']}:{form['nonce']}",
        "fields": fields,
        "people": [f["key"] for f in form["fields"] if f["kind"] in ("person", "people")],
    }
    assert (await http.post("/api/submit", json=body)).status_code == 200


async def test_the_playground_shows_the_meeting_form_and_sets_up_the_series(http: httpx.AsyncClient) -> None:
    await http.post("/api/say", json={"person": "lise", "text": "/laering hjælp"})
    message, button = await _wait(http, "lise", _button("Nyt læringsmøde"))
    click = {"person": "lise", "message_id": message["id"], "action": button["action"], "value": button["value"]}
    assert (await http.post("/api/click", json=click)).status_code == 200
    shown = await _wait(http, "lise", _form())
    form = shown["form"]
    assert form["title"] == "Nyt læringsmøde"
    assert [(f["key"], f["kind"], f["required"]) for f in form["fields"]] == [
        ("channel", "channel", True),
        ("weekday", "choice", True),
        ("time", "time", True),
        ("facilitators", "people", False),
        ("every", "choice", False),
        ("length", "choice", False),
    ]
    channel = form["fields"][0]
    assert [(c["value"], c["label"]) for c in channel["choices"]] == [(CHANNEL, "#læring")]

    await _send(http, shown, channel=CHANNEL, weekday="tuesday", time="", facilitators="mads")
    again = await _wait(http, "lise", _form(lambda f: any(field["error"] for field in f["fields"])))
    assert {f["key"]: f["error"] for f in again["form"]["fields"] if f["error"]} == {"time": "Udfyld dette felt."}

    await _send(http, again, channel=CHANNEL, weekday="tuesday", time="09:00", facilitators="mads")
    sent = await _wait(http, "lise", _form(lambda f: f["done"]))
    assert sent["form"]["done"].startswith("✓ Sendt")

    def announced(state: dict[str, Any]) -> str | None:
        texts = [plain(json.dumps(item, ensure_ascii=False)) for item in state["channel"]]  # as the page shows people
        return next((t for t in texts if "Lise har oprettet en serie af læringsmøder" in t), None)

    post = await _wait(http, "lise", announced)
    assert "hver anden tirsdag kl. 09:00, 30 min" in post and "Facilitator: Mads" in post

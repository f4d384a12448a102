"""The playground shows the same form, from the same neutral description, through its page's
JSON API: `/laering kontrakt` alone opens it, problems come back at the fields, a good one
starts the contract and shows the form as sent."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from typing import Any

import httpx

from bot.core.mentions import plain


async def _messages(http: httpx.AsyncClient, person: str) -> list[dict[str, Any]]:
    state: dict[str, Any] = (await http.get("/api/state", params={"person": person})).json()
    return state["messages"]  # type: ignore[no-any-return]  # JSON from the page's own API


async def _form(http: httpx.AsyncClient, person: str, check: Any = lambda form: True) -> dict[str, Any]:
    for _ in range(250):
        for message in reversed(await _messages(http, person)):
            if message.get("form") and check(message["form"]):
                return message  # type: ignore[no-any-return]  # JSON from the page's own API
        await asyncio.sleep(0.02)
    raise AssertionError(f"{person} was never shown the form")


async def _told(http: httpx.AsyncClient, person: str, fragment: str) -> None:
    for _ in range(250):
        # As the page shows it: a person the bot names (a mention marker) is their name.
        said = [m.get("message") for m in await _messages(http, person) if m["from"] == "bot"]
        shown = [plain(json.dumps(message, ensure_ascii=False)) for message in said]
        if any(fragment in text for text in shown):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{person} was never told {fragment!r}")


async def _send(http: httpx.AsyncClient, shown: dict[str, Any], **fields: str) -> None:
    form = shown["form"]
    response = await http.post(
        "/api/submit",
        json={
            "person": "lise",
            "message_id": shown["id"],
            "value": f"{form['name']}:{form['nonce']}",
            "fields": fields,
            "people": [f["key"] for f in form["fields"] if f["kind"] in ("person", "people")],
        },
    )
    assert response.status_code == 200, response.text


async def test_the_playground_shows_the_form_and_starts_the_contract(http: httpx.AsyncClient) -> None:
    await http.post("/api/say", json={"person": "lise", "text": "/laering kontrakt"})
    shown = await _form(http, "lise")
    form = shown["form"]
    assert form["title"] == "Ny læringskontrakt"
    assert [(f["key"], f["kind"], f["label"], f["required"]) for f in form["fields"]] == [
        ("employee", "person", "Medarbejder", True),
        ("course", "text", "Kursus", True),
        ("followup", "date", "Opfølgningsdato", False),
    ]
    assert {p["id"] for p in shown["people"]} >= {"lise", "mads"}  # the page's people picker

    await _send(http, shown, employee="lise", course="ABC Demens", followup="")
    again = await _form(http, "lise", lambda f: any(field["error"] for field in f["fields"]))
    assert again["id"] == shown["id"]  # in the place of the one sent
    errors = {f["key"]: f["error"] for f in again["form"]["fields"] if f["error"]}
    assert errors == {"employee": "Du kan ikke lave en læringskontrakt med dig selv – vælg medarbejderen."}
    assert next(f for f in again["form"]["fields"] if f["key"] == "course")["value"] == "ABC Demens"

    ahead = (date.today() + timedelta(days=35)).isoformat()  # the playground's clock runs from now
    await _send(http, again, employee="mads", course="ABC Demens", followup=ahead)
    sent = await _form(http, "lise", lambda f: f["done"])
    assert sent["id"] == shown["id"] and sent["form"]["done"].startswith("✓ Sendt")
    await _told(http, "lise", "Læringskontrakten om *ABC Demens* er startet med Mads")
    await _told(http, "mads", "Lise har startet en læringskontrakt med dig om *ABC Demens*")

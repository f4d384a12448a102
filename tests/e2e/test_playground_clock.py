"""The playground's clock as a newcomer moves it: "Til næste hændelse" goes to the next thing
people will see, never to housekeeping years ahead."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from bot.app import create_app
from bot.settings import Settings
from tests.support.server import LoopbackServer


async def _state(http: httpx.AsyncClient, person: str) -> dict[str, Any]:
    state: dict[str, Any] = (await http.get("/api/state", params={"person": person})).json()
    return state


async def _bot_says(http: httpx.AsyncClient, person: str, fragment: str) -> dict[str, Any]:
    for _ in range(250):
        for message in (await _state(http, person))["messages"]:
            if message["from"] == "bot" and fragment in str(message["message"]):
                return message  # type: ignore[no-any-return]  # JSON from the page's own API
        await asyncio.sleep(0.02)
    raise AssertionError(f"{person} was never told {fragment!r}")


async def test_the_next_event_after_a_contract_ends_is_not_its_deletion_years_ahead(database_url: str) -> None:
    server = LoopbackServer(
        create_app(Settings(_env_file=None, database_url=database_url, playground=True, clock_interval_seconds=3600))
    )
    url = await server.start()
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            await http.post("/api/say", json={"person": "lise", "text": "/laering kontrakt @mads ABC Demens"})
            await _bot_says(http, "lise", "Spørgsmål 1 af 3")
            await http.post("/api/say", json={"person": "lise", "text": "afbryd"})
            confirm = await _bot_says(http, "lise", "Vil du afbryde?")
            yes = next(
                b
                for block in confirm["message"]["blocks"]
                if block["kind"] == "buttons"
                for b in block["buttons"]
                if b["label"] == "Ja, afbryd"
            )
            await http.post(
                "/api/click",
                json={"person": "lise", "action": yes["action"], "value": yes["value"], "message_id": confirm["id"]},
            )
            await _bot_says(http, "lise", "Du har afbrudt læringskontrakten")
            year = int((await http.post("/api/clock", json={"advance": "hour"})).json()["now"].split()[2])
            moved = (await http.post("/api/clock", json={"advance": "next"})).json()["now"]
            # A contract that ended is kept 36 months; that is no event to jump to.
            assert int(moved.split()[2]) - year <= 1, moved
    finally:
        await server.stop()

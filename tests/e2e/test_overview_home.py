"""The Slack App Home shows the overview (PRODUCT.md §3), and paging keeps the
overview short and fast with many contracts (on Slack and on Teams)."""

from __future__ import annotations

import json
import time
from itertools import pairwise
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import event
from sqlmodel import select

from bot.flows.context import Context
from bot.storage.models import Person
from tests.e2e.harness import Chat, message_text
from tests.e2e.teams_harness import TeamsChat, teams_id
from tests.e2e.test_overview import LISE, MADS, click_overview, refreshed, until_review
from tests.fakes import slack_signing as signing


async def open_home(chat: Chat, user: str, tab: str = "home") -> None:
    body = signing.event_body(
        {
            "type": "app_home_opened",
            "user": user,
            "channel": "D" + user[1:],
            "tab": tab,
            "event_ts": f"{time.time():.6f}",
        }
    )
    response = await chat.bot.post(body, content_type="application/json")
    assert response.status_code == 200, response.text


def homes(chat: Chat, user: str) -> list[str]:
    return [message_text(c.args["view"]) for c in chat.slack.calls_of("views.publish") if c.args.get("user_id") == user]


async def home(chat: Chat, user: str, *fragments: str) -> str:
    """The person's App Home once it shows every fragment."""

    def found(_: Any) -> str | None:
        published = homes(chat, user)
        return published[-1] if published and all(f in published[-1] for f in fragments) else None

    return await chat.slack.wait_for(found)


async def click_home(chat: Chat, user: str, label: str) -> None:
    view = chat.slack.homes[user]
    for block in view["blocks"]:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element["text"]["text"] == label:
                break
        else:
            continue
        break
    else:
        raise AssertionError(f"no button {label!r} in the App Home of {user}")
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "token": signing.VERIFICATION_TOKEN,
        "trigger_id": signing._trigger_id(),
        "container": {"type": "view", "view_id": view["id"]},
        "team": {"id": "T1", "domain": "testteam"},
        "view": {
            "id": view["id"],
            "type": "home",
            "hash": view["hash"],
            "blocks": view["blocks"],
            "team_id": "T1",
            "app_id": "A1",
            "bot_id": "BBOT",
            "state": {"values": {}},
        },
        "actions": [
            {
                "action_id": element["action_id"],
                "block_id": block.get("block_id", "b"),
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


async def test_the_app_home_shows_the_overview_and_follows_what_happens(slack_chat: Chat) -> None:
    chat = slack_chat
    await open_home(chat, LISE, tab="messages")  # the Messages tab is the DM: no home to publish
    await chat.settle()
    assert homes(chat, LISE) == []
    await open_home(chat, LISE)
    await home(chat, LISE, "Dit overblik", "Du har ingen kontrakter")
    await open_home(chat, LISE)
    await chat.settle()
    assert len(homes(chat, LISE)) == 1  # the same state is not published twice

    await until_review(chat)
    shown = await home(chat, LISE, "*Venter på dig* (1)", "ABC Demens med Mads", "[Godkend]")
    assert "[Bed om ændringer]" in shown
    published = homes(chat, LISE)
    assert all(a != b for a, b in pairwise(published))  # never the same home twice in a row

    await click_home(chat, LISE, "Godkend")
    await chat.expect(MADS, "Lise har godkendt jeres læringskontrakt")
    await chat.updated("Godkendt af Lise")
    now = await home(chat, LISE, "*Det kommer* (1)", "Opfølgning efter kurset")
    assert "[Godkend]" not in now
    assert homes(chat, MADS) == []  # Mads never opened his App Home
    await open_home(chat, MADS)
    await home(chat, MADS, "*Det kommer* (1)", "[Jeg har gennemført kurset]")
    await click_home(chat, MADS, "Jeg har gennemført kurset")
    await chat.expect(MADS, "Nu skal det lærte prøves af i praksis", "[Svar nu]")
    await home(chat, MADS, "*Det kommer* (1)", "Det lærte prøves af i praksis", "[Svar nu]")
    await click_home(chat, MADS, "Svar nu")
    await chat.expect(MADS, "Spørgsmål 1 af 2", "Hvad gør du anderledes nu?")
    await home(chat, MADS, "*Venter på dig* (1)", "Besvar opfølgningsspørgsmålene")
    # Lise did nothing, but her part changed too: her home follows.
    await home(chat, LISE, "*Venter på dig* (1)", "Besvar opfølgningsspørgsmålene")
    chat.check_payloads()


async def add_people(chat: Chat | TeamsChat, count: int) -> list[str]:
    handles = [f"UE{n:03d}" for n in range(1, count + 1)]
    for handle in handles:
        chat.person(handle, f"Elev {handle[2:]}")
        if isinstance(chat, TeamsChat):
            await chat.install(handle)
    if isinstance(chat, TeamsChat):
        await chat.settle()
    return handles


async def test_paging_with_many_contracts(any_chat: Chat) -> None:
    chat = any_chat
    people = await add_people(chat, 60)
    await chat.command(LISE, "kontrakt " + " ".join(f"<@{h}|{h.lower()}>" for h in people) + " Forflytning")
    await chat.expect(LISE, "Spørgsmål 1 af 3", timeout=30)
    await chat.settle()
    await chat.command(LISE, "mine")
    first = await chat.expect(LISE, "*Venter på dig* (60)", "Side 1 af 12", "… og 55 mere.", "[Næste side]", timeout=10)
    assert first.count("Forflytning med Elev") == 5 and "[Forrige side]" not in first
    await chat.command(LISE, "mine 12")
    last = await chat.expect(LISE, "Side 12 af 12", "[Forrige side]")
    assert last.count("Forflytning med Elev") == 5 and "[Næste side]" not in last
    await click_overview(chat, LISE, "Næste side")
    second = await refreshed(chat, "Side 2 af 12", "… og 50 mere.")
    assert "Forflytning med Elev 006" in second and "Elev 001" not in second

    # Reading the overview costs the same few queries for 60 contracts as for one (counted on
    # the overview's own connection, so the bot's other work does not count).
    async def queries_for(user: str) -> int:
        await chat.settle()
        runtime = chat.bot.runtime
        count = 0

        def seen(*_: Any) -> None:
            nonlocal count
            count += 1

        async with runtime.db.transaction() as s:
            external_id = teams_id(user) if isinstance(chat, TeamsChat) else user
            person = (await s.exec(select(Person).where(Person.external_id == external_id))).one()
            connection = (await s.connection()).sync_connection
            event.listen(connection, "before_cursor_execute", seen)
            try:
                ctx = Context(db=s, now=runtime.now(), settings=runtime.settings, texts=runtime.texts)
                await runtime.router.overview.message(ctx, person)
            finally:
                event.remove(connection, "before_cursor_execute", seen)
        return count

    many, one = await queries_for(LISE), await queries_for(people[0])
    assert 0 < many == one, (many, one)
    chat.check_payloads()


async def test_the_app_home_pages_too(slack_chat: Chat) -> None:
    chat = slack_chat
    people = await add_people(chat, 60)
    await chat.command(LISE, "kontrakt " + " ".join(f"<@{h}|{h.lower()}>" for h in people) + " Forflytning")
    await chat.expect(LISE, "Spørgsmål 1 af 3", timeout=30)
    await open_home(chat, LISE)
    shown = await home(chat, LISE, "*Venter på dig* (60)", "Side 1 af 6", "… og 50 mere.")
    assert shown.count("Forflytning med Elev") == 10
    await click_home(chat, LISE, "Næste side")
    await home(chat, LISE, "Side 2 af 6", "Elev 011")
    chat.check_payloads()

"""Bolt's first request: left to itself Bolt calls auth.test on it, and with the Web API
away that request got a 500 and was never stored (ENGINEERING.md). The bot's
authorization comes from its settings, so the request path makes no Web API call."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from bot.storage.models import InboxEvent
from tests.e2e.harness import Chat

LISE, MADS = "ULISE", "UMADS"


async def test_the_first_request_after_a_restart_is_kept_while_the_web_api_is_down(chat: Chat) -> None:
    await chat.bot.restart()
    chat.slack.fail_next("auth.test", 503, times=10)
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")  # acknowledged: 200
    async with chat.bot.runtime.db.transaction() as s:
        assert (await s.exec(select(func.count()).select_from(InboxEvent))).one() == 1
    # Processed from the inbox as soon as the rest of Slack answers; auth.test was never needed.
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.say(MADS, "Mit første svar")
    await chat.expect(MADS, "Spørgsmål 2 af 3")
    assert chat.slack.calls_of("auth.test", include_failed=True) == []

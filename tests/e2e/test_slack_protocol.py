"""What Slack's protocol demands: signatures, retries, presses by the wrong
person, platform errors, and restarts that lose nothing."""

from __future__ import annotations

import time

from sqlalchemy import func
from sqlmodel import col, select

from bot.storage.models import Approval, InboxEvent, OutboxMessage
from tests.e2e.harness import Chat
from tests.e2e.test_elearning_paths import both_answer_before
from tests.fakes import slack_signing as signing

LISE, MADS, ANNA = "ULISE", "UMADS", "UANNA"


async def count(chat: Chat, model, *where) -> int:
    async with chat.bot.runtime.db.transaction() as s:
        found: int = (await s.exec(select(func.count()).select_from(model).where(*where))).one()
        return found


async def test_unsigned_forged_and_stale_requests_get_401_and_change_nothing(chat: Chat) -> None:
    body = signing.slash_command_body(text="kontrakt <@UMADS|mads> ABC", user_id=LISE)
    form = "application/x-www-form-urlencoded"
    assert (await chat.bot.post(body, content_type=form, signed=False)).status_code == 401
    forged = signing.sign(body, "not-the-secret")
    assert (await chat.bot.post(body, content_type=form, signed=False, headers=forged)).status_code == 401
    stale = int(time.time()) - 10 * 60
    assert (await chat.bot.post(body, content_type=form, timestamp=stale)).status_code == 401
    event = signing.event_body(signing.dm_message_event(MADS, "hej"))
    assert (await chat.bot.post(event, content_type="application/json", signed=False)).status_code == 401
    await chat.settle()
    assert await count(chat, InboxEvent) == 0
    assert [c.method for c in chat.slack.calls if c.method != "auth.test"] == []


async def test_a_retried_event_is_answered_once(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.say(MADS, "Mit første svar", event_id="Ev-ONE")
    await chat.say(
        MADS,
        "Mit første svar",
        event_id="Ev-ONE",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    await chat.expect(MADS, "Spørgsmål 2 af 3")
    await chat.settle()
    assert chat.count(MADS, "Spørgsmål 2 af 3") == 1
    assert chat.count(MADS, "Spørgsmål 3 af 3") == 0
    assert await count(chat, InboxEvent, InboxEvent.dedupe_key == "slack:event:Ev-ONE") == 1


async def test_a_second_press_and_a_retried_press_change_nothing(chat: Chat) -> None:
    await both_answer_before(chat)
    message, element = chat.find_button(LISE, "Godkend")
    press = signing.block_actions_body(
        LISE,
        element["action_id"],
        element["value"],
        message_ts=message["ts"],
        channel_id=message["channel"],
        response_url=chat.slack.response_url(user=LISE),
        block_id=element["block_id"],
    )
    # The press, and Slack sending the very same request again (a retry), twice.
    for retry_num in (None, "1", "2"):
        response = await chat.bot.post(
            press,
            content_type="application/x-www-form-urlencoded",
            headers={"X-Slack-Retry-Num": retry_num} if retry_num else None,
        )
        assert response.status_code == 200
    await chat.expect(MADS, "Lise har godkendt")
    await chat.settle()  # the approval message's update may still be on its way
    updates = len(chat.slack.calls_of("chat.update"))
    assert chat.count(LISE, "allerede behandlet") == 0  # a retry is not a second press
    # A second press of the same button (a double click: a new request) is told, and changes nothing.
    second = signing.block_actions_body(
        LISE,
        element["action_id"],
        element["value"],
        message_ts=message["ts"],
        channel_id=message["channel"],
        response_url=chat.slack.response_url(user=LISE),
        block_id=element["block_id"],
    )
    assert (await chat.bot.post(second, content_type="application/x-www-form-urlencoded")).status_code == 200
    await chat.expect(LISE, "allerede behandlet")
    await chat.settle()
    assert chat.count(MADS, "Lise har godkendt") == 1
    assert await count(chat, Approval) == 1
    assert len(chat.slack.calls_of("chat.update")) == updates


async def test_a_press_by_someone_else_is_explained_and_changes_nothing(chat: Chat) -> None:
    await both_answer_before(chat)
    await chat.settle()
    updates = len(chat.slack.calls_of("chat.update"))
    await chat.click(LISE, "Godkend", as_user=MADS)
    await chat.expect(MADS, "Kun Lise, der har startet kontrakten, kan gøre det.")
    await chat.click(LISE, "Godkend", as_user=ANNA)
    await chat.expect(ANNA, "Kun Lise, der har startet kontrakten, kan gøre det.")
    await chat.settle()
    assert await count(chat, Approval) == 0
    assert len(chat.slack.calls_of("chat.update")) == updates
    assert chat.count(MADS, "Lise har godkendt") == 0
    # The leader's own button still works.
    await chat.click(LISE, "Godkend")
    await chat.expect(MADS, "Lise har godkendt")


async def test_a_restart_between_two_answers_loses_nothing(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.say(MADS, "Svar et")
    await chat.expect(MADS, "Spørgsmål 2 af 3")
    await chat.bot.restart()
    await chat.say(MADS, "Svar to")
    await chat.expect(MADS, "Spørgsmål 3 af 3")
    await chat.bot.restart()
    await chat.say(MADS, "Svar tre")
    summary = await chat.expect(MADS, "Intet sendes, før du trykker")
    assert all(a in summary for a in ("Svar et", "Svar to", "Svar tre"))


async def test_a_request_acknowledged_before_a_crash_is_processed_after_the_restart(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.settle()
    # The bot goes down right after acknowledging: the request is only in the inbox.
    runtime = chat.bot.runtime
    await runtime.inbox.store(
        "slack",
        "slack:event:Ev-CRASH",
        "event",
        __import__("json").loads(
            signing.event_body(signing.dm_message_event(MADS, "Svar før nedbrud"), event_id="Ev-CRASH")
        ),
    )
    await chat.bot.stop()
    await chat.bot.start()
    await chat.expect(MADS, "Spørgsmål 2 af 3")


async def test_platform_errors_are_retried_and_nothing_is_dropped(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    # 429 with Retry-After: the outbox waits that long, then the message arrives.
    chat.slack.fail_next("chat.postMessage", 429, retry_after=1)
    await chat.say(MADS, "M1")
    await chat.expect(MADS, "Spørgsmål 2 af 3", timeout=10)
    # Slack down for a while: the message waits in the outbox.
    chat.slack.fail_next("chat.postMessage", 503, times=10)
    await chat.say(MADS, "M2")
    await chat.settle()
    assert chat.count(MADS, "Spørgsmål 3 af 3") == 0
    assert await count(chat, OutboxMessage, col(OutboxMessage.status).in_(("pending", "sending"))) >= 1
    chat.forget()  # Slack is back: no more faults, and a clean record
    # The next message waits behind the one backing off: nothing overtakes it.
    await chat.say(MADS, "M3")
    await chat.settle()
    assert chat.count(MADS, "M3") == 0
    chat.bot.clock.advance(minutes=5)
    await chat.bot.tick()
    await chat.expect(MADS, "Spørgsmål 3 af 3")
    await chat.expect(MADS, "M3")
    texts = chat.texts(MADS)
    assert chat.count(MADS, "Spørgsmål 3 af 3") == 1
    assert min(i for i, t in enumerate(texts) if "Spørgsmål 3 af 3" in t) < min(
        i for i, t in enumerate(texts) if "M3" in t
    )
    assert await count(chat, OutboxMessage, OutboxMessage.status != "sent") == 0

"""Slack over Socket Mode, as people and an operator meet it: the real app connects to a
stand-in of Slack's Socket Mode endpoint on loopback (tests/fakes/slack_socket.py) and
gets the same events, commands and presses as over HTTP, as envelopes it acknowledges.

What holds over HTTP holds here: the same replies; every envelope is acknowledged, and only
once its inbox row is written, so a crash right after the acknowledgement loses nothing;
an envelope Slack sends again changes nothing twice; and when Slack refreshes or loses the
connection, the bot opens a new one and the next envelope is handled.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import col, select

from bot.settings import Settings
from bot.storage.models import InboxEvent
from tests.conftest import _engine
from tests.e2e.harness import SECRET, TOKEN, Bot, Chat, FakeClock
from tests.e2e.test_elearning_contract import MADS_ANSWERS
from tests.fakes import slack_signing as signing
from tests.fakes.slack_api import FakeSlack, dm_channel_id
from tests.fakes.slack_socket import APP_TOKEN, FakeSocketMode, envelope_for
from tests.support.process import BotProcess, ProcessChat

LISE, MADS = "ULISE", "UMADS"
# A second pair with the same names, for the same conversation over the other transport.
LISE2, MADS2 = "ULISETO", "UMADSTO"


@dataclass
class SocketBot(Bot):
    """The real app with SLACK_APP_TOKEN: what Chat sends reaches it as Socket Mode envelopes.

    `http_too` also serves POST /slack/events (both set is a valid configuration);
    `over_socket=False` then sends Chat's requests over HTTP instead."""

    socket: FakeSocketMode | None = None
    http_too: bool = False
    over_socket: bool = True

    def settings(self) -> Settings:
        return Settings(
            _env_file=None,
            database_url=self.database_url,
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET if self.http_too else None,
            slack_app_token=APP_TOKEN,
            slack_api_url=self.slack.api_url,
            clock_interval_seconds=3600,
        )

    async def post(
        self,
        body: str,
        *,
        content_type: str,
        headers: dict[str, str] | None = None,
        signed: bool = True,
        timestamp: int | None = None,
    ) -> httpx.Response:
        if not self.over_socket:
            return await super().post(
                body, content_type=content_type, headers=headers, signed=signed, timestamp=timestamp
            )
        assert self.socket is not None
        type_, payload = envelope_for(body, content_type)
        ack = await self.socket.deliver(type_, payload)
        # What Chat checks of an HTTP answer: a 200 (the acknowledgement), with its payload.
        return httpx.Response(200, json=ack.payload or {})


@pytest.fixture
async def socket_slack() -> AsyncIterator[FakeSocketMode]:
    fake = FakeSocketMode(FakeSlack(token=TOKEN))
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def slack(socket_slack: FakeSocketMode) -> FakeSlack:
    """The Web API stand-in, served behind the Socket Mode stand-in's apps.connections.open."""
    return socket_slack.slack


@pytest.fixture
async def bot(database_url: str, socket_slack: FakeSocketMode) -> AsyncIterator[SocketBot]:
    running = SocketBot(database_url=database_url, slack=socket_slack.slack, clock=FakeClock(), socket=socket_slack)
    await running.start()
    yield running
    await running.stop()
    await running.http.aclose()


@pytest.fixture
def socket(bot: SocketBot) -> FakeSocketMode:
    assert bot.socket is not None
    return bot.socket


async def count(bot: Bot, *where: Any) -> int:
    async with bot.runtime.db.transaction() as s:
        found: int = (await s.exec(select(func.count()).select_from(InboxEvent).where(*where))).one()
        return found


def assert_every_envelope_acked_once_per_sending(socket: FakeSocketMode) -> None:
    assert socket.envelopes, "nothing was sent"
    for envelope in socket.envelopes.values():
        assert len(envelope.acks) == len(envelope.deliveries), socket.describe()
        assert [a.connection for a in envelope.acks] == envelope.deliveries, socket.describe()
    assert socket.strays == []


async def start_and_answer_first(chat: Chat, lise: str, mads: str) -> None:
    """Lise starts a contract with Mads; Mads answers the first question in his DM."""
    await chat.command(lise, f"kontrakt <@{mads}|mads> ABC Demens")
    await chat.expect(lise, "Læringskontrakten om *ABC Demens* er startet med Mads")
    await chat.expect(lise, "Spørgsmål 1 af 3")
    await chat.expect(mads, "Lise har startet en læringskontrakt med dig om *ABC Demens*")
    await chat.expect(mads, "Spørgsmål 1 af 3", "Hvilken viden, færdigheder eller kompetencer")
    await chat.say(mads, MADS_ANSWERS[0])
    await chat.expect(mads, "Spørgsmål 2 af 3")


async def mads_sends(chat: Chat, mads: str) -> None:
    """Mads answers the rest and presses Send."""
    await chat.say(mads, MADS_ANSWERS[1])
    await chat.expect(mads, "Spørgsmål 3 af 3")
    await chat.say(mads, MADS_ANSWERS[2])
    await chat.expect(mads, "Intet sendes, før du trykker")
    await chat.click(mads, "Send")
    await chat.expect(mads, "Tak – dine svar er sendt")


def buttons(chat: Chat, user: str) -> list[tuple[str, str]]:
    """The buttons a person was shown, by label and action (their values name rows)."""
    return [
        (element["text"]["text"], element["action_id"])
        for message in chat.slack.messages_to(user)
        for block in message.get("blocks") or []
        if block.get("type") == "actions"
        for element in block["elements"]
    ]


# ---- the same conversation ------------------------------------------------------------------
async def test_a_contract_over_socket_mode_reads_word_for_word_as_over_http(
    database_url: str, socket_slack: FakeSocketMode
) -> None:
    """One bot with both transports: a pair over HTTP, then a pair of the same names over
    Socket Mode. Each person reads the same messages, in the same order, with the same buttons."""
    running = SocketBot(
        database_url=database_url, slack=socket_slack.slack, clock=FakeClock(), socket=socket_slack, http_too=True
    )
    await running.start()
    try:
        chat = Chat(running)
        for lise, mads in ((LISE, MADS), (LISE2, MADS2)):
            chat.person(lise, "Lise")
            chat.person(mads, "Mads")
        running.over_socket = False
        await start_and_answer_first(chat, LISE, MADS)
        await mads_sends(chat, MADS)
        await chat.settle()
        assert socket_slack.envelopes == {}  # all of it went over HTTP

        running.over_socket = True
        await start_and_answer_first(chat, LISE2, MADS2)
        await mads_sends(chat, MADS2)
        await chat.settle()

        assert chat.texts(LISE2) == chat.texts(LISE) and len(chat.texts(LISE)) >= 3
        assert chat.texts(MADS2) == chat.texts(MADS) and len(chat.texts(MADS)) >= 6
        # The buttons too: the same labels and actions.
        assert buttons(chat, MADS2) == buttons(chat, MADS) != []
        # The commands, Mads's three answers and the press: each acknowledged once, on the one connection.
        kinds = [e.type for e in socket_slack.envelopes.values()]
        assert kinds == ["slash_commands", "events_api", "events_api", "events_api", "interactive"]
        assert_every_envelope_acked_once_per_sending(socket_slack)
        assert {a.connection for a in socket_slack.acks} == {1}
        assert await count(running) == 10  # five requests over each transport, one row each
        chat.check_payloads()
    finally:
        await running.stop()
        await running.http.aclose()


async def test_socket_mode_opens_its_connection_with_the_app_token_only(socket: FakeSocketMode) -> None:
    await socket.connected()
    assert socket.opens == [(APP_TOKEN, None)]
    # apps.connections.open is the app token's; the bot token carries every other call.
    assert all(c.headers.get("authorization") == f"Bearer {TOKEN}" for c in socket.slack.calls)


# ---- acknowledged only once stored ------------------------------------------------------------
def hold_the_inbox(database_url: str, seconds: float, held: threading.Event) -> float:
    """From another connection (in a thread of its own), hold the inbox table (PostgreSQL) or
    the database (SQLite) for writing `seconds`: the bot's INSERT of an inbox row waits.
    Returns when it let go (time.monotonic())."""
    if database_url.startswith("sqlite:///"):
        lite = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            lite.execute("BEGIN EXCLUSIVE")
            held.set()
            time.sleep(seconds)
            lite.execute("ROLLBACK")
            return time.monotonic()
        finally:
            lite.close()
    engine = _engine(database_url)
    try:
        with engine.connect() as connection:
            transaction = connection.begin()
            connection.exec_driver_sql("LOCK TABLE inboxevent IN EXCLUSIVE MODE")
            held.set()
            time.sleep(seconds)
            transaction.rollback()
            return time.monotonic()
    finally:
        engine.dispose()


async def test_an_envelope_is_acknowledged_only_after_its_inbox_row_is_written(
    chat: Chat, socket: FakeSocketMode, database_url: str
) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    answer = signing.event_body(signing.dm_message_event(MADS, MADS_ANSWERS[0]), event_id="Ev-HELD")
    held, released = threading.Event(), []
    holder = threading.Thread(target=lambda: released.append(hold_the_inbox(database_url, 1.5, held)))
    holder.start()
    try:
        assert held.wait(10)
        envelope = await socket.send(*envelope_for(answer, "application/json"))
    finally:
        await asyncio.to_thread(holder.join)
    ack = await socket.acked(envelope)
    assert released and ack.at >= released[0], "acknowledged before its row could be written"
    assert ack.seconds >= 1.0
    assert await count(chat.bot, InboxEvent.dedupe_key == "slack:event:Ev-HELD") == 1
    await chat.expect(MADS, "Spørgsmål 2 af 3")
    assert_every_envelope_acked_once_per_sending(socket)


# ---- sent again ---------------------------------------------------------------------------------
async def test_an_envelope_sent_again_changes_nothing_twice(chat: Chat, socket: FakeSocketMode) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    answer = signing.event_body(signing.dm_message_event(MADS, MADS_ANSWERS[0]), event_id="Ev-AGAIN")
    first = await socket.send(*envelope_for(answer, "application/json"))
    await socket.acked(first)
    # Slack's retry of the same envelope, and a later delivery of the same event in an envelope of its own.
    await socket.acked(await socket.resend(first), times=2)
    await socket.acked(await socket.resend(first, new_envelope_id=True, reason="http_timeout"))
    await chat.expect(MADS, "Spørgsmål 2 af 3")
    await chat.settle()
    assert chat.count(MADS, "Spørgsmål 2 af 3") == 1
    assert chat.count(MADS, "Spørgsmål 3 af 3") == 0
    assert await count(chat.bot, InboxEvent.dedupe_key == "slack:event:Ev-AGAIN") == 1

    # A press sent twice: Mads's answers go to Lise once.
    await chat.say(MADS, MADS_ANSWERS[1])
    await chat.expect(MADS, "Spørgsmål 3 af 3")
    await chat.say(MADS, MADS_ANSWERS[2])
    await chat.expect(MADS, "Intet sendes, før du trykker")
    message, element = chat.find_button(MADS, "Send")
    press = signing.block_actions_body(
        MADS,
        element["action_id"],
        element.get("value", ""),
        message_ts=message["ts"],
        channel_id=dm_channel_id(MADS),
        response_url=chat.slack.response_url(user=MADS),
        block_id=element["block_id"],
    )
    pressed = await socket.send(*envelope_for(press, "application/x-www-form-urlencoded"))
    await socket.acked(pressed)
    await socket.acked(await socket.resend(pressed), times=2)
    await chat.expect(MADS, "Tak – dine svar er sendt")
    await chat.settle()
    assert chat.count(MADS, "Tak – dine svar er sendt") == 1
    assert_every_envelope_acked_once_per_sending(socket)


async def test_a_malformed_envelope_is_refused_as_over_http_and_the_next_is_handled(
    chat: Chat, socket: FakeSocketMode
) -> None:
    """What POST /slack/events answers with 400 is not acknowledged here, and not stored."""
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    nul = json.loads(signing.event_body(signing.dm_message_event(MADS, "hej\x00"), event_id="Ev-NUL"))
    shape = json.loads(signing.event_body(signing.dm_message_event(MADS, "hej"), event_id="Ev-SHAPE"))
    shape["event"]["user"] = ["UMADS"]  # Bolt reads it as an id
    refused = [await socket.send("events_api", payload) for payload in (nul, shape)]
    await chat.say(MADS, MADS_ANSWERS[0])
    await chat.expect(MADS, "Spørgsmål 2 af 3")
    await asyncio.sleep(0.3)
    assert [e.acks for e in refused] == [[], []]
    assert await count(chat.bot, col(InboxEvent.dedupe_key).in_(["slack:event:Ev-NUL", "slack:event:Ev-SHAPE"])) == 0
    assert chat.count(MADS, "hej") == 0


# ---- the connection ------------------------------------------------------------------------------
async def test_after_slack_refreshes_closes_or_loses_the_connection_the_next_envelope_is_handled(
    chat: Chat, socket: FakeSocketMode
) -> None:
    first = await socket.connected()
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")

    took: dict[str, float] = {}
    answers = iter(MADS_ANSWERS)
    for how, end in (("disconnect", socket.disconnect), ("close", socket.close), ("cut", socket.drop)):
        before = socket.live()
        assert before is not None
        started = time.monotonic()
        await end()
        after = await socket.connected(after=before.number, timeout=30)
        took[how] = time.monotonic() - started
        await chat.say(MADS, next(answers))
        assert socket.acks[-1].connection == after.number
    await chat.expect(MADS, "Intet sendes, før du trykker")
    await chat.settle()
    assert chat.count(MADS, "Spørgsmål 2 af 3") == 1 and chat.count(MADS, "Spørgsmål 3 af 3") == 1

    assert [c.number for c in socket.connections] == [first.number, 2, 3, 4]
    assert [c.ended for c in socket.connections[:3]] == ["disconnect", "closed", "dropped"]
    # A new URL for each connection: a ticket opens one.
    assert len(socket.opens) == 4 and all(error is None for _, error in socket.opens)
    # Slack's refresh and a close frame are answered at once; a cut connection is noticed by
    # the client's ping within its interval.
    assert took["disconnect"] < 2 and took["close"] < 2, took
    assert took["cut"] < 25, took
    assert_every_envelope_acked_once_per_sending(socket)


# ---- the real process ----------------------------------------------------------------------------
class SocketProcess(BotProcess):
    """`laeringsbot serve` with SLACK_APP_TOKEN and no signing secret: Socket Mode only."""

    def __init__(self, *, socket: FakeSocketMode, **kwargs: Any) -> None:
        super().__init__(slack=socket.slack, **kwargs)
        self.socket = socket

    def environment(self) -> dict[str, str]:
        return super().environment() | {"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_SIGNING_SECRET": ""}

    async def post(
        self,
        body: str,
        *,
        content_type: str,
        headers: dict[str, str] | None = None,
        signed: bool = True,
        timestamp: int | None = None,
    ) -> httpx.Response:
        ack = await self.socket.deliver(*envelope_for(body, content_type), timeout=15)
        return httpx.Response(200, json=ack.payload or {})


async def test_serve_over_socket_mode_killed_right_after_an_ack_loses_nothing(
    database_url: str, socket_slack: FakeSocketMode, tmp_path: Path
) -> None:
    """The real `laeringsbot serve`, killed (-9) the moment an acknowledgement reaches Slack:
    once before the command is processed, once while another connection held the inbox so
    the answer's row could only be written just before its acknowledgement."""
    process = SocketProcess(socket=socket_slack, database_url=database_url, workdir=tmp_path)
    killed: list[str] = []

    def kill_at_ack(ack: Any) -> None:
        """The stand-in's hook, run as the acknowledgement is read: SIGKILL, once."""
        socket_slack.on_ack = None
        assert process.proc is not None
        process.proc.send_signal(signal.SIGKILL)
        killed.append(ack.envelope_id)

    try:
        await process.start()
        # Socket Mode only: there is no HTTP endpoint for Slack.
        assert (await process.http.post(f"{process.url}/slack/events", content=b"{}")).status_code == 404
        chat = ProcessChat(process)
        chat.person(LISE, "Lise")
        chat.person(MADS, "Mads")
        await socket_slack.connected(timeout=15)

        # The people's profiles are slow to come, so the command is stored and acknowledged,
        # and the process dies, before it is processed.
        socket_slack.slack.fail_next("users.info", timeout=3, times=2)
        socket_slack.on_ack = kill_at_ack
        await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
        assert len(killed) == 1
        await process.kill9()
        assert chat.texts(LISE) == [] and chat.texts(MADS) == []

        await process.start()
        await socket_slack.connected(after=1, timeout=15)
        await chat.expect(LISE, "Læringskontrakten om *ABC Demens* er startet med Mads", timeout=15)
        await chat.expect(MADS, "Spørgsmål 1 af 3", timeout=15)

        # Mads answers while the inbox is held: the acknowledgement waits for the row.
        held, released = threading.Event(), []
        holder = threading.Thread(target=lambda: released.append(hold_the_inbox(database_url, 1.5, held)))
        holder.start()
        try:
            assert held.wait(10)
            socket_slack.on_ack = kill_at_ack
            answer = signing.event_body(signing.dm_message_event(MADS, MADS_ANSWERS[0]), event_id="Ev-KILLED")
            envelope = await socket_slack.send(*envelope_for(answer, "application/json"))
            ack = await socket_slack.acked(envelope, timeout=15)
        finally:
            await asyncio.to_thread(holder.join)
            socket_slack.on_ack = None
        assert len(killed) == 2 and released and ack.at >= released[0]
        await process.kill9()

        await process.start()
        await socket_slack.connected(after=2, timeout=15)
        await chat.expect(MADS, "Spørgsmål 2 af 3", timeout=15)
        await chat.settle()
        assert chat.count(LISE, "er startet med Mads") == 1
        assert chat.count(MADS, "Spørgsmål 1 af 3") == 1 and chat.count(MADS, "Spørgsmål 2 af 3") == 1
        chat.assert_nothing_twice("after the kills")
        # Nothing was sent again: what the bot acknowledged, it had.
        assert_every_envelope_acked_once_per_sending(socket_slack)
        assert [len(e.deliveries) for e in socket_slack.envelopes.values()] == [1, 1]
        assert [c.number for c in socket_slack.connections] == [1, 2, 3]
    finally:
        await process.close()

"""Signed payloads with odd values: the inbound translation never raises, and what it
hands on has the types the flows read (ids that fit their columns, text that is text).
Also the readers underneath: JSON within limits, and numbers as record ids."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from bot.core.events import ActionIn, CommandIn, MessageIn
from bot.core.i18n import Catalog
from bot.core.ids import MAX_ID, number, record_id
from bot.flows.router import Router
from bot.slack import inbound as slack
from bot.teams import inbound as teams
from bot.untrusted import MAX_DEPTH, Malformed, loads
from tests.fakes import slack_signing as signing

ODD: list[Any] = [None, 0, 5, -1, 10**30, 1.5, True, "", "x" * 300, [], [1, None], {}, {"id": 5}, {"a": [{}]}]
# The real command words and shapes, as the router makes them from the flows.
ROUTER = Router()
CATALOG = Catalog.load(Path(__file__).resolve().parents[2] / "dialogs" / "messages")
COMMANDS = teams.Commands(shapes=ROUTER.shapes(CATALOG.words), greeting=ROUTER.greeting(CATALOG.words))


def slack_payloads() -> list[tuple[str, dict[str, Any]]]:
    command = dict(parse_qsl(signing.slash_command_body(text="kontrakt <@UMADS|mads> ABC", user_id="ULISE")))
    event = json.loads(signing.event_body(signing.dm_message_event("ULISE", "hej")))
    home = json.loads(signing.event_body({"type": "app_home_opened", "user": "ULISE", "tab": "home"}))
    press = json.loads(
        dict(
            parse_qsl(
                signing.block_actions_body(
                    "ULISE",
                    "dialog:resume",
                    "12:x",
                    message_ts="1.2",
                    channel_id="DLISE",
                    response_url="https://x",
                    block_id="posted:7",
                )
            )
        )["payload"]
    )
    return [("command", command), ("event", event), ("event", home), ("action", press)]


def teams_activities() -> list[tuple[str, dict[str, Any]]]:
    base = {
        "type": "message",
        "id": "1",
        "serviceUrl": "https://smba.example/emea/",
        "channelId": "msteams",
        "from": {"id": "29:1LISE", "name": "Lise"},
        "recipient": {"id": "28:bot"},
        "conversation": {"id": "a:1", "conversationType": "personal", "tenantId": "t"},
        "text": "kontrakt <at>Mads</at> ABC",
        "locale": "da-DK",
        "entities": [
            {"type": "mention", "text": "<at>Mads</at>", "mentioned": {"id": "29:1MADS", "name": "Mads"}},
            {"type": "clientInfo", "locale": "da-DK", "timezone": "Europe/Copenhagen"},
        ],
    }
    invoke = base | {
        "type": "invoke",
        "name": teams.CARD_ACTION,
        "replyToId": "9",
        "value": {"action": {"verb": "dialog:resume", "data": {"value": "12:x", "posted": 7}}},
    }
    install = base | {"type": "installationUpdate", "action": "add", "membersAdded": [{"id": "29:1LISE"}]}
    return [("message", base), ("action", invoke), ("installed", install)]


def mutate(rng: random.Random, payload: dict[str, Any]) -> dict[str, Any]:
    """Replace a few values anywhere in the payload with odd ones."""
    payload = copy.deepcopy(payload)
    for _ in range(rng.randrange(1, 4)):
        target = payload
        while True:
            keys = list(target)
            if not keys:
                break
            key = rng.choice(keys)
            if isinstance(target[key], dict) and rng.random() < 0.6:
                target = target[key]
                continue
            target[key] = copy.deepcopy(rng.choice(ODD))
            break
    return payload


def check_event(event: Any) -> None:
    if event is None:
        return
    assert isinstance(event, (CommandIn, MessageIn, ActionIn))
    assert isinstance(event.user, str) and 0 < len(event.user) <= 255
    for text in (event.text,) if not isinstance(event, ActionIn) else (event.action, event.value):
        assert isinstance(text, str)
    for mention in getattr(event, "mentions", ()):
        assert isinstance(mention, str) and len(mention) <= 255
    if isinstance(event, ActionIn) and event.message is not None:
        assert event.message.posted_id is None or 1 <= event.message.posted_id <= MAX_ID


def test_slack_translation_never_raises_on_odd_values() -> None:
    rng = random.Random(15)
    for kind, payload in slack_payloads():
        check_event(slack.translate(kind, payload))
        for _ in range(300):
            odd = mutate(rng, payload)
            assert isinstance(slack.dedupe_key(kind, odd), str)
            check_event(slack.translate(kind, odd))


def test_a_slack_payload_without_a_person_is_ignored() -> None:
    for kind, payload in slack_payloads():
        for person in ("user_id", "user"):
            payload.pop(person, None)
        payload.get("event", {}).pop("user", None)
        assert slack.translate(kind, payload) is None


def test_a_posted_id_too_large_for_the_database_is_no_post() -> None:
    kind, press = slack_payloads()[3]
    press["actions"][0]["block_id"] = f"posted:{'9' * 30}"
    event = slack.translate(kind, press)
    assert isinstance(event, ActionIn) and event.message is not None and event.message.posted_id is None


def test_teams_translation_never_raises_on_odd_values() -> None:
    rng = random.Random(15)
    for kind, activity in teams_activities():
        assert teams.kind(activity) == kind
        check_event(teams.translate(kind, activity, COMMANDS))
        for _ in range(300):
            odd = mutate(rng, activity)
            found = teams.kind(odd)
            assert found in (None, "message", "action", "installed")
            assert isinstance(teams.dedupe_key(odd), str)
            check_event(teams.translate(kind, odd, COMMANDS))
            facts = teams.conversation_of(odd)
            for value in (facts.conversation_id, facts.service_url) if facts else ():
                assert isinstance(value, str)
            for user in teams.users_of(odd):
                assert isinstance(user.user_id, str) and len(user.user_id) <= 255
                assert user.name is None or (isinstance(user.name, str) and len(user.name) <= 200)


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff",
        b"{",
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": 1e400}',
        b'{"a": "\\ud800"}',
        b'{"\\udc00": 1}',
        b'{"a": "\\u0000"}',
        b"[" * 100_000,
        ('{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1)).encode(),
        b"1" * 5000,
        '{"text": "hej"}'.encode("utf-16"),
        bytearray(b'{"a": "\\ud800"}'),
    ],
)
def test_json_outside_the_limits_is_malformed(raw: bytes) -> None:
    with pytest.raises(Malformed):
        loads(raw)


def test_json_within_the_limits_is_read() -> None:
    nested = '{"a":' * MAX_DEPTH + "1" + "}" * MAX_DEPTH
    assert loads(nested.encode())
    assert loads('{"text": "æøå 😀 \\ud83d\\ude00", "n": 10000000000000000000000000000000}'.encode())["n"] == 10**31


@pytest.mark.parametrize(
    "value, expected",
    [
        ("12", 12),
        (12, 12),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("9" * 30, None),
        ("0", None),
        ("-1", None),
        ("²", None),
        ("١٢", None),
        ("1e5", None),
        (" 12", None),
        ("", None),
        (True, None),
        (None, None),
        (1.0, None),
        (10**30, None),
    ],
)
def test_record_ids(value: Any, expected: int | None) -> None:
    assert record_id(value) == expected


def test_numbers_within_bounds() -> None:
    assert number("0", 0, 3) == 0 and number("3", 0, 3) == 3 and number("4", 0, 3) is None

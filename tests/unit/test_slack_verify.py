"""Slack's signature and body checks (bot/slack/verify.py), before Bolt sees a request."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from bot.slack.verify import Refused, check_headers, check_signature, parse
from bot.untrusted import Malformed
from tests.fakes import slack_signing as signing

NOW = 1_800_000_000
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    "timestamp",
    [
        None,
        "",
        "abc",
        "12.5",
        "-60",
        "1e9",
        "0x10",
        "9" * 40,
        "１７００",  # noqa: RUF001  (fullwidth digits: int() reads them)
        str(NOW - 301),
        str(NOW + 301),
    ],
)
def test_a_timestamp_that_is_missing_not_a_number_or_stale_is_refused(timestamp: str | None) -> None:
    with pytest.raises(Refused) as refused:
        check_headers(timestamp, "v0=" + "0" * 64, NOW)
    assert refused.value.status == 401


@pytest.mark.parametrize("signature", [None, "", "v0=", "v1=" + "0" * 64, "v0=" + "A" * 64, "v0=æ" + "0" * 63])
def test_a_signature_that_is_not_one_is_refused_before_the_body_is_read(signature: str | None) -> None:
    with pytest.raises(Refused):
        check_headers(str(NOW), signature, NOW)


def test_the_v0_signature_is_checked_on_the_raw_bytes() -> None:
    body = signing.slash_command_body(text="hjælp").encode()
    headers = signing.sign(body, "secret", NOW)
    stamp, signature = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    check_headers(stamp, signature, NOW + 299)
    check_signature(b"secret", stamp, signature, body)
    for secret, changed in ((b"guess", body), (b"secret", body + b" "), (b"secret", body.replace(b"hj", b"Hj"))):
        with pytest.raises(Refused):
            check_signature(secret, stamp, signature, changed)


def test_bodies_are_read_as_bolt_reads_them() -> None:
    event = signing.event_body(signing.dm_message_event("ULISE", "hej"))
    assert parse(event.encode(), "application/json")["event"]["text"] == "hej"
    press = signing.block_actions_body(
        "ULISE", "dialog:resume", "1", message_ts="1.2", channel_id="D1", response_url="https://x"
    )
    assert parse(press.encode(), FORM)["actions"][0]["action_id"] == "dialog:resume"
    # Bolt read any form holding the letters "payload" as a press, and a command like this as {}.
    command = signing.slash_command_body(text="hvad er payload")
    assert parse(command.encode(), FORM)["text"] == "hvad er payload"


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"", FORM),
        (b"\xff\xfe", FORM),
        (b'{"type": "event_callback"', "application/json"),
        (b"[]", "application/json"),
        (b"payload=not-json", FORM),
        (b"payload=%FF", FORM),
        (b"payload=%5B1%5D", FORM),
        (b"&".join(b"f%d=1" % i for i in range(500)), FORM),
        (b"command=%2Flaering&text=%00", FORM),
        (("[" * 100_000).encode(), "application/json"),
        (json.dumps({"type": "event_callback", "event": None}).encode(), "application/json"),
        (json.dumps({"type": "event_callback", "event": {"type": "message", "user": 5}}).encode(), "application/json"),
        (json.dumps({"type": "event_callback", "authorizations": [None]}).encode(), "application/json"),
        (json.dumps({"team": {"id": []}}).encode(), "application/json"),
        (urlencode({"payload": json.dumps({"type": "block_actions", "actions": []})}).encode(), FORM),
        (urlencode({"payload": json.dumps({"type": "block_actions", "actions": [{"action_id": 5}]})}).encode(), FORM),
    ],
)
def test_malformed_bodies(body: bytes, content_type: str) -> None:
    with pytest.raises(Malformed):
        parse(body, content_type)

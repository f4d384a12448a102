"""Slack payloads as what the person meant: plain text, mentions, button presses."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.events import ActionIn, CommandIn, MessageIn, MessageRef
from bot.slack.inbound import dedupe_key, plain, translate


@pytest.mark.parametrize(
    ("encoded", "seen"),
    [
        ("<@U1|lise>", "@lise"),
        ("<@U1>", "@U1"),
        ("<!channel>", "@channel"),
        ("<!here>", "@here"),
        ("<https://a.dk|a>", "a (https://a.dk)"),
        ("<https://a.dk>", "https://a.dk"),
        ("<#C1|generelt>", "#generelt"),
        ("&lt;b&gt; &amp;", "<b> &"),
        ("Hej <@U1|lise>, se <https://a.dk|her> &amp; svar", "Hej @lise, se her (https://a.dk) & svar"),
    ],
)
def test_plain_gives_what_the_person_saw(encoded, seen):
    assert plain(encoded) == seen


def test_typed_angle_brackets_stay_text_and_are_not_read_as_a_mention():
    # Slack sends a typed "<@U1>" escaped; it must not become a mention of U1.
    assert plain("&lt;@U1&gt;") == "<@U1>"


def test_a_command_gives_the_mentioned_people_and_the_words_without_them():
    cmd = translate(
        "command",
        {
            "user_id": "U1",
            "channel_id": "D1",
            "response_url": "https://r",
            "text": "kontrakt <@U2|mads> <@U3|sofie> ABC Demens",
        },
    )
    assert isinstance(cmd, CommandIn)
    assert cmd.user == "U1" and cmd.channel == "D1" and cmd.response_url == "https://r"
    assert cmd.mentions == ("U2", "U3")
    # The mentions leave spaces behind, kept as they are; the words are what counts.
    assert cmd.text.split() == ["kontrakt", "ABC", "Demens"]
    assert cmd.text == cmd.text.strip() and "mads" not in cmd.text


def test_a_command_without_text():
    cmd = translate("command", {"user_id": "U1"})
    assert cmd == CommandIn(platform="slack", user="U1", text="", mentions=())


def test_a_direct_message_is_decoded():
    msg = translate(
        "event",
        {
            "event_id": "Ev1",
            "event": {"type": "message", "user": "U2", "channel": "D2", "text": "Mere tid &amp; ro <!here>"},
        },
    )
    assert msg == MessageIn(platform="slack", user="U2", text="Mere tid & ro @here", channel="D2")


def _press(
    user: str = "U1", action_id: str = "dialog:send", value: str = "s1", ts: str = "1700000000.000100"
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": user},
        "container": {"type": "message", "channel_id": "D1", "message_ts": ts},
        "actions": [{"action_id": action_id, "value": value}],
        "response_url": "https://hooks.slack.test/r",
    }


def test_the_same_press_twice_has_the_same_dedupe_key():
    assert dedupe_key("action", _press()) == dedupe_key("action", _press())


@pytest.mark.parametrize(
    "other",
    [
        _press(user="U2"),
        _press(action_id="dialog:edit"),
        _press(value="s2"),
        _press(ts="1700000000.000200"),
    ],
)
def test_a_different_press_has_a_different_dedupe_key(other):
    assert dedupe_key("action", other) != dedupe_key("action", _press())


def test_a_press_is_known_by_its_trigger_id_so_a_second_press_is_a_new_request():
    press = {**_press(), "trigger_id": "T1"}
    assert dedupe_key("action", press) == dedupe_key("action", dict(press))  # a retry of the request
    assert dedupe_key("action", press) != dedupe_key("action", {**press, "trigger_id": "T2"})  # pressed again


def test_retried_commands_and_events_keep_their_key():
    command = {"user_id": "U1", "text": "hjælp", "trigger_id": "T1"}
    assert dedupe_key("command", command) == dedupe_key("command", dict(command))
    assert dedupe_key("command", command) != dedupe_key("command", {**command, "trigger_id": "T2"})
    assert dedupe_key("event", {"event_id": "Ev1"}) != dedupe_key("event", {"event_id": "Ev2"})


def test_a_press_becomes_an_action_without_the_unique_suffix():
    action = translate("action", _press(action_id="dialog:edit_pick#2", value="support"))
    assert action == ActionIn(
        platform="slack",
        user="U1",
        action="dialog:edit_pick",
        value="support",
        message=MessageRef(channel="D1", message_id="1700000000.000100"),
        response_url="https://hooks.slack.test/r",
    )
    bare = translate("action", _press(action_id="dialog:edit_pick"))
    assert isinstance(bare, ActionIn) and bare.action == "dialog:edit_pick"


def test_a_user_group_mention_reads_as_the_person_wrote_it():
    # Slack encodes a typed "@laering-team" as <!subteam^S0TR1SJKX|@laering-team>.
    assert plain("Spørg <!subteam^S0TR1SJKX|@laering-team>") == "Spørg @laering-team"


def test_a_date_token_reads_as_its_fallback_text() -> None:
    assert plain("<!date^1392734382^{date}|13. februar 2014>") == "13. februar 2014"


def test_a_press_carries_back_our_id_of_the_post() -> None:
    body: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "response_url": "https://x",
        "container": {"type": "message", "channel_id": "D1", "message_ts": "1.2"},
        "actions": [{"action_id": "dialog:send", "block_id": "posted:42", "value": "7"}],
    }
    event = translate("action", body)
    assert isinstance(event, ActionIn) and event.message is not None
    assert event.message.posted_id == 42
    body["actions"][0]["block_id"] = "something-else"
    other = translate("action", body)
    assert isinstance(other, ActionIn) and other.message is not None and other.message.posted_id is None

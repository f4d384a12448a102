"""The manifest and the listeners agree: every command and event the manifest
subscribes to reaches the bot, and every button the bot can send is served."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from sqlmodel import select

from bot.slack.listeners import ACTION_PATTERN, BOT_EVENTS, SLASH_COMMANDS
from bot.storage.models import InboxEvent
from tests.e2e.harness import Chat
from tests.fakes import slack_signing as signing

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "manifest" / "slack.yaml").read_text(encoding="utf-8"))


def test_manifest_lists_exactly_the_declared_commands_and_events() -> None:
    assert [c["command"] for c in MANIFEST["features"]["slash_commands"]] == list(SLASH_COMMANDS)
    assert MANIFEST["settings"]["event_subscriptions"]["bot_events"] == list(BOT_EVENTS)
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    urls = {
        MANIFEST["settings"]["event_subscriptions"]["request_url"],
        MANIFEST["settings"]["interactivity"]["request_url"],
        *(c["url"] for c in MANIFEST["features"]["slash_commands"]),
    }
    assert {u.rsplit("/", 2)[-2:] == ["slack", "events"] for u in urls} == {True}
    # message.im needs im:history, message.channels channels:history, message.groups groups:history
    # (a learning meeting's thread); users.info needs users:read; posting needs chat:write;
    # a copy uploaded into the DM needs files:write, and conversations.open (the DM's id) im:write.
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == {
        "chat:write",
        "commands",
        "im:history",
        "channels:history",
        "groups:history",
        "users:read",
        "files:write",
        "im:write",
    }


def test_every_button_the_code_can_send_matches_the_action_listener() -> None:
    actions = set()
    for path in (ROOT / "bot").rglob("*.py"):
        actions.update(re.findall(r'action="([^"]+)"', path.read_text(encoding="utf-8")))
    assert actions, "no buttons found"
    for action in actions:
        assert ACTION_PATTERN.match(action), action
        assert ACTION_PATTERN.match(action + "#3"), action


async def test_each_subscription_in_the_manifest_reaches_the_inbox(chat: Chat) -> None:
    for command in MANIFEST["features"]["slash_commands"]:
        body = signing.slash_command_body(
            command=command["command"],
            text="hjælp",
            user_id="ULISE",
            response_url=chat.slack.response_url(user="ULISE"),
        )
        assert (await chat.bot.post(body, content_type="application/x-www-form-urlencoded")).status_code == 200
    assert MANIFEST["settings"]["event_subscriptions"]["bot_events"] == [
        "message.im",
        "message.channels",
        "message.groups",
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    ]
    event = signing.event_body(signing.dm_message_event("UMADS", "hej"), event_id="Ev-M")
    assert (await chat.bot.post(event, content_type="application/json")).status_code == 200
    home = signing.event_body(
        {"type": "app_home_opened", "user": "ULISE", "channel": "DLISE", "tab": "home", "event_ts": "1.1"},
        event_id="Ev-H",
    )
    assert (await chat.bot.post(home, content_type="application/json")).status_code == 200
    press = signing.block_actions_body(
        "UMADS",
        "dialog:resume#1",
        "0",
        message_ts="1.2",
        channel_id="DMADS",
        response_url=chat.slack.response_url(user="UMADS"),
    )
    assert (await chat.bot.post(press, content_type="application/x-www-form-urlencoded")).status_code == 200
    async with chat.bot.runtime.db.transaction() as s:
        kinds = sorted(row.kind for row in (await s.exec(select(InboxEvent))).all())
    assert kinds == ["action", "command", "event", "event"]
    # And the bot answers each one.
    await chat.expect("ULISE", "*Kommandoer*")
    await chat.expect("UMADS", "Jeg venter ikke på et svar fra dig lige nu")
    await chat.expect("UMADS", "Den knap hører til en samtale")
    await chat.slack.wait_for(lambda s: s.homes.get("ULISE"))  # the App Home was published
    assert json.dumps(MANIFEST)  # the manifest is plain data

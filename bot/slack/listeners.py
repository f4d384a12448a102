"""The Bolt app: verify, write to the inbox, acknowledge. Nothing else.

`process_before_response=True` makes the 200 wait for the inbox row, so an
acknowledged request is never lost; the work happens after, from the database.
The manifest (`manifest/slack.yaml`) must list exactly what is declared here.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import inbound

SLASH_COMMANDS = ("/laering",)
# message.channels / message.groups: replies in a learning meeting's thread (public, private channels).
# app_home_opened: the App Home tab shows the person's overview (bot/flows/overview.py).
BOT_EVENTS = ("message.im", "message.channels", "message.groups", "app_home_opened")
# Every button's action_id is "<flow>:<step>" (plus "#n" when a block repeats one).
ACTION_PATTERN = re.compile(r"^[a-z_]+:[a-z_]+(#\d+)?$")

Store = Callable[[str, str, str, dict[str, Any]], Awaitable[bool]]


def build_bolt_app(*, signing_secret: str | None, client: AsyncWebClient,
                   store: Store) -> AsyncApp:
    app = AsyncApp(
        signing_secret=signing_secret or "socket-mode",
        client=client,
        process_before_response=True,
        # Socket Mode has no signatures to check; over HTTP Bolt checks them and answers 401.
        request_verification_enabled=signing_secret is not None,
    )

    async def keep(kind: str, body: dict[str, Any]) -> None:
        key = inbound.dedupe_key(kind, body)
        if key is not None:
            await store(inbound.PLATFORM, key, kind, body)

    @app.command(SLASH_COMMANDS[0])
    async def command(ack: AsyncAck, body: dict[str, Any]) -> None:
        await keep("command", body)
        await ack()

    @app.event("message")
    async def message(body: dict[str, Any], event: dict[str, Any]) -> None:
        # What a person writes to the bot in the DM, and replies in channel threads (a learning
        # meeting runs in one); not other channel talk, edits, joins or bots.
        if event.get("subtype") or event.get("bot_id"):
            return
        if event.get("channel_type") == "im" or (
                event.get("channel_type") in ("channel", "group") and event.get("thread_ts")
                and event.get("thread_ts") != event.get("ts")):
            await keep("event", body)

    @app.event("app_home_opened")
    async def home_opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") == "home":
            await keep("event", body)

    @app.action(ACTION_PATTERN)
    async def action(ack: AsyncAck, body: dict[str, Any]) -> None:
        await keep("action", body)
        await ack()

    return app

"""The Bolt app: write to the inbox, acknowledge. Nothing else.

Over HTTP the request is verified and parsed before Bolt sees it
(bot/slack/verify.py), so Bolt's own check is off; Socket Mode has no
signatures. Bolt's authorization answers from the settings (one workspace's
token) or from the database (many workspaces, bot/slack/workspaces.py): without
an `authorize` function Bolt calls `auth.test` on its first request, and when
the Web API is down that request failed with 500 and was never stored
(ENGINEERING.md, "Bolt's first request").

`process_before_response=True` makes the 200 wait for the inbox row, so an
acknowledged request is never lost; the work happens after, from the database.
The manifest (`manifest/slack.yaml`) must list exactly what is declared here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import forms, inbound

if TYPE_CHECKING:
    from bot.slack.workspaces import Install

SLASH_COMMANDS = ("/laering",)
# message.channels / message.groups: replies in a learning meeting's thread (public, private channels).
# app_home_opened: the App Home tab shows the person's overview (bot/flows/overview.py).
# app_uninstalled / tokens_revoked: a workspace took the app away (bot/slack/workspaces.py).
BOT_EVENTS = (
    "message.im",
    "message.channels",
    "message.groups",
    "app_home_opened",
    "app_uninstalled",
    "tokens_revoked",
)
# Every button's action_id is "<flow>:<step>" (plus "#n" when a block repeats one).
ACTION_PATTERN = re.compile(r"^[a-z_]+:[a-z_]+(#\d+)?$")

log = logging.getLogger(__name__)
Store = Callable[[str, str, str, dict[str, Any]], Awaitable[bool]]


def authorize_from(token: str) -> Callable[..., Awaitable[AuthorizeResult]]:
    """Bolt's `authorize`, answered without a Web API call: the one workspace's bot token.

    The bot's own user and bot ids stay unknown (Bolt would learn them from auth.test): Bolt
    uses them only to drop the bot's own events, and the message listener drops every
    message from a bot itself. The listeners use neither Bolt's client nor `say`.
    """

    async def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, bot_token=token)

    return authorize


async def _uninstalled(event: dict[str, Any]) -> None:
    log.error("slack: %s: SLACK_BOT_TOKEN no longer works; install the app again, set the new one", event.get("type"))


def build_bolt_app(
    *,
    token: str | None,
    client: AsyncWebClient,
    store: Store,
    check: forms.Check | None = None,
    install: Install | None = None,
) -> AsyncApp:
    """One workspace's `token`, or (`install`) many workspaces, each installed through OAuth."""
    app = AsyncApp(
        # Requests arrive verified (bot/slack/verify.py) or over Socket Mode: no second check.
        signing_secret="verified-before-bolt",
        request_verification_enabled=False,
        client=client,
        process_before_response=True,
        **(install.bolt_options() if install is not None else {"authorize": authorize_from(token or "")}),
    )
    if install is not None:
        app.enable_token_revocation_listeners()  # Bolt's own: the workspace's tokens are deleted
    else:
        app.event("app_uninstalled")(_uninstalled)
        app.event("tokens_revoked")(_uninstalled)

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
            event.get("channel_type") in ("channel", "group")
            and event.get("thread_ts")
            and event.get("thread_ts") != event.get("ts")
        ):
            await keep("event", body)

    @app.event("app_home_opened")
    async def home_opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") == "home":
            await keep("event", body)

    @app.action(ACTION_PATTERN)
    async def action(ack: AsyncAck, body: dict[str, Any]) -> None:
        await keep("action", body)
        await ack()

    @app.view(forms.CALLBACK)
    async def view_submission(ack: AsyncAck, body: dict[str, Any]) -> None:
        # A form's modal (bot/slack/forms.py): what is wrong is answered at the fields while the
        # modal stays open; a good submission is stored, and the empty answer closes it.
        found = forms.problems(body, check) if check is not None else {}
        if found:
            await ack(response_action=forms.ERRORS, errors=found)
            return
        if found is not None:
            await keep("view", body)
        await ack()

    return app

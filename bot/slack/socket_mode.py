"""Slack over Socket Mode: the bot opens a WebSocket to Slack instead of taking POSTs.

With `SLACK_APP_TOKEN` (an app-level `xapp-…` token with `connections:write`) the bot calls
`apps.connections.open` on `SLACK_API_URL` and keeps the WebSocket it is given open,
opening a new one when Slack asks (`disconnect`) or the connection is lost (slack_sdk's
aiohttp client). Slack sends each event, command and press as an envelope; the same Bolt
app as over HTTP (bot/slack/listeners.py) stores it in the inbox, and only then is the
envelope acknowledged (`process_before_response=True`): an envelope whose row could not be
written is not acknowledged, and Slack sends it again. A resent envelope carries the same
event id or trigger id, so the inbox keeps it once.

What verify.py refuses over HTTP is refused here too, before Bolt reads it (an envelope
that is not the shape Bolt reads, or holds text PostgreSQL cannot keep): it is logged and
not acknowledged, as a 400 is no 200. There is no signature: the connection itself is
authenticated by the app token.

The client is made when the app starts, inside the running event loop: slack_sdk's client
opens its HTTP session and starts its message task when it is constructed.
"""

from __future__ import annotations

import logging

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot import untrusted
from bot.slack.verify import check_shape
from bot.untrusted import Malformed

log = logging.getLogger(__name__)


class _Handler(AsyncSocketModeHandler):
    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        try:
            untrusted.check(req.payload)
            check_shape(req.payload)
        except Malformed as exc:
            log.info("slack: refused a malformed %s envelope: %s", req.type, exc)
            return
        await super().handle(client, req)


class SocketMode:
    """The Socket Mode connection of one running bot: `start` after the workers, `stop` before."""

    def __init__(self, bolt: AsyncApp, app_token: str) -> None:
        self.bolt, self.app_token = bolt, app_token
        self.handler: AsyncSocketModeHandler | None = None

    async def start(self) -> None:
        # apps.connections.open goes through Bolt's client, on SLACK_API_URL, with the app token.
        self.handler = _Handler(self.bolt, self.app_token)
        await self.handler.connect_async()  # type: ignore[no-untyped-call]  # slack-bolt leaves it unannotated
        log.info("slack: connected over Socket Mode")

    async def stop(self) -> None:
        if self.handler is not None:
            await self.handler.close_async()  # type: ignore[no-untyped-call]  # slack-bolt leaves it unannotated
            self.handler = None

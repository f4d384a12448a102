"""A stand-in for Slack's side of Socket Mode, on loopback.

Socket Mode turns Slack's HTTP requests around: the app calls `apps.connections.open` with its
app-level token (`xapp-…`) and gets a WebSocket URL; Slack greets the connection with `hello`,
then sends each event, slash command and button press as an *envelope*
(`{"type": "events_api" | "slash_commands" | "interactive", "envelope_id": …, "payload": …}`),
and the app acknowledges each one by sending `{"envelope_id": …}` back (with a `payload` for a
command's or a press's immediate answer). An envelope that is not acknowledged Slack sends
again (`retry_attempt`, `retry_reason`); before it refreshes a connection it sends `disconnect`.

Here:

- `.app` serves `POST /api/apps.connections.open` and, under it, the Web API stand-in
  (tests/fakes/slack_api.py) unchanged: the bot's `SLACK_API_URL` points at this one server.
  The answer is a `ws://127.0.0.1:<port>/link/?ticket=…` URL; a ticket opens one connection.
- The WebSocket server (aiohttp's, which slack_sdk's own client is built on; uvicorn here has
  no WebSocket library) greets with `hello`, sends what a test asks (`send`, `deliver`,
  `resend`), records every acknowledgement with the connection and the time it took, and can
  end a connection as Slack does (`disconnect` first) or cut it without a word (`drop`).

    socket = FakeSocketMode(fake_slack)
    await socket.start()                     # sets fake_slack.base_url; bot: SLACK_API_URL=socket.api_url
    ack = await socket.deliver("events_api", payload)   # waits for the bot's connection and its ack
    await socket.resend(ack.envelope)        # Slack's retry of the same envelope
    await socket.disconnect()                # `disconnect`, then close; the bot opens a new one
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket as sockets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from tests.fakes.slack_api import APP_ID, FakeSlack
from tests.support.server import LoopbackServer

APP_TOKEN = "xapp-1-A1-1-test-app-token"
ENVELOPE_TYPES = ("events_api", "slash_commands", "interactive")


@dataclass
class Connection:
    """One WebSocket the bot opened, numbered from 1 in the order they were opened."""

    number: int
    ticket: str
    ws: web.WebSocketResponse
    opened_at: float
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    # How it ended: "disconnect" (Slack's refresh), "closed" (a close frame), "dropped" (cut),
    # "client" (the bot closed it).
    ended: str | None = None


@dataclass
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None
    connection: int
    seconds: float  # from the envelope's latest sending to its acknowledgement
    at: float  # time.monotonic() when it arrived


@dataclass
class Envelope:
    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    retry_attempt: int = 0
    retry_reason: str = ""
    # The connections it was sent over, one per sending, and when it was last sent.
    deliveries: list[int] = field(default_factory=list)
    sent_at: float = 0.0
    acks: list[Ack] = field(default_factory=list)

    def as_message(self) -> dict[str, Any]:
        return {
            "envelope_id": self.envelope_id,
            "payload": self.payload,
            "type": self.type,
            "accepts_response_payload": self.accepts_response_payload,
            "retry_attempt": self.retry_attempt,
            "retry_reason": self.retry_reason,
        }


class FakeSocketMode:
    """Slack's Socket Mode endpoint and `apps.connections.open`, in front of a FakeSlack."""

    def __init__(self, slack: FakeSlack, *, app_token: str = APP_TOKEN) -> None:
        self.slack, self.app_token = slack, app_token
        self.connections: list[Connection] = []
        self.envelopes: dict[str, Envelope] = {}
        self.acks: list[Ack] = []
        # Acknowledgements naming no envelope that was sent, and messages that were no JSON object.
        self.strays: list[str] = []
        # Every apps.connections.open: the token it carried and the error it got (None: a URL).
        self.opens: list[tuple[str, str | None]] = []
        # Called with each acknowledgement as it is read (a test's "crash right after the ack").
        self.on_ack: Callable[[Ack], None] | None = None
        self._tickets: set[str] = set()
        self._numbers = itertools.count(1)
        self._changed = asyncio.Event()
        self.app = Starlette(
            routes=[
                Route("/api/apps.connections.open", self._connections_open, methods=["POST", "GET"]),
                Mount("", app=slack.app),
            ]
        )
        self._ws_app = web.Application()
        self._ws_app.router.add_get("/link/", self._link)
        self._http: LoopbackServer | None = None
        self._runner: web.AppRunner | None = None
        self._ws_port = 0

    # ---- life -----------------------------------------------------------------------------
    async def start(self) -> str:
        """Serve both; returns the HTTP base URL (also FakeSlack's, for its response URLs)."""
        self._runner = web.AppRunner(self._ws_app, handle_signals=False)
        await self._runner.setup()
        sock = sockets.socket(sockets.AF_INET, sockets.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._ws_port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock, shutdown_timeout=1).start()
        self._http = LoopbackServer(self.app)
        self.slack.base_url = await self._http.start()
        return self.slack.base_url

    async def stop(self) -> None:
        for connection in self.connections:
            if not connection.ws.closed:
                with contextlib.suppress(Exception):
                    await connection.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.stop()

    @property
    def api_url(self) -> str:
        """The bot's SLACK_API_URL: apps.connections.open here, every other method FakeSlack's."""
        return self.slack.api_url

    # ---- apps.connections.open --------------------------------------------------------------
    async def _connections_open(self, request: Request) -> JSONResponse:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if not token:  # slack_sdk sends the token as a bearer header; Slack also takes it in the body
            raw = (await request.body()).decode("utf-8", "replace")
            token = dict(parse_qsl(raw)).get("token", "")
            scheme = "bearer"
        error = None
        if scheme.lower() != "bearer" or not token:
            error = "not_authed"
        elif token.startswith(("xoxb-", "xoxp-")):
            error = "not_allowed_token_type"  # Slack's answer to a bot or user token here
        elif token != self.app_token:
            error = "invalid_auth"
        self.opens.append((token, error))
        if error is not None:
            return JSONResponse({"ok": False, "error": error})
        ticket = uuid.uuid4().hex
        self._tickets.add(ticket)
        return JSONResponse(
            {"ok": True, "url": f"ws://127.0.0.1:{self._ws_port}/link/?ticket={ticket}&app_id={APP_ID}"}
        )

    # ---- the WebSocket ----------------------------------------------------------------------
    async def _link(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid or used ticket")
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)  # answers the client's pings with their data
        await ws.prepare(request)
        connection = Connection(number=next(self._numbers), ticket=ticket, ws=ws, opened_at=time.monotonic())
        self.connections.append(connection)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": sum(1 for c in self.connections if not c.closed.is_set()),
                "debug_info": {"host": "applink-stand-in", "build_number": 1, "approximate_connection_time": 18060},
                "connection_info": {"app_id": APP_ID},
            }
        )
        self._notify()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._read(connection, message.data)
        finally:
            connection.ended = connection.ended or "client"
            connection.closed.set()
            self._notify()
        return ws

    def _read(self, connection: Connection, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("envelope_id"), str):
            self.strays.append(data)
            return
        envelope = self.envelopes.get(message["envelope_id"])
        if envelope is None:
            self.strays.append(data)
            return
        payload = message.get("payload")
        now = time.monotonic()
        ack = Ack(
            envelope_id=envelope.envelope_id,
            payload=payload if isinstance(payload, dict) else None,
            connection=connection.number,
            seconds=now - envelope.sent_at,
            at=now,
        )
        envelope.acks.append(ack)
        self.acks.append(ack)
        if self.on_ack is not None:
            self.on_ack(ack)
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _until(self, predicate: Callable[[], Any], what: str, timeout: float) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (result := predicate()):
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"{what} within {timeout}s; {self.describe()}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.1))
        return result

    # ---- what a test does ---------------------------------------------------------------------
    def live(self) -> Connection | None:
        """The newest connection that is still open."""
        return next((c for c in reversed(self.connections) if not c.closed.is_set() and not c.ws.closed), None)

    async def connected(self, timeout: float = 10.0, *, after: int = 0) -> Connection:
        """The open connection (numbered above `after`), waiting for the bot to open one."""
        connection: Connection = await self._until(
            lambda: (live := self.live()) is not None and live.number > after and live,
            f"no connection after #{after}",
            timeout,
        )
        return connection

    async def send(
        self,
        type_: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        timeout: float = 10.0,
    ) -> Envelope:
        """Send an envelope over the open connection (waiting for one)."""
        assert type_ in ENVELOPE_TYPES, type_
        envelope = Envelope(
            envelope_id=envelope_id or f"{uuid.uuid4()}",
            type=type_,
            payload=payload,
            accepts_response_payload=type_ != "events_api",
        )
        self.envelopes[envelope.envelope_id] = envelope
        await self._send(envelope, timeout)
        return envelope

    async def _send(self, envelope: Envelope, timeout: float) -> None:
        connection = await self.connected(timeout)
        envelope.deliveries.append(connection.number)
        envelope.sent_at = time.monotonic()
        await connection.ws.send_str(json.dumps(envelope.as_message()))

    async def resend(
        self, envelope: Envelope, *, new_envelope_id: bool = False, reason: str = "timeout", timeout: float = 10.0
    ) -> Envelope:
        """Slack's retry: the same payload again, `retry_attempt` one higher; by default under
        the same envelope id, with `new_envelope_id` as a delivery of its own."""
        if new_envelope_id:
            again = Envelope(
                envelope_id=f"{uuid.uuid4()}",
                type=envelope.type,
                payload=envelope.payload,
                accepts_response_payload=envelope.accepts_response_payload,
                retry_attempt=envelope.retry_attempt + 1,
                retry_reason=reason,
            )
            self.envelopes[again.envelope_id] = again
        else:
            again = envelope
            again.retry_attempt += 1
            again.retry_reason = reason
        await self._send(again, timeout)
        return again

    async def acked(self, envelope: Envelope, timeout: float = 5.0, *, times: int = 1) -> Ack:
        """The envelope's (`times`-th) acknowledgement, waiting for it."""
        await self._until(lambda: len(envelope.acks) >= times, f"envelope {envelope.envelope_id} not acked", timeout)
        return envelope.acks[times - 1]

    async def deliver(self, type_: str, payload: dict[str, Any], timeout: float = 5.0) -> Ack:
        """Send an envelope and wait for its acknowledgement."""
        envelope = await self.send(type_, payload, timeout=timeout)
        return await self.acked(envelope, timeout)

    def unacked(self) -> list[Envelope]:
        return [e for e in self.envelopes.values() if len(e.acks) < len(e.deliveries)]

    async def disconnect(self, reason: str = "refresh_requested") -> Connection:
        """What Slack does every few hours: `disconnect`, then it closes the connection."""
        connection = await self.connected()
        connection.ended = "disconnect"
        await connection.ws.send_json({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink"}})
        # Slack closes the old connection once the app has opened its new one.
        with contextlib.suppress(AssertionError):
            await self.connected(after=connection.number)
        await connection.ws.close()
        return connection

    async def close(self) -> Connection:
        """A close frame without a word before it (a server going away)."""
        connection = await self.connected()
        connection.ended = "closed"
        await connection.ws.close()
        return connection

    async def drop(self) -> Connection:
        """Cut the connection: its TCP connection ends with no close frame (a network failure)."""
        connection = await self.connected()
        connection.ended = "dropped"
        transport = connection.ws._req.transport if connection.ws._req is not None else None
        assert transport is not None
        transport.abort()
        await self._until(connection.closed.is_set, "the cut connection did not end", 5.0)
        return connection

    def describe(self) -> str:
        lines = [f"{len(self.connections)} connection(s), {len(self.opens)} apps.connections.open:"]
        lines += [f"  #{c.number} {'open' if not c.closed.is_set() else c.ended}" for c in self.connections]
        for envelope in list(self.envelopes.values())[-10:]:
            lines.append(
                f"  {envelope.type} {envelope.envelope_id[:8]} sent over {envelope.deliveries},"
                f" acked {len(envelope.acks)}x"
            )
        if self.strays:
            lines.append(f"  strays: {self.strays[-3:]}")
        return "\n".join(lines)


# ---- the envelope for what tests/fakes/slack_signing.py builds as an HTTP request -------------
def envelope_for(body: str, content_type: str) -> tuple[str, dict[str, Any]]:
    """The envelope type and payload Slack sends over Socket Mode where it would POST `body`:
    an Events API callback as it is, a slash command's form fields as an object, a press's
    `payload` field parsed."""
    if content_type.startswith("application/json"):
        payload = json.loads(body)
        return "events_api", payload
    fields = dict(parse_qsl(body, keep_blank_values=True))
    if "payload" in fields:
        return "interactive", json.loads(fields["payload"])
    return "slash_commands", fields

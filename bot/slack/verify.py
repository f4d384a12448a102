"""`POST /slack/events`: Slack's signature checked on the raw bytes before anything
parses them, then the body read with limits, then handed to Bolt already parsed.

Bolt parses a body before it checks the signature, and its signature check
raises on a timestamp that is not a number (ENGINEERING.md, "Bolt parses
before it verifies"): malformed requests, signed or not, became 500s. Here:

- no `X-Slack-Request-Timestamp`, one that is not a number or is more than
  five minutes off, no `X-Slack-Signature` or a wrong one: 401, and the body
  is not parsed (nor read, unless the headers look like a signature);
- a body over MAX_BODY: 413, read no further;
- a signed body that is not UTF-8, not JSON, a form whose `payload` is not
  JSON, not an object, nested deeper or holding text that is not text
  (bot/untrusted.py), or with a value Bolt reads (`event`, `user`, `team`,
  `actions`, …) of a type Bolt does not expect: 400.

Bolt then gets the parsed body, so it neither parses nor verifies again (its
own verification is off: bot/slack/listeners.py).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from starlette.requests import Request
from starlette.responses import Response

from bot import untrusted
from bot.untrusted import Malformed

log = logging.getLogger(__name__)

MAX_AGE = 5 * 60  # seconds, Slack's own window
MAX_BODY = 1_000_000  # a press carries its message: 50 blocks, escaped twice, stay far below
MAX_FORM_FIELDS = 100  # a slash command has about 15
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


# ---- the signature ------------------------------------------------------------------
def check_headers(timestamp: str | None, signature: str | None, now: float) -> None:
    """What can be refused before the body is read: no timestamp, a stale one, no signature."""
    if timestamp is None or not _TIMESTAMP.fullmatch(timestamp):
        raise Refused(401, "no timestamp, or not a number")
    if abs(now - int(timestamp)) > MAX_AGE:
        raise Refused(401, "timestamp more than five minutes off")
    if signature is None or not _SIGNATURE.fullmatch(signature):
        raise Refused(401, "no v0 signature")


def check_signature(secret: bytes, timestamp: str, signature: str, body: bytes) -> None:
    """The v0 signature: HMAC-SHA256 of `v0:{timestamp}:{body}`, compared in constant time."""
    expected = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest("v0=" + expected, signature):
        raise Refused(401, "wrong signature")


# ---- the body -----------------------------------------------------------------------
def parse(body: bytes, content_type: str | None) -> dict[str, Any]:
    """The request as Bolt would read it: JSON (Events API), or a form (commands) whose
    `payload` field is JSON (presses). Raises Malformed."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Malformed("not UTF-8") from exc
    if not text:
        raise Malformed("empty")
    if content_type == "application/json" or text.startswith("{"):  # Bolt's own rule
        parsed = untrusted.loads(text)
    else:
        try:
            form = parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FORM_FIELDS)
        except ValueError as exc:  # percent-escapes that are not UTF-8, too many fields
            raise Malformed(str(exc)[:200]) from exc
        fields = dict(form)
        if "payload" in fields:
            parsed = untrusted.loads(fields["payload"])
        else:
            for value in fields.values():
                untrusted.check_text(value)
            parsed = fields
    if not isinstance(parsed, dict):
        raise Malformed("not an object")
    check_shape(parsed)
    return parsed


# What Bolt reads from a body before any listener (slack_bolt/request/internals.py,
# payload_utils.py, listener_matcher/builtins.py), and the types it reads them as. A dict
# that holds an id (`user`, `team`, …) is read for its `id`; the objects are read again with
# the same rules (Bolt looks for a user in `event`, then in `event.message`, …).
_TEXT = (str, type(None))
_ID_OR_OBJECT = (str, dict, type(None))
_OBJECT = (dict, type(None))
_LIST = (list, type(None))
_RULES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(
        (
            "type",
            "command",
            "callback_id",
            "action_id",
            "block_id",
            "response_url",
            "enterprise_id",
            "team_id",
            "user_id",
            "channel_id",
            "thread_ts",
            "function_execution_id",
            "bot_access_token",
            "context_team_id",
            "context_enterprise_id",
            "user_team",
            "bot_id",
            "subtype",
            "channel_type",
            "tab",
            "trigger_id",
            "event_id",
            "ssl_check",
            "challenge",
            "app_installed_team_id",
        ),
        _TEXT,
    ),
    **dict.fromkeys(("enterprise", "team", "user", "channel"), _ID_OR_OBJECT),
    **dict.fromkeys(("message", "previous_message", "item", "assistant_thread", "function_data", "container"), _OBJECT),
    # Read as `body.get("event", {}).get(…)`: an object whenever it is there, never null.
    **dict.fromkeys(("event", "view", "function"), (dict,)),
    **dict.fromkeys(("authorizations", "actions", "response_urls"), _LIST),
}
_HOLDS_ID = ("enterprise", "team", "user", "channel")


def check_shape(body: dict[str, Any]) -> None:
    """Raise Malformed when a value Bolt reads has a type Bolt would trip over."""
    pending = [body]
    while pending:
        obj = pending.pop()
        for key, value in obj.items():
            allowed = _RULES.get(key)
            if allowed is None:
                continue
            if not isinstance(value, allowed):
                raise Malformed(f"{key} is a {type(value).__name__}")
            if isinstance(value, dict):
                if key not in _HOLDS_ID:
                    pending.append(value)  # `event`, `message`, … are read with the same rules
                elif not isinstance(value.get("id"), _TEXT):
                    raise Malformed(f"{key}.id is a {type(value.get('id')).__name__}")
            elif isinstance(value, list):  # authorizations, actions, response_urls
                for item in value:
                    if not isinstance(item, dict):
                        raise Malformed(f"{key} holds a {type(item).__name__}")
                    pending.append(item)
    # Bolt takes the first action of a press without looking.
    if body.get("type") in ("block_actions", "interactive_message") and not body.get("actions"):
        raise Malformed("a press without actions")


# ---- the endpoint -------------------------------------------------------------------
class SlackEvents:
    """The route's handler: verify, read, then let Bolt dispatch to the listeners."""

    def __init__(self, bolt: AsyncApp, signing_secret: str, clock: Callable[[], float] = time.time) -> None:
        self.bolt, self.secret, self.clock = bolt, signing_secret.encode(), clock

    async def handle(self, request: Request) -> Response:
        try:
            body = await self.verified_body(request)
        except Refused as exc:
            log.info("slack: refused a request (%s): %s", exc.status, exc)
            return Response(status_code=exc.status)
        content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        try:
            parsed = parse(body, content_type)
        except Malformed as exc:
            log.info("slack: a malformed request: %s", exc)
            return Response(status_code=400)
        # Bolt takes a parsed body only as a Socket Mode request; the mode decides nothing
        # else than skipping Bolt's signature check, which is off anyway.
        # As dicts, the last of a repeated name winning, as Bolt reads a mapping it is given.
        headers: dict[str, str | Sequence[str]] = dict(request.headers.items())
        bolt_request = AsyncBoltRequest(
            body=parsed, query=dict(request.query_params), headers=headers, mode="socket_mode"
        )
        return to_starlette_response(await self.bolt.async_dispatch(bolt_request))

    async def verified_body(self, request: Request) -> bytes:
        timestamp = request.headers.get("x-slack-request-timestamp")
        signature = request.headers.get("x-slack-signature")
        check_headers(timestamp, signature, self.clock())
        assert timestamp is not None and signature is not None
        length = request.headers.get("content-length", "")
        if length.isascii() and length.isdigit() and int(length) > MAX_BODY:
            raise Refused(413, "body too large")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                raise Refused(413, "body too large")
        check_signature(self.secret, timestamp, signature, bytes(body))
        return bytes(body)

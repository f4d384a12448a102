"""Build request bodies and v0 signatures the way Slack sends them to an app."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from .slack_api import APP_ID, BOT_USER_ID, dm_channel_id

VERIFICATION_TOKEN = "verification-token"  # deprecated by Slack, but still sent in every payload
TEAM_DOMAIN = "testteam"

_counter = itertools.count(1)


def _unique() -> int:
    return next(_counter)


def _ts() -> str:
    """A message ts that is unique within the process and close to now."""
    return f"{int(time.time())}.{_unique():06d}"


def _trigger_id() -> str:
    return f"{_unique()}.{int(time.time())}.{secrets.token_hex(16)}"


def _channel_name(channel_id: str) -> str:
    """What Slack calls the channel: the DM's word, else the id's letters ("CSYGEPLEJEN" is #sygeplejen)."""
    return "directmessage" if channel_id.startswith("D") else channel_id[1:].lower()


def default_response_url(team_id: str = "T1") -> str:
    """A Slack-shaped response_url on the reserved ``.invalid`` TLD, so it can never reach the internet."""
    return f"https://hooks.slack.invalid/commands/{team_id}/{_unique()}/{secrets.token_hex(12)}"


def sign(
    body: str | bytes, secret: str, timestamp: int | None = None, *, content_type: str | None = None
) -> dict[str, str]:
    """Slack request-signing headers (v0) for ``body``; adds Content-Type when given."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    raw = body.encode("utf-8") if isinstance(body, str) else body
    base = b"v0:" + str(timestamp).encode() + b":" + raw
    digest = hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    headers = {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return headers


def request_headers(
    body: str, secret: str, content_type: str, *, extra: dict[str, str] | None, signed: bool, timestamp: int | None
) -> dict[str, str]:
    """The headers of a request as Slack sends it to the bot: the content type, the signature
    (unless `signed` is False: a forged request), then any the test adds or overrides."""
    headers = {"Content-Type": content_type}
    if signed:
        headers |= sign(body, secret, timestamp)
    return headers | (extra or {})


def slash_command_body(
    command: str = "/laering",
    text: str = "",
    user_id: str = "U1",
    user_name: str = "lise",
    channel_id: str = "C1",
    team_id: str = "T1",
    response_url: str | None = None,
    trigger_id: str | None = None,
) -> str:
    """URL-encoded slash command body with the fields Slack sends."""
    return urlencode(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": _channel_name(channel_id),
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url or default_response_url(team_id),
            "trigger_id": trigger_id or _trigger_id(),
        }
    )


def event_body(event: dict[str, Any], event_id: str | None = None, team_id: str = "T1") -> str:
    """JSON body of an Events API ``event_callback`` envelope around ``event``."""
    return json.dumps(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "context_team_id": team_id,
            "context_enterprise_id": None,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{_unique():08d}{secrets.token_hex(2).upper()}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{secrets.token_hex(16)}",
        }
    )


def dm_message_event(user: str, text: str, channel: str | None = None, ts: str | None = None) -> dict[str, Any]:
    """A ``message`` event as sent for a user writing in their DM with the bot."""
    ts = ts or _ts()
    return {
        "type": "message",
        "channel_type": "im",
        "channel": channel or dm_channel_id(user),
        "user": user,
        "text": text,
        "client_msg_id": str(uuid.uuid4()),
        "ts": ts,
        "event_ts": ts,
    }


def block_actions_body(
    user_id: str,
    action_id: str,
    value: str,
    *,
    message_ts: str,
    channel_id: str,
    response_url: str,
    block_id: str = "b",
    team_id: str = "T1",
    message: dict[str, Any] | None = None,
    user_name: str | None = None,
) -> str:
    """Form body ``payload=<json>`` of a button click in a (non-ephemeral) message."""
    name = user_name or user_id.lower()
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": name, "name": name, "team_id": team_id},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": _trigger_id(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": _channel_name(channel_id)},
        "message": message if message is not None else {"ts": message_ts, "text": "", "blocks": []},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def view_submission_body(
    user_id: str, view: dict[str, Any], values: dict[str, dict[str, dict[str, Any]]], *, team_id: str = "T1"
) -> str:
    """Form body ``payload=<json>`` of a modal submitted: the view as Slack holds it, with what
    was filled in as its ``state.values`` (block id -> action id -> the element's value)."""
    name = user_id.lower()
    payload: dict[str, Any] = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": {"id": user_id, "username": name, "name": name, "team_id": team_id},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": _trigger_id(),
        "view": {**view, "state": {"values": values}},
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return urlencode({"payload": json.dumps(payload)})

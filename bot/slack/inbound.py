"""Slack payloads as neutral events, and Slack's text encoding as plain text."""

from __future__ import annotations

import html
import re
from typing import Any

from bot.core.events import ActionIn, CommandIn, Incoming, MessageIn, MessageRef

PLATFORM = "slack"
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_TOKEN = re.compile(r"<([^<>]+)>")


def plain(text: str) -> str:
    """Slack's encoded message text as what the person saw and meant."""

    def token(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "@" + (label or target[1:])
        if target.startswith("!"):
            if target.startswith(("!subteam", "!date")) and label:
                return label  # a user group's label carries its @; a date's is the date
            return "@" + (label or target[1:].split("^")[0])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        return f"{label} ({target})" if label and label != target else target

    return html.unescape(_TOKEN.sub(token, text))


def dedupe_key(kind: str, body: dict[str, Any]) -> str | None:
    """What makes a request the same request when Slack sends it again."""
    if kind == "command":
        return f"slack:command:{body.get('trigger_id') or body.get('response_url')}"
    if kind == "event":
        return f"slack:event:{body.get('event_id')}"
    if kind == "action":
        # Each press has its own trigger_id; a retry of the request carries the same one. A
        # second press is a new request, and the flow's state says what it still may do.
        if body.get("trigger_id"):
            return f"slack:action:{body['trigger_id']}"
        action = (body.get("actions") or [{}])[0]
        container = body.get("container") or {}
        if container.get("type") == "view" or container.get("is_ephemeral"):
            # The App Home and a reply only the person sees are replaced in place, under the
            # same id: the block id names the version that was pressed (`posted:<outbox id>`).
            where = f"{container.get('view_id') or container.get('message_ts')}:{action.get('block_id')}"
            return (f"slack:action:{where}:{action.get('action_id')}:{action.get('value')}:"
                    f"{(body.get('user') or {}).get('id')}")
        return (f"slack:action:{container.get('channel_id')}:{container.get('message_ts')}:"
                f"{action.get('action_id')}:{action.get('value')}:{(body.get('user') or {}).get('id')}")
    return None


def translate(kind: str, body: dict[str, Any]) -> Incoming | None:
    if kind == "command":
        text = body.get("text") or ""
        mentions = tuple(_MENTION.findall(text))
        return CommandIn(platform=PLATFORM, user=body["user_id"], text=plain(_MENTION.sub(" ", text)).strip(),
                         mentions=mentions, channel=body.get("channel_id"),
                         response_url=body.get("response_url"),
                         in_channel=str(body.get("channel_id") or "").startswith(("C", "G")))
    if kind == "event":
        event = body.get("event") or {}
        if event.get("type") == "app_home_opened":
            # Opening the App Home is a press on "show my overview" (bot/flows/overview.py).
            if event.get("tab") != "home" or not event.get("user"):
                return None
            return ActionIn(platform=PLATFORM, user=event["user"], action="overview:home", value="",
                            extra={"surface": "home"})
        # A reply in a channel thread (a learning meeting's) names its thread; the DM has none.
        thread = event.get("thread_ts") if event.get("channel_type") != "im" else None
        return MessageIn(platform=PLATFORM, user=event["user"], text=plain(event.get("text") or ""),
                         channel=event.get("channel"), mentions=tuple(_MENTION.findall(event.get("text") or "")),
                         thread=thread)
    if kind == "action":
        action = (body.get("actions") or [{}])[0]
        container = body.get("container") or {}
        ref = None
        if container.get("channel_id") and container.get("message_ts"):
            block = str(action.get("block_id") or "")
            posted = block.removeprefix("posted:").split(":", 1)[0]
            ref = MessageRef(channel=container["channel_id"], message_id=container["message_ts"],
                             posted_id=int(posted) if block.startswith("posted:") and posted.isdigit() else None)
        home = container.get("type") == "view" and (body.get("view") or {}).get("type") == "home"
        return ActionIn(platform=PLATFORM, user=body["user"]["id"],
                        action=(action.get("action_id") or "").split("#", 1)[0],
                        value=action.get("value") or "", message=ref, response_url=body.get("response_url"),
                        extra={"surface": "home"} if home else {})
    return None

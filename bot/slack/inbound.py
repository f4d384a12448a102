"""Slack payloads as neutral events, and Slack's text encoding as plain text."""

from __future__ import annotations

import html
import re
from typing import Any

from bot.core.events import ActionIn, CommandIn, Incoming, MessageIn, MessageRef
from bot.core.ids import record_id
from bot.slack import forms
from bot.untrusted import as_dict, as_id, as_list, as_text

PLATFORM = "slack"
# Slack's user ids are about a dozen characters; a longer "id" is no one.
_MENTION = re.compile(r"<@([UW][A-Z0-9]{1,40})(?:\|[^>]*)?>")
MAX_URL_LENGTH = 1000  # OutboxMessage.response_url
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


def _first_action(body: dict[str, Any]) -> dict[str, Any]:
    actions = as_list(body.get("actions"))
    return as_dict(actions[0]) if actions else {}


def dedupe_key(kind: str, body: dict[str, Any]) -> str | None:
    """What makes a request the same request when Slack sends it again."""
    if kind == "command":
        return f"slack:command:{body.get('trigger_id') or body.get('response_url')}"
    if kind == "event":
        return f"slack:event:{body.get('event_id')}"
    if kind == "view":  # a form's modal submitted (bot/slack/forms.py)
        return forms.dedupe_key(body)
    if kind == "action":
        # Each press has its own trigger_id; a retry of the request carries the same one. A
        # second press is a new request, and the flow's state says what it still may do.
        if body.get("trigger_id"):
            return f"slack:action:{body['trigger_id']}"
        action = _first_action(body)
        container = as_dict(body.get("container"))
        user = as_dict(body.get("user")).get("id")
        if container.get("type") == "view" or container.get("is_ephemeral"):
            # The App Home and a reply only the person sees are replaced in place, under the
            # same id: the block id names the version that was pressed (`posted:<outbox id>`).
            where = f"{container.get('view_id') or container.get('message_ts')}:{action.get('block_id')}"
            return f"slack:action:{where}:{action.get('action_id')}:{action.get('value')}:{user}"
        return (
            f"slack:action:{container.get('channel_id')}:{container.get('message_ts')}:"
            f"{action.get('action_id')}:{action.get('value')}:{user}"
        )
    return None


def channel_name(body: dict[str, Any], channel: str | None) -> str | None:
    """A slash command's `channel_name` in a channel; not Slack's words for a DM or a group DM."""
    name = as_id(body.get("channel_name"), 255)
    if not (channel or "").startswith(("C", "G")) or name is None or name in ("directmessage", "privategroup"):
        return None
    return None if name.startswith("mpdm-") else name


def translate(kind: str, body: dict[str, Any]) -> Incoming | None:
    """The neutral event; None for what the bot ignores, and for a payload without a
    person or with values of the wrong type (signed by Slack, but nothing to act on)."""
    if kind == "command":
        user = as_id(body.get("user_id"))
        if user is None:
            return None
        text = as_text(body.get("text"))
        channel = as_id(body.get("channel_id"))
        mentions = tuple(_MENTION.findall(text))
        return CommandIn(
            platform=PLATFORM,
            user=user,
            text=plain(_MENTION.sub(" ", text)).strip(),
            mentions=mentions,
            channel=channel,
            response_url=as_id(body.get("response_url"), MAX_URL_LENGTH),
            in_channel=(channel or "").startswith(("C", "G")),
            trigger=as_id(body.get("trigger_id")),
            channel_name=channel_name(body, channel),
        )
    if kind == "event":
        event = as_dict(body.get("event"))
        user = as_id(event.get("user"))
        if user is None:
            return None
        if event.get("type") == "app_home_opened":
            # Opening the App Home is a press on "show my overview" (bot/flows/overview.py).
            if event.get("tab") != "home":
                return None
            return ActionIn(platform=PLATFORM, user=user, action="overview:home", value="", extra={"surface": "home"})
        # A reply in a channel thread (a learning meeting's) names its thread; the DM has none.
        thread = as_id(event.get("thread_ts")) if event.get("channel_type") != "im" else None
        text = as_text(event.get("text"))
        return MessageIn(
            platform=PLATFORM,
            user=user,
            text=plain(text),
            channel=as_id(event.get("channel")),
            mentions=tuple(_MENTION.findall(text)),
            thread=thread,
        )
    if kind == "view":
        return forms.translate(body)
    if kind == "action":
        user = as_id(as_dict(body.get("user")).get("id"))
        action = _first_action(body)
        action_id = as_text(action.get("action_id")).split("#", 1)[0]
        if user is None or not action_id:
            return None
        container = as_dict(body.get("container"))
        ref = None
        channel, message_ts = as_id(container.get("channel_id")), as_id(container.get("message_ts"))
        # A dialog picker's block id carries what a button's value would (bot/slack/render.py).
        block, _, carried = as_text(action.get("block_id")).partition("|")
        if channel and message_ts:
            # Our id of the post; one that cannot be an id (30 digits) is no post of ours.
            posted = record_id(block.removeprefix("posted:").split(":", 1)[0]) if block.startswith("posted:") else None
            ref = MessageRef(channel=channel, message_id=message_ts, posted_id=posted)
        home = container.get("type") == "view" and as_dict(body.get("view")).get("type") == "home"
        fields: dict[str, str] = {}
        picked: tuple[str, ...] = ()
        if action.get("type") == "users_select":  # a person picked: read like a mention
            person = as_id(action.get("selected_user"))
            fields["pick"] = person or ""
            picked = (person,) if person else ()
        elif action.get("type") == "datepicker":
            fields["pick"] = as_text(action.get("selected_date"))[:10]
        return ActionIn(
            platform=PLATFORM,
            user=user,
            action=action_id,
            value=as_text(action.get("value")) or carried,
            message=ref,
            response_url=as_id(body.get("response_url"), MAX_URL_LENGTH),
            extra={"surface": "home"} if home else {},
            trigger=as_id(body.get("trigger_id")),
            fields=fields,
            mentions=picked,
        )
    return None

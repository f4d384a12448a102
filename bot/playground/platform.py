"""The playground as a Platform: requests come from the page, and a message is
delivered the moment the outbox hands it over (the page reads delivered rows).

What a person does in the channel carries a place to answer (`response_url`), as on
Slack: the bot's reply only that person sees (`respond`) shows in the channel, or in
the thread the pressed message is in, marked as visible only to them; a reply that
replaces the pressed message (`replace`) takes its place. In the direct message only
the person sees anything anyway: there the reply is an ordinary post.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.core.events import ActionIn, CommandIn, Incoming, MessageIn, MessageRef, Profile
from bot.core.forms import ANY_CHANNEL, SUBMIT
from bot.playground.cast import BY_ID
from bot.storage.models import OutboxMessage
from bot.workers.pace import Limit
from bot.workers.platform import Delivered, OutgoingFile

PLATFORM = "playground"
COMMAND = "/laering"
_MENTION = re.compile(r"@([\w.-]+)")


def dm(person: str) -> str:
    return f"dm:{person}"


# The playground's one team channel, where learning meetings run.
CHANNEL = "ch:laering"
CHANNEL_NAME = "læring"  # shown as "#læring", as the page names it
_PLACE = "playground:"


@dataclass(frozen=True)
class Place:
    """Where a reply only the person sees is shown: the channel, the thread (its root
    post's id) and the message pressed (None for a command)."""

    channel: str
    thread: str | None = None
    message: str | None = None

    def url(self) -> str:
        return _PLACE + "|".join((self.channel, self.thread or "", self.message or ""))

    @staticmethod
    def prefix(channel: str) -> str:
        """What the url of every place in `channel` begins with."""
        return f"{_PLACE}{channel}|"

    @staticmethod
    def of(url: str | None) -> Place | None:
        if not url or not url.startswith(_PLACE):
            return None
        channel, _, rest = url.removeprefix(_PLACE).partition("|")
        thread, _, message = rest.partition("|")
        return Place(channel, thread or None, message or None)


class PlaygroundPlatform:
    name = PLATFORM

    def __init__(self, locale: str = "da") -> None:
        self.locale = locale

    def translate(self, kind: str, payload: dict[str, Any]) -> Incoming | None:
        person = payload["person"]
        if kind == "command":
            text = payload["text"]
            mentions = tuple(m.lower() for m in _MENTION.findall(text))
            channel = payload.get("channel")
            return CommandIn(
                platform=PLATFORM,
                user=person,
                text=" ".join(_MENTION.sub(" ", text).split()),
                mentions=mentions,
                channel=channel or dm(person),
                in_channel=bool(channel),
                response_url=Place(channel).url() if channel else None,
                channel_name=CHANNEL_NAME if channel == CHANNEL else None,
            )
        if kind == "message":
            mentions = tuple(m.lower() for m in _MENTION.findall(payload["text"]))
            return MessageIn(
                platform=PLATFORM,
                user=person,
                text=payload["text"],
                channel=payload.get("channel") or dm(person),
                mentions=mentions,
                thread=payload.get("thread"),
            )
        if kind == "action":
            channel = payload.get("channel")
            message_id = str(payload["message_id"])
            thread = payload.get("thread")
            fields: dict[str, Any] = payload["fields"] if isinstance(payload.get("fields"), dict) else {}
            picked = [v for k in payload.get("people") or [] for v in str(fields.get(k, "")).split(",") if v.strip()]
            return ActionIn(
                platform=PLATFORM,
                user=person,
                action=payload["action"],
                value=payload["value"],
                fields={str(k): str(v) for k, v in fields.items()},
                mentions=tuple(dict.fromkeys(v.strip() for v in picked)),
                message=MessageRef(
                    channel=channel or dm(person),
                    message_id=message_id,
                    posted_id=int(message_id) if message_id.isdigit() else None,
                ),
                response_url=Place(channel, str(thread) if thread else None, message_id).url() if channel else None,
                # A form's channel is picked from the playground's channels: all of them the bot's.
                extra={ANY_CHANNEL: "1"} if payload["action"] == SUBMIT else {},
            )
        return None

    def lane(self, kind: str, payload: dict[str, Any]) -> str:
        thread = payload.get("thread")
        return f"thread:{payload.get('channel')}:{thread}" if thread else f"person:{payload.get('person')}"

    def limits(self, row: OutboxMessage, original: OutboxMessage | None) -> list[Limit]:
        return []  # the page takes what it is given

    async def delivered_before(self, row: OutboxMessage, original: OutboxMessage | None) -> Delivered | None:
        return None  # the page reads rows as they are marked sent: nothing reached it before

    async def profile(self, external_id: str) -> Profile | None:
        member = BY_ID.get(external_id)
        if member is None:
            return None
        return Profile(external_id=member.id, display_name=member.name, locale=self.locale, timezone=None)

    async def deliver_file(self, row: OutboxMessage, file: OutgoingFile) -> Delivered:
        """The page shows a file row with its download link (routes.py signs it when it reads the row)."""
        return Delivered(row.channel, str(row.id))

    async def deliver(self, row: OutboxMessage, original: OutboxMessage | None) -> Delivered:
        if row.kind == "update" and original is not None:
            return Delivered(original.sent_channel, original.sent_ts)
        if (place := Place.of(row.response_url)) is not None:  # shown where the person acted
            return Delivered(place.channel, str(row.id))
        if row.person_id is None:  # a post in the channel, or a reply in one of its threads
            return Delivered(row.channel, str(row.id))
        person = (row.channel or "").removeprefix("dm:")
        return Delivered(dm(person), str(row.id))

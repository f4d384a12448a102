"""What a platform adapter offers the workers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.core.events import Incoming, Profile
from bot.core.messages import Context as Small, Link, Message
from bot.storage.models import OutboxMessage


class TemporaryFailure(Exception):
    """The platform could not take it now (rate limit, 5xx, timeout): try later."""


class PermanentFailure(Exception):
    """The platform refused it for good (unknown channel, invalid payload)."""


@dataclass(frozen=True)
class Delivered:
    channel: str | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class OutgoingFile:
    """A file row's file as the platform gets it: the bytes (Slack uploads them) and a
    signed download link (Teams and the playground post it)."""

    name: str
    title: str | None
    mime: str
    data: bytes
    url: str | None
    expires_at: datetime


class Platform(Protocol):
    name: str

    def translate(self, kind: str, payload: dict[str, Any]) -> Incoming | None:
        """A stored inbound request as a neutral event; None for what the bot ignores."""

    async def profile(self, external_id: str) -> Profile | None:
        """Name, locale and time zone of a person; None if the platform does not know them."""

    async def deliver(self, row: OutboxMessage, original: OutboxMessage | None) -> Delivered:
        """Send one outbox row; `original` is the post an update replaces."""

    async def deliver_file(self, row: OutboxMessage, file: OutgoingFile) -> Delivered:
        """Send an outbox row of kind `file`: its payload is the caption (a message), `file` the file."""


def file_message(row: OutboxMessage, url: str) -> Message:
    """A file row as a message with its download link, for platforms that post links."""
    message = Message.model_validate(row.payload)
    blocks = [*message.blocks, Link(label=str(row.payload.get("link") or url), url=url)]
    if row.payload.get("expires"):
        blocks.append(Small(text=str(row.payload["expires"])))
    return Message(text=message.text, blocks=blocks)

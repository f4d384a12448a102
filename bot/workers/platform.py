"""What a platform adapter offers the workers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from bot.core.events import Incoming, Profile
from bot.core.messages import Link, Message, Note
from bot.storage.models import OutboxMessage
from bot.workers.pace import Limit


class TemporaryFailure(Exception):
    """The platform could not take it now (rate limit, 5xx, timeout): try later.

    `retry_after` is the wait the platform asked for (429 `Retry-After`), in seconds.
    `uncertain`: the request may have reached the platform and taken effect (a timeout, a
    dropped connection, a 5xx), so before a post is sent again it is looked for.
    `status`: the platform's HTTP status, when it answered (429s are counted in /metrics).
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, uncertain: bool = False, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after, self.uncertain, self.status = retry_after, uncertain, status


def retry_after(value: object) -> float | None:
    """A `Retry-After` header's wait in seconds: a number, or an HTTP date; None if neither."""
    if isinstance(value, list):  # some clients keep a header's values as a list
        value = value[0] if value else None
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


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

    def lane(self, kind: str, payload: dict[str, Any]) -> str:
        """The stored request's lane: requests of one lane are handled in order, one at a time
        (one person's conversation with the bot, one channel thread)."""

    async def profile(self, external_id: str) -> Profile | None:
        """Name, locale and time zone of a person; None if the platform does not know them.
        Raises TemporaryFailure when the platform cannot answer now."""

    async def deliver(self, row: OutboxMessage, original: OutboxMessage | None) -> Delivered:
        """Send one outbox row; `original` is the post an update replaces."""

    async def deliver_file(self, row: OutboxMessage, file: OutgoingFile) -> Delivered:
        """Send an outbox row of kind `file`: its payload is the caption (a message), `file` the file."""

    async def delivered_before(self, row: OutboxMessage, original: OutboxMessage | None) -> Delivered | None:
        """Whether an earlier attempt to send the row, cut off (a crash, a lost answer), reached
        the platform after all: where it is, or None to send it (again)."""

    def limits(self, row: OutboxMessage, original: OutboxMessage | None) -> list[Limit]:
        """The published limits sending the row counts against (bot/workers/pace.py), the
        row's own target (its channel, its conversation) first: a 429 holds that one."""


def file_message(row: OutboxMessage, url: str) -> Message:
    """A file row as a message with its download link, for platforms that post links."""
    message = Message.model_validate(row.payload)
    blocks = [*message.blocks, Link(label=str(row.payload.get("link") or url), url=url)]
    if row.payload.get("expires"):
        blocks.append(Note(text=str(row.payload["expires"])))
    return Message(text=message.text, blocks=blocks)

"""What a platform adapter offers the workers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bot.core.events import Incoming, Profile
from bot.storage.models import OutboxMessage


class TemporaryFailure(Exception):
    """The platform could not take it now (rate limit, 5xx, timeout): try later."""


class PermanentFailure(Exception):
    """The platform refused it for good (unknown channel, invalid payload)."""


@dataclass(frozen=True)
class Delivered:
    channel: str | None = None
    message_id: str | None = None


class Platform(Protocol):
    name: str

    def translate(self, kind: str, payload: dict[str, Any]) -> Incoming | None:
        """A stored inbound request as a neutral event; None for what the bot ignores."""

    async def profile(self, external_id: str) -> Profile | None:
        """Name, locale and time zone of a person; None if the platform does not know them."""

    async def deliver(self, row: OutboxMessage, original: OutboxMessage | None) -> Delivered:
        """Send one outbox row; `original` is the post an update replaces."""

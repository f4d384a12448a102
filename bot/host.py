"""What the web adapters (Teams, the playground, the file links) use of the running bot.

The composition root (`bot.app.Runtime`) meets this Protocol; the adapters name
only it, so nothing imports the root back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.flows.context import Texts
    from bot.flows.router import Router
    from bot.settings import Settings
    from bot.storage.db import Database
    from bot.workers.inbox import Inbox
    from bot.workers.outbox import Outbox
    from bot.workers.platform import Platform


class Host(Protocol):
    settings: Settings
    texts: Texts
    db: Database
    router: Router
    inbox: Inbox
    outbox: Outbox
    # Platform name -> its sender; an adapter registers its own.
    platforms: dict[str, Platform]
    # What an adapter needs closed when the bot stops (its HTTP client).
    on_stop: list[Callable[[], Awaitable[None]]]
    now: Callable[[], datetime]

    async def tick(self) -> None:
        """The clock's work and everything it caused, to the end."""
        ...

"""Card presses whose HTTP request is still open.

Teams answers an `Action.Execute` press with what the bot puts in the HTTP
response to the `adaptiveCard/action` invoke: a refreshed card, or a short
message only the presser sees. The press is stored and processed like any
request (inbox, one transaction, outbox); while the request waits, the
outbox hands a reply meant for the presser (`respond`, keyed by the press) to
the waiting request instead of the person's chat. When nobody waits any more
(the request gave up, or another instance holds it), the reply goes to the
chat as usual, so it is never lost and never sent twice.
"""

from __future__ import annotations

import asyncio
from typing import Any

MESSAGE = "application/vnd.microsoft.activity.message"
CARD = "application/vnd.microsoft.card.adaptive"


def message_response(text: str) -> dict[str, Any]:
    return {"statusCode": 200, "type": MESSAGE, "value": text}


def card_response(card: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": 200, "type": CARD, "value": card}


class OpenInvokes:
    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}

    def open(self, key: str) -> asyncio.Future[dict[str, Any]]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[key] = future
        return future

    def close(self, key: str, future: asyncio.Future[dict[str, Any]]) -> None:
        if self._waiting.get(key) is future:
            del self._waiting[key]

    def answer(self, key: str | None, response: dict[str, Any]) -> bool:
        """Hand a response to the request waiting under `key`; False if none waits."""
        future = self._waiting.get(key or "")
        if future is None or future.done():
            return False
        future.set_result(response)
        return True

"""`POST /api/messages`: verify the token, remember the conversation, write the
activity to the inbox, answer. Nothing else happens before the 200.

A card press (`adaptiveCard/action` invoke) is answered with what Teams shows
the presser: the refreshed card, or a message only they see. For that the
request waits a few seconds while the stored press is processed as usual; if
that takes longer, it answers with the card as it stands and the outbox
updates the card when the work is done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot import untrusted
from bot.core.forms import FormView
from bot.core.i18n import Catalog
from bot.core.messages import Message
from bot.storage.db import Database
from bot.storage.models import InboxEvent, OutboxMessage
from bot.teams import channels, forms, inbound, picks, render
from bot.teams.auth import KeysUnavailable, TokenVerifier, Unauthorized
from bot.teams.connector import Connector
from bot.teams.invokes import OpenInvokes, card_response, message_response
from bot.teams.references import References

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000
PRESS_WAIT = 4.0  # seconds; Teams gives up on an invoke after about 15
POLL = 0.05

Store = Callable[[str, str, str, dict[str, Any]], Awaitable[bool]]


class MessagesEndpoint:
    def __init__(
        self,
        *,
        verifier: TokenVerifier,
        references: References,
        store: Store,
        invokes: OpenInvokes,
        db: Database,
        catalog: Catalog,
        language: str,
        press_wait: float = PRESS_WAIT,
        connector: Connector | None = None,
    ) -> None:
        self.verifier, self.references, self.store, self.invokes = verifier, references, store, invokes
        self.db, self.catalog, self.language, self.press_wait = db, catalog, language, press_wait
        # Finds who the people picked in a form are (bot/teams/picks.py).
        self.connector = connector

    async def handle(self, request: Request) -> Response:
        try:
            verified = await self.verifier.verify(request.headers.get("authorization"))
        except Unauthorized as exc:
            log.info("teams: refused a request: %s", exc)
            return Response(status_code=401)
        except KeysUnavailable:
            return Response(status_code=503, headers={"Retry-After": "5"})
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return Response(status_code=413)
        try:
            # Deep nesting, lone surrogates, NaN, not UTF-8: 400 (bot/untrusted.py). Odd types
            # inside (a list for `from`, a number for an id) read as missing: ignored with 200.
            activity = untrusted.loads(body)
        except untrusted.Malformed as exc:
            log.info("teams: a malformed activity: %s", exc)
            return Response(status_code=400)
        if not isinstance(activity, dict):
            return Response(status_code=400)
        try:
            verified.check(activity)
        except Unauthorized as exc:
            log.info("teams: refused an activity: %s", exc)
            return Response(status_code=401)

        await self.references.remember(activity)
        kind = inbound.kind(activity)
        if kind is None:
            return Response(status_code=200)
        key = inbound.dedupe_key(activity)
        if self.connector is not None and activity.get("type") == "invoke":
            await picks.pick(activity, self.db, self.connector)  # a form's people picked: who they are
        if self.connector is not None and activity.get("type") == "message":
            await channels.name_channel(activity, self.connector)  # a channel post: the channel's name
        await self.store(inbound.PLATFORM, key, kind, activity)
        if activity.get("type") == "invoke":
            return JSONResponse(await self._answer_press(activity, key))
        return Response(status_code=200)

    async def _answer_press(self, activity: dict[str, Any], key: str) -> dict[str, Any]:
        token = inbound.INVOKE_PREFIX + key
        future = self.invokes.open(token)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.press_wait
        try:
            while loop.time() < deadline:
                try:
                    return await asyncio.wait_for(asyncio.shield(future), POLL)
                except TimeoutError:
                    pass
                if await self._settled(key, token):
                    break
            if future.done():
                return future.result()
        finally:
            self.invokes.close(token, future)
        return await self._card_as_it_stands(activity)

    async def _settled(self, key: str, token: str) -> bool:
        """The press is processed and nothing meant for the presser is still on its way."""
        async with self.db.transaction() as s:
            status = (await s.exec(select(InboxEvent.status).where(InboxEvent.dedupe_key == key))).first()
            if status == "pending":
                return False
            waiting = (
                await s.exec(
                    select(OutboxMessage.id).where(
                        OutboxMessage.response_url == token, col(OutboxMessage.status).in_(("pending", "sending"))
                    )
                )
            ).first()
            return waiting is None

    async def _card_as_it_stands(self, activity: dict[str, Any]) -> dict[str, Any]:
        conversation = inbound.conversation_of(activity)
        pressed = activity.get("replyToId")
        if conversation is not None and pressed:
            async with self.db.transaction() as s:
                post = (
                    await s.exec(
                        select(OutboxMessage).where(
                            # A channel post, or a reply in its thread (a meeting's step cards).
                            col(OutboxMessage.kind).in_(("post", "reply", "form")),
                            OutboxMessage.sent_channel == conversation.conversation_id,
                            OutboxMessage.sent_ts == str(pressed),
                        )
                    )
                ).first()
            if post is not None and post.kind == "form":  # a form's card: as it stands, sent or not
                shown = FormView.model_validate(post.payload["form"])
                if sent := post.payload.get("sent"):
                    shown = shown.model_copy(update={"done": sent})
                return card_response(forms.form_card(shown))
            if post is not None:
                return card_response(render.cards(Message.model_validate(post.payload), post.id)[-1])
        return message_response(self.catalog.text(self.language, "dialog.stale_button"))

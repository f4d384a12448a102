"""Teams' side of the Platform protocol: people as the activities showed them,
and outbox rows sent through the Bot Connector at the conversation's serviceUrl."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from bot.core.events import Incoming, Profile
from bot.core.forms import FormView
from bot.core.messages import Message
from bot.storage.models import OutboxMessage, TeamsConversation, TeamsUser
from bot.teams import forms, inbound, render
from bot.teams.connector import Connector, ConnectorError
from bot.teams.invokes import OpenInvokes, card_response, message_response
from bot.teams.references import References
from bot.workers.pace import Limit, Window
from bot.workers.platform import Delivered, OutgoingFile, PermanentFailure, TemporaryFailure, file_message

log = logging.getLogger(__name__)


def failure(exc: ConnectorError) -> TemporaryFailure | PermanentFailure:
    """What a failed Bot Connector call means for the outbox."""
    if exc.temporary:
        return TemporaryFailure(
            f"teams: {exc}", retry_after=exc.retry_after, uncertain=exc.uncertain, status=exc.status
        )
    return PermanentFailure(f"teams: {exc}")


# The Bot Connector's published limits ("subject to change"): per bot per thread (a 1:1 chat,
# a group chat, a channel thread) 7 operations a second, 8 in 2 s, 60 in 30 s, 1,800 an
# hour; and 50 requests a second per app per tenant. A tenth to spare for the network.
THREAD_OPERATIONS = (Window(7, 1.1), Window(8, 2.2), Window(60, 33.0), Window(1800, 3960.0))
TENANT_REQUESTS = (Window(50, 1.1),)


class TeamsPlatform:
    name = inbound.PLATFORM
    # Reading a profile costs two queries (no Graph call), and every activity may bring a
    # newer locale or time zone, so the inbox asks each time.
    profile_max_age = timedelta(0)

    def __init__(
        self,
        connector: Connector,
        references: References,
        invokes: OpenInvokes,
        commands: inbound.Commands,
        app_id: str,
    ) -> None:
        self.connector, self.references, self.invokes = connector, references, invokes
        self.commands = commands
        self.bot_id = f"28:{app_id}"

    def translate(self, kind: str, payload: dict[str, Any]) -> Incoming | None:
        return inbound.translate(kind, payload, self.commands)

    def lane(self, kind: str, payload: dict[str, Any]) -> str:
        """One conversation (a person's chat with the bot, a channel thread: its id names the
        thread) in order."""
        conversation = payload.get("conversation")
        conversation_id = conversation.get("id") if isinstance(conversation, dict) else None
        if isinstance(conversation_id, str) and conversation_id:
            return f"conversation:{conversation_id}"
        sender = payload.get("from")
        return f"user:{sender.get('id') if isinstance(sender, dict) else ''}"

    def limits(self, row: OutboxMessage, original: OutboxMessage | None) -> list[Limit]:
        """Every send is an operation in its conversation (a post, an update, a reply)."""
        conversation = row.channel or (original.sent_channel if original is not None else None) or ""
        return [(f"teams:{conversation}", THREAD_OPERATIONS), ("teams:tenant", TENANT_REQUESTS)]

    async def delivered_before(self, row: OutboxMessage, original: OutboxMessage | None) -> Delivered | None:
        """A bot cannot read a chat's activities back, so a send cut off before its answer is
        sent again: the one place where a message can arrive twice (README, "Sending once")."""
        return None

    async def profile(self, external_id: str) -> Profile | None:
        user = await self.references.user(external_id)
        if user is None:
            return None
        return Profile(
            external_id=external_id,
            display_name=user.name or external_id,
            locale=user.locale,
            timezone=user.timezone,
            team_id=user.tenant_id,
            reachable=await self._reachable(user),
        )

    async def _reachable(self, user: TeamsUser) -> bool:
        if await self.references.personal(user.user_id) is not None:
            return True
        try:
            return await self._open_personal(user) is not None
        except ConnectorError as exc:
            # Teams is away for now: let the outbox find out later rather than refuse a person.
            return exc.temporary

    async def _open_personal(self, user: TeamsUser) -> TeamsConversation | None:
        """Start the 1:1 chat with someone the bot has only seen (a mention, a team member).

        Teams allows it when the app is installed for the person or in a team of theirs.
        """
        if not user.service_url:
            return None
        try:
            conversation_id = await self.connector.create_conversation(
                user.service_url, bot_id=self.bot_id, user_id=user.user_id, tenant_id=user.tenant_id
            )
        except ConnectorError as exc:
            if exc.temporary:
                raise
            log.info("no 1:1 chat with %s: %s", user.user_id, exc)
            return None
        return await self.references.save_personal(user, conversation_id, self.bot_id)

    async def deliver(self, row: OutboxMessage, original: OutboxMessage | None) -> Delivered:
        if row.kind == "form":
            try:
                return await self._form(row)
            except ConnectorError as exc:
                raise failure(exc) from exc
        message = Message.model_validate(row.payload)
        try:
            if (
                row.kind == "respond"
                and not message.has_buttons
                and self.invokes.answer(row.response_url, message_response(render.plain_text(message)))
            ):
                return Delivered()  # the presser read it in Teams' answer to the press
            if row.kind == "update":
                return await self._update(message, original)
            if row.kind == "reply":
                return await self._reply(message, original, row.id)
            return await self._post(row.channel, message, row.id)
        except ConnectorError as exc:
            raise failure(exc) from exc

    async def _form(self, row: OutboxMessage) -> Delivered:
        """A form's card (bot/teams/forms.py): the answer to the press that sent it (refreshed,
        with its problems or as sent), or, when nobody waits for that answer any more, an update
        of the pressed card; a new form is a card in the person's chat."""
        shown = FormView.model_validate(row.payload["form"])
        activity = forms.activity(shown, await self._picked(shown))
        if self.invokes.answer(row.response_url, card_response(activity["attachments"][0]["content"])):
            return Delivered()
        where = row.payload.get("where")
        if row.response_url and isinstance(where, dict):
            conversation = await self.references.conversation(str(where.get("channel")))
            if conversation is None:
                raise PermanentFailure(f"teams: conversation {where.get('channel')!r} is unknown")
            await self.connector.update(
                conversation.service_url, conversation.conversation_id, str(where.get("message_id")), activity
            )
            return Delivered(conversation.conversation_id, str(where.get("message_id")))
        found = await self._conversation(row.channel or "")
        if found is None:
            raise PermanentFailure(f"teams: no conversation with {row.channel!r}; the app is not installed for them")
        sent = await self.connector.send(found.service_url, found.conversation_id, activity)
        return Delivered(found.conversation_id, sent)

    async def _picked(self, shown: FormView) -> dict[str, list[tuple[str, str]]]:
        """The people a refreshed form shows picked again: their AAD object ids and names."""
        picked: dict[str, list[tuple[str, str]]] = {}
        for field in shown.fields if not shown.done else []:
            if field.kind not in ("person", "people") or not field.value:
                continue
            for user_id in field.value.split(","):
                user = await self.references.user(user_id)
                if user is not None and user.aad_object_id:
                    picked.setdefault(field.key, []).append((user.aad_object_id, user.name or user_id))
        return picked

    async def deliver_file(self, row: OutboxMessage, file: OutgoingFile) -> Delivered:
        """Teams gets a signed download link served by the bot (no upload without Graph)."""
        if file.url is None:
            raise TemporaryFailure("teams: no download link yet (the link key is not loaded)")
        try:
            return await self._post(row.channel, file_message(row, file.url), row.id)
        except ConnectorError as exc:
            raise failure(exc) from exc

    async def _post(self, target: str | None, message: Message, posted: int | None = None) -> Delivered:
        conversation = await self._conversation(target or "")
        if conversation is None:
            raise PermanentFailure(f"teams: no conversation with {target!r}; the app is not installed for them")
        last = ""
        for activity in render.activities(message, posted):
            last = await self.connector.send(conversation.service_url, conversation.conversation_id, activity)
        return Delivered(conversation.conversation_id, last)

    async def _conversation(self, target: str) -> TeamsConversation | None:
        """A conversation by its id, or a person's 1:1 chat by their user id (opened if need be)."""
        found = await self.references.conversation(target) or await self.references.personal(target)
        if found is not None:
            return found
        user = await self.references.user(target)
        return await self._open_personal(user) if user is not None else None

    async def _reply(self, message: Message, original: OutboxMessage | None, posted: int | None = None) -> Delivered:
        """Into the thread of an earlier channel post: the channel's conversation id `;messageid=` the root."""
        if original is None or not original.sent_channel or not original.sent_ts:
            raise PermanentFailure("teams: the message to reply to is unknown")
        conversation = await self.references.conversation(original.sent_channel)
        if conversation is None:
            raise PermanentFailure(f"teams: conversation {original.sent_channel!r} is unknown")
        thread = f"{conversation.conversation_id};messageid={original.sent_ts}"
        last = ""
        for activity in render.activities(message, posted):
            last = await self.connector.send(conversation.service_url, thread, activity)
        return Delivered(conversation.conversation_id, last)

    async def _update(self, message: Message, original: OutboxMessage | None) -> Delivered:
        if original is None or not original.sent_channel or not original.sent_ts:
            raise PermanentFailure("teams: the message to update is unknown")
        conversation = await self.references.conversation(original.sent_channel)
        if conversation is None:
            raise PermanentFailure(f"teams: conversation {original.sent_channel!r} is unknown")
        # A long message went out as several cards; its buttons, and so its update, are in the last.
        activity = render.activities(message, original.id if original is not None else None)[-1]
        await self.connector.update(conversation.service_url, conversation.conversation_id, original.sent_ts, activity)
        return Delivered(original.sent_channel, original.sent_ts)

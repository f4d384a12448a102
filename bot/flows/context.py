"""What a flow handler works with: one transaction, the clock, texts, the outbox."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.agenda import Agenda
from bot.core.dialogs import Dialog
from bot.core.events import MessageRef
from bot.core.forms import FormView
from bot.core.i18n import Catalog, format_day, format_moment
from bot.core.mentions import mention, plain_json
from bot.core.messages import Block, Buttons, Message, Note, Paragraph, Picker, paragraph
from bot.core.plans import Plan
from bot.core.workdays import Workdays, workdays
from bot.settings import Settings
from bot.storage.models import AuditEvent, OutboxMessage, Person, StoredFile


class Named(Protocol):
    """Someone a text names: a `Person`, or a party as the overview reads it (columns only)."""

    @property
    def display_name(self) -> str: ...

    @property
    def timezone(self) -> str | None: ...


@dataclass
class Texts:
    """The dialogs and the catalogue, loaded once at start-up."""

    dialogs: dict[str, Dialog]
    catalog: Catalog
    # The learning meeting's agenda (dialogs/meeting.yaml).
    agenda: Agenda | None = None
    # Education plans for the clinical learning contract (dialogs/plans/), by id.
    plans: dict[str, Plan] = field(default_factory=dict)


@dataclass
class Round:
    """One round of the clock's work: a transaction of its own, with a share of time. A part
    that has used the share stops after the item under way (`Context.spent`) and leaves the
    rest to the next round, and the parts after it wait for theirs (`Router.due`). On SQLite
    every transaction has the one connection to itself, so what waits behind a round, an
    acknowledgement above all, waits for about one share."""

    ends: float  # time.monotonic()
    # The parts that still have work in this tick (None: all of them, as at its first round).
    parts: tuple[Any, ...] | None = None
    more: bool = False  # a part stopped with work left: the clock runs another round
    # The parts to ask again in the next round: those that stopped, and those left for it.
    unfinished: list[Any] = field(default_factory=list)


@dataclass
class Context:
    db: AsyncSession
    now: datetime
    settings: Settings
    texts: Texts
    # The clock's round this transaction is (None: a request, which runs to its end).
    round: Round | None = None

    def spent(self) -> bool:
        """Whether the clock's round has used its share of time: a part doing due work in a
        loop asks after each item, and stops when it has (the next round goes on)."""
        if self.round is None or time.monotonic() < self.round.ends:
            return False
        self.round.more = True
        return True

    # ---- people -------------------------------------------------------
    def language(self, person: Person) -> str:
        if person.language_override:
            return person.language_override
        locale = (person.platform_locale or "").lower()
        for language in ("da", "en"):
            if locale.startswith(language):
                return language
        return self.settings.bot_language

    def tz(self, person: Named) -> str:
        return person.timezone or self.settings.bot_timezone

    @property
    def workdays(self) -> Workdays:
        """The working-day calendar: public holidays and the optional days off kept free."""
        return workdays(self.settings.optional_days_off)

    def t(self, person: Person, key: str, **values: object) -> str:
        """A text in the person's language; `<platform>.<key>` overrides it where the platform reads differently.

        A `Person` among the values is named as a live mention where the platform can show one
        (bot/core/mentions.py), with today's name."""
        language = self.language(person)
        variant = f"{person.platform}.{key}"
        if self.texts.catalog.has(language, variant):
            key = variant
        values = {k: self.mention(v) if isinstance(v, Person) else v for k, v in values.items()}
        return self.texts.catalog.text(language, key, **self._deleted_names(language, values))

    @staticmethod
    def mention(person: Named) -> str:
        """A person as the bot names them: a mention marker for someone the bot has met, the
        plain name for a party read from columns, and for someone who deleted their data."""
        if not isinstance(person, Person) or person.deleted_at is not None:
            return person.display_name
        return mention(person.platform, person.team_id, person.external_id, person.display_name)

    def _deleted_names(self, language: str, values: dict[str, object]) -> dict[str, object]:
        """A person who deleted their data is named "slettet bruger" (BOT_LANGUAGE) in shared
        contracts; a reader of the other language reads it in theirs."""
        default, name = self.settings.bot_language, "personal.deleted_user"
        if language == default or not values or not self.texts.catalog.has(default, name):
            return values
        deleted = self.texts.catalog.text(default, name)
        if deleted not in values.values():
            return values
        return {k: self.texts.catalog.text(language, name) if v == deleted else v for k, v in values.items()}

    def names(self, viewer: Person, people: Sequence[Named]) -> str:
        """ "Bo, Lise og Mads", in the viewer's language, each person a mention (`mention`)."""
        named = [self.mention(p) for p in people]
        if len(named) <= 1:
            return "".join(named)
        return ", ".join(named[:-1]) + f" {self.t(viewer, 'common.and')} {named[-1]}"

    def day(self, person: Person, moment: datetime) -> str:
        return format_day(moment, self.language(person), self.tz(person))

    async def person(self, person_id: int) -> Person:
        person = await self.db.get(Person, person_id)
        assert person is not None, person_id
        return person

    async def find_person(self, platform: str, external_id: str, *, near: Person | None = None) -> Person | None:
        """Someone by their platform id; `near`: someone `near` can name (with Slack in many
        workspaces, only people of their own workspace)."""
        query = select(Person).where(Person.platform == platform, Person.external_id == external_id)
        if near is not None and near.platform in self.settings.many_workspaces:
            query = query.where(Person.team_id == near.team_id)
        return (await self.db.exec(query)).first()

    # ---- outbox -------------------------------------------------------
    def post(self, person: Person, message: Message, *, ref: str | None = None, dedupe: str | None = None) -> None:
        """A message to the person's direct message with the bot."""
        self.db.add(
            OutboxMessage(
                platform=person.platform,
                kind="post",
                person_id=person.id,
                team_id=person.team_id,
                channel=person.dm_channel or person.external_id,
                ref=ref,
                dedupe_key=dedupe,
                language=self.language(person),
                payload=message.model_dump(),
                next_attempt_at=self.now,
                created_at=self.now,
            )
        )

    def respond(self, person: Person, response_url: str | None, message: Message) -> None:
        """A reply only the person sees, where they acted; their DM when there is no such place."""
        if not response_url:
            self.post(person, message)
            return
        self.db.add(
            OutboxMessage(
                platform=person.platform,
                kind="respond",
                person_id=person.id,
                team_id=person.team_id,
                channel=person.dm_channel or person.external_id,
                response_url=response_url,
                language=self.language(person),
                payload=message.model_dump(),
                next_attempt_at=self.now,
                created_at=self.now,
            )
        )

    def show_form(
        self,
        person: Person,
        form: FormView,
        *,
        at: str | None = None,
        where: MessageRef | None = None,
        fallback: Message | None = None,
        ref: str | None = None,
    ) -> None:
        """A form for the person to fill in (bot/core/forms.py), or the same form again.

        `at` is where the platform shows it in answer: Slack's trigger_id (a modal opens), the
        Teams press it answers (the refreshed card). `where` is the card or message it replaces.
        `fallback` is said in the DM where a platform cannot show it there (Slack, once the
        modal is closed or its trigger ran out).
        """
        self.db.add(
            OutboxMessage(
                platform=person.platform,
                kind="form",
                person_id=person.id,
                team_id=person.team_id,
                channel=person.dm_channel or person.external_id,
                ref=ref,
                response_url=at,
                language=self.language(person),
                payload={
                    # A form's texts are plain text on every platform: a person it names is their name.
                    "form": plain_json(form.model_dump()),
                    "fallback": fallback.model_dump() if fallback is not None else None,
                    "where": {"channel": where.channel, "message_id": where.message_id} if where else None,
                },
                next_attempt_at=self.now,
                created_at=self.now,
            )
        )

    def send_file(self, person: Person, name: str, data: bytes, mime: str, *, title: str | None = None) -> StoredFile:
        """A file to the person's direct message with the bot, sent once like any message.

        Slack gets the bytes uploaded into the DM; Teams and the playground a signed
        link to `GET /files/<token>` that expires with the file. The bytes are kept
        in the database (`StoredFile`) until then, and deleted by the clock after.
        """
        assert person.id is not None  # a person the bot has met is in the database
        stored = StoredFile(
            key=secrets.token_urlsafe(24),
            person_id=person.id,
            name=name,
            title=title,
            mime=mime,
            size=len(data),
            data=data,
            created_at=self.now,
            expires_at=self.now + timedelta(hours=self.settings.file_hours),
        )
        self.db.add(stored)
        text = self.t(person, "export.file.caption", name=title or name)
        # The caption is a message; a platform that posts a link adds it and when it ends.
        payload = Message(text=text, blocks=[Paragraph(text=text)]).model_dump() | {
            "file": stored.key,
            "link": self.t(person, "export.file.link", name=name),
            "expires": self.t(
                person,
                "export.file.expires",
                date=format_moment(stored.expires_at, self.language(person), self.tz(person)),
            ),
        }
        self.db.add(
            OutboxMessage(
                platform=person.platform,
                kind="file",
                person_id=person.id,
                team_id=person.team_id,
                channel=person.dm_channel or person.external_id,
                dedupe_key=f"file:{stored.key}",
                language=self.language(person),
                payload=payload,
                next_attempt_at=self.now,
                created_at=self.now,
            )
        )
        return stored

    async def close_buttons(self, note: str, *, ref: str | None = None, where: MessageRef | None = None) -> bool:
        """Replace a posted message's buttons by a note, so no live button is left.

        The message is found by its ref or its place; its neutral body is in
        the outbox row that posted it.
        """
        query = select(OutboxMessage).where(col(OutboxMessage.kind).in_(("post", "reply")))
        if ref is not None:
            query = query.where(OutboxMessage.ref == ref)
        elif where is not None and where.posted_id is not None:
            query = query.where(OutboxMessage.id == where.posted_id)
        elif where is not None:
            query = query.where(OutboxMessage.sent_channel == where.channel, OutboxMessage.sent_ts == where.message_id)
        else:
            return False
        original = (await self.db.exec(query)).first()
        if original is None:
            return False
        message = Message.model_validate(original.payload)
        if not message.has_buttons:
            return False
        blocks: list[Block] = [b for b in message.blocks if not isinstance(b, (Buttons, Picker))]
        blocks.append(Note(text=note))
        closed = Message(text=message.text, blocks=blocks)
        # Remember the closed body, so a second close finds no buttons.
        self.rewrite(original, closed)
        return True

    def stale(self, person: Person, response_url: str | None) -> None:
        """The answer to a button that no longer acts: its thing is gone, or was never theirs."""
        self.respond(person, response_url, paragraph(self.t(person, "dialog.stale_button")))

    def rewrite(self, original: OutboxMessage, message: Message) -> None:
        """Show `message` in the place of a posted message: the post's row keeps the new body
        (what a later close or replace reads), and an update goes out in the post's lane (the
        person's, or for a channel's post the channel's)."""
        original.payload = message.model_dump()
        self.db.add(original)
        self.db.add(
            OutboxMessage(
                platform=original.platform,
                kind="update",
                person_id=original.person_id,
                team_id=original.team_id,
                channel=original.channel if original.person_id is None else None,
                update_ref=f"outbox:{original.id}",
                language=original.language,
                payload=original.payload,
                next_attempt_at=self.now,
                created_at=self.now,
            )
        )

    # ---- audit --------------------------------------------------------
    def audit(self, action: str, actor: Person | None, contract_id: int | None = None, **detail: Any) -> None:
        self.db.add(
            AuditEvent(
                at=self.now,
                action=action,
                actor_id=actor.id if actor else None,
                contract_id=contract_id,
                detail=detail,
            )
        )

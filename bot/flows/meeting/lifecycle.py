"""Systematiske læringsmøder (PRODUCT.md §2.4): a series in a channel, its
reminders, and each meeting run step by step in a thread.

The schedule's truth is the `meetingoccurrence` table. Each row carries
`due_at`, the next moment the clock has something to do for it (the
reminder, the start, the end of the running step). A tick claims due rows
with `FOR UPDATE SKIP LOCKED`, does what is due in the same transaction as
the posts it causes, and moves `due_at` on; every post also has a unique
dedupe key in the outbox. So two instances never post a reminder or a step
twice, and a restart resumes from the rows.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, or_, update
from sqlmodel import col, select

from bot.core import forms, meetings as rules
from bot.core.agenda import Agenda
from bot.core.events import ActionIn, CommandIn, MessageIn
from bot.core.forms import Field, Form
from bot.core.i18n import format_day
from bot.core.ids import record_id
from bot.core.messages import (
    Block,
    Button,
    Buttons,
    Heading,
    Message,
    Note,
    Paragraph,
    Picker,
    Quote,
    paragraph,
    with_buttons,
)
from bot.core.text import MAX_ANSWER
from bot.flows.context import Context
from bot.flows.forms import Forms
from bot.flows.meeting.states import BUTTONS, LIFECYCLE, S
from bot.flows.overview import OverviewSource
from bot.flows.parts import Command, Quiet, Start, never
from bot.storage.db import insert_into
from bot.storage.models import (
    MeetingAction,
    MeetingCase,
    MeetingNote,
    MeetingOccurrence,
    MeetingPrompt,
    MeetingSeries,
    MeetingTopic,
    OutboxMessage,
    Person,
    table_of,
)
from bot.storage.personal_data import Policies

log = logging.getLogger(__name__)
# Occurrences one round of the clock reads at once (`Runtime.due` runs rounds until one has
# nothing): it does as many as its share of time allows, so the first reminders are sent while
# the rest are built.
DUE_BATCH = 10
OPEN_ACTIONS_SHOWN = 20  # a reminder's open actions, oldest first
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_OVER = 6  # the step after the last: the summary is out
# The round's notes (`meetingnote.kind`): a place taken with Jeg er med, the word passed on by
# (or for) the one who had it; a reflection written in the thread counts as both.
_TURN, _SPOKE, _REFLECTION = "turn", "spoke", "reflection"

# Looked for at every message a person writes to the bot; built once, its parameter bound
# at each use (bench/e2e.py: building and keying a statement costs more than running it).
_PROMPT = select(MeetingPrompt).where(MeetingPrompt.person_id == bindparam("person"))

# **Nyt læringsmøde** (the help, the overview, and `møde` in a channel without a series): what
# the typed command takes, as fields (its texts: `forms.meeting.…` in the catalogue). How often
# and how long mirror `hver N. uge` and `N min`; left empty, the typed defaults.
FORM = Form(
    name="meeting",
    fields=(
        Field("channel", "channel"),
        Field("weekday", "choice", choices=_WEEKDAYS),
        Field("time", "time"),
        Field("facilitators", "people", required=False),
        Field(
            "every",
            "choice",
            required=False,
            choices=tuple(str(n) for n in range(1, rules.MAX_INTERVAL_WEEKS + 1)),
        ),
        Field("length", "choice", required=False, choices=("25", "30", "45", "60", "90", "120")),
    ),
)


@dataclass
class Chunk:
    """What one round of the clock reads for all its meetings at once (one query a kind, not
    one a meeting): their cases and topics by occurrence, their series' open actions."""

    cases: dict[int, list[MeetingCase]] = field(default_factory=dict)
    topics: dict[int, list[MeetingTopic]] = field(default_factory=dict)
    actions: dict[int, list[MeetingAction]] = field(default_factory=dict)
    # The people they name, held here: the session keeps only what something refers to.
    people: list[Person] = field(default_factory=list)


class MeetingFlow(Quiet):
    name = "meeting"
    copy = None

    # The statuses of a meeting and what changes them (bot/flows/meeting/states.py).
    lifecycle = LIFECYCLE

    def __init__(self, overview: OverviewSource, personal_data: Policies) -> None:
        self.overview, self.personal_data = overview, personal_data

    @property
    def commands(self) -> tuple[Command, ...]:
        # In a channel (every message to the bot there is a command), never in the personal chat.
        # `møde` alone shows the channel's series; the form opens from **Nyt læringsmøde**.
        return (
            Command(
                "meeting.commands.meeting",
                self.command,
                shape=never,
                start=Start(FORM, self.submit_form, alone=False, channels=self.channels),
            ),
        )

    def help(self, ctx: Context, person: Person) -> tuple[str, ...]:
        return ("meeting.help",)

    async def hears(self, ctx: Context, msg: MessageIn, person: Person) -> bool:
        """A reply in a meeting's thread, or to the bot's question about a meeting."""
        if msg.channel and msg.channel_name:
            await self.learn_channel_name(ctx, msg.platform, msg.channel, msg.channel_name)
        if msg.thread is not None:
            await self.on_thread_reply(ctx, msg, person)
            return True
        return await self.on_prompt_reply(ctx, msg, person)

    # ---- texts in a series' language ----------------------------------
    @staticmethod
    def tl(ctx: Context, language: str, key: str, **values: object) -> str:
        """A text in the series' language; a `Person` among the values is named as a mention."""
        values = {k: ctx.mention(v) if isinstance(v, Person) else v for k, v in values.items()}
        return ctx.texts.catalog.text(language, f"meeting.{key}", **values)

    def vocabulary(self, ctx: Context) -> rules.Vocabulary:
        catalog = ctx.texts.catalog
        return rules.Vocabulary(
            weekdays=tuple(frozenset(catalog.words(f"meeting.words.weekdays.{d}")) for d in _WEEKDAYS),
            every=frozenset(catalog.words("meeting.words.every")),
            weeks=frozenset(catalog.words("meeting.words.weeks")),
            minutes=frozenset(catalog.words("meeting.words.minutes")),
        )

    @staticmethod
    def agenda(ctx: Context) -> Agenda:
        assert ctx.texts.agenda is not None, "dialogs/meeting.yaml is not loaded"
        return ctx.texts.agenda

    def minutes(self, ctx: Context, series: MeetingSeries) -> list[int]:
        return rules.step_minutes(self.agenda(ctx).fixed_minutes, series.length_minutes)

    def day(self, series: MeetingSeries, moment: datetime) -> str:
        return format_day(moment, series.language, series.timezone)

    @staticmethod
    def clock(series: MeetingSeries, moment: datetime) -> str:
        return moment.astimezone(ZoneInfo(series.timezone)).strftime("%H:%M")

    def rule(self, ctx: Context, series: MeetingSeries) -> str:
        lang = series.language
        key = str(series.interval_weeks) if series.interval_weeks in (1, 2) else "other"
        return self.tl(
            ctx,
            lang,
            "rule",
            interval=self.tl(ctx, lang, f"interval.{key}", n=series.interval_weeks),
            weekday=self.tl(ctx, lang, f"weekday_names.{series.weekday}"),
            time=f"{series.hour:02d}:{series.minute:02d}",
            minutes=series.length_minutes,
        )

    async def names(self, ctx: Context, ids: list[int]) -> str:
        people = [ctx.mention(await ctx.person(i)) for i in ids]
        return ", ".join(people)

    async def name_of(self, ctx: Context, person_id: int | None, fallback: str) -> str:
        return ctx.mention(await ctx.person(person_id)) if person_id else fallback

    async def listed(self, ctx: Context, lang: str, ids: list[int]) -> str:
        """ "Mads og Anna", "Mads, Anna og Lise": people named in a channel post, in its language."""
        names = [ctx.mention(await ctx.person(i)) for i in ids]
        if len(names) <= 1:
            return "".join(names)
        return ", ".join(names[:-1]) + f" {ctx.texts.catalog.text(lang, 'common.and')} {names[-1]}"

    # ---- the cases: one or more people bring one each ---------------------------------
    async def cases(self, ctx: Context, occ: MeetingOccurrence, chunk: Chunk | None = None) -> list[MeetingCase]:
        """The meeting's cases, in the order their people pressed Jeg har en case."""
        if chunk is not None:
            return chunk.cases.get(occ.id or 0, [])
        return list(
            (
                await ctx.db.exec(
                    select(MeetingCase)
                    .where(MeetingCase.occurrence_id == occ.id)
                    .order_by(col(MeetingCase.added_at), col(MeetingCase.id))
                )
            ).all()
        )

    async def case_people(self, ctx: Context, occ: MeetingOccurrence) -> list[int]:
        return [case.person_id for case in await self.cases(ctx, occ)]

    async def case_lines(self, ctx: Context, lang: str, cases: list[MeetingCase], key: str) -> str:
        """One line a case: "Case: *Anna* – En svær samtale med en pårørende"."""
        lines = []
        for case in cases:
            name = await self.name_of(ctx, case.person_id, "")
            if case.title:
                lines.append(self.tl(ctx, lang, f"{key}_titled", name=name, title=case.title))
            else:
                lines.append(self.tl(ctx, lang, key, name=name))
        return "\n".join(lines)

    # ---- posting in the channel ----------------------------------------
    def post(
        self, ctx: Context, series: MeetingSeries, message: Message, key: str, thread: int | None = None
    ) -> OutboxMessage:
        """A post in the series' channel (or its thread), once: `key` is its ref and dedupe key."""
        row = OutboxMessage(
            platform=series.platform,
            kind="reply" if thread else "post",
            channel=series.channel,
            team_id=series.team_id,
            update_ref=f"outbox:{thread}" if thread else None,
            ref=key,
            dedupe_key=key,
            language=series.language,
            payload=message.model_dump(),
            next_attempt_at=ctx.now,
            created_at=ctx.now,
        )
        ctx.db.add(row)
        return row

    async def replace(self, ctx: Context, ref: str, message: Message) -> None:
        """Show a new body in place of an earlier channel post (its buttons with it)."""
        original = (await ctx.db.exec(select(OutboxMessage).where(OutboxMessage.ref == ref))).first()
        if original is None or original.payload == message.model_dump():
            return
        ctx.rewrite(original, message)

    # ---- the command ------------------------------------------------------
    async def command(
        self, ctx: Context, cmd: CommandIn, person: Person, people: dict[str, Person], words: list[str]
    ) -> None:
        catalog = ctx.texts.catalog
        sub = words[0].casefold() if words else ""
        series = await self.series_in(ctx, cmd.platform, cmd.channel) if cmd.channel else None
        if series is not None and cmd.channel_name:
            await self.learn_channel_name(ctx, cmd.platform, series.channel, cmd.channel_name)
        if not sub or sub in catalog.words("meeting.commands.show"):
            await self.show(ctx, cmd, person, series)
        elif sub in catalog.words("meeting.commands.cancel") and len(words) == 1:
            await self.cancel_next(ctx, cmd, person, series)
        elif sub in catalog.words("meeting.commands.stop") and len(words) == 1:
            await self.stop(ctx, cmd, person, series)
        else:
            await self.create(ctx, cmd, person, people, words, series)

    def refuse(
        self, ctx: Context, cmd: CommandIn, person: Person, key: str, usage: bool = True, **values: object
    ) -> None:
        text = ctx.t(person, f"meeting.{key}", **values)
        blocks: list[Block] = [Paragraph(text=text)]
        if usage and key != "usage":
            blocks.append(Paragraph(text=ctx.t(person, "meeting.usage")))
        ctx.respond(person, cmd.response_url, Message(text=text, blocks=blocks))

    async def series_in(self, ctx: Context, platform: str, channel: str) -> MeetingSeries | None:
        return (
            await ctx.db.exec(
                select(MeetingSeries).where(
                    MeetingSeries.platform == platform,
                    MeetingSeries.channel == channel,
                    MeetingSeries.status == "active",
                )
            )
        ).first()

    async def learn_channel_name(self, ctx: Context, platform: str, channel: str, name: str) -> None:
        """The channel's name as the platform just told it, on the channel's series: one made
        before names were kept gets it, a renamed channel its new name."""
        found = (
            await ctx.db.exec(
                select(MeetingSeries).where(
                    MeetingSeries.platform == platform,
                    MeetingSeries.channel == channel,
                    MeetingSeries.status == "active",
                    or_(col(MeetingSeries.channel_name).is_(None), col(MeetingSeries.channel_name) != name),
                )
            )
        ).all()
        for series in found:
            series.channel_name = name
            ctx.db.add(series)

    async def create(
        self,
        ctx: Context,
        cmd: CommandIn,
        person: Person,
        people: dict[str, Person],
        words: list[str],
        existing: MeetingSeries | None,
    ) -> None:
        """`møde <ugedag> <HH:MM> [@facilitator …] [hver N. uge] [N min]` in the channel."""
        try:
            request = rules.parse_series(words, self.vocabulary(ctx))
        except rules.MeetingUsageError as exc:
            self.refuse(ctx, cmd, person, exc.key.removeprefix("meeting."), True, **exc.values)
            return
        if not cmd.in_channel or not cmd.channel:
            self.refuse(ctx, cmd, person, "not_in_channel", usage=False)
            return
        if existing is not None:
            self.refuse(ctx, cmd, person, "exists", usage=False, rule=self.rule(ctx, existing))
            return
        facilitators = self.facilitators(dict.fromkeys(cmd.mentions), people)
        if isinstance(facilitators, str):
            self.refuse(ctx, cmd, person, "bad_facilitator", usage=False, name=facilitators)
            return
        await self.start_series(ctx, person, cmd.platform, cmd.channel, cmd.channel_name, request, facilitators)

    @staticmethod
    def facilitators(named: Iterable[str], people: dict[str, Person]) -> list[int] | str:
        """The people named as facilitators (platform ids), as the bot knows them; or the name
        of the first who cannot be one (unknown, or a bot)."""
        found: list[int] = []
        for external_id in named:
            person = people.get(external_id)
            if person is None or person.is_bot:
                return person.display_name if person else external_id
            assert person.id is not None  # a person the bot has met is in the database
            found.append(person.id)
        return found

    async def start_series(
        self,
        ctx: Context,
        person: Person,
        platform: str,
        channel: str,
        channel_name: str | None,
        request: rules.SeriesRequest,
        facilitators: list[int],
    ) -> None:
        """A new series in the channel, typed or from the form: announced there, its dates
        stored, and a reminder already due sent."""
        assert person.id is not None  # in the database
        tz = ctx.settings.bot_timezone
        series = MeetingSeries(
            platform=platform,
            channel=channel,
            channel_name=channel_name,
            team_id=person.team_id,  # the channel is in the workspace of whoever set the meeting up
            creator_id=person.id,
            facilitator_ids=facilitators or [person.id],
            weekday=request.weekday,
            hour=request.hour,
            minute=request.minute,
            timezone=tz,
            interval_weeks=request.interval_weeks,
            length_minutes=request.length_minutes,
            first_date=rules.first_date(ctx.now, request.weekday, request.hour, request.minute, tz),
            language=ctx.language(person),
            created_at=ctx.now,
        )
        ctx.db.add(series)
        await ctx.db.flush()
        upcoming = await self.ensure_ahead(ctx, series)
        lang = series.language
        text = self.tl(
            ctx,
            lang,
            "created",
            name=person,
            rule=self.rule(ctx, series),
            facilitators=await self.names(ctx, series.facilitator_ids),
        )
        blocks: list[Block] = [
            Heading(text=self.tl(ctx, lang, "created_title")),
            Paragraph(text=text),
            Paragraph(text=self.dates(ctx, series, upcoming[:3])),
        ]
        self.post(ctx, series, Message(text=text, blocks=blocks), f"meeting:series:{series.id}:created")
        ctx.audit("meeting_series_created", person, series=series.id, channel=series.channel)
        # A series made the day of (or the working day before) its first meeting: that meeting's
        # reminder is due already, and goes out now, after the announcement, rather than on a
        # later tick, however close to the start that is.
        for occ in upcoming:
            if occ.reminded_at is None and occ.due_at is not None and occ.due_at <= ctx.now:
                await self.advance(ctx, series, occ)

    # ---- the form: the same series, the fields filled in instead of typed ------------
    async def submit_form(
        self, ctx: Context, person: Person, values: dict[str, str], picked: dict[str, Person]
    ) -> dict[str, str]:
        """**Nyt læringsmøde**: checked as the typed command checks it, the answers at the fields."""
        channel = values["channel"]
        existing = await self.series_in(ctx, person.platform, channel)
        if existing is not None:
            return {"channel": ctx.t(person, "meeting.exists", rule=self.rule(ctx, existing))}
        facilitators = self.facilitators(forms.people(values.get("facilitators") or ""), picked)
        if isinstance(facilitators, str):
            return {"facilitators": ctx.t(person, "meeting.bad_facilitator", name=facilitators)}
        hour, minute = (int(part) for part in values["time"].split(":"))
        request = rules.SeriesRequest(
            weekday=_WEEKDAYS.index(values["weekday"]),
            hour=hour,
            minute=minute,
            interval_weeks=int(values.get("every") or rules.DEFAULT_INTERVAL_WEEKS),
            length_minutes=int(values.get("length") or rules.DEFAULT_LENGTH),
        )
        named = dict(await self.known_channels(ctx, person)).get(channel)
        await self.start_series(ctx, person, person.platform, channel, named, request, facilitators)
        return {}

    async def known_channels(self, ctx: Context, person: Person) -> list[tuple[str, str | None]]:
        """The channels of the person's workspace the bot has had a series in (newest first),
        and their names as last told, as (channel, name)."""
        found = (
            await ctx.db.exec(
                select(MeetingSeries.channel, MeetingSeries.channel_name)
                .where(MeetingSeries.platform == person.platform, MeetingSeries.team_id == person.team_id)
                .order_by(col(MeetingSeries.id).desc())
            )
        ).all()
        named: dict[str, str | None] = {}
        for channel, name in found:
            named[channel] = named.get(channel) or name
        return list(named.items())

    async def channels(
        self, ctx: Context, person: Person, here: str | None, here_name: str | None
    ) -> list[tuple[str, str]]:
        """What the form's channel field offers: the channel it was opened from, then the
        channels the bot knows that have no series now."""
        busy = set(
            (
                await ctx.db.exec(
                    select(MeetingSeries.channel).where(
                        MeetingSeries.platform == person.platform, MeetingSeries.status == "active"
                    )
                )
            ).all()
        )
        known = await self.known_channels(ctx, person)
        offered: list[tuple[str, str]] = []
        if here:
            name = here_name or dict(known).get(here)
            offered.append((here, f"#{name}" if name else ctx.t(person, "forms.meeting.channel.here")))
        offered += [(c, f"#{name}") for c, name in known if name and c != here and c not in busy]
        return offered

    def dates(self, ctx: Context, series: MeetingSeries, upcoming: list[MeetingOccurrence]) -> str:
        lang = series.language
        lines = [self.tl(ctx, lang, "next_dates")]
        for occ in upcoming:
            key = {str(S.HOLIDAY): "date_holiday", str(S.CANCELLED): "date_cancelled"}.get(occ.status, "date_line")
            lines.append(self.tl(ctx, lang, key, date=self.when(series, occ), holiday=self.holiday(ctx, series, occ)))
        return "\n".join(lines)

    @staticmethod
    def holiday(ctx: Context, series: MeetingSeries, occ: MeetingOccurrence) -> str:
        day = occ.starts_at.astimezone(ZoneInfo(series.timezone)).date()
        return ctx.workdays.holiday_name(day, series.language) or ""

    def when(self, series: MeetingSeries, occ: MeetingOccurrence) -> str:
        from bot.core.i18n import format_moment

        return format_moment(occ.starts_at, series.language, series.timezone)

    async def upcoming(
        self,
        ctx: Context,
        series: MeetingSeries,
        *,
        statuses: tuple[str, ...] = (S.PLANNED, S.HOLIDAY, S.CANCELLED),
        limit: int = 3,
    ) -> list[MeetingOccurrence]:
        return list(
            (
                await ctx.db.exec(
                    select(MeetingOccurrence)
                    .where(
                        MeetingOccurrence.series_id == series.id,
                        col(MeetingOccurrence.status).in_(statuses),
                        col(MeetingOccurrence.starts_at) > ctx.now,
                    )
                    .order_by(col(MeetingOccurrence.seq))
                    .limit(limit)
                )
            ).all()
        )

    async def ensure_ahead(self, ctx: Context, series: MeetingSeries) -> list[MeetingOccurrence]:
        """Keep the next few dates of an active series stored; returns the coming ones."""
        assert series.id is not None  # read from the table (or flushed)
        coming = await self.upcoming(ctx, series, limit=rules.AHEAD)
        if series.status != "active":
            return coming
        last = (
            await ctx.db.exec(
                select(MeetingOccurrence.seq)
                .where(MeetingOccurrence.series_id == series.id)
                .order_by(col(MeetingOccurrence.seq).desc())
                .limit(1)
            )
        ).first()
        seq = -1 if last is None else last
        while len([o for o in coming if o.status != S.CANCELLED]) < rules.AHEAD:
            seq += 1
            o = rules.occurrence(
                seq,
                series.first_date,
                series.interval_weeks,
                series.hour,
                series.minute,
                series.timezone,
                ctx.workdays,
            )
            if o.starts_at <= ctx.now:
                continue
            facilitator = series.facilitator_ids[seq % len(series.facilitator_ids)]
            row = MeetingOccurrence(
                series_id=series.id,
                seq=seq,
                local_date=o.local_date,
                starts_at=o.starts_at,
                remind_at=o.remind_at,
                status=S.HOLIDAY if o.holiday else S.PLANNED,
                due_at=o.remind_at,
                facilitator_id=facilitator,
            )
            ctx.db.add(row)
            coming.append(row)
        await ctx.db.flush()
        return coming

    async def show(self, ctx: Context, cmd: CommandIn, person: Person, series: MeetingSeries | None) -> None:
        if series is None and cmd.in_channel and cmd.channel:
            # The same answer as before, with the form for this channel beside the typing.
            new = Forms.opener(ctx.t(person, "forms.meeting.new"), FORM.name, cmd.channel, cmd.channel_name)
            ctx.respond(person, cmd.response_url, with_buttons(ctx.t(person, "meeting.none"), new))
            return
        if series is None:
            self.refuse(ctx, cmd, person, "none", usage=False)
            return
        lang = ctx.language(person)
        text = ctx.t(
            person,
            "meeting.show",
            rule=self.rule(ctx, series),
            facilitators=await self.names(ctx, series.facilitator_ids),
        )
        coming = await self.upcoming(ctx, series)
        blocks: list[Block] = [
            Heading(text=ctx.t(person, "meeting.show_title")),
            Paragraph(text=text),
            Paragraph(text=self.dates(ctx, series, coming)),
        ]
        following = next((o for o in coming if o.status == S.PLANNED), None)
        if following is not None:
            people = [await ctx.person(i) for i in await self.case_people(ctx, following)]
            blocks.append(
                Paragraph(
                    text=ctx.t(person, "meeting.show_case", name=ctx.names(person, people))
                    if people
                    else ctx.t(person, "meeting.show_no_case")
                )
            )
        actions = await self.open_actions(ctx, series)
        if actions:
            blocks.append(Paragraph(text=await self.action_lines(ctx, lang, actions)))
        ctx.respond(person, cmd.response_url, Message(text=text, blocks=blocks))

    def may_change(self, series: MeetingSeries, person: Person) -> bool:
        return person.id == series.creator_id or person.id in series.facilitator_ids

    async def cancel_next(self, ctx: Context, cmd: CommandIn, person: Person, series: MeetingSeries | None) -> None:
        if series is None:
            self.refuse(ctx, cmd, person, "none", usage=False)
            return
        if not self.may_change(series, person):
            self.refuse(ctx, cmd, person, "not_allowed", usage=False, names=await self.names(ctx, [series.creator_id]))
            return
        coming = await self.upcoming(ctx, series, statuses=(S.PLANNED,), limit=1)
        if not coming:
            self.refuse(ctx, cmd, person, "nothing_to_cancel", usage=False)
            return
        occ = coming[0]
        occ.status, occ.due_at = S.CANCELLED, None
        ctx.db.add(occ)
        await ctx.close_buttons(self.tl(ctx, series.language, "cancelled_note"), ref=f"meeting:{occ.id}:reminder")
        following = [o for o in await self.ensure_ahead(ctx, series) if o.status == S.PLANNED and o.id != occ.id]
        values = {"date": self.when(series, occ), "name": person}
        text = (
            self.tl(ctx, series.language, "cancelled", next=self.when(series, following[0]), **values)
            if following
            else self.tl(ctx, series.language, "cancelled_no_next", **values)
        )
        self.post(ctx, series, paragraph(text), f"meeting:{occ.id}:cancelled")
        ctx.audit("meeting_cancelled", person, series=series.id, occurrence=occ.id)

    async def stop(self, ctx: Context, cmd: CommandIn, person: Person, series: MeetingSeries | None) -> None:
        if series is None:
            self.refuse(ctx, cmd, person, "none", usage=False)
            return
        if not self.may_change(series, person):
            self.refuse(ctx, cmd, person, "not_allowed", usage=False, names=await self.names(ctx, [series.creator_id]))
            return
        series.status, series.stopped_at = "stopped", ctx.now
        ctx.db.add(series)
        for occ in await self.upcoming(ctx, series, statuses=(S.PLANNED, S.HOLIDAY), limit=100):
            occ.status, occ.due_at = S.CANCELLED, None
            ctx.db.add(occ)
            await ctx.close_buttons(self.tl(ctx, series.language, "stopped_note"), ref=f"meeting:{occ.id}:reminder")
        self.post(
            ctx,
            series,
            paragraph(self.tl(ctx, series.language, "stopped", name=person)),
            f"meeting:series:{series.id}:stopped",
        )
        ctx.audit("meeting_series_stopped", person, series=series.id)

    # ---- the clock ------------------------------------------------------------
    async def due(self, ctx: Context) -> None:
        """Claim what has come due and do it, once (the claim and the posts in one transaction)."""
        rows = list(
            (
                await ctx.db.exec(
                    select(MeetingOccurrence, MeetingSeries)
                    .join(MeetingSeries, col(MeetingSeries.id) == col(MeetingOccurrence.series_id))
                    .where(col(MeetingOccurrence.due_at) <= ctx.now)
                    .order_by(col(MeetingOccurrence.due_at))
                    .limit(DUE_BATCH)
                    .with_for_update(skip_locked=True, of=MeetingOccurrence)
                )
            ).all()
        )
        chunk = await self.read_chunk(ctx, rows) if rows else None
        for occ, series in rows:
            try:
                async with ctx.db.begin_nested():
                    # After downtime several things may be due at once (a reminder no longer
                    # useful, then the start): do each, in order, until the row waits again.
                    for _ in range(10):
                        await self.advance(ctx, series, occ, chunk)
                        if occ.due_at is None or occ.due_at > ctx.now:
                            break
            except Exception:  # one broken meeting must not hold back the others
                log.exception("meeting occurrence %s failed", occ.id)
            if ctx.spent():
                break  # the rest in the next round

    async def read_chunk(self, ctx: Context, rows: list[tuple[MeetingOccurrence, MeetingSeries]]) -> Chunk:
        """What a round's reminders show, read for all of them at once. The people they name
        are loaded too: `ctx.person` then finds them in the session, with no query each."""
        occurrences = [occ.id for occ, _ in rows if occ.id is not None]
        series_ids = list({series.id for _, series in rows if series.id is not None})
        chunk = Chunk()
        for case in (
            await ctx.db.exec(
                select(MeetingCase)
                .where(col(MeetingCase.occurrence_id).in_(occurrences))
                .order_by(col(MeetingCase.added_at), col(MeetingCase.id))
            )
        ).all():
            chunk.cases.setdefault(case.occurrence_id, []).append(case)
        for topic in (
            await ctx.db.exec(
                select(MeetingTopic)
                .where(col(MeetingTopic.occurrence_id).in_(occurrences))
                .order_by(col(MeetingTopic.id))
            )
        ).all():
            chunk.topics.setdefault(topic.occurrence_id, []).append(topic)
        for action in (
            await ctx.db.exec(
                select(MeetingAction)
                .where(col(MeetingAction.series_id).in_(series_ids), MeetingAction.status == "open")
                .order_by(col(MeetingAction.id))
            )
        ).all():
            chunk.actions.setdefault(action.series_id, []).append(action)
        named = {occ.facilitator_id for occ, _ in rows} | {c.person_id for cs in chunk.cases.values() for c in cs}
        named |= {a.owner_id for actions in chunk.actions.values() for a in actions}
        known = [n for n in named if n is not None]
        if known:
            chunk.people = list((await ctx.db.exec(select(Person).where(col(Person.id).in_(known)))).all())
        return chunk

    async def advance(
        self, ctx: Context, series: MeetingSeries, occ: MeetingOccurrence, chunk: Chunk | None = None
    ) -> None:
        now = ctx.now
        if occ.status == S.HOLIDAY:
            if now < occ.starts_at:
                await self.holiday_notice(ctx, series, occ)
            occ.reminded_at, occ.due_at = now, None
            await self.ensure_ahead(ctx, series)
        elif occ.status == S.PLANNED and occ.reminded_at is None:
            if now < occ.starts_at:  # still useful: the meeting has not begun
                await self.remind(ctx, series, occ, chunk)
            occ.reminded_at, occ.due_at = now, occ.starts_at
        elif occ.status == S.PLANNED:
            if now >= occ.starts_at + timedelta(minutes=series.length_minutes):
                occ.status, occ.due_at = S.MISSED, None  # the whole meeting passed while we were away
                await ctx.close_buttons(self.day(series, occ.starts_at), ref=f"meeting:{occ.id}:reminder")
                await self.ensure_ahead(ctx, series)
            else:
                await self.start(ctx, series, occ)
        elif occ.status == S.RUNNING:
            await self.move_on(ctx, series, occ, pressed=False)
        else:
            occ.due_at = None
        ctx.db.add(occ)

    async def next_due(self, ctx: Context) -> datetime | None:
        return (
            await ctx.db.exec(
                select(MeetingOccurrence.due_at)
                .where(col(MeetingOccurrence.due_at).is_not(None))
                .order_by(col(MeetingOccurrence.due_at))
                .limit(1)
            )
        ).first()

    # ---- the reminder ------------------------------------------------------------
    async def holiday_notice(self, ctx: Context, series: MeetingSeries, occ: MeetingOccurrence) -> None:
        lang = series.language
        coming = [o for o in await self.ensure_ahead(ctx, series) if o.status == S.PLANNED]
        date, holiday = self.day(series, occ.starts_at), self.holiday(ctx, series, occ)
        text = (
            self.tl(ctx, lang, "holiday", date=date, holiday=holiday, next=self.when(series, coming[0]))
            if coming
            else self.tl(ctx, lang, "holiday_no_next", date=date, holiday=holiday)
        )
        self.post(
            ctx,
            series,
            Message(
                text=text, blocks=[Heading(text=self.tl(ctx, lang, "holiday_title", date=date)), Paragraph(text=text)]
            ),
            f"meeting:{occ.id}:holiday",
        )

    async def reminder_message(
        self, ctx: Context, series: MeetingSeries, occ: MeetingOccurrence, chunk: Chunk | None = None
    ) -> Message:
        lang = series.language
        title = self.tl(
            ctx, lang, "reminder_title", date=self.day(series, occ.starts_at), time=self.clock(series, occ.starts_at)
        )
        facilitator = await self.name_of(ctx, occ.facilitator_id, "")
        blocks: list[Block] = [
            Heading(text=title),
            Note(text=self.tl(ctx, lang, "purpose", rule=self.rule(ctx, series))),
            Paragraph(text=self.tl(ctx, lang, "reminder", facilitator=facilitator)),
        ]
        if cases := await self.cases(ctx, occ, chunk):
            blocks.append(Paragraph(text=await self.case_lines(ctx, lang, cases, "reminder_case")))
        blocks += await self.topics(ctx, series, occ, chunk)
        actions = await self.open_actions(ctx, series, chunk)
        if actions:
            blocks.append(Paragraph(text=await self.action_lines(ctx, lang, actions, numbered=True)))
        if done := await self.done_since_reminder(ctx, series, occ):
            blocks.append(
                Note(
                    text="\n".join(
                        [self.tl(ctx, lang, "actions_done_title")]
                        + [
                            self.tl(
                                ctx,
                                lang,
                                "action_done_line",
                                text=a.text,
                                name=await self.name_of(ctx, a.done_by_id, ""),
                            )
                            for a in done
                        ]
                    )
                )
            )
        # Who brings a case: one or more may ("en eller flere medarbejdere"), so the button stays.
        buttons = [
            Button(label=self.tl(ctx, lang, "has_case"), action="meeting:case", value=str(occ.id), style="primary")
        ]
        buttons += [
            Button(
                label=self.tl(ctx, lang, "action_done_button", number=n),
                action="meeting:done",
                value=f"{occ.id}:{a.id}",
            )
            for n, a in enumerate(actions, 1)
        ]
        blocks.append(Buttons(buttons=buttons))
        return Message(text=title, blocks=blocks)

    async def done_since_reminder(
        self, ctx: Context, series: MeetingSeries, occ: MeetingOccurrence
    ) -> list[MeetingAction]:
        """Actions marked done from this reminder: shown on it, so the channel sees who did what."""
        if occ.reminded_at is None:
            return []
        return list(
            (
                await ctx.db.exec(
                    select(MeetingAction)
                    .where(
                        MeetingAction.series_id == series.id,
                        MeetingAction.status == "done",
                        col(MeetingAction.done_at) >= occ.reminded_at,
                    )
                    .order_by(col(MeetingAction.id))
                    .limit(20)
                )
            ).all()
        )

    async def topics(
        self, ctx: Context, series: MeetingSeries, occ: MeetingOccurrence, chunk: Chunk | None = None
    ) -> list[Quote]:
        """What other flows bring to this meeting (a visit's learning points): a heading from
        the bringing flow's catalogue key `<kind>.meeting_topic` over the numbered lines."""
        rows = (
            chunk.topics.get(occ.id or 0, [])
            if chunk is not None
            else (
                await ctx.db.exec(
                    select(MeetingTopic).where(MeetingTopic.occurrence_id == occ.id).order_by(col(MeetingTopic.id))
                )
            ).all()
        )
        return [
            Quote(
                label=ctx.texts.catalog.text(series.language, f"{t.kind}.meeting_topic", **t.values),
                text="\n".join(f"{n}. {line}" for n, line in enumerate(t.lines, 1)),
            )
            for t in rows
        ]

    async def remind(
        self, ctx: Context, series: MeetingSeries, occ: MeetingOccurrence, chunk: Chunk | None = None
    ) -> None:
        self.post(ctx, series, await self.reminder_message(ctx, series, occ, chunk), f"meeting:{occ.id}:reminder")

    async def open_actions(
        self, ctx: Context, series: MeetingSeries, chunk: Chunk | None = None
    ) -> list[MeetingAction]:
        if chunk is not None:
            return chunk.actions.get(series.id or 0, [])[:OPEN_ACTIONS_SHOWN]
        return list(
            (
                await ctx.db.exec(
                    select(MeetingAction)
                    .where(MeetingAction.series_id == series.id, MeetingAction.status == "open")
                    .order_by(col(MeetingAction.id))
                    .limit(OPEN_ACTIONS_SHOWN)
                )
            ).all()
        )

    async def action_lines(
        self, ctx: Context, lang: str, actions: list[MeetingAction], *, numbered: bool = False
    ) -> str:
        lines = [self.tl(ctx, lang, "open_actions")]
        for number, action in enumerate(actions, 1):
            lines.append(
                self.tl(
                    ctx,
                    lang,
                    "action_line_numbered" if numbered else "action_line",
                    number=number,
                    text=action.text,
                    owner=await self.name_of(ctx, action.owner_id, ""),
                )
            )
        return "\n".join(lines)

    # ---- the meeting's run -----------------------------------------------------------
    async def agenda_message(self, ctx: Context, series: MeetingSeries, occ: MeetingOccurrence) -> Message:
        lang = series.language
        agenda = self.agenda(ctx)
        title = self.tl(ctx, lang, "agenda_title", date=self.when(series, occ))
        cases = await self.cases(ctx, occ)
        case = await self.listed(ctx, lang, [c.person_id for c in cases]) or self.tl(ctx, lang, "agenda_no_case")
        people = self.tl(
            ctx, lang, "agenda_people", case=case, facilitator=await self.name_of(ctx, occ.facilitator_id, "")
        )
        titled = [c for c in cases if c.title]
        if titled:
            people += "\n" + await self.case_lines(ctx, lang, titled, "agenda_case")
        lines = [self.tl(ctx, lang, "agenda_heading")]
        for number, (step, minutes) in enumerate(zip(agenda.steps, self.minutes(ctx, series), strict=False), start=1):
            lines.append(self.tl(ctx, lang, "agenda_line", number=number, title=step.title(lang), minutes=minutes))
        blocks: list[Block] = [
            Heading(text=title),
            Paragraph(text=people),
            Paragraph(text="\n".join(lines)),
            *await self.topics(ctx, series, occ),
            Note(text=self.tl(ctx, lang, "purpose", rule=self.rule(ctx, series))),
        ]
        if occ.status == S.RUNNING:  # a case may still be brought, until the meeting is over
            blocks.append(
                Buttons(
                    buttons=[Button(label=self.tl(ctx, lang, "has_case"), action="meeting:case", value=str(occ.id))]
                )
            )
        return Message(text=title, blocks=blocks)

    async def start(self, ctx: Context, series: MeetingSeries, occ: MeetingOccurrence) -> None:
        occ.status, occ.started_at = S.RUNNING, ctx.now
        await ctx.close_buttons(self.day(series, occ.starts_at), ref=f"meeting:{occ.id}:reminder")
        agenda_post = self.post(ctx, series, await self.agenda_message(ctx, series, occ), f"meeting:{occ.id}:agenda")
        await ctx.db.flush()
        occ.thread_outbox_id = agenda_post.id
        # Late after downtime: begin where the clock stands, not at step 1.
        occ.step, occ.step_started_at = rules.current_step(1, occ.starts_at, self.minutes(ctx, series), ctx.now)
        await self.enter_step(ctx, series, occ)

    async def enter_step(self, ctx: Context, series: MeetingSeries, occ: MeetingOccurrence) -> None:
        minutes = self.minutes(ctx, series)
        if occ.step > len(minutes):
            await self.finish(ctx, series, occ)
            return
        assert occ.step_started_at is not None
        occ.due_at = occ.step_started_at + timedelta(minutes=minutes[occ.step - 1])
        self.post(
            ctx,
            series,
            await self.step_message(ctx, series, occ),
            f"meeting:{occ.id}:step:{occ.step}",
            thread=occ.thread_outbox_id,
        )

    async def step_message(self, ctx: Context, series: MeetingSeries, occ: MeetingOccurrence) -> Message:
        lang = series.language
        step = self.agenda(ctx).steps[occ.step - 1]
        minutes = self.minutes(ctx, series)[occ.step - 1]
        title = self.tl(ctx, lang, "step_title", number=occ.step, title=step.title(lang), minutes=minutes)
        people = await self.case_people(ctx, occ)
        case_person = await self.listed(ctx, lang, people) or self.tl(ctx, lang, "no_case_person")
        body = step.body(lang, many=len(people) > 1).format(case_person=case_person)
        if step.questions is not None:
            body += "\n" + "\n".join(f"{i}. {q}" for i, q in enumerate(step.questions(lang), start=1))
        assert occ.due_at is not None
        buttons = [Button(label=self.tl(ctx, lang, "next"), action="meeting:next", value=f"{occ.id}:{occ.step}")]
        if step.key == "actions":
            buttons.append(
                Button(
                    label=self.tl(ctx, lang, "add_action"), action="meeting:action", value=str(occ.id), style="primary"
                )
            )
        blocks: list[Block] = [Heading(text=title), Paragraph(text=body)]
        if step.key == "round":
            order, spoken = await self.round_order(ctx, occ)
            blocks.append(Paragraph(text=await self.round_text(ctx, series, order, spoken)))
            buttons.append(Button(label=self.tl(ctx, lang, "round_join"), action="meeting:join", value=str(occ.id)))
            if waiting := [p for p in order if p not in spoken]:
                buttons.append(
                    Button(
                        label=self.tl(ctx, lang, "round_pass"),
                        action="meeting:pass",
                        value=f"{occ.id}:{waiting[0]}",
                        style="primary",
                    )
                )
        blocks += [
            Note(text=self.tl(ctx, lang, "step_until", time=self.clock(series, occ.due_at))),
            Buttons(buttons=buttons),
        ]
        return Message(text=title, blocks=blocks)

    # ---- the round: the word goes round ------------------------------------------------
    def in_round(self, ctx: Context, occ: MeetingOccurrence) -> bool:
        keys = [step.key for step in self.agenda(ctx).steps]
        return occ.status in BUTTONS["join"] and "round" in keys and occ.step == keys.index("round") + 1

    async def round_order(self, ctx: Context, occ: MeetingOccurrence) -> tuple[list[int], set[int]]:
        """The round's people in the order they came in (Jeg er med, or a reflection written
        in the thread), and those of them who have spoken (passed the word on, or written)."""
        notes = (
            await ctx.db.exec(
                select(MeetingNote)
                .where(MeetingNote.occurrence_id == occ.id, col(MeetingNote.kind).in_((_TURN, _SPOKE, _REFLECTION)))
                .order_by(col(MeetingNote.id))
            )
        ).all()
        order = list(dict.fromkeys(n.person_id for n in notes if n.kind in (_TURN, _REFLECTION)))
        return order, {n.person_id for n in notes if n.kind in (_SPOKE, _REFLECTION)}

    async def round_text(self, ctx: Context, series: MeetingSeries, order: list[int], spoken: set[int]) -> str:
        """Who has the word now, who comes next, who has spoken."""
        lang = series.language

        async def listed(ids: list[int]) -> str:
            return await self.listed(ctx, lang, ids)

        waiting, done = [p for p in order if p not in spoken], [p for p in order if p in spoken]
        lines = [] if order else [self.tl(ctx, lang, "round_empty")]
        if waiting:
            lines.append(self.tl(ctx, lang, "round_now", name=await listed(waiting[:1])))
            if waiting[1:]:
                lines.append(self.tl(ctx, lang, "round_next", names=await listed(waiting[1:])))
        elif order:
            lines.append(self.tl(ctx, lang, "round_all_spoken"))
        if done:
            lines.append(self.tl(ctx, lang, "round_spoken", names=await listed(done)))
        return "\n".join(lines)

    async def show_round(self, ctx: Context, series: MeetingSeries, occ: MeetingOccurrence) -> None:
        await ctx.db.flush()
        await self.replace(ctx, f"meeting:{occ.id}:step:{occ.step}", await self.step_message(ctx, series, occ))

    async def join_round(
        self, ctx: Context, action: ActionIn, person: Person, series: MeetingSeries, occ: MeetingOccurrence
    ) -> None:
        """Jeg er med: a place at the end of the round's order (once: the occurrence is locked)."""
        if not self.in_round(ctx, occ):
            ctx.respond(person, action.response_url, paragraph(ctx.t(person, "meeting.round_over")))
            return
        order, _ = await self.round_order(ctx, occ)
        if person.id in order:
            ctx.respond(person, action.response_url, paragraph(ctx.t(person, "meeting.round_already_in")))
            return
        assert occ.id is not None and person.id is not None  # both are in the database
        ctx.db.add(MeetingNote(occurrence_id=occ.id, person_id=person.id, kind=_TURN, text="", created_at=ctx.now))
        ctx.respond(
            person, action.response_url, paragraph(ctx.t(person, "meeting.round_joined", number=len(order) + 1))
        )
        await self.show_round(ctx, series, occ)
        ctx.audit("meeting_round_joined", person, occurrence=occ.id)

    async def pass_word(
        self, ctx: Context, action: ActionIn, person: Person, series: MeetingSeries, occ: MeetingOccurrence
    ) -> None:
        """Giv ordet videre: the one who has the word has spoken, the next has it. The button names
        whom it passes from, so a second press (or a redelivered one) passes nothing more."""
        holder = record_id(action.value.partition(":")[2])
        if not self.in_round(ctx, occ):
            ctx.respond(person, action.response_url, paragraph(ctx.t(person, "meeting.round_over")))
            return
        order, spoken = await self.round_order(ctx, occ)
        waiting = [p for p in order if p not in spoken]
        if holder is None or not waiting or waiting[0] != holder:
            ctx.respond(person, action.response_url, paragraph(ctx.t(person, "meeting.round_passed_already")))
            return
        if person.id not in (holder, occ.facilitator_id, *await self.case_people(ctx, occ)):
            ctx.respond(
                person,
                action.response_url,
                paragraph(
                    ctx.t(
                        person,
                        "meeting.round_pass_not_allowed",
                        name=await self.name_of(ctx, holder, ""),
                        facilitator=await self.name_of(ctx, occ.facilitator_id, ""),
                    )
                ),
            )
            return
        assert occ.id is not None  # in the database
        ctx.db.add(MeetingNote(occurrence_id=occ.id, person_id=holder, kind=_SPOKE, text="", created_at=ctx.now))
        await self.show_round(ctx, series, occ)
        ctx.audit("meeting_word_passed", person, occurrence=occ.id, holder=holder)

    async def move_on(self, ctx: Context, series: MeetingSeries, occ: MeetingOccurrence, *, pressed: bool) -> None:
        """The running step is over (its time, or a press): close it and enter where the clock says."""
        before = occ.step
        if pressed:
            occ.step, occ.step_started_at = before + 1, ctx.now
        else:
            assert occ.step_started_at is not None
            occ.step, occ.step_started_at = rules.current_step(
                before, occ.step_started_at, self.minutes(ctx, series), ctx.now
            )
        await ctx.close_buttons(
            self.tl(ctx, series.language, "step_done", time=self.clock(series, ctx.now)),
            ref=f"meeting:{occ.id}:step:{before}",
        )
        await self.enter_step(ctx, series, occ)
        ctx.db.add(occ)

    async def finish(self, ctx: Context, series: MeetingSeries, occ: MeetingOccurrence) -> None:
        occ.status, occ.step, occ.due_at, occ.ended_at = S.DONE, _OVER, None, ctx.now
        await self.replace(ctx, f"meeting:{occ.id}:agenda", await self.agenda_message(ctx, series, occ))
        self.post(
            ctx, series, await self.summary(ctx, series, occ), f"meeting:{occ.id}:summary", thread=occ.thread_outbox_id
        )
        await self.ensure_ahead(ctx, series)

    async def summary(self, ctx: Context, series: MeetingSeries, occ: MeetingOccurrence) -> Message:
        lang = series.language
        title = self.tl(ctx, lang, "summary_title", date=self.day(series, occ.starts_at))
        blocks: list[Block] = [Heading(text=title)]
        cases = await self.cases(ctx, occ)
        blocks.append(
            Paragraph(
                text=await self.case_lines(ctx, lang, cases, "summary_case")
                if cases
                else self.tl(ctx, lang, "summary_no_case")
            )
        )
        notes = (
            await ctx.db.exec(
                select(MeetingNote)
                .where(MeetingNote.occurrence_id == occ.id, col(MeetingNote.kind).in_(("learning", _REFLECTION)))
                .order_by(col(MeetingNote.id))
            )
        ).all()
        # Each case person's learning in the order of the cases, then the reflections as written.
        order = {case.person_id: n for n, case in enumerate(cases)}
        notes = sorted(notes, key=lambda n: (n.kind != "learning", order.get(n.person_id, len(order)), n.id or 0))
        for note in notes:
            key = "summary_learning" if note.kind == "learning" else "summary_reflection"
            blocks.append(
                Quote(label=self.tl(ctx, lang, key, name=await self.name_of(ctx, note.person_id, "")), text=note.text)
            )
        if not notes:
            blocks.append(Paragraph(text=self.tl(ctx, lang, "summary_no_notes")))
        actions = (
            await ctx.db.exec(
                select(MeetingAction).where(MeetingAction.occurrence_id == occ.id).order_by(col(MeetingAction.id))
            )
        ).all()
        lines = [self.tl(ctx, lang, "summary_actions")]
        for action in actions:
            lines.append(
                self.tl(ctx, lang, "action_line", text=action.text, owner=await self.name_of(ctx, action.owner_id, ""))
            )
        blocks.append(Paragraph(text="\n".join(lines) if actions else self.tl(ctx, lang, "summary_no_actions")))
        return Message(text=title, blocks=blocks)

    # ---- buttons --------------------------------------------------------------------
    async def locked(self, ctx: Context, value: str) -> tuple[MeetingOccurrence, MeetingSeries] | None:
        occ_id = record_id(value.partition(":")[0])
        if occ_id is None:
            return None
        occ = (
            await ctx.db.exec(select(MeetingOccurrence).where(MeetingOccurrence.id == occ_id).with_for_update())
        ).first()
        if occ is None:
            return None
        series = await ctx.db.get(MeetingSeries, occ.series_id)
        assert series is not None
        return occ, series

    async def on_action(self, ctx: Context, action: ActionIn, person: Person) -> None:
        step = action.action.partition(":")[2]
        found = await self.locked(ctx, action.value)
        # done: an action of the team's, not the meeting's; pick: its owner picked
        if found is None or step not in (*BUTTONS, "done", "pick"):
            ctx.stale(person, action.response_url)
            return
        occ, series = found
        if step == "pick":
            await self.pick_owner(ctx, action, person, series, occ)
        elif step == "case":
            await self.take_case(ctx, action, person, series, occ)
        elif step == "done":
            await self.mark_done(ctx, action, person, series, occ)
        elif step == "next":
            await self.press_next(ctx, action, person, series, occ)
        elif step == "join":
            await self.join_round(ctx, action, person, series, occ)
        elif step == "pass":
            await self.pass_word(ctx, action, person, series, occ)
        else:
            await self.ask_action(ctx, action, person, series, occ)

    async def take_case(
        self, ctx: Context, action: ActionIn, person: Person, series: MeetingSeries, occ: MeetingOccurrence
    ) -> None:
        if occ.status not in BUTTONS["case"]:
            ctx.respond(person, action.response_url, paragraph(ctx.t(person, "meeting.case_closed")))
            return
        # Each who presses brings a case, once: a second press (or a redelivered one, or one on
        # another instance) meets the unique (meeting, person) and adds nothing.
        added = await ctx.db.exec(
            insert_into(ctx.db, table_of(MeetingCase))
            .values(occurrence_id=occ.id, person_id=person.id, added_at=ctx.now)
            .on_conflict_do_nothing(index_elements=["occurrence_id", "person_id"])
            .returning(table_of(MeetingCase).c.id)
        )
        if added.first() is None:
            ctx.respond(person, action.response_url, paragraph(ctx.t(person, "meeting.case_yours")))
            return
        await self.show_case(ctx, series, occ)
        date = self.day(series, occ.starts_at)
        ctx.respond(person, action.response_url, paragraph(ctx.t(person, "meeting.case_taken", date=date)))
        await self.prompt(ctx, person, occ, "case", ctx.t(person, "meeting.case_prompt", date=date))
        ctx.audit("meeting_case_taken", person, occurrence=occ.id)

    async def mark_done(
        self, ctx: Context, action: ActionIn, person: Person, series: MeetingSeries, occ: MeetingOccurrence
    ) -> None:
        """An open action from an earlier meeting is done: its owner, whoever logged it, or a facilitator says so."""
        action_id = action.value.partition(":")[2]
        item = await ctx.db.get(MeetingAction, found) if (found := record_id(action_id)) else None
        if item is None or item.series_id != series.id:
            ctx.stale(person, action.response_url)
            return
        if person.id not in (item.owner_id, item.created_by_id) and not self.may_change(series, person):
            ctx.respond(
                person,
                action.response_url,
                paragraph(ctx.t(person, "meeting.done_not_allowed", owner=await self.name_of(ctx, item.owner_id, ""))),
            )
            return
        # Once, also when two presses (or two instances) race: only an open row changes.
        won = await ctx.db.exec(
            update(MeetingAction)
            .where(col(MeetingAction.id) == item.id, col(MeetingAction.status) == "open")
            .values(status="done", done_at=ctx.now, done_by_id=person.id)
        )
        await ctx.db.refresh(item)
        if won.rowcount != 1:
            ctx.respond(
                person,
                action.response_url,
                paragraph(
                    ctx.t(
                        person,
                        "meeting.done_already",
                        text=item.text,
                        name=await self.name_of(ctx, item.done_by_id, ""),
                    )
                ),
            )
            return
        ctx.respond(person, action.response_url, paragraph(ctx.t(person, "meeting.done_marked", text=item.text)))
        await self.replace(ctx, f"meeting:{occ.id}:reminder", await self.reminder_message(ctx, series, occ))
        ctx.audit("meeting_action_done", person, series=series.id, meeting_action=item.id)

    async def show_case(self, ctx: Context, series: MeetingSeries, occ: MeetingOccurrence) -> None:
        """The case people (and titles) on the reminder before the meeting, and on the agenda once
        it runs (the reminder was closed when it began, and stays so)."""
        if occ.status == S.PLANNED:
            await self.replace(ctx, f"meeting:{occ.id}:reminder", await self.reminder_message(ctx, series, occ))
        if occ.thread_outbox_id:
            await self.replace(ctx, f"meeting:{occ.id}:agenda", await self.agenda_message(ctx, series, occ))

    async def press_next(
        self, ctx: Context, action: ActionIn, person: Person, series: MeetingSeries, occ: MeetingOccurrence
    ) -> None:
        pressed_step = action.value.partition(":")[2]
        if occ.status not in BUTTONS["next"] or str(occ.step) != pressed_step:
            ctx.respond(person, action.response_url, paragraph(ctx.t(person, "meeting.next_stale")))
            return
        people = await self.case_people(ctx, occ)
        if person.id not in (occ.facilitator_id, *people):
            ctx.respond(
                person,
                action.response_url,
                paragraph(
                    ctx.t(
                        person,
                        "meeting.next_not_allowed_many" if len(people) > 1 else "meeting.next_not_allowed",
                        facilitator=await self.name_of(ctx, occ.facilitator_id, ""),
                        case=ctx.names(person, [await ctx.person(i) for i in people])
                        or ctx.t(person, "meeting.agenda_no_case"),
                    )
                ),
            )
            return
        await self.move_on(ctx, series, occ, pressed=True)

    async def ask_action(
        self, ctx: Context, action: ActionIn, person: Person, series: MeetingSeries, occ: MeetingOccurrence
    ) -> None:
        if occ.status not in BUTTONS["action"]:
            ctx.respond(person, action.response_url, paragraph(ctx.t(person, "meeting.action_closed")))
            return
        ctx.respond(person, action.response_url, paragraph(ctx.t(person, "meeting.action_asked")))
        await self.prompt(ctx, person, occ, "action", ctx.t(person, "meeting.action_prompt"))

    async def prompt(self, ctx: Context, person: Person, occ: MeetingOccurrence, kind: str, text: str) -> None:
        assert person.id is not None and occ.id is not None  # both are in the database
        existing = (await ctx.db.exec(select(MeetingPrompt).where(MeetingPrompt.person_id == person.id))).first()
        row = existing or MeetingPrompt(person_id=person.id, occurrence_id=occ.id, kind=kind)
        row.occurrence_id, row.kind, row.created_at = occ.id, kind, ctx.now
        ctx.db.add(row)
        ctx.post(person, paragraph(text))

    # ---- what people write -----------------------------------------------------------
    async def on_prompt_reply(self, ctx: Context, msg: MessageIn, person: Person) -> bool:
        """The person's DM answers an open prompt (the case's title, an action); False if none is open."""
        prompt = (await ctx.db.exec(_PROMPT, params={"person": person.id})).first()
        if prompt is None:
            return False
        occ = await ctx.db.get(MeetingOccurrence, prompt.occurrence_id)
        series = await ctx.db.get(MeetingSeries, occ.series_id) if occ else None
        await ctx.db.delete(prompt)
        said = " ".join(msg.text.split())
        if occ is None or series is None:
            return False
        if said.casefold() in ctx.texts.catalog.words("words.cancel"):
            ctx.post(person, paragraph(ctx.t(person, "meeting.prompt_dropped")))
            return True
        if prompt.kind == "case":
            if said.casefold() in ctx.texts.catalog.words("words.skip") or not said:
                ctx.post(person, paragraph(ctx.t(person, "meeting.case_untitled")))
                return True
            case = (
                await ctx.db.exec(
                    select(MeetingCase).where(MeetingCase.occurrence_id == occ.id, MeetingCase.person_id == person.id)
                )
            ).first()
            if case is None:  # the meeting has no case of theirs (any more)
                ctx.post(person, paragraph(ctx.t(person, "meeting.prompt_dropped")))
                return True
            case.title = said[:300]
            ctx.db.add(case)
            await ctx.db.flush()
            await self.show_case(ctx, series, occ)
            ctx.post(person, paragraph(ctx.t(person, "meeting.case_titled", title=case.title)))
            return True
        owner = person
        text = msg.text
        for external_id in msg.mentions:
            found = await ctx.find_person(msg.platform, external_id, near=person)
            if found is not None and not found.is_bot:
                owner = found
                break
        for external_id in msg.mentions:
            found = await ctx.find_person(msg.platform, external_id, near=person)
            for spelling in {external_id, found.display_name if found else external_id}:
                text = re.sub(rf"@{re.escape(spelling)}\b", " ", text, flags=re.IGNORECASE)
        text = " ".join(text.split())[:1000] or said[:1000]
        assert series.id is not None and occ.id is not None and person.id is not None  # all in the database
        row = MeetingAction(
            series_id=series.id,
            occurrence_id=occ.id,
            text=text,
            owner_id=owner.id,
            created_by_id=person.id,
            created_at=ctx.now,
        )
        ctx.db.add(row)
        await ctx.db.flush()
        logged = ctx.t(person, "meeting.action_logged", text=text, owner=owner)
        # The owner can be picked as well as named with @ (where a client offers no @ in the chat).
        picker = Picker(
            picks="person",
            label=ctx.t(person, "meeting.owner_pick"),
            submit=ctx.t(person, "meeting.owner_pick_submit"),
            action="meeting:pick",
            # The owner it was offered beside: once another is picked, this picker is stale.
            value=f"{occ.id}:owner:{row.id}:{owner.id}",
        )
        ctx.post(person, Message(text=logged, blocks=[Paragraph(text=logged), picker]))
        if occ.thread_outbox_id:
            self.post(
                ctx,
                series,
                await self.action_post(ctx, series, row),
                f"meeting:{occ.id}:action:{row.id}",
                thread=occ.thread_outbox_id,
            )
        ctx.audit("meeting_action_added", person, occurrence=occ.id, meeting_action=row.id)
        return True

    async def action_post(self, ctx: Context, series: MeetingSeries, row: MeetingAction) -> Message:
        """The action as the meeting's thread shows it: what, who is responsible, who noted it."""
        text = self.tl(
            ctx,
            series.language,
            "action_posted",
            text=row.text,
            owner=await self.name_of(ctx, row.owner_id, ""),
            name=await self.name_of(ctx, row.created_by_id, ""),
        )
        return paragraph(text)

    async def pick_owner(
        self, ctx: Context, action: ActionIn, person: Person, series: MeetingSeries, occ: MeetingOccurrence
    ) -> None:
        """Another owner picked for an action just noted: checked as a typed @mention is (someone
        the bot knows, not a bot), then the action and the thread's post show them."""
        _, kind, action_id, offered = [*action.value.split(":"), "", "", "", ""][:4]
        row = await ctx.db.get(MeetingAction, found) if kind == "owner" and (found := record_id(action_id)) else None
        if (
            row is None
            or row.occurrence_id != occ.id
            or row.created_by_id != person.id  # not theirs to change
            or row.status != "open"  # done already
            or str(row.owner_id) != offered  # another owner was picked since: an old picker
        ):
            ctx.stale(person, action.response_url)
            return
        picked = (action.fields.get("pick") or "").strip()

        def say(key: str, **values: object) -> None:
            ctx.respond(person, action.response_url, paragraph(ctx.t(person, key, **values)))

        if not picked:
            return say("dialog.pick_nothing")
        if picked == forms.UNREACHED:
            return say("forms.unreached")
        owner = await ctx.find_person(action.platform, picked, near=person)
        if owner is None or owner.is_bot:
            return say("meeting.bad_owner", name=owner.display_name if owner else picked)
        if owner.id == row.owner_id:  # the same pick again: nothing changes
            return say("meeting.owner_already", text=row.text, owner=owner)
        row.owner_id = owner.id
        ctx.db.add(row)
        await self.replace(ctx, f"meeting:{occ.id}:action:{row.id}", await self.action_post(ctx, series, row))
        chosen = ctx.t(person, "meeting.owner_set", text=row.text, owner=owner)
        await ctx.close_buttons(chosen, where=action.message)
        ctx.audit("meeting_action_owner", person, occurrence=occ.id, meeting_action=row.id, owner=owner.id)

    async def on_thread_reply(self, ctx: Context, msg: MessageIn, person: Person) -> None:
        """A reply in a meeting's thread: a case person's learning (step 3), a reflection (step 4 on)."""
        if not msg.channel or not msg.thread or not msg.text.strip():
            return
        occ = (
            await ctx.db.exec(
                select(MeetingOccurrence)
                .join(MeetingSeries, col(MeetingSeries.id) == col(MeetingOccurrence.series_id))
                .join(OutboxMessage, col(OutboxMessage.id) == col(MeetingOccurrence.thread_outbox_id))
                .where(
                    MeetingSeries.platform == msg.platform,
                    MeetingSeries.channel == msg.channel,
                    MeetingOccurrence.status == S.RUNNING,
                    OutboxMessage.sent_ts == msg.thread,
                )
            )
        ).first()
        if occ is None:
            return
        text = msg.text.strip()[:MAX_ANSWER]
        if occ.step == 3 and person.id in await self.case_people(ctx, occ):
            kind = "learning"
        elif occ.step >= 4:
            kind = _REFLECTION
        else:
            return
        assert occ.id is not None and person.id is not None  # both are in the database
        ctx.db.add(MeetingNote(occurrence_id=occ.id, person_id=person.id, kind=kind, text=text, created_at=ctx.now))
        if self.in_round(ctx, occ):  # a reflection written in the round: the writer has spoken
            series = await ctx.db.get(MeetingSeries, occ.series_id)
            assert series is not None  # the occurrence's own
            await self.show_round(ctx, series, occ)

"""Læringsbesøg (PRODUCT.md §2.5): a learning agent follows a colleague for half or a whole day.

    invited ──Nej tak──▶ declined            (the day ends unanswered ──▶ expired)
       │ Ja tak
       ▼
    planned ──the working day before, 09:00: a reminder that the visit is coming
       │
       │ the day starts, 08:00: a morning reminder to both, and the joint check-in
       ▼
    checkin: both answer; once both have sent, both see both answers at once (neither
       │     sees the other's before), and both press Bekræft ──▶ ready
       ▼
    the end of the visit (12:00 half, 15:00 full, or the time in the command)
       ▼
    reflection: both answer, then both see both ──▶ points: the agent drafts three learning
    points ──▶ points_review: the colleague confirms them ──▶ done, or edits them ──▶
    points_confirm: the agent confirms the edit ──▶ done, or edits it back ──▶ points_review
       ▼
    Del på læringsmøde: the points go on the next meeting of a series the agent picks, named
    by its channel (a `MeetingTopic`, shown on that meeting's reminder and agenda), or, with
    Personalemøde, to a later staff meeting (both get them laid out to present); one of the two

The visit is a `Contract` (flow "visit") with its parties, answers, confirmations
(`Approval`) and audit; the `Visit` row holds the day and its three moments (`checkin_at`
is the reminder the working day before, named for the check-in it announces; the check-in
opens at `morning_at`).
`Contract.followup_at` is the next of those moments still to come, claimed by the
clock with `FOR UPDATE SKIP LOCKED`; each moment's `*_done_at` makes it happen once.
"""

from __future__ import annotations

from datetime import datetime, time
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.core import visits as rules
from bot.core.events import ActionIn, CommandIn
from bot.core.forms import Field, Form, date_value
from bot.core.i18n import format_day, format_moment
from bot.core.messages import (
    Block,
    Button,
    Column,
    Columns,
    Heading,
    Message,
    Paragraph,
    Quote,
    paragraph,
    with_buttons,
)
from bot.flows.context import Context
from bot.flows.conversations import Conversations
from bot.flows.lifecycle import Handler, Lifecycle, Press, Pressed, named, press, roles, states
from bot.flows.meeting.lifecycle import MeetingFlow
from bot.flows.overview import OverviewSource
from bot.flows.parts import Command, Quiet, Start, cannot_take_part, one_named
from bot.flows.visit.share import VisitSharing, share_ref
from bot.flows.visit.states import (
    AGENT,
    CLOCK,
    COLLEAGUE,
    CONFIRMED,
    FINAL,
    FLOW,
    LIVE,
    MOVES,
    REVIEWER,
    ROLES,
    TURNS,
    Status,
)
from bot.storage.contracts import decide, store_answers, submitted
from bot.storage.models import (
    Answer,
    Approval,
    Contract,
    DialogSession,
    Party,
    Person,
    Visit,
)
from bot.storage.personal_data import Policies

# `besøg` alone, and **Nyt besøg**: the colleague, the day, half or whole (a whole day when
# not chosen), maybe the time it ends (its texts: `forms.visit.…` in the catalogue).
FORM = Form(
    name="visit",
    fields=(
        Field("colleague", "person", not_self=True),
        Field("day", "date", not_past=True),
        Field("length", "choice", required=False, choices=("full", "half")),
        Field("end", "time", required=False),
    ),
)


class VisitFlow(Quiet):
    name = FLOW
    copy = None

    def __init__(
        self, conversations: Conversations, meetings: MeetingFlow, overview: OverviewSource, personal_data: Policies
    ) -> None:
        self.conversations = conversations
        self.sharing = VisitSharing(meetings)
        conversations.flows[FLOW] = self
        self.overview, self.personal_data = overview, personal_data

    @property
    def commands(self) -> tuple[Command, ...]:
        # `besøg @kollega <dato> …`; `besøg` alone (and **Nyt besøg**) opens the form.
        return (
            Command(
                "visit.commands.visit",
                self.command,
                shape=lambda words, named: named or len(words) == 1,
                start=Start(FORM, self.submit_form),
            ),
        )

    def help(self, ctx: Context, person: Person) -> tuple[str, ...]:
        return ("visit.help",)

    # ---- reading ------------------------------------------------------
    async def _load(self, ctx: Context, contract_id: int | None) -> tuple[Contract, Visit] | None:
        if contract_id is None:
            return None
        row = (
            await ctx.db.exec(
                select(Contract, Visit)
                .join(Visit, col(Visit.contract_id) == col(Contract.id))
                .where(Contract.id == contract_id, Contract.flow == FLOW)
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def _people(self, ctx: Context, visit: Visit) -> dict[str, Person]:
        return {AGENT: await ctx.person(visit.agent_id), COLLEAGUE: await ctx.person(visit.colleague_id)}

    @staticmethod
    def _role(visit: Visit, person: Person) -> str | None:
        return AGENT if person.id == visit.agent_id else COLLEAGUE if person.id == visit.colleague_id else None

    def _date(self, ctx: Context, person: Person, visit: Visit) -> str:
        return ctx.day(person, visit.morning_at)

    def _moment(self, ctx: Context, person: Person, moment: datetime) -> str:
        return format_moment(moment, ctx.language(person), ctx.tz(person))

    def _clock(self, ctx: Context, person: Person, moment: datetime) -> str:
        return moment.astimezone(ZoneInfo(ctx.tz(person))).strftime("%H:%M")

    def _length(self, ctx: Context, person: Person, visit: Visit) -> str:
        return ctx.t(person, f"visit.length.{visit.length}")

    async def placeholders(self, ctx: Context, session: DialogSession) -> dict[str, str]:
        found = await self._load(ctx, session.contract_id)
        if found is None:
            return {"other": ""}
        who = await self._people(ctx, found[1])
        return {"other": who[COLLEAGUE if session.role == AGENT else AGENT].display_name}

    async def title(self, ctx: Context, session: DialogSession) -> str:
        viewer = await ctx.person(session.person_id)
        found = await self._load(ctx, session.contract_id)
        if found is None:
            return ctx.t(viewer, "visit.name")
        who = await self._people(ctx, found[1])
        return ctx.t(
            viewer,
            "visit.title",
            agent=who[AGENT],
            colleague=who[COLLEAGUE],
            date=self._date(ctx, viewer, found[1]),
        )

    # ---- /laering besøg @kollega <dato> [halv|hel] [HH:MM] ----------------
    async def command(
        self, ctx: Context, cmd: CommandIn, agent: Person, people: dict[str, Person], words: list[str]
    ) -> None:
        usage = ctx.t(agent, "visit.usage")

        def refuse(key: str | None, **values: object) -> None:
            text = ctx.t(agent, key, **values) if key else usage
            blocks: list[Block] = [Paragraph(text=text)]
            if key:
                blocks.append(Paragraph(text=usage))
            ctx.respond(agent, cmd.response_url, Message(text=text, blocks=blocks))

        if not cmd.mentions:
            return refuse(None)
        if (colleague := one_named(ctx, cmd, agent, people, FLOW, "one_colleague")) is None:
            return None
        catalog = ctx.texts.catalog
        vocabulary = rules.Vocabulary(
            half=frozenset(catalog.words("visit.words.half")),
            full=frozenset(catalog.words("visit.words.full")),
            day=frozenset(catalog.words("visit.words.day")),
            filler=frozenset(catalog.words("visit.words.filler")),
        )
        today = ctx.now.astimezone(ZoneInfo(ctx.tz(agent))).date()
        try:
            request = rules.parse_visit(words, vocabulary, today)
        except rules.VisitUsageError as exc:
            return refuse(exc.key, **exc.values)
        when, passed = self._when(ctx, agent, request)
        if passed:
            return refuse("visit.past_date", date=format_day(when.ends_at, ctx.language(agent), ctx.tz(agent)))
        await self.start(ctx, agent, colleague, request, when, cmd.response_url)

    def _when(self, ctx: Context, agent: Person, request: rules.VisitRequest) -> tuple[rules.Moments, bool]:
        """The visit's moments, and whether it would be over already."""
        today = ctx.now.astimezone(ZoneInfo(ctx.tz(agent))).date()
        default_end = ctx.settings.visit_half_day_end if request.length == "half" else ctx.settings.visit_full_day_end
        when = rules.moments(request, default_end, ctx.tz(agent), ctx.workdays)
        return when, request.day < today or when.ends_at <= ctx.now

    # ---- the form: the same visit, the fields filled in instead of typed -------------
    async def submit_form(
        self, ctx: Context, agent: Person, values: dict[str, str], picked: dict[str, Person]
    ) -> dict[str, str]:
        """`besøg` alone, or **Nyt besøg**: the colleague, the day, half or whole, maybe when it
        ends; checked as the typed command checks them."""
        colleague = picked.get(values["colleague"])
        if (problem := cannot_take_part(ctx, agent, colleague, values["colleague"], FLOW)) is not None:
            return {"colleague": problem}
        assert colleague is not None  # cannot_take_part said so
        day = date_value(values["day"])
        assert day is not None  # forms.check said so
        end = None
        if values.get("end"):
            hours, minutes = values["end"].split(":")
            end = time(int(hours), int(minutes))
        request = rules.VisitRequest(day=day, length=values.get("length") or "full", end=end)
        when, passed = self._when(ctx, agent, request)
        if passed:
            said = format_day(when.ends_at, ctx.language(agent), ctx.tz(agent))
            return {"end" if end else "day": ctx.t(agent, "forms.visit.day.past", date=said)}
        await self.start(ctx, agent, colleague, request, when, None)
        return {}

    async def start(
        self,
        ctx: Context,
        agent: Person,
        colleague: Person,
        request: rules.VisitRequest,
        when: rules.Moments,
        response_url: str | None,
    ) -> None:
        assert agent.id is not None and colleague.id is not None  # both are in the database
        ends_at = when.ends_at
        visit = Visit(
            contract_id=0,
            agent_id=agent.id,
            colleague_id=colleague.id,
            day=request.day,
            length=request.length,
            checkin_at=when.checkin_at,
            morning_at=when.morning_at,
            ends_at=ends_at,
        )
        contract = Contract(
            flow=FLOW,
            title=f"{agent.display_name} → {colleague.display_name}"[:300],
            status=Status.INVITED,
            starter_id=agent.id,
            followup_at=ends_at,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        ctx.db.add(contract)
        await ctx.db.flush()
        assert contract.id is not None  # flushed
        visit.contract_id = contract.id
        ctx.db.add(visit)
        ctx.db.add(Party(contract_id=contract.id, person_id=agent.id, role=AGENT))
        ctx.db.add(Party(contract_id=contract.id, person_id=colleague.id, role=COLLEAGUE))
        ctx.audit(
            "visit.created",
            agent,
            contract.id,
            colleague=colleague.id,
            day=request.day.isoformat(),
            length=request.length,
        )
        ctx.respond(
            agent,
            response_url,
            paragraph(
                ctx.t(
                    agent,
                    "visit.invited_agent",
                    name=colleague,
                    date=self._date(ctx, agent, visit),
                    length=self._length(ctx, agent, visit),
                    end=self._clock(ctx, agent, ends_at),
                )
            ),
        )
        text = ctx.t(
            colleague,
            "visit.invitation",
            name=agent,
            date=self._date(ctx, colleague, visit),
            length=self._length(ctx, colleague, visit),
            end=self._clock(ctx, colleague, ends_at),
        )
        value = str(contract.id)
        ctx.post(
            colleague,
            with_buttons(
                text,
                Button(label=ctx.t(colleague, "visit.accept"), action="visit:accept", value=value, style="primary"),
                Button(label=ctx.t(colleague, "visit.decline"), action="visit:decline", value=value),
            ),
            ref=f"visit:{contract.id}:invitation",
        )

    # ---- the clock ----------------------------------------------------
    async def next_due(self, ctx: Context) -> datetime | None:
        return (
            await ctx.db.exec(
                select(Contract.followup_at)
                .where(Contract.flow == FLOW, col(Contract.status).in_(LIVE), col(Contract.followup_at).is_not(None))
                .order_by(col(Contract.followup_at))
                .limit(1)
            )
        ).first()

    async def due(self, ctx: Context) -> None:
        """Check-ins, morning reminders and ends of visits that have come due, each once."""
        rows = (
            await ctx.db.exec(
                select(Contract, Visit)
                .join(Visit, col(Visit.contract_id) == col(Contract.id))
                .where(Contract.flow == FLOW, col(Contract.status).in_(LIVE), col(Contract.followup_at) <= ctx.now)
                .order_by(col(Contract.followup_at))
                .limit(200)
                .with_for_update(skip_locked=True, of=Contract)
            )
        ).all()
        for contract, visit in rows:
            await self._advance(ctx, contract, visit)
            if ctx.spent():
                break  # the rest in the next round (their dates have not moved)

    async def _advance(self, ctx: Context, contract: Contract, visit: Visit) -> None:
        now = ctx.now
        who = await self._people(ctx, visit)
        if contract.status == Status.INVITED:
            if now >= visit.ends_at:
                await self._expire(ctx, contract, visit, who)
            return
        # The working day before: a reminder that the visit, and its check-in, are coming.
        if visit.checkin_done_at is None and now >= visit.checkin_at:
            if now < visit.morning_at and contract.status == Status.PLANNED:
                self._coming(ctx, contract, visit, who)
            visit.checkin_done_at = now
        # The day starts: the morning reminder, and the joint check-in (a visit whose check-in
        # opened the working day before, as it once did, keeps it).
        if visit.morning_done_at is None and now >= visit.morning_at:
            if now < visit.ends_at:
                self._morning(ctx, contract, visit, who)
                if contract.status == Status.PLANNED:
                    await self._open_checkin(ctx, contract, visit, who)
            visit.morning_done_at = now
        if visit.end_done_at is None and now >= visit.ends_at:
            await self._open_reflection(ctx, contract, visit, who)
            visit.end_done_at = now
        pending = [
            at
            for at, done in (
                (visit.checkin_at, visit.checkin_done_at),
                (visit.morning_at, visit.morning_done_at),
                (visit.ends_at, visit.end_done_at),
            )
            if done is None
        ]
        contract.followup_at = min(pending, default=None)
        ctx.db.add(visit)
        ctx.db.add(contract)

    async def _expire(self, ctx: Context, contract: Contract, visit: Visit, who: dict[str, Person]) -> None:
        contract.status, contract.followup_at, contract.updated_at = Status.EXPIRED, None, ctx.now
        ctx.db.add(contract)
        ctx.audit("visit.expired", None, contract.id)
        colleague, agent = who[COLLEAGUE], who[AGENT]
        await ctx.close_buttons(ctx.t(colleague, "visit.expired_note"), ref=f"visit:{contract.id}:invitation")
        ctx.post(
            agent,
            paragraph(ctx.t(agent, "visit.expired_agent", name=colleague, date=self._date(ctx, agent, visit))),
        )

    async def _open_checkin(self, ctx: Context, contract: Contract, visit: Visit, who: dict[str, Person]) -> None:
        assert contract.id is not None  # read from the table
        contract.status, contract.updated_at = Status.CHECKIN, ctx.now
        dialog = ctx.texts.dialogs[FLOW]
        for role in ROLES:
            person, other = who[role], who[COLLEAGUE if role == AGENT else AGENT]
            intro = ctx.t(
                person,
                f"visit.intro_checkin_{role}",
                name=other,
                date=self._date(ctx, person, visit),
                count=len(dialog.script("checkin", role)),
            )
            await self.conversations.open(
                ctx, person, flow=FLOW, phase="checkin", role=role, contract_ids=[contract.id], intro=paragraph(intro)
            )

    def _coming(self, ctx: Context, contract: Contract, visit: Visit, who: dict[str, Person]) -> None:
        for role in ROLES:
            person, other = who[role], who[COLLEAGUE if role == AGENT else AGENT]
            text = ctx.t(
                person,
                f"visit.coming_{role}",
                name=other,
                date=self._date(ctx, person, visit),
                length=self._length(ctx, person, visit),
                start=self._clock(ctx, person, visit.morning_at),
                end=self._clock(ctx, person, visit.ends_at),
            )
            ctx.post(
                person,
                Message(
                    text=text,
                    blocks=[
                        Heading(text=ctx.t(person, "visit.coming_title", date=self._date(ctx, person, visit))),
                        Paragraph(text=text),
                    ],
                ),
                dedupe=f"visit:{contract.id}:coming:{role}",
            )

    def _morning(self, ctx: Context, contract: Contract, visit: Visit, who: dict[str, Person]) -> None:
        for role in ROLES:
            person, other = who[role], who[COLLEAGUE if role == AGENT else AGENT]
            text = ctx.t(person, f"visit.morning_{role}", name=other, end=self._clock(ctx, person, visit.ends_at))
            ctx.post(
                person,
                Message(text=text, blocks=[Heading(text=ctx.t(person, "visit.morning_title")), Paragraph(text=text)]),
                dedupe=f"visit:{contract.id}:morning:{role}",
            )

    async def _open_reflection(self, ctx: Context, contract: Contract, visit: Visit, who: dict[str, Person]) -> None:
        assert contract.id is not None  # read from the table
        if contract.status not in (Status.PLANNED, Status.CHECKIN, Status.READY):
            return
        # A check-in never finished is over with the day: its questions and buttons go.
        for role in ROLES:
            for session in await self.conversations.open_sessions(ctx, who[role], FLOW, contract_id=contract.id):
                await self.conversations.end(ctx, session)
            await ctx.close_buttons(
                ctx.t(who[role], "visit.checkin_over_note"), ref=f"visit:{contract.id}:checkin:{who[role].id}"
            )
        contract.status, contract.updated_at = Status.REFLECTION, ctx.now
        dialog = ctx.texts.dialogs[FLOW]
        for role in ROLES:
            person, other = who[role], who[COLLEAGUE if role == AGENT else AGENT]
            intro = ctx.t(
                person,
                f"visit.intro_reflection_{role}",
                name=other,
                count=len(dialog.script("reflection", role)),
            )
            await self.conversations.open(
                ctx,
                person,
                flow=FLOW,
                phase="reflection",
                role=role,
                contract_ids=[contract.id],
                intro=paragraph(intro),
            )

    # ---- answers ------------------------------------------------------

    async def _answers(self, ctx: Context, contract: Contract, phase: str) -> dict[str, dict[str, str | None]]:
        rows = (
            await ctx.db.exec(
                select(Answer).where(Answer.contract_id == contract.id, Answer.phase == phase).order_by(col(Answer.id))
            )
        ).all()
        found: dict[str, dict[str, str | None]] = {role: {} for role in ROLES}
        for row in rows:
            found.setdefault(row.role, {})[row.question_key] = row.text
        return found

    async def _both_blocks(
        self, ctx: Context, viewer: Person, contract: Contract, phase: str, who: dict[str, Person]
    ) -> list[Block]:
        """Both parties' answers, a question at a time: one asked of both shows them side by side."""
        dialog, lang = ctx.texts.dialogs[FLOW], ctx.language(viewer)
        answers = await self._answers(ctx, contract, phase)
        skipped = ctx.t(viewer, "dialog.skipped")
        blocks: list[Block] = []
        for key in dialog.phases[phase].questions:
            title = dialog.questions[key].title(lang)
            asked = [role for role in ROLES if key in dialog.script(phase, role)]
            if len(asked) > 1:
                columns = [Column(label=who[r].display_name, text=answers[r].get(key) or skipped) for r in asked]
                blocks.append(Columns(title=title, columns=columns))
                continue
            for role in asked:
                blocks.append(
                    Quote(
                        label=ctx.t(viewer, "visit.answer_label", title=title, name=who[role]),
                        text=answers[role].get(key) or skipped,
                    )
                )
        return blocks

    async def on_sent(
        self, ctx: Context, session: DialogSession, person: Person, answers: dict[str, str | None]
    ) -> None:
        found = await self._load(ctx, session.contract_id)
        wanted = {
            "checkin": ("checkin",),
            "reflection": ("reflection",),
            "points": ("points", "points_confirm") if session.role == AGENT else ("points_review",),
        }[session.phase]
        if found is None or found[0].status not in wanted:
            ctx.post(person, paragraph(ctx.t(person, "visit.too_late")))
            return
        contract, visit = found
        who = await self._people(ctx, visit)
        if session.phase == "points":
            if contract.status == Status.POINTS:
                await self._points_drafted(ctx, contract, visit, who, answers)
            else:
                await self._points_revised(ctx, contract, visit, who, session.role, answers)
            return
        # Both may send at the same moment (on two instances): the second waits for the first's
        # commit and then sees its answers, so both are shown both sets, once.
        await ctx.db.exec(select(Contract.id).where(Contract.id == contract.id).with_for_update())
        await store_answers(ctx.db, contract, person, session.role, session.phase, answers, ctx.now)
        other = who[COLLEAGUE if session.role == AGENT else AGENT]
        if not all([await submitted(ctx.db, contract, r, session.phase) for r in ROLES]):
            ctx.post(person, paragraph(ctx.t(person, f"visit.{session.phase}_waiting", name=other)))
            return
        if session.phase == "checkin":
            await self._show_checkin(ctx, contract, visit, who)
        else:
            await self._show_reflections(ctx, contract, visit, who)

    async def _show_checkin(self, ctx: Context, contract: Contract, visit: Visit, who: dict[str, Person]) -> None:
        for role in ROLES:
            viewer = who[role]
            intro = ctx.t(viewer, "visit.checkin_both", date=self._date(ctx, viewer, visit))
            blocks = [
                Heading(text=ctx.t(viewer, "visit.checkin_title")),
                Paragraph(text=intro),
                *await self._both_blocks(ctx, viewer, contract, "checkin", who),
                Paragraph(text=ctx.t(viewer, "visit.confidentiality")),
            ]
            ctx.post(
                viewer,
                with_buttons(
                    intro,
                    Button(
                        label=ctx.t(viewer, "visit.confirm"),
                        action="visit:confirm",
                        value=str(contract.id),
                        style="primary",
                    ),
                    blocks=blocks,
                ),
                ref=f"visit:{contract.id}:checkin:{viewer.id}",
            )

    async def _show_reflections(self, ctx: Context, contract: Contract, visit: Visit, who: dict[str, Person]) -> None:
        assert contract.id is not None  # read from the table
        contract.status, contract.updated_at = Status.POINTS, ctx.now
        ctx.db.add(contract)
        for role in ROLES:
            viewer = who[role]
            intro = ctx.t(viewer, "visit.reflection_both")
            ctx.post(
                viewer,
                Message(
                    text=intro,
                    blocks=[
                        Heading(text=ctx.t(viewer, "visit.reflection_title")),
                        Paragraph(text=intro),
                        *await self._both_blocks(ctx, viewer, contract, "reflection", who),
                    ],
                ),
            )
        agent, colleague = who[AGENT], who[COLLEAGUE]
        ctx.post(colleague, paragraph(ctx.t(colleague, "visit.points_coming", name=agent)))
        await self.conversations.open(
            ctx,
            agent,
            flow=FLOW,
            phase="points",
            role=AGENT,
            contract_ids=[contract.id],
            intro=paragraph(ctx.t(agent, "visit.intro_points", name=colleague)),
        )

    # ---- the three learning points ------------------------------------
    def _point_blocks(self, ctx: Context, viewer: Person, points: list[str]) -> list[Block]:
        return [Quote(label=ctx.t(viewer, "visit.point_label", number=n), text=p) for n, p in enumerate(points, 1)]

    async def _points_drafted(
        self, ctx: Context, contract: Contract, visit: Visit, who: dict[str, Person], answers: dict[str, str | None]
    ) -> None:
        agent = who[AGENT]
        await store_answers(ctx.db, contract, agent, AGENT, "points", answers, ctx.now)
        visit.points = [answers[k] or "" for k in ("point1", "point2", "point3")]
        ctx.db.add(visit)
        contract.status, contract.updated_at = Status.POINTS_REVIEW, ctx.now
        ctx.db.add(contract)
        ctx.post(agent, paragraph(ctx.t(agent, "visit.points_sent", name=who[COLLEAGUE])))
        self._ask_review(ctx, contract, visit, who)

    def _ask_review(self, ctx: Context, contract: Contract, visit: Visit, who: dict[str, Person]) -> None:
        """The points to the one who reviews them now (`REVIEWER`), with Bekræft and Ret."""
        role = REVIEWER[Status(contract.status)]
        reviewer, author = who[role], who[AGENT if role == COLLEAGUE else COLLEAGUE]
        # The agent's first draft, or a version one of them edited (which is every later one).
        key = "visit.points_review_edited" if visit.points_edited else "visit.points_review"
        text = ctx.t(reviewer, key, name=author)
        value = f"{contract.id}:{contract.round}"
        ctx.post(
            reviewer,
            with_buttons(
                text,
                Button(
                    label=ctx.t(reviewer, "visit.points_ok"), action="visit:points_ok", value=value, style="primary"
                ),
                Button(label=ctx.t(reviewer, "visit.points_edit"), action="visit:points_edit", value=value),
                blocks=[
                    Heading(text=ctx.t(reviewer, "visit.points_title")),
                    Paragraph(text=text),
                    *self._point_blocks(ctx, reviewer, visit.points),
                ],
            ),
            ref=f"visit:{contract.id}:points:{contract.round}",
        )

    async def _points_revised(
        self,
        ctx: Context,
        contract: Contract,
        visit: Visit,
        who: dict[str, Person],
        role: str,
        answers: dict[str, str | None],
    ) -> None:
        """The reviewer sent the points from the edit dialog: unchanged, they are agreed; changed,
        the other confirms the new version (either may edit, both confirm)."""
        person = who[role]
        await store_answers(ctx.db, contract, person, role, "points", answers, ctx.now)
        edited = [answers[k] or "" for k in ("point1", "point2", "point3")]
        if edited == visit.points:
            await self._points_agreed(ctx, contract, visit, who, person)
            return
        visit.points, visit.points_edited = edited, True
        ctx.db.add(visit)
        contract.status = Status.POINTS_CONFIRM if role == COLLEAGUE else Status.POINTS_REVIEW
        contract.round, contract.updated_at = contract.round + 1, ctx.now
        ctx.db.add(contract)
        other = who[AGENT if role == COLLEAGUE else COLLEAGUE]
        ctx.post(person, paragraph(ctx.t(person, "visit.points_edit_sent", name=other)))
        self._ask_review(ctx, contract, visit, who)

    async def _points_agreed(
        self, ctx: Context, contract: Contract, visit: Visit, who: dict[str, Person], confirmer: Person
    ) -> None:
        """The reviewer confirmed the version the other wrote: the points are agreed by both."""
        ctx.db.add(visit)
        contract.status, contract.updated_at, contract.closed_at = Status.DONE, ctx.now, ctx.now
        ctx.db.add(contract)
        ctx.audit("visit.points_agreed", confirmer, contract.id, edited=visit.points_edited)
        agent = who[AGENT]
        # What each reads: who confirmed (the colleague, or the agent after the colleague's edit).
        keys = (
            {AGENT: "visit.points_confirmed_agent", COLLEAGUE: "visit.points_confirmed_colleague"}
            if confirmer.id != agent.id
            else {AGENT: "visit.points_confirmed_agent_self", COLLEAGUE: "visit.points_confirmed_colleague_other"}
        )
        for role in ROLES:
            viewer = who[role]
            other = who[COLLEAGUE] if role == AGENT else agent
            text = ctx.t(viewer, keys[role], name=other)
            blocks = [
                Heading(text=ctx.t(viewer, "visit.points_final_title")),
                Paragraph(text=text),
                *self._point_blocks(ctx, viewer, visit.points),
            ]
            if role == AGENT:
                ctx.post(
                    viewer,
                    with_buttons(
                        text,
                        Button(
                            label=ctx.t(viewer, "visit.share"),
                            action="visit:share",
                            value=str(contract.id),
                            style="primary",
                        ),
                        blocks=blocks,
                    ),
                    ref=share_ref(contract),
                )
            else:
                ctx.post(viewer, Message(text=text, blocks=blocks))

    # ---- cancelled ----------------------------------------------------
    async def on_cancelled(self, ctx: Context, session: DialogSession, person: Person) -> None:
        found = await self._load(ctx, session.contract_id)
        if found is None or found[0].status not in LIVE:
            return
        contract, visit = found
        who = await self._people(ctx, visit)
        if session.phase == "points" and REVIEWER.get(Status(contract.status)) == session.role:
            contract.round += 1  # the draft waits again, with fresh buttons
            ctx.db.add(contract)
            ctx.post(person, paragraph(ctx.t(person, "visit.points_edit_dropped")))
            self._ask_review(ctx, contract, visit, who)
            return
        contract.status, contract.followup_at, contract.updated_at = Status.CANCELLED, None, ctx.now
        ctx.db.add(contract)
        ctx.audit("visit.cancelled", person, contract.id)
        for role in ROLES:
            other = who[role]
            if other.id == person.id:
                continue
            ctx.post(other, paragraph(ctx.t(other, "visit.cancelled_other", name=person)))
            for open_ in await self.conversations.open_sessions(ctx, other, FLOW, contract_id=contract.id):
                await self.conversations.end(ctx, open_)
            await ctx.close_buttons(ctx.t(other, "visit.cancelled_note"), ref=f"visit:{contract.id}:checkin:{other.id}")
        ctx.post(person, paragraph(ctx.t(person, "visit.cancelled_self")))

    # ---- buttons ------------------------------------------------------
    @cached_property  # built once: every press reads it
    def lifecycle(self) -> Lifecycle:
        # The table, a row a button, as rows rather than as the formatter would wrap them.
        # fmt: off
        S = Status

        def colleague(step: str, handler: Handler, to: str | None, *, round: bool = False) -> Press:
            return Press(step, roles(COLLEAGUE), states(step_states[step]), handler, to=to, refuse="visit.only",
                         whom=named(COLLEAGUE), round=round)

        def agent(step: str, handler: Handler) -> Press:
            return Press(step, roles(AGENT), states(S.DONE), handler, to=None, refuse="visit.only",
                         whom=named(AGENT))

        step_states = {"accept": S.INVITED, "decline": S.INVITED}
        presses = (
            colleague("accept", self._accept_pressed, S.PLANNED),
            colleague("decline", self._decline_pressed, S.DECLINED),
            # Both confirm; the second makes the visit ready (a Move).
            Press("confirm", roles(AGENT, COLLEAGUE), states(S.CHECKIN), self._confirm_pressed, to=None,
                  refuse="visit.only", whom=named(AGENT, COLLEAGUE), guard=self._unconfirmed),
            # The version shown is confirmed, or edited, by the one who did not write it (`REVIEWER`).
            Press("points_ok", roles(AGENT, COLLEAGUE), states(S.POINTS_REVIEW, S.POINTS_CONFIRM), self._points_ok,
                  to=S.DONE, refuse="visit.only", whom=self._reviewer, round=True, check=self._not_reviewer),
            Press("points_edit", roles(AGENT, COLLEAGUE), states(S.POINTS_REVIEW, S.POINTS_CONFIRM),
                  self._points_edit, to=None, refuse="visit.only", whom=self._reviewer, round=True,
                  check=self._not_reviewer),
            # After the visit: the agent brings the learning points to a learning meeting.
            agent("share", self._share_offer),
            agent("share_to", self._share_to),
            # Or to a later staff meeting: both get the points laid out to present.
            agent("staff", self._staff_meeting),
        )
        return Lifecycle(flow=FLOW, states=Status, start=S.INVITED, final=FINAL, moves=MOVES, turns=TURNS,
                         clock=CLOCK, presses=presses)
        # fmt: on

    async def on_action(self, ctx: Context, action: ActionIn, person: Person) -> None:
        await press(ctx, self.lifecycle, action, person)

    async def _visit(self, ctx: Context, pressed: Pressed) -> Visit:
        found = await self._load(ctx, pressed.contract.id)
        assert found is not None, pressed.contract.id
        return found[1]

    async def _unconfirmed(self, ctx: Context, pressed: Pressed) -> bool:
        """The presser has not confirmed the check-in yet."""
        return (
            await ctx.db.exec(
                select(Approval.id).where(
                    Approval.contract_id == pressed.contract.id,
                    Approval.decision == CONFIRMED,
                    Approval.approver_id == pressed.person.id,
                )
            )
        ).first() is None

    async def _accept_pressed(self, ctx: Context, pressed: Pressed) -> None:
        await self._accept(ctx, pressed.contract, await self._visit(ctx, pressed), pressed.who)

    async def _decline_pressed(self, ctx: Context, pressed: Pressed) -> None:
        await self._decline(ctx, pressed.contract, await self._visit(ctx, pressed), pressed.who)

    async def _confirm_pressed(self, ctx: Context, pressed: Pressed) -> None:
        await self._confirm(ctx, pressed.contract, await self._visit(ctx, pressed), pressed.who, pressed.person)

    @staticmethod
    async def _reviewer(ctx: Context, pressed: Pressed) -> dict[str, object]:
        """The wrong-person answer's `{name}`: the one who reviews the points now."""
        role = REVIEWER.get(Status(pressed.contract.status), COLLEAGUE)
        return {"name": pressed.who[role]}

    async def _not_reviewer(self, ctx: Context, pressed: Pressed) -> str | None:
        """A party who is not the reviewer now (the author of the version shown) is refused."""
        role = REVIEWER.get(Status(pressed.contract.status))
        if role is None or role in pressed.roles:
            return None
        return ctx.t(pressed.person, "visit.only", **await self._reviewer(ctx, pressed))

    async def _points_ok(self, ctx: Context, pressed: Pressed) -> None:
        contract, person = pressed.contract, pressed.person
        await ctx.close_buttons(
            ctx.t(person, "visit.points_ok_note"), ref=f"visit:{contract.id}:points:{contract.round}"
        )
        await self._points_agreed(ctx, contract, await self._visit(ctx, pressed), pressed.who, person)

    async def _points_edit(self, ctx: Context, pressed: Pressed) -> None:
        contract, person = pressed.contract, pressed.person
        assert contract.id is not None  # read from the table
        if await self.conversations.open_sessions(ctx, person, FLOW, contract_id=contract.id, phase="points"):
            return
        visit = await self._visit(ctx, pressed)
        await ctx.close_buttons(
            ctx.t(person, "visit.points_editing_note"), ref=f"visit:{contract.id}:points:{contract.round}"
        )
        role = REVIEWER[Status(contract.status)]
        author = pressed.who[AGENT if role == COLLEAGUE else COLLEAGUE]
        await self.conversations.open(
            ctx,
            person,
            flow=FLOW,
            phase="points",
            role=role,
            contract_ids=[contract.id],
            intro=paragraph(ctx.t(person, "visit.intro_points_edit", name=author)),
            answers=dict(zip(("point1", "point2", "point3"), visit.points, strict=False)),
        )

    async def _share_offer(self, ctx: Context, pressed: Pressed) -> None:
        await self.sharing.offer(ctx, pressed.action, pressed.contract, await self._visit(ctx, pressed), pressed.person)

    async def _share_to(self, ctx: Context, pressed: Pressed) -> None:
        await self.sharing.share(
            ctx,
            pressed.action,
            pressed.contract,
            await self._visit(ctx, pressed),
            pressed.who,
            pressed.person,
            pressed.rest,
        )

    async def _staff_meeting(self, ctx: Context, pressed: Pressed) -> None:
        await self.sharing.to_staff_meeting(
            ctx, pressed.action, pressed.contract, await self._visit(ctx, pressed), pressed.who, pressed.person
        )

    async def _accept(self, ctx: Context, contract: Contract, visit: Visit, who: dict[str, Person]) -> None:
        colleague = who[COLLEAGUE]
        await ctx.close_buttons(ctx.t(colleague, "visit.accepted_note"), ref=f"visit:{contract.id}:invitation")
        contract.status, contract.updated_at = Status.PLANNED, ctx.now
        ctx.audit("visit.accepted", colleague, contract.id)
        for role in ROLES:
            viewer, other = who[role], who[COLLEAGUE if role == AGENT else AGENT]
            ctx.post(
                viewer,
                paragraph(
                    ctx.t(
                        viewer,
                        f"visit.accepted_{role}",
                        name=other,
                        date=self._date(ctx, viewer, visit),
                        checkin=self._moment(ctx, viewer, max(visit.morning_at, ctx.now)),
                    )
                ),
            )
        if ctx.now >= visit.checkin_at:  # accepted after the reminder's moment: this says it all
            visit.checkin_done_at = ctx.now
        await self._advance(ctx, contract, visit)  # a visit booked for today: the check-in may be due already

    async def _decline(self, ctx: Context, contract: Contract, visit: Visit, who: dict[str, Person]) -> None:
        agent, colleague = who[AGENT], who[COLLEAGUE]
        await ctx.close_buttons(ctx.t(colleague, "visit.declined_note"), ref=f"visit:{contract.id}:invitation")
        contract.status, contract.followup_at, contract.updated_at = Status.DECLINED, None, ctx.now
        ctx.db.add(contract)
        ctx.audit("visit.declined", colleague, contract.id)
        ctx.post(
            agent,
            paragraph(ctx.t(agent, "visit.declined_agent", name=colleague, date=self._date(ctx, agent, visit))),
        )
        ctx.post(colleague, paragraph(ctx.t(colleague, "visit.declined_colleague", name=agent)))

    async def _confirm(
        self, ctx: Context, contract: Contract, visit: Visit, who: dict[str, Person], person: Person
    ) -> None:
        confirmed = {
            a.approver_id
            for a in (
                await ctx.db.exec(
                    select(Approval).where(Approval.contract_id == contract.id, Approval.decision == CONFIRMED)
                )
            ).all()
        }
        decide(ctx.db, contract, person, CONFIRMED, ctx.now)
        ctx.audit("visit.checkin_confirmed", person, contract.id)
        await ctx.close_buttons(
            ctx.t(person, "visit.confirmed_note", name=person, date=ctx.day(person, ctx.now)),
            ref=f"visit:{contract.id}:checkin:{person.id}",
        )
        other = who[COLLEAGUE] if person.id == visit.agent_id else who[AGENT]
        if other.id not in confirmed:
            ctx.post(person, paragraph(ctx.t(person, "visit.confirmed_waiting", name=other)))
            ctx.post(other, paragraph(ctx.t(other, "visit.confirmed_by_other", name=person)))
            return
        contract.status, contract.updated_at = Status.READY, ctx.now
        ctx.db.add(contract)
        for role in ROLES:
            viewer = who[role]
            ctx.post(
                viewer,
                paragraph(
                    ctx.t(
                        viewer,
                        "visit.ready",
                        time=self._clock(ctx, viewer, visit.ends_at),
                    )
                ),
            )

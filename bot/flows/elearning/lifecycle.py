"""Læringskontrakt med medarbejderen (PRODUCT.md §2.1).

    before ──both sent──▶ review ──Godkend──▶ approved ──course done / follow-up date──▶ after
      ▲                     │ Bed om ændringer                                            │ both sent
      └──── changes ◀───────┘ (employee re-answers and re-sends)          closed ◀─Afslut─ after_review

The leader answers once for a group: their session covers every contract of
the group, and their answers are stored on each.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlmodel import col, select

from bot.core.dates import parse_date
from bot.core.events import ActionIn, CommandIn
from bot.core.forms import Field, Form, date_value
from bot.core.ids import record_id
from bot.core.messages import (
    Block,
    Button,
    Buttons,
    Column,
    Columns,
    Heading,
    Message,
    Note,
    Paragraph,
    Quote,
    paragraph,
    with_buttons,
)
from bot.flows.context import Context
from bot.flows.elearning.states import AWAITING_FOLLOWUP, CLOCK, EMPLOYEE, FINAL, FLOW, LEADER, MOVES, TURNS, Status
from bot.flows.export import button as export_button
from bot.flows.lifecycle import Lifecycle, Press, Pressed, already, named, press, roles, states
from bot.flows.parts import Command, ContractFlow, Start, cannot_take_part
from bot.storage.contracts import decide, given_answers, store_answers, submitted
from bot.storage.models import Contract, DialogSession, Party, Person, Submission


def _ids(contracts: list[Contract]) -> list[int]:
    """The ids of contracts read from the database (or flushed to it)."""
    ids = [c.id for c in contracts if c.id is not None]
    assert len(ids) == len(contracts)
    return ids


# The last word of `/laering kontrakt` read as the follow-up date: numbers with - / or . between
# them (15-01-2027, 15/1/27, 2027-01-15); one that is no real date is refused, not kept in the title.
DATE_LIKE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
COURSE_MAX = 150  # a course's name as the overview shows it whole
# Follow-ups a round of the clock reads at once; it starts as many as its share of time allows.
FOLLOWUPS_AT_ONCE = 20

# `/laering kontrakt` alone, and **Ny kontrakt**: one employee, the course, maybe the follow-up
# date (its texts: `forms.elearning.…` in the catalogue).
FORM = Form(
    name="elearning",
    fields=(
        Field("employee", "person", not_self=True),
        Field("course", "text", max_length=COURSE_MAX),
        Field("followup", "date", required=False, not_past=True),
    ),
)


# The reads made at every answer, built once with their parameters bound at each use:
# building and keying a statement costs more than running it (bench/e2e.py).
_PARTY = (
    select(Person)
    .join(Party, col(Party.person_id) == col(Person.id))
    .where(Party.contract_id == bindparam("contract"), Party.role == bindparam("role"))
)
_CONTRACTS = select(Contract).where(col(Contract.id).in_(bindparam("ids", expanding=True))).order_by(col(Contract.id))
_TITLES_AND_EMPLOYEES = (
    select(Contract.title, Person)
    .join(Party, col(Party.contract_id) == col(Contract.id))
    .join(Person, col(Person.id) == col(Party.person_id))
    .where(col(Contract.id).in_(bindparam("ids", expanding=True)), Party.role == EMPLOYEE)
    .order_by(col(Contract.id))
)


class ElearningFlow(ContractFlow):
    name = FLOW

    @property
    def commands(self) -> tuple[Command, ...]:
        # `kontrakt @medarbejder …`; in Teams' personal chat only with someone named, or alone
        # (the word alone opens the form).
        return (
            Command(
                "commands.contract",
                self.command,
                shape=lambda words, named: named or len(words) == 1,
                start=Start(FORM, self.submit_form),
            ),
        )

    # ---- /laering kontrakt @medarbejder [@…] <kursus> [DD-MM-ÅÅÅÅ] ----------
    async def command(
        self, ctx: Context, cmd: CommandIn, leader: Person, people: dict[str, Person], words: list[str]
    ) -> None:
        def refuse(text: str) -> None:
            """The reason, then how the command is written (once, when the reason is the usage)."""
            usage = ctx.t(leader, "elearning.usage")
            blocks: list[Block] = [Paragraph(text=text), *([Paragraph(text=usage)] if text != usage else [])]
            ctx.respond(leader, cmd.response_url, Message(text=text, blocks=blocks))

        if not cmd.mentions:
            refuse(ctx.t(leader, "elearning.usage"))
            return
        employees: list[Person] = []
        for external_id in dict.fromkeys(cmd.mentions):
            employee = people.get(external_id)
            if (problem := cannot_take_part(ctx, leader, employee, external_id, FLOW)) is not None:
                refuse(problem)
                return
            assert employee is not None  # cannot_take_part said so
            employees.append(employee)
        followup = None
        if words and DATE_LIKE.match(words[-1]):
            written, words = words[-1], words[:-1]
            # An example a month ahead, in the leader's time zone: never itself in the past.
            today = ctx.now.astimezone(ZoneInfo(ctx.tz(leader))).date()
            example = (today + timedelta(days=30)).strftime("%d-%m-%Y")
            if (day := parse_date(written)) is None:
                refuse(ctx.t(leader, "elearning.unreadable_date", date=written, example=example))
                return
            if (followup := self._followup_at(ctx, leader, day)) is None:
                refuse(ctx.t(leader, "elearning.bad_date", date=written, example=example))
                return
        await self._begin(ctx, leader, employees, " ".join(words).strip(), followup, cmd.response_url)

    # ---- the form: the same start, the fields filled in instead of typed ----------
    async def submit_form(
        self, ctx: Context, leader: Person, values: dict[str, str], picked: dict[str, Person]
    ) -> dict[str, str]:
        """`/laering kontrakt` alone, or **Ny kontrakt**: the employee, the course, maybe the
        follow-up date, checked as the typed command checks them."""
        employee = picked.get(values["employee"])
        if (problem := cannot_take_part(ctx, leader, employee, values["employee"], FLOW)) is not None:
            return {"employee": problem}
        assert employee is not None  # cannot_take_part said so
        day = date_value(values.get("followup"))
        followup = self._followup_at(ctx, leader, day) if day is not None else None
        if day is not None and followup is None:
            return {"followup": ctx.t(leader, "forms.elearning.followup.past_date")}
        await self._begin(ctx, leader, [employee], values["course"], followup, None)
        return {}

    @staticmethod
    def _followup_at(ctx: Context, leader: Person, day: date) -> datetime | None:
        """The follow-up on that day (09:00, the leader's time); None when that has passed."""
        followup = datetime.combine(day, time(9), ZoneInfo(ctx.tz(leader)))
        return followup if followup > ctx.now else None

    async def _begin(
        self,
        ctx: Context,
        leader: Person,
        employees: list[Person],
        title: str,
        followup: datetime | None,
        response_url: str | None,
    ) -> None:
        """Start the contracts, or first ask when the leader has this course open with them."""
        if not title and (default := ctx.texts.dialogs[FLOW].default_title):
            title = default(ctx.language(leader))
        if open_already := await self._open_on(ctx, leader, employees, title):
            self._ask_again(ctx, leader, employees, title, followup, open_already)
            return
        await self.start(ctx, leader, employees, title, followup, response_url)

    @staticmethod
    def _intro(ctx: Context, person: Person, text: str) -> Message:
        """A start's intro, with what the contract is for (the seed's own purpose) beneath."""
        return Message(text=text, blocks=[Paragraph(text=text), Note(text=ctx.t(person, "elearning.purpose"))])

    # ---- the same course again -----------------------------------------
    async def _open_on(
        self, ctx: Context, leader: Person, employees: list[Person], title: str
    ) -> dict[int, list[Person]]:
        """The leader's live contracts on this course with any of these employees: id -> with whom."""
        by_id = {e.id: e for e in employees}
        rows = (
            await ctx.db.exec(
                select(Contract, Party.person_id)
                .join(Party, col(Party.contract_id) == col(Contract.id))
                .where(
                    Contract.flow == FLOW,
                    col(Contract.status).not_in(sorted(FINAL)),
                    col(Party.person_id).in_(list(by_id)),
                    Party.role == EMPLOYEE,
                    col(Contract.id).in_(
                        select(Party.contract_id).where(Party.person_id == leader.id, Party.role == LEADER)
                    ),
                )
                .order_by(col(Contract.id))
            )
        ).all()
        found: dict[int, list[Person]] = {}
        for contract, person_id in rows:
            if contract.id is not None and contract.title.casefold().strip() == title.casefold():
                found.setdefault(contract.id, []).append(by_id[person_id])
        return found

    def _ask_again(
        self,
        ctx: Context,
        leader: Person,
        employees: list[Person],
        title: str,
        followup: datetime | None,
        open_already: dict[int, list[Person]],
    ) -> None:
        """Asked first, with the start in the buttons' value: who, the date, the course."""
        nonce = uuid.uuid4().hex[:16]
        people = ",".join(str(e.id) for e in employees)
        # The follow-up as the date the leader wrote (it is at 09:00 their time): no colons.
        day = followup.astimezone(ZoneInfo(ctx.tz(leader))).date().isoformat() if followup else ""
        value = f"{leader.id}:{nonce}:{day}:{people}:{title}"
        text = ctx.t(
            leader,
            "elearning.duplicate_ask",
            title=title,
            names=ctx.names(leader, list({p.id: p for ps in open_already.values() for p in ps}.values())),
            numbers=", ".join(str(number) for number in open_already),
        )
        ctx.post(
            leader,
            with_buttons(
                text,
                Button(
                    label=ctx.t(leader, "elearning.start_again"),
                    action="elearning:start_again",
                    value=value,
                    style="primary",
                ),
                Button(label=ctx.t(leader, "elearning.keep_open"), action="elearning:keep_open", value=value),
            ),
            ref=f"elearning:again:{nonce}",
        )

    async def _answer_again(self, ctx: Context, action: ActionIn, leader: Person) -> None:
        """Start en ny / Nej: once, by the leader who was asked."""
        step = action.action.partition(":")[2]
        parts = action.value.split(":", 4)  # the course's name, last, may hold colons
        if len(parts) != 5 or record_id(parts[0]) != leader.id or not parts[1]:
            ctx.stale(leader, action.response_url)
            return
        _, nonce, day, people, title = parts
        key = "elearning.started_again_note" if step == "start_again" else "elearning.kept_note"
        note = ctx.t(leader, key, date=ctx.day(leader, ctx.now))
        if not await ctx.close_buttons(note, ref=f"elearning:again:{nonce}"):
            ctx.stale(leader, action.response_url)  # answered already
            return
        if step != "start_again":
            return
        employees = [p for i in people.split(",") if (pid := record_id(i)) and (p := await ctx.db.get(Person, pid))]
        if not employees or any(p.deleted_at is not None for p in employees):
            ctx.stale(leader, action.response_url)
            return
        followup = None
        if day:
            followup = datetime.combine(date.fromisoformat(day), time(9), ZoneInfo(ctx.tz(leader)))
            followup = followup if followup > ctx.now else None  # asked long ago: the default then
        # Said in the DM, where the question was: a press's own answer is the closed question.
        await self.start(ctx, leader, employees, title, followup, None)

    # ---- reading ------------------------------------------------------
    async def party(self, ctx: Context, contract: Contract, role: str) -> Person:
        result = await ctx.db.exec(_PARTY, params={"contract": contract.id, "role": role})
        return result.one()

    async def contracts(self, ctx: Context, ids: list[int]) -> list[Contract]:
        result = await ctx.db.exec(_CONTRACTS, params={"ids": ids})
        return list(result.all())

    async def group(self, ctx: Context, contract: Contract) -> list[Contract]:
        if contract.group_key is None:
            return [contract]
        result = await ctx.db.exec(
            select(Contract).where(Contract.group_key == contract.group_key).order_by(col(Contract.id))
        )
        return list(result.all())

    async def placeholders(self, ctx: Context, session: DialogSession) -> dict[str, str]:
        """The course's title and the employees' names, read at every question: one statement."""
        rows = (await ctx.db.exec(_TITLES_AND_EMPLOYEES, params={"ids": session.contract_ids})).all()
        viewer = await ctx.person(session.person_id)
        return {"other": ctx.names(viewer, [p for _, p in rows]), "title": rows[0][0] if rows else ""}

    async def title(self, ctx: Context, session: DialogSession) -> str:
        contracts = await self.contracts(ctx, session.contract_ids)
        return contracts[0].title if contracts else ""

    # ---- start --------------------------------------------------------
    async def start(
        self,
        ctx: Context,
        leader: Person,
        employees: list[Person],
        title: str,
        followup_at: datetime | None,
        response_url: str | None,
    ) -> None:
        assert leader.id is not None  # in the database
        dialog = ctx.texts.dialogs[FLOW]
        if not title and dialog.default_title:
            title = dialog.default_title(ctx.language(leader))
        followup_at = followup_at or ctx.now + timedelta(days=ctx.settings.followup_days)
        group_key = uuid.uuid4().hex if len(employees) > 1 else None
        contracts: list[Contract] = []
        for employee in employees:
            contract = Contract(
                flow=FLOW,
                title=title,
                status=Status.BEFORE,
                group_key=group_key,
                starter_id=leader.id,
                followup_at=followup_at,
                created_at=ctx.now,
                updated_at=ctx.now,
            )
            ctx.db.add(contract)
            await ctx.db.flush()
            assert contract.id is not None and employee.id is not None  # flushed; in the database
            ctx.db.add(Party(contract_id=contract.id, person_id=leader.id, role=LEADER))
            ctx.db.add(Party(contract_id=contract.id, person_id=employee.id, role=EMPLOYEE))
            ctx.audit("contract.created", leader, contract.id, title=title, employee=employee.id)
            contracts.append(contract)
        ctx.respond(
            leader,
            response_url,
            paragraph(ctx.t(leader, "elearning.started_for_leader", title=title, names=ctx.names(leader, employees))),
        )
        count = len(dialog.script("before", LEADER))
        key = "elearning.intro_leader_group" if group_key else "elearning.intro_leader"
        await self.conversations.open(
            ctx,
            leader,
            flow=FLOW,
            phase="before",
            role=LEADER,
            contract_ids=_ids(contracts),
            intro=self._intro(
                ctx, leader, ctx.t(leader, key, names=ctx.names(leader, employees), title=title, count=count)
            ),
        )
        for contract_id, employee in zip(_ids(contracts), employees, strict=True):
            intro = ctx.t(
                employee,
                "elearning.intro_employee",
                leader=leader,
                title=title,
                count=len(dialog.script("before", EMPLOYEE)),
            )
            await self.conversations.open(
                ctx,
                employee,
                flow=FLOW,
                phase="before",
                role=EMPLOYEE,
                contract_ids=[contract_id],
                intro=self._intro(ctx, employee, intro),
            )

    # ---- sessions end -------------------------------------------------
    async def on_sent(
        self, ctx: Context, session: DialogSession, person: Person, answers: dict[str, str | None]
    ) -> None:
        if session.phase == "change_request":
            await self._changes_requested(ctx, session, person, answers["comment"] or "")
            return
        contracts = await self.contracts(ctx, session.contract_ids)
        waiting_for: list[Person] = []
        for contract in contracts:
            if contract.status in (Status.CLOSED, Status.CANCELLED):
                continue
            await store_answers(ctx.db, contract, person, session.role, session.phase, answers, ctx.now)
            other_role = EMPLOYEE if session.role == LEADER else LEADER
            if not await submitted(ctx.db, contract, other_role, session.phase):
                waiting_for.append(await self.party(ctx, contract, other_role))
        if waiting_for:
            unique = list({p.id: p for p in waiting_for}.values())
            ctx.post(person, paragraph(ctx.t(person, "elearning.sent_waiting", names=ctx.names(person, unique))))
        else:
            ctx.post(person, paragraph(ctx.t(person, "elearning.sent_done")))
        for contract in contracts:
            await self._maybe_phase_complete(ctx, contract, session.phase)

    async def _maybe_phase_complete(self, ctx: Context, contract: Contract, phase: str) -> None:
        expected = {"before": ("before", "changes"), "after": ("after",)}[phase]
        if contract.status not in expected:
            return
        if not all([await submitted(ctx.db, contract, r, phase) for r in (LEADER, EMPLOYEE)]):
            return
        leader, employee = await self.party(ctx, contract, LEADER), await self.party(ctx, contract, EMPLOYEE)
        contract.status = Status.REVIEW if phase == "before" else Status.AFTER_REVIEW
        contract.round += 1
        contract.updated_at = ctx.now
        ctx.db.add(contract)
        intro_e = "elearning.compare_intro_employee" if phase == "before" else "elearning.compare_intro_after_employee"
        intro_l = "elearning.compare_intro_leader" if phase == "before" else "elearning.compare_intro_after_leader"
        ctx.post(
            employee,
            await self.comparison(ctx, employee, contract, phase, ctx.t(employee, intro_e, leader=leader)),
        )
        if phase == "before":
            buttons = [
                Button(
                    label=ctx.t(leader, "elearning.approve"),
                    action="elearning:approve",
                    value=f"{contract.id}:{contract.round}",
                    style="primary",
                ),
                Button(
                    label=ctx.t(leader, "elearning.request_changes"),
                    action="elearning:request_changes",
                    value=f"{contract.id}:{contract.round}",
                ),
            ]
        else:
            buttons = [
                Button(
                    label=ctx.t(leader, "elearning.close"),
                    action="elearning:close",
                    value=f"{contract.id}:{contract.round}",
                    style="primary",
                )
            ]
        message = await self.comparison(ctx, leader, contract, phase, ctx.t(leader, intro_l, name=employee))
        message.blocks.append(Buttons(buttons=buttons))
        ctx.post(leader, message, ref=f"elearning:{contract.id}:round:{contract.round}")
        if contract.group_key:
            await self._maybe_group_overview(ctx, contract, leader, phase)

    async def comparison(self, ctx: Context, viewer: Person, contract: Contract, phase: str, intro: str) -> Message:
        dialog = ctx.texts.dialogs[FLOW]
        lang = ctx.language(viewer)
        leader, employee = await self.party(ctx, contract, LEADER), await self.party(ctx, contract, EMPLOYEE)
        mine = {
            LEADER: await given_answers(ctx.db, contract, LEADER, phase),
            EMPLOYEE: await given_answers(ctx.db, contract, EMPLOYEE, phase),
        }
        skipped = ctx.t(viewer, "dialog.skipped")
        blocks: list[Block] = [
            Heading(
                text=ctx.t(
                    viewer, "elearning.compare_title", title=contract.title, phase=dialog.phases[phase].name(lang)
                )
            ),
            Paragraph(text=intro),
        ]
        for key in dialog.phases[phase].questions:
            blocks.append(
                Columns(
                    title=dialog.questions[key].title(lang),
                    columns=[
                        Column(
                            label=f"{leader.display_name} ({dialog.roles[LEADER](lang)})",
                            text=mine[LEADER].get(key) or skipped,
                        ),
                        Column(
                            label=f"{employee.display_name} ({dialog.roles[EMPLOYEE](lang)})",
                            text=mine[EMPLOYEE].get(key) or skipped,
                        ),
                    ],
                )
            )
        return Message(text=intro, blocks=blocks)

    async def _maybe_group_overview(self, ctx: Context, contract: Contract, leader: Person, phase: str) -> None:
        """The leader's view of the whole group's answers of a phase, side by side, once every
        employee (and the leader) has sent them: before the course, and after it."""
        group = await self.group(ctx, contract)
        live = [c for c in group if c.status != Status.CANCELLED]
        waiting = (
            (Status.BEFORE, Status.CHANGES)
            if phase == "before"
            else (Status.BEFORE, Status.CHANGES, Status.REVIEW, Status.APPROVED, Status.PRACTICE, Status.AFTER)
        )
        if any(c.status in waiting for c in live):
            return
        dialog = ctx.texts.dialogs[FLOW]
        lang = ctx.language(leader)
        skipped = ctx.t(leader, "dialog.skipped")
        employees = [await self.party(ctx, c, EMPLOYEE) for c in live]
        leader_sets = [await given_answers(ctx.db, c, LEADER, phase) for c in live]
        # The leader answers once for those who are ready together: one column when all agree.
        once = all(answers == leader_sets[0] for answers in leader_sets)
        suffix = "" if phase == "before" else "_after"
        title = ctx.t(leader, f"elearning.group_title{suffix}", title=contract.title)
        blocks: list[Block] = [
            Heading(text=title),
            Paragraph(text=ctx.t(leader, f"elearning.group_intro{suffix}", count=len(live))),
        ]
        role = dialog.roles[LEADER](lang)
        for key in dialog.phases[phase].questions:
            columns = [Column(label=f"{leader.display_name} ({role})", text=leader_sets[0].get(key) or skipped)]
            if not once:
                columns = []
            for c, employee, mine in zip(live, employees, leader_sets, strict=True):
                if not once:
                    label = f"{leader.display_name} ({role}) · {employee.display_name}"
                    columns.append(Column(label=label, text=mine.get(key) or skipped))
                columns.append(
                    Column(
                        label=employee.display_name,
                        text=(await given_answers(ctx.db, c, EMPLOYEE, phase)).get(key) or skipped,
                    )
                )
            blocks.append(Columns(title=dialog.questions[key].title(lang), columns=columns))
        ctx.post(
            leader,
            Message(text=title, blocks=blocks),
            dedupe=f"elearning:group:{contract.group_key}:{phase}:{sum(c.round for c in live)}",
        )

    async def on_cancelled(self, ctx: Context, session: DialogSession, person: Person) -> None:
        if session.phase == "change_request":
            ctx.post(person, paragraph(ctx.t(person, "elearning.comment_dropped")))
            return
        for contract in await self.contracts(ctx, session.contract_ids):
            if contract.status in (Status.CLOSED, Status.CANCELLED):
                continue
            contract.status, contract.updated_at = Status.CANCELLED, ctx.now
            ctx.db.add(contract)
            ctx.audit("contract.cancelled", person, contract.id)
            for role in (LEADER, EMPLOYEE):
                other = await self.party(ctx, contract, role)
                if other.id == person.id:
                    continue
                ctx.post(
                    other,
                    paragraph(ctx.t(other, "elearning.cancelled_other", name=person, title=contract.title)),
                )
                await self._end_sessions(ctx, other, contract)
        title = (await self.contracts(ctx, session.contract_ids))[0].title
        ctx.post(person, paragraph(ctx.t(person, "elearning.cancelled_self", title=title)))

    async def _end_sessions(self, ctx: Context, person: Person, contract: Contract) -> None:
        for session in await self.conversations.open_sessions(ctx, person, FLOW, contract_id=contract.id):
            others = await self.contracts(ctx, [i for i in session.contract_ids if i != contract.id])
            if any(c.status not in (Status.CANCELLED, Status.CLOSED) for c in others):
                continue  # a leader's group session goes on for the rest of the group
            await self.conversations.end(ctx, session)

    # ---- buttons ------------------------------------------------------
    @cached_property  # built once: every press reads it
    def lifecycle(self) -> Lifecycle:
        # The table, a row a button, as rows rather than as the formatter would wrap them.
        # fmt: off
        S, leader = Status, self._leader
        presses = (
            Press("completed", roles(EMPLOYEE), states(S.APPROVED), self._completed, to=S.PRACTICE,
                  refuse="elearning.only_employee", whom=named(EMPLOYEE)),
            # Rather answer the questions after the course now than at the follow-up date.
            Press("answer_now", roles(EMPLOYEE), states(S.PRACTICE), self._answer_now, to=S.AFTER,
                  refuse="elearning.only_employee", whom=named(EMPLOYEE)),
            Press("approve", roles(LEADER), states(S.REVIEW), self._approve, to=S.APPROVED,
                  refuse="elearning.only_leader", whom=leader, round=True),
            # The comment is asked first; sending it moves the contract to `changes`.
            Press("request_changes", roles(LEADER), states(S.REVIEW), self._ask_changes, to=None,
                  refuse="elearning.only_leader", whom=leader, round=True),
            Press("close", roles(LEADER), states(S.AFTER_REVIEW), self._close, to=S.CLOSED,
                  refuse="elearning.only_leader", whom=leader, round=True),
        )
        return Lifecycle(flow=FLOW, states=Status, start=S.BEFORE, final=FINAL, moves=MOVES, turns=TURNS,
                         presses=presses, clock=CLOCK)
        # fmt: on

    async def on_action(self, ctx: Context, action: ActionIn, person: Person) -> None:
        if action.action in ("elearning:start_again", "elearning:keep_open"):
            await self._answer_again(ctx, action, person)
            return
        await press(ctx, self.lifecycle, action, person)

    @staticmethod
    async def _leader(ctx: Context, pressed: Pressed) -> dict[str, object]:
        return {"leader": pressed.who[LEADER]}

    async def _completed(self, ctx: Context, pressed: Pressed) -> None:
        contract, person = pressed.contract, pressed.person
        await ctx.close_buttons(
            ctx.t(person, "elearning.completed_note", date=ctx.day(person, ctx.now)),
            where=pressed.action.message,
            ref=f"elearning:{contract.id}:completed",
        )
        ctx.audit("course.completed", person, contract.id)
        contract.status, contract.updated_at = Status.PRACTICE, ctx.now
        ctx.db.add(contract)
        assert contract.followup_at is not None and contract.id is not None  # set at the start; read from the table
        leader = pressed.who[LEADER]
        date = ctx.day(person, contract.followup_at)
        text = ctx.t(person, "elearning.practice_employee", title=contract.title, date=date)
        ctx.post(
            person,
            with_buttons(
                text,
                Button(
                    label=ctx.t(person, "elearning.answer_now"), action="elearning:answer_now", value=str(contract.id)
                ),
            ),
            ref=f"elearning:{contract.id}:practice",
        )
        ctx.post(
            leader,
            paragraph(
                ctx.t(
                    leader,
                    "elearning.practice_leader",
                    name=person,
                    title=contract.title,
                    date=ctx.day(leader, contract.followup_at),
                )
            ),
        )

    async def _answer_now(self, ctx: Context, pressed: Pressed) -> None:
        contract, person = pressed.contract, pressed.person
        await ctx.close_buttons(
            ctx.t(person, "elearning.answer_now_note", date=ctx.day(person, ctx.now)),
            where=pressed.action.message,
            ref=f"elearning:{contract.id}:practice",
        )
        await self.start_after(ctx, contract, reported=True)

    async def _ask_changes(self, ctx: Context, pressed: Pressed) -> None:
        assert pressed.contract.id is not None  # read from the table
        await self.conversations.open(
            ctx, pressed.person, flow=FLOW, phase="change_request", role=LEADER, contract_ids=[pressed.contract.id]
        )

    async def _approve(self, ctx: Context, pressed: Pressed) -> None:
        contract, leader, employee = pressed.contract, pressed.who[LEADER], pressed.who[EMPLOYEE]
        contract.status, contract.updated_at = Status.APPROVED, ctx.now
        ctx.db.add(contract)
        decide(ctx.db, contract, leader, "approved", ctx.now)
        ctx.audit("contract.approved", leader, contract.id, version=contract.version)
        await ctx.close_buttons(
            ctx.t(leader, "elearning.approved_note", name=leader, date=ctx.day(leader, ctx.now)),
            ref=f"elearning:{contract.id}:round:{contract.round}",
        )
        assert contract.followup_at is not None
        approved = ctx.t(leader, "elearning.approved_leader", name=employee, date=ctx.day(leader, contract.followup_at))
        ctx.post(
            leader,
            with_buttons(approved, export_button(ctx, leader, contract.id)),
        )
        text = ctx.t(
            employee,
            "elearning.approved_employee",
            leader=leader,
            title=contract.title,
            date=ctx.day(employee, contract.followup_at),
        )
        ctx.post(
            employee,
            with_buttons(
                text,
                Button(
                    label=ctx.t(employee, "elearning.completed"),
                    action="elearning:completed",
                    value=str(contract.id),
                    style="primary",
                ),
                export_button(ctx, employee, contract.id),
            ),
            ref=f"elearning:{contract.id}:completed",
        )

    async def _changes_requested(self, ctx: Context, session: DialogSession, leader: Person, comment: str) -> None:
        contract = (await self.contracts(ctx, session.contract_ids))[0]
        assert contract.id is not None  # read from the table
        employee = await self.party(ctx, contract, EMPLOYEE)
        if contract.status != Status.REVIEW:
            already(ctx, self.lifecycle, leader, contract, None)
            return
        contract.status, contract.updated_at = Status.CHANGES, ctx.now
        ctx.db.add(contract)
        decide(ctx.db, contract, leader, "changes_requested", ctx.now, comment=comment)
        ctx.audit("contract.changes_requested", leader, contract.id, comment=comment)
        await ctx.close_buttons(
            ctx.t(leader, "elearning.changes_note", name=leader, date=ctx.day(leader, ctx.now)),
            ref=f"elearning:{contract.id}:round:{contract.round}",
        )
        for row in (
            await ctx.db.exec(
                select(Submission).where(
                    Submission.contract_id == contract.id, Submission.role == EMPLOYEE, Submission.phase == "before"
                )
            )
        ).all():
            await ctx.db.delete(row)
        ctx.post(leader, paragraph(ctx.t(leader, "elearning.changes_leader", name=employee)))
        text = ctx.t(employee, "elearning.changes_employee", leader=leader, title=contract.title)
        intro = Message(
            text=text,
            blocks=[
                Paragraph(text=text),
                Quote(label=leader.display_name, text=comment),
                Paragraph(text=ctx.t(employee, "elearning.changes_employee_next")),
            ],
        )
        await self.conversations.open(
            ctx,
            employee,
            flow=FLOW,
            phase="before",
            role=EMPLOYEE,
            contract_ids=[contract.id],
            intro=intro,
            answers=await given_answers(ctx.db, contract, EMPLOYEE, "before"),
        )

    async def start_after(self, ctx: Context, contract: Contract, reported: bool = False) -> None:
        """The after-course phase: on the employee's word (`reported`: their press closed the
        button and says so) or at the follow-up date (the button says the date came)."""
        assert contract.id is not None  # read from the table
        dialog = ctx.texts.dialogs[FLOW]
        leader, employee = await self.party(ctx, contract, LEADER), await self.party(ctx, contract, EMPLOYEE)
        contract.status, contract.updated_at = Status.AFTER, ctx.now
        ctx.db.add(contract)
        await ctx.db.flush()
        if not reported:  # the follow-up date came: no course button or Svar nu is left live
            for ref in (f"elearning:{contract.id}:completed", f"elearning:{contract.id}:practice"):
                await ctx.close_buttons(
                    ctx.t(employee, "elearning.followup_note", date=ctx.day(employee, ctx.now)), ref=ref
                )
        await self.conversations.open(
            ctx,
            employee,
            flow=FLOW,
            phase="after",
            role=EMPLOYEE,
            contract_ids=[contract.id],
            intro=paragraph(
                ctx.t(
                    employee,
                    "elearning.intro_after_employee",
                    title=contract.title,
                    count=len(dialog.script("after", EMPLOYEE)),
                )
            ),
        )
        if await submitted(ctx.db, contract, LEADER, "after") or await self._leader_asked_after(ctx, leader, contract):
            return
        # One leader session for the contracts of the group whose follow-up has begun and that
        # the leader is not answering yet: each employee's follow-up is their own, and those who
        # finish later get theirs when they do.
        siblings = [
            c
            for c in await self.group(ctx, contract)
            if c.status == Status.AFTER
            and not await submitted(ctx.db, c, LEADER, "after")
            and not await self._leader_asked_after(ctx, leader, c)
        ]
        employees = [await self.party(ctx, c, EMPLOYEE) for c in siblings]
        await self.conversations.open(
            ctx,
            leader,
            flow=FLOW,
            phase="after",
            role=LEADER,
            contract_ids=_ids(siblings),
            intro=paragraph(
                ctx.t(
                    leader,
                    "elearning.intro_after_leader",
                    title=contract.title,
                    names=ctx.names(leader, employees),
                    count=len(dialog.script("after", LEADER)),
                )
            ),
        )

    async def _leader_asked_after(self, ctx: Context, leader: Person, contract: Contract) -> bool:
        return bool(await self.conversations.open_sessions(ctx, leader, FLOW, contract_id=contract.id, phase="after"))

    async def _close(self, ctx: Context, pressed: Pressed) -> None:
        contract, leader, employee = pressed.contract, pressed.who[LEADER], pressed.who[EMPLOYEE]
        contract.status, contract.closed_at, contract.updated_at = Status.CLOSED, ctx.now, ctx.now
        ctx.db.add(contract)
        decide(ctx.db, contract, leader, "closed", ctx.now)
        ctx.audit("contract.closed", leader, contract.id)
        await ctx.close_buttons(
            ctx.t(leader, "elearning.closed_note", name=leader, date=ctx.day(leader, ctx.now)),
            ref=f"elearning:{contract.id}:round:{contract.round}",
        )
        for person, text in (
            (leader, ctx.t(leader, "elearning.closed_leader", name=employee, title=contract.title)),
            (employee, ctx.t(employee, "elearning.closed_employee", leader=leader, title=contract.title)),
        ):
            ctx.post(
                person,
                with_buttons(text, export_button(ctx, person, contract.id)),
            )

    # ---- the clock ----------------------------------------------------
    async def next_due(self, ctx: Context) -> datetime | None:
        result = await ctx.db.exec(
            select(Contract.followup_at)
            .where(Contract.flow == FLOW, col(Contract.status).in_(AWAITING_FOLLOWUP))
            .order_by(col(Contract.followup_at))
            .limit(1)
        )
        return result.first()

    async def due(self, ctx: Context) -> None:
        """Start the follow-up of approved contracts whose date has come."""
        result = await ctx.db.exec(
            select(Contract)
            .where(
                Contract.flow == FLOW,
                col(Contract.status).in_(AWAITING_FOLLOWUP),
                col(Contract.followup_at) <= ctx.now,
            )
            .limit(FOLLOWUPS_AT_ONCE)
        )
        for contract in result.all():
            for role in (LEADER, EMPLOYEE):
                person = await self.party(ctx, contract, role)
                ctx.post(person, paragraph(ctx.t(person, "elearning.followup_due", title=contract.title)))
            ctx.audit("contract.followup_due", None, contract.id)
            await self.start_after(ctx, contract)
            if ctx.spent():
                break  # the rest in the next round

"""Step 1 of the clinical learning contract: the period and the competencies, chosen by both.

Both parties get the same message (one each, in their DM) and both press its
buttons: a period (a week, a month, half a year, or dates written in a short
dialog), the competencies of the education plan (or, with no plan, written as
free text), and **Vi er enige**. Every change updates both messages and empties
the agreement; the choice is fixed when both have agreed to the same revision.
**Afbryd**, pressed by either party, cancels the contract: both messages lose
their buttons, and the other party is told.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.core.dates import parse_date
from bot.core.ids import number
from bot.core.messages import Block, Paragraph, paragraph
from bot.flows.clinical import copy as cc
from bot.flows.clinical.copy import FLOW, SUPERVISOR, TRAINEE
from bot.flows.clinical.states import Status
from bot.flows.context import Context
from bot.flows.conversations import Conversations
from bot.storage.contracts import parties
from bot.storage.models import ClinicalScope, Contract, DialogSession, Party, Person


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError(day)


class Refuse(Protocol):
    """Tells the person who pressed why the press does nothing: a catalogue key and its values."""

    def __call__(self, key: str, **values: object) -> None: ...


class ScopeSteps:
    """The choice of period and competencies: a part of `ClinicalFlow`, which brings the
    sessions (`conversations`, `_open_session`, `_open`) and the supervisor's waiting message."""

    conversations: Conversations

    if TYPE_CHECKING:  # brought by ClinicalFlow

        async def _open_session(
            self, ctx: Context, person: Person, contract: Contract, phase: str
        ) -> DialogSession | None: ...

        async def _open(
            self,
            ctx: Context,
            person: Person,
            contract: Contract,
            phase: str,
            *,
            blocks: list[Block],
            answers: dict[str, str | None] | None = None,
        ) -> None: ...

        def _post_waiting(
            self, ctx: Context, contract: Contract, supervisor: Person, trainee: Person, phase: str
        ) -> None: ...

    async def _earlier_plan(self, ctx: Context, trainee: Person) -> str | None:
        """With several plans: the plan of the trainee's last contract (the same education)."""
        result = await ctx.db.exec(
            select(ClinicalScope.plan_id)
            .join(Party, col(Party.contract_id) == col(ClinicalScope.contract_id))
            .where(Party.person_id == trainee.id, Party.role == TRAINEE, col(ClinicalScope.plan_id).is_not(None))
            .order_by(col(ClinicalScope.id).desc())
            .limit(1)
        )
        found = result.first()
        return found if found in ctx.texts.plans else None

    async def _refresh(self, ctx: Context, contract: Contract, scope: ClinicalScope, note: str | None = None) -> None:
        who = await parties(ctx.db, contract)
        for person in who.values():
            await cc.replace(
                ctx,
                f"clinical:{contract.id}:scope:{person.id}",
                cc.scope_message(ctx, person, contract, scope, who, note=note),
            )

    async def _choose(
        self,
        ctx: Context,
        contract: Contract,
        who: dict[str, Person],
        person: Person,
        step: str,
        revision: str,
        value: str,
        refuse: Refuse,
    ) -> None:
        assert contract.id is not None and person.id is not None  # both are in the database
        scope = await cc.scope_of(ctx, contract)
        role = next(r for r, p in who.items() if p.id == person.id)
        if step == "agree":
            if revision != str(scope.revision):
                return refuse("clinical.scope.changed")
            if scope.period is None or not scope.competencies or (ctx.texts.plans and scope.plan_id is None):
                return refuse("clinical.scope.incomplete")
            if person.id in scope.agreed_by:
                other = who[TRAINEE if role == SUPERVISOR else SUPERVISOR]
                return refuse("clinical.scope.waiting", name=other)
            scope.agreed_by = [*scope.agreed_by, person.id]
            ctx.db.add(scope)
            if {p.id for p in who.values()} <= set(scope.agreed_by):
                await self._scope_agreed(ctx, contract, who, scope)
            else:
                await self._refresh(ctx, contract, scope)
            return
        if step == "write_competency":
            if not await self._open_session(ctx, person, contract, "competency"):
                await self.conversations.open(
                    ctx, person, flow=FLOW, phase="competency", role=role, contract_ids=[contract.id]
                )
            return
        if step == "period" and value == "dates":
            if not await self._open_session(ctx, person, contract, "dates"):
                await self.conversations.open(
                    ctx, person, flow=FLOW, phase="dates", role=role, contract_ids=[contract.id]
                )
            return
        if step == "plan" and value in ctx.texts.plans:
            if scope.plan_id != value:
                scope.plan_id, scope.competencies = value, []
        elif step == "period" and value in cc.PERIODS:
            starts = ctx.now.astimezone(ZoneInfo(ctx.tz(who[SUPERVISOR]))).date()
            ends = {
                "week": starts + timedelta(days=7),
                "month": add_months(starts, 1),
                "half_year": add_months(starts, 6),
            }[value]
            scope.period, scope.starts_on, scope.ends_on = value, starts, ends
        elif step == "competency":
            chosen = list(scope.competencies)
            plan = cc.plan_of(ctx, scope)
            if value.startswith("#") and (index := number(value[1:], 0, len(chosen) - 1)) is not None:
                del chosen[index]
            elif plan is not None and plan.competency(value) is not None:
                competency = plan.competency(value)
                assert competency is not None
                if any(c.get("id") == value for c in chosen):
                    chosen = [c for c in chosen if c.get("id") != value]
                else:
                    chosen.append({"id": value, "name": competency.name.da})
            else:
                return refuse("dialog.stale_button")
            scope.competencies = chosen
        else:
            return refuse("dialog.stale_button")
        scope.agreed_by, scope.revision = [], scope.revision + 1
        ctx.db.add(scope)
        await self._refresh(ctx, contract, scope)

    async def _cancel_scope(self, ctx: Context, contract: Contract, who: dict[str, Person], person: Person) -> None:
        """Either party cancels while the two choose: no contract, no live button, the other told."""
        contract.status, contract.updated_at = Status.CANCELLED, ctx.now
        ctx.db.add(contract)
        ctx.audit("contract.cancelled", person, contract.id, step="scope")
        for party in who.values():
            await ctx.close_buttons(
                ctx.t(party, "clinical.scope.cancelled_note", name=person),
                ref=f"clinical:{contract.id}:scope:{party.id}",
            )
            for open_ in await self.conversations.open_sessions(ctx, party, FLOW, contract_id=contract.id):
                await self.conversations.end(ctx, open_)
            if party.id != person.id:
                ctx.post(party, paragraph(ctx.t(party, "clinical.cancelled_other", name=person)))
        ctx.post(person, paragraph(ctx.t(person, "clinical.cancelled_self")))

    async def _scope_agreed(
        self, ctx: Context, contract: Contract, who: dict[str, Person], scope: ClinicalScope
    ) -> None:
        contract.status, contract.updated_at = Status.SUBGOALS, ctx.now
        ctx.db.add(contract)
        ctx.audit(
            "scope.agreed",
            None,
            contract.id,
            period=scope.period,
            competencies=[c.get("id") or c.get("text") for c in scope.competencies],
        )
        supervisor, trainee = who[SUPERVISOR], who[TRAINEE]
        for person in who.values():
            await cc.replace(
                ctx,
                f"clinical:{contract.id}:scope:{person.id}",
                cc.scope_message(ctx, person, contract, scope, who, note=ctx.t(person, "clinical.scope.done_note")),
            )
        await self._open(
            ctx,
            trainee,
            contract,
            "subgoals",
            blocks=[
                cc.progress(ctx, trainee, "subgoals"),
                Paragraph(text=ctx.t(trainee, "clinical.intro_subgoals", name=supervisor)),
            ],
        )
        self._post_waiting(ctx, contract, supervisor, trainee, "subgoals")

    async def _scope_input_sent(
        self, ctx: Context, contract: Contract, person: Person, phase: str, answers: dict[str, str | None]
    ) -> None:
        """A competency written as free text, or the period's dates, joins the choice."""
        scope = await cc.scope_of(ctx, contract)
        if phase == "competency":
            scope.competencies = [*scope.competencies, {"text": answers["competency"] or ""}]
        else:
            scope.period = "dates"
            scope.starts_on = parse_date(answers["starts"] or "")
            scope.ends_on = parse_date(answers["ends"] or "")
        scope.agreed_by, scope.revision = [], scope.revision + 1
        ctx.db.add(scope)
        await self._refresh(ctx, contract, scope)
        ctx.post(person, paragraph(ctx.t(person, f"clinical.scope.{phase}_added")))

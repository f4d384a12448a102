"""The clinical learning contract's reminders: to both parties, the working day before
the agreed feedback and the summative evaluation, at 09:00 in each one's time zone.

The rows are the schedule (`ClinicalReminder.due_at`); the clock claims the due ones
with `FOR UPDATE SKIP LOCKED`, and the outbox's dedupe key sends each once.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.core.messages import Block, Button, Buttons, Message, Paragraph
from bot.flows.clinical import copy as cc
from bot.flows.clinical.copy import SUPERVISOR, TRAINEE
from bot.flows.clinical.states import Status
from bot.flows.context import Context
from bot.storage.contracts import parties
from bot.storage.models import ClinicalReminder, ClinicalScope, Contract, Person

HOUR = 9


def schedule(ctx: Context, contract: Contract, who: dict[str, Person], scope: ClinicalScope) -> None:
    """One reminder per party for the feedback and for the evaluation (when there is one)."""
    assert contract.id is not None  # in the database
    for kind, day in (("feedback", scope.feedback_on), ("evaluation", scope.evaluation_on)):
        if day is None:
            continue
        for person in who.values():
            assert person.id is not None  # a party is in the database
            zone = ZoneInfo(ctx.tz(person))
            due = datetime.combine(ctx.workdays.previous_working_day(day), time(HOUR), zone)
            if due < ctx.now:  # agreed too late for the day before: remind now, unless it is over
                if datetime.combine(day, time(23, 59), zone) < ctx.now:
                    continue
                due = ctx.now
            ctx.db.add(
                ClinicalReminder(contract_id=contract.id, person_id=person.id, kind=kind, event_on=day, due_at=due)
            )


async def next_due(ctx: Context) -> datetime | None:
    result = await ctx.db.exec(
        select(ClinicalReminder.due_at)
        .where(col(ClinicalReminder.due_at).is_not(None))
        .order_by(col(ClinicalReminder.due_at))
        .limit(1)
    )
    return result.first()


async def due(ctx: Context) -> None:
    result = await ctx.db.exec(
        select(ClinicalReminder)
        .where(col(ClinicalReminder.due_at) <= ctx.now)
        .order_by(col(ClinicalReminder.due_at))
        .limit(200)
        .with_for_update(skip_locked=True)
    )
    for reminder in result.all():
        if ctx.spent():
            break  # the round has used its share: this one and the rest in the next round
        reminder.due_at = None
        ctx.db.add(reminder)
        contract = await ctx.db.get(Contract, reminder.contract_id)
        if contract is None or contract.status != Status.ACTIVE:
            continue
        reminder.sent_at = ctx.now
        who = await parties(ctx.db, contract)
        person = await ctx.person(reminder.person_id)
        role = next(r for r, p in who.items() if p.id == person.id)
        other = who[TRAINEE if role == SUPERVISOR else SUPERVISOR]
        given = await cc.answers(ctx, contract)
        scope = await cc.scope_of(ctx, contract)
        text = ctx.t(
            person,
            f"clinical.reminder.{reminder.kind}.{role}",
            name=other,
            date=cc.local_day(ctx, person, reminder.event_on),
            who=given.get("feedback_who") or "",
            competencies="; ".join(cc.competency_names(ctx, person, scope)),
        )
        blocks: list[Block] = [Paragraph(text=text)]
        ref = None
        if reminder.kind == "evaluation" and role == SUPERVISOR:
            # On the day the supervisor records the outcome, which closes the contract.
            ref = f"clinical:{contract.id}:evaluated"
            blocks.append(
                Buttons(
                    buttons=[
                        Button(
                            label=ctx.t(person, f"clinical.outcome.{outcome}"),
                            action="clinical:evaluated",
                            value=f"{contract.id}:{outcome}",
                            style="primary" if outcome == "passed" else None,
                        )
                        for outcome in cc.OUTCOMES
                    ]
                )
            )
        elif reminder.kind == "feedback" and role == SUPERVISOR:
            # On the day the supervisor records that the feedback was given: the folder shows it.
            ref = f"clinical:{contract.id}:feedback"
            blocks.append(
                Buttons(
                    buttons=[
                        Button(
                            label=ctx.t(person, "clinical.feedback_held_button"),
                            action="clinical:feedback_held",
                            value=str(contract.id),
                        )
                    ]
                )
            )
        ctx.post(
            person,
            Message(text=text, blocks=blocks),
            dedupe=f"clinical:{contract.id}:reminder:{reminder.kind}:{person.id}",
            ref=ref,
        )

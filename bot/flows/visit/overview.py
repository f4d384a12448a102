"""What a learning visit shows in the overview (`bot/flows/overview.py`): `VisitOverview`.

One item per visit for the agent and for the colleague: what waits for them (an
invitation, questions, a confirmation, the learning points, sharing them), what
waits for the other, or when the next thing happens. A handful of queries for
all of a person's visits (by `visit.agent_id` / `visit.colleague_id`, then `in_`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlmodel import col, or_, select

from bot.core.messages import Button
from bot.flows.context import Context
from bot.flows.conversations import OPEN
from bot.flows.overview import Group, Item
from bot.flows.visit.states import AGENT, COLLEAGUE, CONFIRMED, FLOW, LIVE, TURNS, Status
from bot.storage.models import Approval, Contract, DialogSession, Person, Submission, Visit

# The person's visits, as the agent or the colleague: built once, the person bound at each use.
_MINE = (
    select(Contract, Visit)
    .join(Visit, col(Visit.contract_id) == col(Contract.id))
    .where(
        or_(Visit.agent_id == bindparam("person"), Visit.colleague_id == bindparam("person")),
        col(Contract.status).in_((*LIVE, Status.DONE)),
        Contract.flow == FLOW,
    )
)


class VisitOverview:
    """Læringsbesøg (PRODUCT.md §2.5): the agent and the colleague."""

    async def overview(self, ctx: Context, person: Person) -> list[Item]:
        rows = (await ctx.db.exec(_MINE, params={"person": person.id})).all()
        rows = [
            (c, v)
            for c, v in rows
            if c.status != Status.DONE
            or (v.agent_id == person.id and v.shared_at is None and v.staff_meeting_at is None)
        ]
        if not rows:
            return []
        ids = [c.id for c, _ in rows]
        others = {
            p.id: p
            for p in (
                await ctx.db.exec(
                    select(Person).where(
                        col(Person.id).in_([v.colleague_id if v.agent_id == person.id else v.agent_id for _, v in rows])
                    )
                )
            ).all()
        }
        submitted = {
            (s.contract_id, s.role, s.phase)
            for s in (await ctx.db.exec(select(Submission).where(col(Submission.contract_id).in_(ids)))).all()
        }
        confirmed = {
            (a.contract_id, a.approver_id)
            for a in (
                await ctx.db.exec(
                    select(Approval).where(col(Approval.contract_id).in_(ids), Approval.decision == CONFIRMED)
                )
            ).all()
        }
        sessions: dict[int, set[str]] = defaultdict(set)
        for session in (
            await ctx.db.exec(
                select(DialogSession).where(
                    DialogSession.person_id == person.id,
                    col(DialogSession.status).in_(OPEN),
                    DialogSession.flow == FLOW,
                )
            )
        ).all():
            for contract_id in session.contract_ids:
                sessions[contract_id].add(session.phase)
        items: list[Item] = []
        for contract, visit in rows:
            role = AGENT if visit.agent_id == person.id else COLLEAGUE
            other = others[visit.colleague_id if role == AGENT else visit.agent_id]
            item = self._item(ctx, person, contract, visit, role, other, submitted, confirmed, sessions)
            if item is not None:
                items.append(item)
        return items

    def _item(
        self,
        ctx: Context,
        person: Person,
        contract: Contract,
        visit: Visit,
        role: str,
        other: Person,
        submitted: set[tuple[int, str, str]],
        confirmed: set[tuple[int, int]],
        sessions: dict[int, set[str]],
    ) -> Item | None:
        """What one visit shows the person (agent or colleague), if anything. Whose turn it is
        comes from the lifecycle's table (`states.TURNS`); the rows submitted and confirmed say
        who of them has done their part."""
        cid, status, since = contract.id, contract.status, contract.updated_at
        assert cid is not None  # read from the table
        agent, colleague = (person, other) if role == AGENT else (other, person)

        def item(group: Group, key: str, at: datetime | None, *buttons: Button) -> Item:
            return Item(
                group=group,
                flow=FLOW,
                key=f"visit:{cid}",
                title=ctx.t(
                    person,
                    "visit.overview.title",
                    agent=agent.display_name,
                    colleague=colleague.display_name,
                    date=ctx.day(person, visit.morning_at),
                ),
                step=ctx.t(
                    person,
                    f"visit.overview.{key}",
                    name=other.display_name,
                    end=visit.ends_at.astimezone(ZoneInfo(ctx.tz(person))).strftime("%H:%M"),
                ),
                at=at,
                buttons=buttons,
            )

        def button(step: str, value: object, primary: bool = False) -> Button:
            return Button(
                label=ctx.t(person, f"visit.{step}"),
                action=f"visit:{step}",
                value=str(value),
                style="primary" if primary else None,
            )

        turn = role in TURNS.get(status, frozenset())
        mine_sent = (cid, role, status) in submitted
        both_sent = all((cid, r, status) in submitted for r in (AGENT, COLLEAGUE))
        if status == Status.INVITED:
            return (
                item("you", "answer_invitation", since, button("accept", cid, True), button("decline", cid))
                if turn
                else item("others", "waiting_invitation", since)
            )
        if status == Status.PLANNED:  # the check-in opens as the day starts
            return item("coming", "checkin", visit.morning_at)
        if status == Status.CHECKIN and turn and not mine_sent:
            return item("you", "answer_checkin", since)
        if status == Status.CHECKIN and not both_sent:  # neither sees the other's answers before both sent
            return item("others", "waiting_checkin", since)
        if status == Status.CHECKIN and (cid, person.id) not in confirmed:
            return item("you", "confirm_checkin", since, button("confirm", cid, True))
        if status == Status.CHECKIN:
            return item("others", "waiting_confirm", since)
        if status == Status.READY:  # checked in, the day under way: the reflections come at its end
            return item("coming", "the_day", visit.ends_at)
        if status == Status.REFLECTION:
            return item("you", "reflect", since) if turn and not mine_sent else item("others", "waiting_answers", since)
        if status == Status.POINTS:
            return item("you", "write_points", since) if turn else item("others", "waiting_points", since)
        if status in (Status.POINTS_REVIEW, Status.POINTS_CONFIRM) and turn:
            value = f"{cid}:{contract.round}"
            return (
                item("you", "editing_points", since)
                if "points" in sessions.get(cid, set())
                else item("you", "review_points", since, button("points_ok", value, True), button("points_edit", value))
            )
        if status in (Status.POINTS_REVIEW, Status.POINTS_CONFIRM):
            return item("others", "waiting_review", since)
        if status == Status.DONE:
            return item("you", "share", since, button("share", cid, True))
        return None

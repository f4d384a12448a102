"""What the e-learning contract shows in the overview (`bot/flows/overview.py`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, bindparam, case, exists, func, or_, type_coerce
from sqlalchemy.orm import aliased
from sqlmodel import and_, col, select
from sqlmodel.sql.sqltypes import UTCDateTime

from bot.core.messages import Button
from bot.flows.context import Context
from bot.flows.elearning.states import EMPLOYEE, LEADER, LIVE, TURNS, Status
from bot.flows.overview import GROUPS, Entry, Group, Item
from bot.flows.overview_reads import _Contract, _parties, _sessions
from bot.storage.models import Contract, Party, Person, Submission

# The states where each party answers questions, and the phase they answer.
ANSWERING: dict[str, str] = {Status.BEFORE: "before", Status.CHANGES: "before", Status.AFTER: "after"}
# The states where one party decides: the step shown to them, and to the other.
DECIDING: dict[str, tuple[str, str]] = {
    Status.REVIEW: ("approve", "waiting_approval"),
    Status.AFTER_REVIEW: ("close", "waiting_close"),
}
# The session the overview looks for: a leader writing the changes to ask for.
WRITING = ("change_request",)
# The states that are coming up for both (a date ahead), whoever's turn it is.
COMING = (Status.APPROVED, Status.PRACTICE)


def _listing() -> tuple[Any, Any]:  # two selects (sqlmodel types select() up to four columns)
    """The person's live e-learning contracts as the database groups and dates them, the same
    as `ElearningOverview._step` (each page's entries are checked against it, and
    tests/e2e/test_overview.py walks every state), so that it counts and pages a leader's
    thousands: the counts of the groups, and a group's first `n` in the overview's order
    (undated last, then by id). Built once, with the person, the group and `n` bound."""
    status, role = col(Contract.status), col(Party.role)
    sent = aliased(Submission)  # the person's own answers of the phase they answer, if sent
    answering, coming, deciding = status.in_(ANSWERING), status.in_(COMING), status.in_(DECIDING)
    in_turn = or_(*(and_(status == s, role.in_(r)) for s, r in TURNS.items()))
    group = case(
        (coming, "coming"),
        (answering, case((and_(in_turn, col(sent.id).is_(None)), "you"), else_="others")),
        (deciding, case((in_turn, "you"), else_="others")),
    )
    at = type_coerce(
        case(
            (coming, col(Contract.followup_at)),
            (and_(answering, group == "others"), col(sent.submitted_at)),
            else_=col(Contract.updated_at),
        ),
        UTCDateTime(),
    )
    person = bindparam("person_id", type_=Integer)
    # A person who is both leader and employee of a contract sees it as its leader.
    leading = aliased(Party)
    as_leader = ~exists().where(
        col(leading.contract_id) == col(Contract.id), col(leading.person_id) == person, col(leading.role) == LEADER
    )

    def rows(*columns: Any) -> Any:
        return (
            select(*columns)
            .select_from(Party)
            .join(Contract, col(Contract.id) == col(Party.contract_id))
            .outerjoin(
                sent,
                and_(
                    col(sent.contract_id) == col(Contract.id),
                    col(sent.person_id) == col(Party.person_id),
                    col(sent.role) == role,
                    col(sent.phase) == case(ANSWERING, value=status),
                ),
            )
            .where(
                col(Party.person_id) == person,
                col(Contract.flow) == "elearning",
                status.in_(LIVE),
                or_(role == LEADER, as_leader),
                group.is_not(None),
            )
        )

    counts = rows(group, func.count()).group_by(group)
    columns = (Contract.id, Contract.title, status, Contract.round, Contract.updated_at, Contract.followup_at, role)
    order = (at.is_(None), at, col(Contract.id))
    ranked = rows(
        *columns,
        col(sent.submitted_at).label("sent_at"),
        group.label("grp"),
        func.row_number().over(partition_by=group, order_by=order).label("place"),
    ).subquery()
    first = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for up to four columns
            *(ranked.c[name] for name in _Contract._fields), ranked.c.role, ranked.c.sent_at, ranked.c.grp
        )
        .where(ranked.c.place <= bindparam("n", type_=Integer))
        .order_by(ranked.c.grp, ranked.c.place)
    )
    return counts, first


_COUNTS, _FIRST = _listing()


class ElearningOverview:
    """Læringskontrakt med medarbejderen (PRODUCT.md §2.1).

    A leader may have thousands: a `CountedSource`. The database counts the groups
    and gives each group's first entries (`_listing`); `render` reads the parties of
    the page's contracts only."""

    async def overview(self, ctx: Context, person: Person) -> list[Item]:
        """Every item (each group in order): what the overview's sources without paging give."""
        everything = max((await self.counts(ctx, person)).values())
        return await self.render(ctx, person, await self.first(ctx, person, everything) if everything else [])

    async def counts(self, ctx: Context, person: Person) -> dict[Group, int]:
        result = await ctx.db.exec(_COUNTS, params={"person_id": person.id})
        found: dict[str, int] = dict(result.all())
        return {g: found.get(g, 0) for g in GROUPS}

    async def first(self, ctx: Context, person: Person, n: int) -> list[Entry]:
        """Each group's first `n` entries in the overview's order (undated last, then by id)."""
        result = await ctx.db.exec(_FIRST, params={"person_id": person.id, "n": n})
        sessions = await _sessions(ctx, person, "elearning", WRITING)
        entries: list[Entry] = []
        for *columns, role, sent_at, group in result.all():
            contract = _Contract(*columns)
            submitted = {(contract.id, role, p): sent_at for p in ANSWERING.values()} if sent_at else {}
            found = self._step(contract, role, submitted, sessions.get(contract.id, ()))
            assert found is not None and found[0] == group, (contract, role, found)  # _listing agrees
            _, key, when, named = found
            entries.append(
                Entry(group=group, key=f"elearning:{contract.id}", at=when, data=(contract, role, key, named))
            )
        return entries

    @staticmethod
    def _step(
        contract: _Contract, role: str, submitted: dict[tuple[int, str, str], datetime], sessions: Collection[str]
    ) -> tuple[Group, str, datetime | None, str | None] | None:
        """Group, step, date and whose name the step names (a role), or None: nothing to show.
        Whose turn it is comes from the lifecycle's table (`states.TURNS`)."""
        status, since = contract.status, contract.updated_at
        turn = TURNS.get(status, frozenset())
        if status == Status.APPROVED:
            return "coming", "followup", contract.followup_at, None
        if status == Status.PRACTICE:
            return "coming", "practice", contract.followup_at, None
        if (phase := ANSWERING.get(status)) is not None:
            # Each party's turn until it has sent its answers of the phase.
            mine_at = submitted.get((contract.id, role, phase))
            if role in turn and mine_at is None:
                return "you", f"answer_{phase}", since, None
            return "others", "waiting_answers", mine_at, EMPLOYEE if role == LEADER else LEADER
        if status not in DECIDING:
            return None
        yours, theirs = DECIDING[status]
        if role in turn:
            writing = status == Status.REVIEW and WRITING[0] in sessions
            return "you", "write_comment" if writing else yours, since, None
        return "others", theirs, since, next(iter(turn))

    async def render(self, ctx: Context, person: Person, entries: list[Entry]) -> list[Item]:
        if not entries:
            return []
        parties = await _parties(ctx, [e.data[0].id for e in entries])
        items: list[Item] = []
        for e in entries:
            contract, role, key, named = e.data
            cid, value = contract.id, f"{contract.id}:{contract.round}"
            other = parties[cid][EMPLOYEE if role == LEADER else LEADER]
            values = {"name": parties[cid][named].display_name} if named else {}
            buttons: list[Button] = []
            if key == "approve":
                buttons = [
                    Button(
                        label=ctx.t(person, "elearning.approve"),
                        action="elearning:approve",
                        value=value,
                        style="primary",
                    ),
                    Button(
                        label=ctx.t(person, "elearning.request_changes"),
                        action="elearning:request_changes",
                        value=value,
                    ),
                ]
            elif key == "practice" and role != LEADER:
                buttons = [
                    Button(label=ctx.t(person, "elearning.answer_now"), action="elearning:answer_now", value=str(cid))
                ]
            elif key == "followup" and role != LEADER:
                buttons = [
                    Button(label=ctx.t(person, "elearning.completed"), action="elearning:completed", value=str(cid))
                ]
            elif key == "close":
                buttons = [
                    Button(
                        label=ctx.t(person, "elearning.close"), action="elearning:close", value=value, style="primary"
                    )
                ]
            items.append(
                Item(
                    group=e.group,
                    flow="elearning",
                    key=e.key,
                    title=ctx.t(person, "overview.elearning.title", title=contract.title, name=other.display_name),
                    step=ctx.t(person, f"overview.elearning.{key}", **values),
                    at=e.at,
                    buttons=tuple(buttons),
                )
            )
        return items

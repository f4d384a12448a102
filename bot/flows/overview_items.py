"""What the e-learning contract, "Lær af en kollega" and the learning meetings show in
the overview (`bot/flows/overview.py`): one `OverviewSource` each.

Each reads a person's live things in a handful of queries (by `party.person_id`,
then `in_` over the contract ids), never one query per contract.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlmodel import and_, col, or_, select

from bot.core.messages import Button
from bot.flows import peer_copy as cp
from bot.flows.context import Context
from bot.flows.conversations import OPEN
from bot.flows.elearning import EMPLOYEE, LEADER, names
from bot.flows.overview import GROUPS, Entry, Group, Item
from bot.flows.peer_copy import LEADER_OF, PART_A, PART_B, PARTS, SUPERVISOR, other_part
from bot.storage.models import (
    Approval, Contract, DialogSession, JointDraft, MeetingAction, MeetingOccurrence, MeetingSeries, Party,
    Person, Submission,
)

ELEARNING_LIVE = ("before", "changes", "review", "approved", "after", "after_review")
PEER_LIVE = ("invited", "drafting", "approval", "changes", "active", "evaluation", "leader_evaluation")
MEETINGS_AHEAD = 20


# What the overview reads: columns, not ORM objects (a leader may have thousands of contracts).
class _Contract(NamedTuple):
    id: int
    title: str
    status: str
    round: int
    updated_at: datetime
    followup_at: datetime | None


class _Who(NamedTuple):
    """A party as the overview names it; reads as a `Person` for `display_name` and `ctx.tz`."""

    id: int
    display_name: str
    timezone: str | None


def _live(person: Person, flow: str, statuses: tuple[str, ...]) -> tuple:
    """Where the person is a party to a live contract of the flow (joined `party` and `contract`)."""
    return Party.person_id == person.id, Contract.flow == flow, col(Contract.status).in_(statuses)


async def _mine(ctx: Context, person: Person, flow: str, statuses: tuple[str, ...]
                ) -> dict[int, tuple[_Contract, set[str]]]:
    """The person's live contracts of a flow, with the person's roles in each."""
    result = await ctx.db.exec(
        select(Contract.id, Contract.title, Contract.status, Contract.round, Contract.updated_at,
               Contract.followup_at, Party.role)
        .join(Party, col(Party.contract_id) == col(Contract.id)).where(*_live(person, flow, statuses)))
    found: dict[int, tuple[_Contract, set[str]]] = {}
    for *contract, role in result.all():
        found.setdefault(contract[0], (_Contract(*contract), set()))[1].add(role)
    return found


async def _parties(ctx: Context, ids: list[int]) -> dict[int, dict[str, _Who]]:
    result = await ctx.db.exec(
        select(Party.contract_id, Party.role, Person.id, Person.display_name, Person.timezone)
        .join(Person, col(Party.person_id) == col(Person.id)).where(col(Party.contract_id).in_(ids)))
    found: dict[int, dict[str, _Who]] = defaultdict(dict)
    for contract_id, role, *who in result.all():
        found[contract_id][role] = _Who(*who)
    return found


async def _submitted(ctx: Context, ids: list[int]) -> dict[tuple[int, str, str], datetime]:
    result = await ctx.db.exec(select(Submission.contract_id, Submission.role, Submission.phase,
                                      Submission.submitted_at).where(col(Submission.contract_id).in_(ids)))
    return {(cid, role, phase): at for cid, role, phase, at in result.all()}


async def _sessions(ctx: Context, person: Person, flow: str) -> dict[int, set[str]]:
    """Contract id -> the phases the person has a session open (or waiting) in."""
    result = await ctx.db.exec(select(DialogSession.contract_ids, DialogSession.phase).where(
        DialogSession.person_id == person.id, col(DialogSession.status).in_(OPEN), DialogSession.flow == flow))
    found: dict[int, set[str]] = defaultdict(set)
    for contract_ids, phase in result.all():
        for contract_id in contract_ids:
            found[contract_id].add(phase)
    return found


def _best(items: list[Item]) -> list[Item]:
    """One item per contract: what waits for the person first, then what waits for others."""
    return sorted(items, key=lambda i: GROUPS.index(i.group))[:1]


class ElearningOverview:
    """Læringskontrakt med medarbejderen (PRODUCT.md §2.1).

    A leader may have thousands: a `PagedSource`. `entries` reads the contracts,
    the person's own submissions and sessions as plain columns (three queries);
    `render` reads the parties of the page's contracts only."""

    async def overview(self, ctx: Context, person: Person) -> list[Item]:
        return await self.render(ctx, person, await self.entries(ctx, person))

    async def entries(self, ctx: Context, person: Person) -> list[Entry]:
        mine = await _mine(ctx, person, "elearning", ELEARNING_LIVE)
        if not mine:
            return []
        # The person's own submissions (in a role they hold), the only ones looked up: not an
        # `in_` over thousands of ids, and not the other parties' rows.
        submitted = {(cid, role, phase): at for cid, role, phase, at in (await ctx.db.exec(
            select(Submission.contract_id, Submission.role, Submission.phase, Submission.submitted_at)
            .join(Party, and_(col(Party.contract_id) == col(Submission.contract_id), Party.role == Submission.role))
            .join(Contract, col(Contract.id) == col(Submission.contract_id))
            .where(*_live(person, "elearning", ELEARNING_LIVE)))).all()}
        sessions = await _sessions(ctx, person, "elearning")
        entries: list[Entry] = []
        for cid, (contract, roles) in mine.items():
            role = LEADER if LEADER in roles else EMPLOYEE
            found = self._step(contract, role, submitted, sessions.get(cid, ()))
            if found is not None:
                group, key, at, named = found
                entries.append(Entry(group=group, key=f"elearning:{cid}", at=at, data=(contract, role, key, named)))
        return entries

    @staticmethod
    def _step(contract: _Contract, role: str, submitted: dict[tuple[int, str, str], datetime],
              sessions: Collection[str]) -> tuple[Group, str, datetime | None, str | None] | None:
        """Group, step, date and whose name the step names (a role), or None: nothing to show."""
        status, since = contract.status, contract.updated_at
        if status in ("before", "changes", "after"):
            phase = "after" if status == "after" else "before"
            mine_at = submitted.get((contract.id, role, phase))
            if mine_at is None:
                return "you", f"answer_{phase}", since, None
            return "others", "waiting_answers", mine_at, EMPLOYEE if role == LEADER else LEADER
        if status == "review" and role == LEADER:
            return ("you", "write_comment", since, None) if "change_request" in sessions else \
                ("you", "approve", since, None)
        if status == "review":
            return "others", "waiting_approval", since, LEADER
        if status == "approved":
            return "coming", "followup", contract.followup_at, None
        if status == "after_review" and role == LEADER:
            return "you", "close", since, None
        if status == "after_review":
            return "others", "waiting_close", since, LEADER
        return None

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
                buttons = [Button(label=ctx.t(person, "elearning.approve"), action="elearning:approve", value=value,
                                  style="primary"),
                           Button(label=ctx.t(person, "elearning.request_changes"),
                                  action="elearning:request_changes", value=value)]
            elif key == "followup" and role != LEADER:
                buttons = [Button(label=ctx.t(person, "elearning.completed"), action="elearning:completed",
                                  value=str(cid))]
            elif key == "close":
                buttons = [Button(label=ctx.t(person, "elearning.close"), action="elearning:close", value=value,
                                  style="primary")]
            items.append(Item(group=e.group, flow="elearning", key=e.key,
                              title=ctx.t(person, "overview.elearning.title", title=contract.title,
                                          name=other.display_name),
                              step=ctx.t(person, f"overview.elearning.{key}", **values), at=e.at,
                              buttons=tuple(buttons)))
        return items


class PeerOverview:
    """Lær af en kollega (PRODUCT.md §2.3): the parties, their leaders, the supervisor."""

    async def overview(self, ctx: Context, person: Person) -> list[Item]:
        mine = await _mine(ctx, person, "peer", PEER_LIVE)
        if not mine:
            return []
        ids = list(mine)
        parties, submitted = await _parties(ctx, ids), await _submitted(ctx, ids)
        sessions = await _sessions(ctx, person, "peer")
        decisions = defaultdict(list)
        for a in (await ctx.db.exec(select(Approval.contract_id, Approval.approver_id, Approval.round,
                                           Approval.decision).where(col(Approval.contract_id).in_(ids)))).all():
            decisions[a.contract_id].append(a)
        drafts: dict[int, dict[str, JointDraft]] = defaultdict(dict)
        for d in (await ctx.db.exec(select(JointDraft).where(
                col(JointDraft.contract_id).in_(ids), col(JointDraft.status).in_(("proposed", "accepted")))
                .order_by(col(JointDraft.number)))).all():
            drafts[d.contract_id][d.status] = d  # the newest of each
        items: list[Item] = []
        for cid, (contract, roles) in mine.items():
            who = parties[cid]
            candidates: list[Item] = []

            def item(group: Group, key: str, at: datetime | None, *buttons: Button, **values: object) -> None:
                candidates.append(Item(
                    group=group, flow="peer", key=f"peer:{cid}",
                    title=ctx.t(person, "overview.peer.title", a=who[PART_A].display_name,
                                b=who[PART_B].display_name),
                    step=ctx.t(person, f"overview.peer.{key}", **values), at=at, buttons=buttons))

            status, since = contract.status, contract.updated_at
            approved = {a.approver_id for a in decisions[cid] if a.round == contract.round and a.decision == "approved"}
            closed = {a.decision.split(":", 1)[1] for a in decisions[cid] if a.decision.startswith("closed:")}
            leaders = list({who[LEADER_OF[r]].id: who[LEADER_OF[r]] for r in PARTS if LEADER_OF[r] in who}.values())
            missing = names(ctx, person, [p for p in leaders if p.id not in approved])
            ends = None
            if status == "active" and (found := cp.terms(cp.joint_answers(drafts[cid].get("accepted")),
                                                         ctx.tz(who[PART_A]))):
                ends = found[1]
            for role in roles & set(PARTS):
                other = who[other_part(role)]
                proposed = drafts[cid].get("proposed")
                if status == "invited" and role == PART_B:
                    item("you", "answer_invitation", since, *self._buttons(ctx, person, cid, "accept", "decline"),
                         name=other.display_name)
                elif status == "invited":
                    item("others", "waiting_invitation", since, name=other.display_name)
                elif status in ("drafting", "changes"):
                    if proposed is not None and proposed.author_id != person.id:
                        item("you", "review_joint", proposed.created_at, *self._buttons(
                            ctx, person, f"{cid}:{proposed.number}", "joint_accept", "joint_edit"),
                            name=other.display_name)
                    elif sessions.get(cid, set()) & {"joint", "own", "profile"}:
                        item("you", "answer_questions", since)
                    elif status == "changes" and proposed is None:
                        item("you", "make_changes", since, *self._buttons(ctx, person, cid, "change_own",
                                                                          "change_joint"))
                    else:
                        item("others", "waiting_other", since, name=other.display_name)
                elif status == "approval":
                    item("others", "waiting_approval", since, names=missing)
                elif status == "active":
                    item("coming", "next_meeting", contract.followup_at,
                         ends=ctx.day(person, ends) if ends else "")
                elif status == "evaluation" and (cid, role, "evaluation") not in submitted:
                    item("you", "evaluate", since, name=other.display_name)
                elif status == "evaluation":
                    item("others", "waiting_evaluation", submitted[(cid, role, "evaluation")],
                         name=other.display_name)
                elif status == "leader_evaluation" and (cid, role, "leader_evaluation") not in submitted:
                    item("you", "evaluate_leader", since, name=who[LEADER_OF[role]].display_name)
                elif status == "leader_evaluation" and role not in closed:
                    item("others", "waiting_close", since, name=who[LEADER_OF[role]].display_name)
                else:
                    item("others", "waiting_rest", since)
            for role in [r for r in PARTS if LEADER_OF[r] in roles]:
                party = who[role]
                if status == "approval" and person.id not in approved:
                    if "change_request" in sessions.get(cid, ()):
                        item("you", "write_comment", since)
                    else:
                        item("you", "approve", since, *self._buttons(
                            ctx, person, f"{cid}:{contract.round}", "approve", "request_changes"))
                elif status == "approval":
                    item("others", "waiting_approval", since, names=missing)
                elif status == "leader_evaluation" and role not in closed and (
                        cid, role, "leader_evaluation") in submitted:
                    item("you", "close", submitted[(cid, role, "leader_evaluation")],
                         *self._buttons(ctx, person, f"{cid}:{role}", "close"), name=party.display_name)
                elif status == "active":
                    item("coming", "ends", ends or contract.followup_at)
                else:
                    item("others", "in_progress", since, status=ctx.t(person, f"peer.status.{status}"))
            if SUPERVISOR in roles and not candidates:
                if status == "active":
                    item("coming", "ends", ends or contract.followup_at)
                else:
                    item("others", "in_progress", since, status=ctx.t(person, f"peer.status.{status}"))
            items += _best(candidates)
        return items

    @staticmethod
    def _buttons(ctx: Context, person: Person, value: object, *steps: str) -> list[Button]:
        primary = {"accept", "joint_accept", "approve", "close"}
        return [Button(label=ctx.t(person, f"peer.{step}"), action=f"peer:{step}", value=str(value),
                       style="primary" if step in primary else None) for step in steps]


class MeetingOverview:
    """Systematiske læringsmøder (PRODUCT.md §2.4): the meetings the person facilitates or
    brings the case to, and the actions they own."""

    async def overview(self, ctx: Context, person: Person) -> list[Item]:
        items: list[Item] = []
        occurrences = (await ctx.db.exec(
            select(MeetingOccurrence, MeetingSeries)
            .join(MeetingSeries, col(MeetingOccurrence.series_id) == col(MeetingSeries.id))
            .where(or_(MeetingOccurrence.facilitator_id == person.id, MeetingOccurrence.case_person_id == person.id),
                   col(MeetingOccurrence.status).in_(("planned", "running")), MeetingSeries.status == "active",
                   col(MeetingOccurrence.starts_at) >= ctx.now - timedelta(days=1))
            .order_by(col(MeetingOccurrence.starts_at)).limit(MEETINGS_AHEAD))).all()
        for occ, _series in occurrences:
            roles = [ctx.t(person, "overview.meeting.facilitator")] if occ.facilitator_id == person.id else []
            if occ.case_person_id == person.id:
                roles.append(ctx.t(person, "overview.meeting.case"))
            title = (ctx.t(person, "overview.meeting.title_case", case=occ.case_title) if occ.case_title
                     else ctx.t(person, "overview.meeting.title"))
            if occ.status == "running":
                items.append(Item(group="you", flow="meeting", key=f"meeting:{occ.id}", title=title,
                                  step=ctx.t(person, "overview.meeting.running", roles=", ".join(roles)),
                                  at=occ.started_at or occ.starts_at))
            elif occ.starts_at >= ctx.now:
                items.append(Item(group="coming", flow="meeting", key=f"meeting:{occ.id}", title=title,
                                  step=", ".join(roles), at=occ.starts_at))
        actions = (await ctx.db.exec(select(MeetingAction).where(
            MeetingAction.owner_id == person.id, MeetingAction.status == "open")
            .order_by(col(MeetingAction.created_at)).limit(MEETINGS_AHEAD))).all()
        for action in actions:
            items.append(Item(group="you", flow="meeting", key=f"meeting-action:{action.id}",
                              title=ctx.t(person, "overview.meeting.action_title", text=action.text),
                              step=ctx.t(person, "overview.meeting.action"), at=action.created_at))
        return items

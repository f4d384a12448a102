"""What the e-learning contract, "Lær af en kollega" and the learning meetings show in
the overview (`bot/flows/overview.py`): one `OverviewSource` each.

Each reads a person's live things in a handful of queries (by `party.person_id`,
then `in_` over the contract ids), never one query per contract.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlmodel import col, or_, select

from bot.core.messages import Button
from bot.flows import peer_copy as cp
from bot.flows.context import Context
from bot.flows.conversations import OPEN
from bot.flows.elearning import EMPLOYEE, LEADER, names
from bot.flows.overview import GROUPS, Group, Item
from bot.flows.peer_copy import LEADER_OF, PART_A, PART_B, PARTS, SUPERVISOR, other_part
from bot.storage.models import (
    Approval, Contract, DialogSession, JointDraft, MeetingAction, MeetingOccurrence, MeetingSeries, Party,
    Person, Submission,
)

ELEARNING_LIVE = ("before", "changes", "review", "approved", "after", "after_review")
PEER_LIVE = ("invited", "drafting", "approval", "changes", "active", "evaluation", "leader_evaluation")
MEETINGS_AHEAD = 20


async def _mine(ctx: Context, person: Person, flow: str, statuses: tuple[str, ...]
                ) -> dict[int, tuple[Contract, set[str]]]:
    """The person's live contracts of a flow, with the person's roles in each."""
    result = await ctx.db.exec(
        select(Contract, Party.role).join(Party, col(Party.contract_id) == col(Contract.id))
        .where(Party.person_id == person.id, Contract.flow == flow, col(Contract.status).in_(statuses)))
    found: dict[int, tuple[Contract, set[str]]] = {}
    for contract, role in result.all():
        assert contract.id is not None
        found.setdefault(contract.id, (contract, set()))[1].add(role)
    return found


async def _parties(ctx: Context, ids: list[int]) -> dict[int, dict[str, Person]]:
    result = await ctx.db.exec(select(Party, Person).join(Person, col(Party.person_id) == col(Person.id))
                               .where(col(Party.contract_id).in_(ids)))
    found: dict[int, dict[str, Person]] = defaultdict(dict)
    for party, person in result.all():
        found[party.contract_id][party.role] = person
    return found


async def _submitted(ctx: Context, ids: list[int]) -> dict[tuple[int, str, str], datetime]:
    result = await ctx.db.exec(select(Submission).where(col(Submission.contract_id).in_(ids)))
    return {(s.contract_id, s.role, s.phase): s.submitted_at for s in result.all()}


async def _sessions(ctx: Context, person: Person, flow: str) -> dict[int, set[str]]:
    """Contract id -> the phases the person has a session open (or waiting) in."""
    result = await ctx.db.exec(select(DialogSession).where(
        DialogSession.person_id == person.id, col(DialogSession.status).in_(OPEN), DialogSession.flow == flow))
    found: dict[int, set[str]] = defaultdict(set)
    for session in result.all():
        for contract_id in session.contract_ids:
            found[contract_id].add(session.phase)
    return found


def _best(items: list[Item]) -> list[Item]:
    """One item per contract: what waits for the person first, then what waits for others."""
    return sorted(items, key=lambda i: GROUPS.index(i.group))[:1]


class ElearningOverview:
    """Læringskontrakt med medarbejderen (PRODUCT.md §2.1)."""

    async def overview(self, ctx: Context, person: Person) -> list[Item]:
        mine = await _mine(ctx, person, "elearning", ELEARNING_LIVE)
        if not mine:
            return []
        ids = list(mine)
        parties, submitted = await _parties(ctx, ids), await _submitted(ctx, ids)
        sessions = await _sessions(ctx, person, "elearning")
        items: list[Item] = []
        for cid, (contract, roles) in mine.items():
            role = LEADER if LEADER in roles else EMPLOYEE
            other_role = EMPLOYEE if role == LEADER else LEADER
            leader, other = parties[cid][LEADER], parties[cid][other_role]

            def item(group: Group, key: str, at: datetime | None, *buttons: Button, **values: object) -> Item:
                return Item(group=group, flow="elearning", key=f"elearning:{cid}",
                            title=ctx.t(person, "overview.elearning.title", title=contract.title,
                                        name=other.display_name),
                            step=ctx.t(person, f"overview.elearning.{key}", **values), at=at, buttons=buttons)

            value = f"{cid}:{contract.round}"
            status = contract.status
            if status in ("before", "changes", "after"):
                phase = "after" if status == "after" else "before"
                mine_at = submitted.get((cid, role, phase))
                if mine_at is None:
                    items.append(item("you", f"answer_{phase}", contract.updated_at))
                else:
                    items.append(item("others", "waiting_answers", mine_at, name=other.display_name))
            elif status == "review" and role == LEADER:
                if "change_request" in sessions.get(cid, ()):
                    items.append(item("you", "write_comment", contract.updated_at))
                else:
                    items.append(item("you", "approve", contract.updated_at, Button(
                        label=ctx.t(person, "elearning.approve"), action="elearning:approve", value=value,
                        style="primary"), Button(label=ctx.t(person, "elearning.request_changes"),
                                                 action="elearning:request_changes", value=value)))
            elif status == "review":
                items.append(item("others", "waiting_approval", contract.updated_at, name=leader.display_name))
            elif status == "approved":
                buttons = [] if role == LEADER else [Button(
                    label=ctx.t(person, "elearning.completed"), action="elearning:completed", value=str(cid))]
                items.append(item("coming", "followup", contract.followup_at, *buttons))
            elif status == "after_review" and role == LEADER:
                items.append(item("you", "close", contract.updated_at, Button(
                    label=ctx.t(person, "elearning.close"), action="elearning:close", value=value,
                    style="primary")))
            elif status == "after_review":
                items.append(item("others", "waiting_close", contract.updated_at, name=leader.display_name))
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
        for a in (await ctx.db.exec(select(Approval).where(col(Approval.contract_id).in_(ids)))).all():
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

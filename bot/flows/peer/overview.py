"""What "Lær af en kollega" shows in the overview (`bot/flows/overview.py`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import NamedTuple

from sqlmodel import col, select

from bot.core.messages import Button
from bot.flows.context import Context
from bot.flows.overview import GROUPS, Entry, Group, Item
from bot.flows.overview_reads import _Contract, _mine, _parties, _sessions, _submitted, _Who
from bot.flows.peer import copy as cp
from bot.flows.peer.copy import LEADER_OF, PART_A, PART_B, PARTS, SUPERVISOR, other_part
from bot.flows.peer.states import LIVE, TURNS, Status, talk
from bot.storage.models import Approval, JointDraft, Party, Person

# The buttons an item shows, the same as the flow posts (`peer:<step>`, one value), labelled
# when the page is written.
PRIMARY = {"accept", "joint_accept", "approve", "close", "agree_evaluation", "agree_leader_evaluation"}


class _Press(NamedTuple):
    value: str
    steps: tuple[str, ...]

    @classmethod
    def of(cls, value: object, *steps: str) -> _Press:
        return cls(str(value), steps)


class _Status(NamedTuple):
    """A contract's status, named in the person's language when the page is written."""

    status: str

    @property
    def key(self) -> str:
        return f"peer.status.{self.status}"


class _Draft(NamedTuple):
    """A proposal of the joint fields, as the overview reads it."""

    number: int
    author_id: int
    created_at: datetime


class _Step(NamedTuple):
    """An item before its texts: what a page's entries carry to `render`;
    only the page's get their words. Values that are lists of people are named then too."""

    group: Group
    key: str
    at: datetime | None
    press: _Press | None
    values: dict[str, object]
    a: str
    b: str


class PeerOverview:
    """Lær af en kollega (PRODUCT.md §2.3): the parties, their leaders, the supervisor.

    A `StoredSource` (bot/flows/overview_store.py): a leader of many may hold a thousand."""

    flow = "peer"

    async def overview(self, ctx: Context, person: Person) -> list[Item]:
        return await self.render(ctx, person, await self.entries(ctx, person))

    async def render(self, ctx: Context, person: Person, entries: list[Entry]) -> list[Item]:
        return [self._item(ctx, person, entry) for entry in entries]

    async def stored(self, ctx: Context, ids: Collection[int]) -> list[tuple[int, Entry]]:
        """Each party's entries, party by party: what they see rests on their own sessions,
        drafts and decisions (a few queries each)."""
        people = (
            await ctx.db.exec(select(Party.person_id).where(col(Party.contract_id).in_(list(ids))).distinct())
        ).all()
        return [
            (person_id, entry)
            for person_id in sorted(people)
            for entry in await self.entries(ctx, await ctx.person(person_id), ids)
        ]

    async def entries(self, ctx: Context, person: Person, ids: Collection[int] | None = None) -> list[Entry]:
        mine = await _mine(ctx, person, "peer", LIVE, ids)
        if not mine:
            return []
        ids = list(mine)
        parties, submitted = await _parties(ctx, ids), await _submitted(ctx, ids)
        sessions = await _sessions(ctx, person, "peer", ids=ids)
        # Contract id -> its decisions: (approver, round, decision).
        decisions: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
        for contract_id, approver_id, round_, decision in (
            await ctx.db.exec(
                select(Approval.contract_id, Approval.approver_id, Approval.round, Approval.decision).where(
                    col(Approval.contract_id).in_(ids)
                )
            )
        ).all():
            decisions[contract_id].append((approver_id, round_, decision))
        drafts: dict[int, dict[str, _Draft]] = defaultdict(dict)
        for contract_id, status, *draft in (
            await ctx.db.exec(
                select(  # type: ignore[call-overload]  # sqlmodel types select() for up to four columns
                    JointDraft.contract_id,
                    JointDraft.status,
                    JointDraft.number,
                    JointDraft.author_id,
                    JointDraft.created_at,
                )
                .where(col(JointDraft.contract_id).in_(ids), col(JointDraft.status).in_(("proposed", "accepted")))
                .order_by(col(JointDraft.number))
            )
        ).all():
            drafts[contract_id][status] = _Draft(*draft)  # the newest of each
        # The agreed plan's dates, of the contracts under way only (the fields are JSON to read).
        joint: dict[int, dict[str, str | None]] = defaultdict(dict)
        if active := [cid for cid, (contract, _) in mine.items() if contract.status == Status.ACTIVE]:
            for contract_id, fields in (
                await ctx.db.exec(
                    select(JointDraft.contract_id, JointDraft.fields)
                    .where(col(JointDraft.contract_id).in_(active), JointDraft.status == "accepted")
                    .order_by(col(JointDraft.number))
                )
            ).all():
                joint[contract_id] = dict(fields.get("answers", {}))
        entries: list[Entry] = []
        for cid, (contract, roles) in mine.items():
            steps = self._candidates(
                ctx,
                person,
                cid,
                contract,
                roles,
                parties[cid],
                decisions[cid],
                drafts[cid],
                joint[cid],
                sessions,
                submitted,
            )
            if steps:  # what waits for the person first, then what waits for others
                best = min(steps, key=lambda step: GROUPS.index(step.group))
                entries.append(Entry(group=best.group, key=f"peer:{cid}", at=best.at, data=best))
        return entries

    def _candidates(
        self,
        ctx: Context,
        person: Person,
        cid: int,
        contract: _Contract,
        roles: set[str],
        who: dict[str, _Who],
        decisions: list[tuple[int, int, str]],
        drafts: dict[str, _Draft],
        joint: dict[str, str | None],
        sessions: dict[int, set[str]],
        submitted: dict[tuple[int, str, str], datetime],
    ) -> list[_Step]:
        """What one contract may show the person; the overview keeps the best. Whose
        turn it is comes from the lifecycle's table (`states.TURNS`); the drafts, submissions
        and decisions say who of them has done their part."""
        candidates: list[_Step] = []

        def item(group: Group, key: str, at: datetime | None, press: _Press | None = None, **values: object) -> None:
            candidates.append(_Step(group, key, at, press, values, who[PART_A].display_name, who[PART_B].display_name))

        status, since = contract.status, contract.updated_at
        turn = TURNS.get(status, frozenset())
        approved = {
            approver for approver, round_, decision in decisions if round_ == contract.round and decision == "approved"
        }
        closed = {decision.split(":", 1)[1] for _, _, decision in decisions if decision.startswith("closed:")}
        agreed = {
            a for a, round_, decision in decisions if round_ == contract.round and decision == "evaluation_agreed"
        }
        leaders = list({who[LEADER_OF[r]].id: who[LEADER_OF[r]] for r in PARTS if LEADER_OF[r] in who}.values())
        missing = [p for p in leaders if p.id not in approved]  # named when the page is written
        ends = None
        if status == "active" and (found := cp.terms(joint, ctx.tz(who[PART_A]))):
            ends = found[1]
        for role in roles & set(PARTS):
            other = who[other_part(role)]
            proposed = drafts.get("proposed")
            if status == Status.INVITED and role in turn:
                item(
                    "you",
                    "answer_invitation",
                    since,
                    _Press.of(cid, "accept", "decline"),
                    name=other.display_name,
                )
            elif status == Status.INVITED:
                item("others", "waiting_invitation", since, name=other.display_name)
            elif status in ("drafting", "changes"):
                if proposed is not None and proposed.author_id != person.id:
                    item(
                        "you",
                        "review_joint",
                        proposed.created_at,
                        _Press.of(f"{cid}:{proposed.number}", "joint_accept", "joint_edit"),
                        name=other.display_name,
                    )
                elif sessions.get(cid, set()) & {cp.CONTRACT, *cp.JOINT_PHASES, cp.OWN, "profile"}:
                    item("you", "answer_questions", since)
                elif status == Status.CHANGES and proposed is None:
                    item("you", "make_changes", since, _Press.of(cid, "change_own", "change_joint"))
                else:
                    item("others", "waiting_other", since, name=other.display_name)
            elif status == Status.APPROVAL:
                item("others", "waiting_approval", since, names=missing)
            elif status == Status.ACTIVE:
                item("coming", "next_meeting", contract.followup_at, ends=ctx.day(person, ends) if ends else "")
            elif status == Status.EVALUATION and role in turn and (cid, role, "evaluation") not in submitted:
                item("you", "evaluate", since, name=other.display_name)
            elif status == Status.EVALUATION:
                item("others", "waiting_evaluation", submitted[(cid, role, "evaluation")], name=other.display_name)
            elif status == Status.EVALUATION_AGREE and role in turn and person.id not in agreed:
                item(
                    "you",
                    "agree_evaluation",
                    since,
                    _Press.of(f"{cid}:{contract.round}", "agree_evaluation", "edit_evaluation"),
                    name=other.display_name,
                )
            elif status == Status.EVALUATION_AGREE:
                item("others", "waiting_evaluation_agree", since, name=other.display_name)
            elif status == Status.LEADER_EVALUATION and role not in closed:
                leader, now = who[LEADER_OF[role]], talk(decisions, role)
                if (cid, role, "leader_evaluation") not in submitted:
                    item("you", "evaluate_leader", since, name=leader.display_name)
                elif now.shown and now.asked:
                    value = f"{cid}:{role}:{now.shown}"
                    item(
                        "you",
                        "change_leader_evaluation",
                        since,
                        _Press.of(value, "edit_leader_evaluation"),
                        name=leader.display_name,
                    )
                elif now.shown and person.id not in now.agreed:
                    value = f"{cid}:{role}:{now.shown}"
                    item(
                        "you",
                        "agree_leader_evaluation",
                        since,
                        _Press.of(value, "agree_leader_evaluation", "edit_leader_evaluation"),
                        name=leader.display_name,
                    )
                else:
                    item("others", "waiting_close", since, name=leader.display_name)
            else:
                item("others", "waiting_rest", since)
        for role in [r for r in PARTS if LEADER_OF[r] in roles]:
            party = who[role]
            if status == Status.APPROVAL and LEADER_OF[role] in turn and person.id not in approved:
                if "change_request" in sessions.get(cid, ()):
                    item("you", "write_comment", since)
                else:
                    item(
                        "you",
                        "approve",
                        since,
                        _Press.of(f"{cid}:{contract.round}", "approve", "request_changes"),
                    )
            elif status == Status.APPROVAL:
                item("others", "waiting_approval", since, names=missing)
            elif status == Status.LEADER_EVALUATION and role not in closed:
                now = talk(decisions, role)
                if (cid, LEADER_OF[role], "leader_evaluation") in submitted:
                    if now.shown and not now.asked and person.id not in now.agreed:
                        steps = ("agree_leader_evaluation", "leader_evaluation_changes", "edit_leader_evaluation")
                        item(
                            "you",
                            "agree_leader_evaluation",
                            since,
                            _Press.of(f"{cid}:{role}:{now.shown}", *steps),
                            name=party.display_name,
                        )
                    else:
                        item("others", "waiting_other", since, name=party.display_name)
                elif "leader_evaluation" in sessions.get(cid, ()):
                    item("you", "assess", since, name=party.display_name)
                elif (cid, role, "leader_evaluation") in submitted:
                    # A contract that came to its leader evaluation before leaders wrote their own.
                    item(
                        "you",
                        "close",
                        submitted[(cid, role, "leader_evaluation")],
                        _Press.of(f"{cid}:{role}", "close"),
                        name=party.display_name,
                    )
                else:
                    item("others", "waiting_other", since, name=party.display_name)
            elif status == Status.ACTIVE:
                item("coming", "ends", ends or contract.followup_at)
            else:
                item("others", "in_progress", since, status=_Status(status))
        if SUPERVISOR in roles and not candidates:
            if status == Status.ACTIVE:
                item("coming", "ends", ends or contract.followup_at)
            else:
                item("others", "in_progress", since, status=_Status(status))
        return candidates

    def _item(self, ctx: Context, person: Person, entry: Entry) -> Item:
        step: _Step = entry.data
        values = {
            k: ctx.names(person, v) if isinstance(v, list) else ctx.t(person, v.key) if isinstance(v, _Status) else v
            for k, v in step.values.items()
        }
        buttons = (
            [
                Button(
                    label=ctx.t(person, f"peer.{name}"),
                    action=f"peer:{name}",
                    value=step.press.value,
                    style="primary" if name in PRIMARY else None,
                )
                for name in step.press.steps
            ]
            if step.press is not None
            else []
        )
        return Item(
            group=step.group,
            flow="peer",
            key=entry.key,
            title=ctx.t(person, "overview.peer.title", a=step.a, b=step.b),
            step=ctx.t(person, f"overview.peer.{step.key}", **values),
            at=step.at,
            buttons=tuple(buttons),
        )

"""Lær af en kollega: reading a contract, and each person's copy of it.

Who sees what (PRODUCT.md §2.3, the seed's "en gensidig læringskontrakt"): the
contract is one document, the joint fields and both parties' own fields (goals,
leader or sponsor, that leader's tasks), which both parties, both leaders and the
supervisor read. Each party's copy (genpart) adds what is individual to it: its own
log and its own evaluation with its leader, which only that party and that leader
read. Every view is built here, from the viewer, so no other place decides what a
person may read.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.core.dates import every_days, parse_date
from bot.core.messages import Block, Column, Columns, Divider, Heading, Message, Note, Paragraph, Quote
from bot.flows.context import Context
from bot.storage.contracts import parties
from bot.storage.models import (
    ActivityLog,
    Answer,
    Approval,
    Contract,
    JointDraft,
    Person,
    PersonProfile,
)

FLOW = "peer"
PART_A, PART_B = "part_a", "part_b"
PARTS = (PART_A, PART_B)
LEADER_OF = {PART_A: "leader_a", PART_B: "leader_b"}
SUPERVISOR = "supervisor"
# The phases (dialogs/peer.yaml): Part A's contract in the template's order (`CONTRACT`: the
# joint fields and A's own), the joint fields alone (`JOINT`, when a party edits them), each
# party's own fields (`OWN`). `OLD_JOINT` is the joint fields' earlier order, for a session
# begun before the template's order; `JOINT_PHASES` are the two.
CONTRACT, JOINT, OWN, OLD_JOINT = "contract", "together", "own", "joint"
JOINT_PHASES = (JOINT, OLD_JOINT)
# Each party's evaluation with its own leader: both write their assessment in this phase (the
# party under its role, the leader under `LEADER_OF[part]`), then both see both and agree.
LEADER_EVALUATION = "leader_evaluation"
# The joint field the document shows before the parties' own fields, as the template does
# ("Formål og målsætninger"); the others (supervisor, plan and activities) come after them.
PURPOSE = "purpose"


def other_part(role: str) -> str:
    return PART_B if role == PART_A else PART_A


# ---- reading ------------------------------------------------------------------


async def roles_of(ctx: Context, contract: Contract, person: Person) -> set[str]:
    return {role for role, p in (await parties(ctx.db, contract)).items() if p.id == person.id}


async def profile(ctx: Context, person: Person) -> PersonProfile | None:
    return (await ctx.db.exec(select(PersonProfile).where(PersonProfile.person_id == person.id))).first()


async def drafts(ctx: Context, contract: Contract) -> list[JointDraft]:
    result = await ctx.db.exec(
        select(JointDraft).where(JointDraft.contract_id == contract.id).order_by(col(JointDraft.number))
    )
    return list(result.all())


async def accepted_draft(ctx: Context, contract: Contract, version: int | None = None) -> JointDraft | None:
    """The joint fields in force at `version` (default: the contract's)."""
    version = contract.version if version is None else version
    found = [d for d in await drafts(ctx, contract) if d.status == "accepted" and d.contract_version <= version]
    return found[-1] if found else None


async def proposed_draft(ctx: Context, contract: Contract) -> JointDraft | None:
    found = [d for d in await drafts(ctx, contract) if d.status == "proposed"]
    return found[-1] if found else None


def joint_answers(draft: JointDraft | None) -> dict[str, str | None]:
    return dict((draft.fields if draft else {}).get("answers", {}))


def joint_people(draft: JointDraft | None) -> dict[str, str]:
    return dict((draft.fields if draft else {}).get("people", {}))


async def answers(
    ctx: Context, contract: Contract, role: str, phase: str, version: int | None = None
) -> dict[str, str | None]:
    """A role's answers in a phase as they stood at `version`: per question the newest row up to it."""
    version = contract.version if version is None else version
    result = await ctx.db.exec(
        select(Answer)
        .where(
            Answer.contract_id == contract.id,
            Answer.role == role,
            Answer.phase == phase,
            col(Answer.version) <= version,
        )
        .order_by(col(Answer.version))
    )
    return {a.question_key: a.text for a in result.all()}


async def authors(ctx: Context, contract: Contract, upto: JointDraft) -> dict[str, int]:
    """For each joint field: who wrote the text it has in `upto` (the draft where it last changed)."""
    written: dict[str, int] = {}
    before: dict[str, str | None] = {}
    for draft in await drafts(ctx, contract):
        if draft.number > upto.number:
            break
        for key, text in joint_answers(draft).items():
            if key not in before or before[key] != text:
                written[key] = draft.author_id
            before[key] = text
    return written


def terms(contract_answers: dict[str, str | None], tz: str) -> tuple[datetime, datetime, int] | None:
    """Start, end (09:00 local) and days between meetings, from the joint fields."""
    starts = parse_date(contract_answers.get("starts") or "")
    ends = parse_date(contract_answers.get("ends") or "")
    every = every_days(contract_answers.get("frequency") or "")
    if not (starts and ends and every):
        return None
    zone = ZoneInfo(tz)
    return datetime.combine(starts, time(9), zone), datetime.combine(ends, time(9), zone), every


# ---- showing ------------------------------------------------------------------
def _name(person: Person | None) -> str:
    return person.display_name if person else ""


async def party_line(ctx: Context, viewer: Person, role: str, person: Person) -> Quote:
    facts = await profile(ctx, person)
    details = ", ".join(x for x in ((facts.department, facts.position) if facts else ()) if x)
    return Quote(
        label=ctx.t(viewer, f"peer.copy.{role}"), text=f"{person.display_name}{' – ' + details if details else ''}"
    )


def joint_keys(ctx: Context) -> list[str]:
    """The joint fields in the template's order (the `together` phase)."""
    return list(ctx.texts.dialogs[FLOW].phases[JOINT].questions)


async def joint_blocks(
    ctx: Context, viewer: Person, contract: Contract, draft: JointDraft, keys: list[str] | None = None
) -> list[Block]:
    """The draft's joint fields (those of `keys`, default all) in the template's order."""
    dialog = ctx.texts.dialogs[FLOW]
    lang = ctx.language(viewer)
    written = await authors(ctx, contract, draft)
    people = {p.id: p for p in (await parties(ctx.db, contract)).values()}
    given = joint_answers(draft)
    blocks: list[Block] = []
    for key in keys if keys is not None else joint_keys(ctx):
        if key not in given or key not in dialog.questions:
            continue
        text = given[key]
        label = ctx.t(
            viewer,
            "peer.copy.written_by",
            field=dialog.questions[key].title(lang),
            name=_name(people.get(written.get(key, draft.author_id))),
        )
        blocks.append(Quote(label=label, text=text if text is not None else ctx.t(viewer, "dialog.skipped")))
    return blocks


async def own_blocks(
    ctx: Context, viewer: Person, contract: Contract, role: str, phase: str, version: int | None = None
) -> list[Block]:
    dialog = ctx.texts.dialogs[FLOW]
    lang = ctx.language(viewer)
    given = await answers(ctx, contract, role, phase, version)
    return [
        Quote(
            label=dialog.questions[key].title(lang),
            text=answer if (answer := given[key]) is not None else ctx.t(viewer, "dialog.skipped"),
        )
        for key in dialog.phases[phase].questions
        if key in given
    ]


async def copy(ctx: Context, viewer: Person, contract: Contract, version: int | None = None) -> Message | None:
    """The viewer's copy of the contract at `version`; None when the viewer has none."""
    who = await parties(ctx.db, contract)
    mine = {role for role, p in who.items() if p.id == viewer.id}
    if not mine:
        return None
    version = contract.version if version is None else version
    # Both parties' own fields are in the one document everyone on it reads; the evaluation with
    # a leader only the party and that leader.
    shared = [r for r in PARTS if r in who]
    readable = [r for r in PARTS if r in mine] or [r for r in PARTS if LEADER_OF[r] in mine]
    title = ctx.t(viewer, "peer.copy.title", a=_name(who.get(PART_A)), b=_name(who.get(PART_B)))
    status = ctx.t(viewer, f"peer.status.{contract.status}")
    blocks: list[Block] = [
        Heading(text=title),
        Note(
            text=ctx.t(
                viewer, "peer.copy.version", version=version, latest=contract.version, status=status, id=contract.id
            )
        ),
    ]
    for role in PARTS:
        if role in who:
            blocks.append(await party_line(ctx, viewer, role, who[role]))
    # The template's order: the purpose, each party's goals and leader/sponsor, then the
    # supervisor and the plan and activities.
    draft = await accepted_draft(ctx, contract, version)
    pending = await proposed_draft(ctx, contract)
    if draft is not None:
        blocks += [Divider(), Paragraph(text=f"*{ctx.t(viewer, 'peer.copy.purpose_title')}*")]
        blocks += await joint_blocks(ctx, viewer, contract, draft, [PURPOSE])
    for role in shared:
        blocks += [Divider(), Paragraph(text=f"*{ctx.t(viewer, 'peer.copy.own_title', name=_name(who[role]))}*")]
        blocks += await own_blocks(ctx, viewer, contract, role, OWN, version) or [
            Note(text=ctx.t(viewer, "peer.copy.own_missing"))
        ]
    if draft is not None:
        blocks += [Divider(), Paragraph(text=f"*{ctx.t(viewer, 'peer.copy.plan_title')}*")]
        blocks += await joint_blocks(ctx, viewer, contract, draft, [k for k in joint_keys(ctx) if k != PURPOSE])
        decided = next((p for p in who.values() if p.id == draft.decided_by_id), None)
        blocks.append(
            Note(
                text=ctx.t(
                    viewer,
                    "peer.copy.joint_agreed",
                    number=draft.number,
                    author=_name(next((p for p in who.values() if p.id == draft.author_id), None)),
                    accepted=_name(decided),
                )
            )
        )
    elif pending is None:
        blocks.append(Note(text=ctx.t(viewer, "peer.copy.joint_missing")))
    if pending is not None and version == contract.version:
        blocks.append(Note(text=ctx.t(viewer, "peer.copy.joint_pending", number=pending.number)))
    blocks += await _approvals(ctx, viewer, contract, version)
    if PART_A in mine or PART_B in mine:
        blocks += await evaluation_blocks(ctx, viewer, contract)
    for role in readable:
        notes = await talk_blocks(ctx, viewer, contract, role)
        if notes:
            blocks += [
                Divider(),
                Paragraph(text=f"*{ctx.t(viewer, 'peer.copy.leader_eval_title', name=_name(who[role]))}*"),
            ]
            blocks += notes
    if PART_A in mine or PART_B in mine:
        logs = (
            await ctx.db.exec(
                select(ActivityLog)
                .where(ActivityLog.contract_id == contract.id, ActivityLog.person_id == viewer.id)
                .order_by(col(ActivityLog.id))
            )
        ).all()
        if logs:
            blocks += [Divider(), Paragraph(text=f"*{ctx.t(viewer, 'peer.copy.log_title')}*")]
            blocks += [Quote(label=ctx.day(viewer, entry.logged_at), text=entry.text) for entry in logs]
    if contract.version > 1:
        blocks.append(Note(text=ctx.t(viewer, "peer.copy.versions", id=contract.id, latest=contract.version)))
    return Message(text=title, blocks=blocks)


async def _approvals(ctx: Context, viewer: Person, contract: Contract, version: int) -> list[Block]:
    result = await ctx.db.exec(
        select(Approval, Person)
        .join(Person, col(Approval.approver_id) == col(Person.id))
        .where(Approval.contract_id == contract.id, Approval.version == version, Approval.decision == "approved")
        .order_by(col(Approval.id))
    )
    rows = result.all()
    if not rows:
        return []
    text = ", ".join(
        ctx.t(viewer, "peer.copy.approved_by", name=p.display_name, date=ctx.day(viewer, a.decided_at)) for a, p in rows
    )
    return [Note(text=text)]


async def evaluation_blocks(
    ctx: Context, viewer: Person, contract: Contract, keys: list[str] | None = None
) -> list[Block]:
    """The evaluation between the parties, side by side: both parties see both once both have
    answered; before that, a party sees their own. A party whose answers are gone (they
    erased their data) leaves the other's in place."""
    dialog = ctx.texts.dialogs[FLOW]
    lang = ctx.language(viewer)
    who = await parties(ctx.db, contract)
    given = {role: await answers(ctx, contract, role, "evaluation") for role in PARTS}
    both = all(given.values())
    shown = {role for role in PARTS if given[role] and (both or who[role].id == viewer.id)}
    if not shown:
        return []
    skipped, missing = ctx.t(viewer, "dialog.skipped"), ctx.t(viewer, "peer.copy.own_missing")
    blocks: list[Block] = [Divider(), Paragraph(text=f"*{dialog.phases['evaluation'].name(lang)}*")]
    for key in keys or dialog.phases["evaluation"].questions:
        if key == "eval_supervisor" and SUPERVISOR not in who:
            continue  # not asked: the contract has no supervisor
        blocks.append(
            Columns(
                title=dialog.questions[key].title(lang),
                columns=[
                    Column(
                        label=who[role].display_name,
                        text=(given[role].get(key) or skipped) if role in shown else missing,
                    )
                    for role in PARTS
                ],
            )
        )
    return blocks


async def talk_blocks(ctx: Context, viewer: Person, contract: Contract, part: str) -> list[Block]:
    """A party's evaluation with its own leader: the party's and the leader's assessments side
    by side once both have sent; before that, each sees their own. The party's notes of a
    contract closed before leaders wrote their own are shown alone."""
    dialog = ctx.texts.dialogs[FLOW]
    lang = ctx.language(viewer)
    who = await parties(ctx.db, contract)
    sides = [role for role in (part, LEADER_OF[part]) if role in who]
    given = {role: await answers(ctx, contract, role, LEADER_EVALUATION) for role in sides}
    revealed = all(given.values()) or await part_closed(ctx, contract, part)
    shown = [role for role in sides if given[role] and (revealed or who[role].id == viewer.id)]
    if not shown:
        return []
    skipped = ctx.t(viewer, "dialog.skipped")
    keys = dialog.phases[LEADER_EVALUATION].questions
    if len(shown) == 1:
        return [
            Quote(label=dialog.questions[key].title(lang), text=given[shown[0]].get(key) or skipped)
            for key in keys
            if key in given[shown[0]]
        ]
    return [
        Columns(
            title=dialog.questions[key].title(lang),
            columns=[Column(label=who[role].display_name, text=given[role].get(key) or skipped) for role in shown],
        )
        for key in keys
    ]


async def part_closed(ctx: Context, contract: Contract, part: str) -> bool:
    """Whether `part`'s evaluation with its leader is closed (both agreed, or its Afslut)."""
    return (
        await ctx.db.exec(
            select(Approval.id).where(Approval.contract_id == contract.id, Approval.decision == f"closed:{part}")
        )
    ).first() is not None

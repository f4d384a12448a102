"""Læringskontrakt i klinisk praksis: reading a contract and showing it.

The choice of period and competencies (one message each party sees and both
press), each party's copy, and the folder of a trainee's education are built
here from the viewer. The sub-goals and the where-and-how are the trainee's
until sent: what sits in the trainee's unsent session is in no view.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.core.i18n import format_day
from bot.core.messages import Block, Button, Buttons, Divider, Heading, Message, Note, Paragraph, Quote
from bot.core.plans import Plan
from bot.flows.context import Context
from bot.storage.contracts import parties
from bot.storage.models import Answer, Approval, ClinicalScope, Contract, OutboxMessage, Party, Person

FLOW = "clinical"
SUPERVISOR, TRAINEE = "supervisor", "trainee"
PERIODS = ("week", "month", "half_year", "dates")
# What the supervisor records on the day (decision rows): the feedback given, and the summative
# evaluation with its outcome (`evaluated:passed`, …; `held` from a button that had no outcome).
FEEDBACK_HELD, EVALUATED = "feedback_held", "evaluated"
OUTCOMES = ("passed", "not_passed")
# Contract status -> the step of the four the seed names (1 choose, 2 sub-goals, 3 where/how, 4 feedback).
STEPS = {
    "scope": 1,
    "subgoals": 2,
    "subgoals_add": 2,
    "learning": 3,
    "learning_add": 3,
    "agreement": 4,
    "agreement_review": 4,
}
STEP_COUNT = 4
LIVE = tuple(STEPS)
# The answers of a contract, in the order the copy shows them: (phase, key, role).
SECTIONS = (("subgoals", ("subgoals", "subgoals_add")), ("learning", ("learning", "learning_add")))
AGREEMENT = ("feedback_who", "feedback_when", "evaluation_when")


# ---- reading ------------------------------------------------------------------


async def scope_of(ctx: Context, contract: Contract) -> ClinicalScope:
    found = (await ctx.db.exec(select(ClinicalScope).where(ClinicalScope.contract_id == contract.id))).first()
    assert found is not None, contract.id
    return found


async def answers(ctx: Context, contract: Contract) -> dict[str, str | None]:
    """Every answer of the contract by question key (each key is one role's)."""
    result = await ctx.db.exec(
        select(Answer).where(Answer.contract_id == contract.id, Answer.version == contract.version)
    )
    return {a.question_key: a.text for a in result.all()}


def plan_of(ctx: Context, scope: ClinicalScope) -> Plan | None:
    return ctx.texts.plans.get(scope.plan_id) if scope.plan_id else None


def competency_names(ctx: Context, viewer: Person, scope: ClinicalScope) -> list[str]:
    plan, lang = plan_of(ctx, scope), ctx.language(viewer)
    out = []
    for chosen in scope.competencies:
        found = plan.competency(chosen["id"]) if plan and "id" in chosen else None
        out.append(found.name(lang) if found else chosen.get("text") or chosen.get("name") or "")
    return out


def local_day(ctx: Context, viewer: Person, day: date) -> str:
    return format_day(datetime.combine(day, time(12), ZoneInfo(ctx.tz(viewer))), ctx.language(viewer), ctx.tz(viewer))


def period_text(ctx: Context, viewer: Person, scope: ClinicalScope) -> str:
    if scope.period is None or scope.starts_on is None or scope.ends_on is None:
        return ctx.t(viewer, "clinical.period.none")
    return ctx.t(
        viewer,
        "clinical.period.range",
        kind=ctx.t(viewer, f"clinical.period_kind.{scope.period}"),
        starts=local_day(ctx, viewer, scope.starts_on),
        ends=local_day(ctx, viewer, scope.ends_on),
    )


def title(ctx: Context, viewer: Person, who: dict[str, Person]) -> str:
    return ctx.t(viewer, "clinical.title", trainee=who[TRAINEE].display_name)


def progress(ctx: Context, viewer: Person, status: str) -> Note:
    step = STEPS.get(status, STEP_COUNT)
    return Note(
        text=ctx.t(
            viewer, "clinical.progress", step=step, total=STEP_COUNT, name=ctx.t(viewer, f"clinical.steps.{step}")
        )
    )


def competency_blocks(ctx: Context, viewer: Person, scope: ClinicalScope) -> list[Block]:
    """The chosen competencies: a plan's with its description, free text as the person wrote it."""
    plan, lang = plan_of(ctx, scope), ctx.language(viewer)
    blocks: list[Block] = []
    for chosen in scope.competencies:
        found = plan.competency(chosen["id"]) if plan and "id" in chosen else None
        if found is not None:
            blocks.append(Quote(label=found.name(lang), text=found.description(lang) if found.description else "–"))
        else:
            blocks.append(
                Quote(
                    label=ctx.t(viewer, "clinical.free_competency"), text=chosen.get("text") or chosen.get("name") or ""
                )
            )
    return blocks or [Note(text=ctx.t(viewer, "clinical.no_competencies"))]


# ---- the choice of period and competencies ------------------------------------------------
def scope_message(
    ctx: Context,
    viewer: Person,
    contract: Contract,
    scope: ClinicalScope,
    who: dict[str, Person],
    *,
    note: str | None = None,
) -> Message:
    """What both parties see while they choose; with `note` (the choice is made) no buttons."""
    plans = ctx.texts.plans
    plan = plan_of(ctx, scope)
    lang = ctx.language(viewer)
    cid = f"{contract.id}:{scope.revision}"
    heading = title(ctx, viewer, who)
    if plan is not None:
        intro = ctx.t(viewer, "clinical.scope.intro_plan", plan=plan.name(lang))
    elif plans:
        intro = ctx.t(viewer, "clinical.scope.intro_choose_plan")
    else:
        intro = ctx.t(viewer, "clinical.scope.intro_free")
    blocks: list[Block] = [
        Heading(text=heading),
        progress(ctx, viewer, "scope"),
        Paragraph(text=intro),
        Paragraph(text=ctx.t(viewer, "clinical.scope.period", period=period_text(ctx, viewer, scope))),
        Paragraph(text=ctx.t(viewer, "clinical.scope.competencies")),
        *competency_blocks(ctx, viewer, scope),
    ]
    agreed = [p.display_name for p in who.values() if p.id in scope.agreed_by]
    if agreed:
        blocks.append(Note(text=ctx.t(viewer, "clinical.scope.agreed_by", names=", ".join(agreed))))
    if note is not None:
        blocks.append(Note(text=note))
        return Message(text=heading, blocks=blocks)
    cancel = Button(
        label=ctx.t(viewer, "clinical.scope.cancel"), action="clinical:cancel_scope", value=cid, style="danger"
    )
    if plan is None and len(plans) > 1:
        blocks.append(
            Buttons(
                buttons=[
                    Button(label=p.name(lang), action="clinical:plan", value=f"{cid}:{p.id}") for p in plans.values()
                ]
            )
        )
        blocks.append(Buttons(buttons=[cancel]))
        return Message(text=intro, blocks=blocks)
    blocks.append(
        Buttons(
            buttons=[
                Button(
                    label=("✓ " if scope.period == p else "") + ctx.t(viewer, f"clinical.period.{p}"),
                    action="clinical:period",
                    value=f"{cid}:{p}",
                )
                for p in PERIODS
            ]
        )
    )
    chosen_ids = {c.get("id") for c in scope.competencies}
    if plan is not None:
        blocks.append(
            Buttons(
                buttons=[
                    Button(
                        label=("✓ " if c.id in chosen_ids else "") + c.name(lang),
                        action="clinical:competency",
                        value=f"{cid}:{c.id}",
                    )
                    for c in plan.competencies
                ]
            )
        )
    # Free text, always possible beside a plan: what the plan does not name (a pressed ✓ removes it).
    written = [
        Button(label=f"✓ {c.get('text', '')}"[:75], action="clinical:competency", value=f"{cid}:#{i}")
        for i, c in enumerate(scope.competencies)
        if "text" in c
    ]
    write = Button(
        label=ctx.t(viewer, "clinical.scope.write_competency"), action="clinical:write_competency", value=cid
    )
    blocks.append(Buttons(buttons=[*written, write]))
    blocks.append(
        Buttons(
            buttons=[
                Button(
                    label=ctx.t(viewer, "clinical.scope.agree"), action="clinical:agree", value=cid, style="primary"
                ),
                cancel,
            ]
        )
    )
    return Message(text=intro, blocks=blocks)


async def replace(ctx: Context, ref: str, message: Message) -> None:
    """Show a new body in the place of a posted message (both parties' choice messages)."""
    original = (await ctx.db.exec(select(OutboxMessage).where(OutboxMessage.ref == ref))).first()
    if original is None:
        return
    ctx.rewrite(original, message)


# ---- copies ---------------------------------------------------------------------
async def copy_for(ctx: Context, viewer: Person, contract: Contract) -> Message | None:
    """The viewer's copy (for `/laering eksport`); None when the viewer is not a party."""
    if viewer.id not in {p.id for p in (await parties(ctx.db, contract)).values()}:
        return None
    return await copy(ctx, viewer, contract)


def answer_blocks(ctx: Context, viewer: Person, given: dict[str, str | None], keys: tuple[str, ...]) -> list[Block]:
    dialog = ctx.texts.dialogs[FLOW]
    lang = ctx.language(viewer)
    return [
        Quote(label=dialog.questions[k].title(lang), text=given[k] or ctx.t(viewer, "dialog.skipped"))
        for k in keys
        if k in given
    ]


async def copy(ctx: Context, viewer: Person, contract: Contract) -> Message:
    """The contract as it stands, for one of its parties."""
    who = await parties(ctx.db, contract)
    scope = await scope_of(ctx, contract)
    given = await answers(ctx, contract)
    dialog = ctx.texts.dialogs[FLOW]
    lang = ctx.language(viewer)
    heading = title(ctx, viewer, who)
    blocks: list[Block] = [
        Heading(text=heading),
        Note(
            text=ctx.t(
                viewer,
                "clinical.copy.meta",
                id=contract.id,
                supervisor=who[SUPERVISOR].display_name,
                trainee=who[TRAINEE].display_name,
                status=ctx.t(viewer, f"clinical.status.{contract.status}"),
            )
        ),
        Paragraph(text=ctx.t(viewer, "clinical.scope.period", period=period_text(ctx, viewer, scope))),
        Paragraph(text=ctx.t(viewer, "clinical.scope.competencies")),
        *competency_blocks(ctx, viewer, scope),
    ]
    for phase, keys in SECTIONS:
        blocks += [Divider(), Paragraph(text=f"*{dialog.phases[phase].name(lang)}*")]
        blocks += answer_blocks(ctx, viewer, given, keys) or [
            Note(text=ctx.t(viewer, "clinical.copy.waiting", name=who[TRAINEE].display_name))
        ]
    if any(k in given for k in AGREEMENT):
        blocks += [Divider(), Paragraph(text=f"*{dialog.phases['agreement'].name(lang)}*")]
        blocks += answer_blocks(ctx, viewer, given, AGREEMENT)
    return Message(text=heading, blocks=blocks)


# ---- the folder ---------------------------------------------------------------------
async def records(ctx: Context, ids: list[int]) -> dict[int, dict[str, tuple[str, Approval]]]:
    """Contract id -> what was recorded on the day: "feedback" and "evaluation" -> (outcome, row)."""
    found: dict[int, dict[str, tuple[str, Approval]]] = {}
    rows = (await ctx.db.exec(select(Approval).where(col(Approval.contract_id).in_(ids)))).all()
    for row in rows:
        if row.decision == FEEDBACK_HELD:
            found.setdefault(row.contract_id, {})["feedback"] = ("", row)
        elif row.decision.startswith(f"{EVALUATED}:"):
            found.setdefault(row.contract_id, {})["evaluation"] = (row.decision.split(":", 1)[1], row)
    return found


async def folder(ctx: Context, viewer: Person, trainee: Person) -> Message:
    """Every clinical contract of the trainee's education: competencies, period, status."""
    heading = ctx.t(viewer, "clinical.folder.title", name=trainee.display_name)
    body = await folder_body(ctx, viewer, trainee)
    hint = [Note(text=ctx.t(viewer, "clinical.folder.show_hint"))] if len(body) > 1 else []
    return Message(text=heading, blocks=[Heading(text=heading), *body, *hint])


async def folder_body(ctx: Context, viewer: Person, trainee: Person) -> list[Block]:
    """The trainee's contracts as the folder shows them (or that there are none)."""
    result = await ctx.db.exec(
        select(Contract, ClinicalScope)
        .join(Party, col(Party.contract_id) == col(Contract.id))
        .join(ClinicalScope, col(ClinicalScope.contract_id) == col(Contract.id))
        .where(Party.person_id == trainee.id, Party.role == TRAINEE, Contract.flow == FLOW)
        .order_by(col(Contract.id))
    )
    rows = result.all()
    if not rows:
        return [Paragraph(text=ctx.t(viewer, "clinical.folder.empty", name=trainee.display_name))]
    blocks: list[Block] = []
    supervisors = {}
    for party, person in (
        await ctx.db.exec(
            select(Party, Person)
            .join(Person, col(Party.person_id) == col(Person.id))
            .where(col(Party.contract_id).in_([c.id for c, _ in rows]), Party.role == SUPERVISOR)
        )
    ).all():
        supervisors[party.contract_id] = person
    blocks.append(Note(text=ctx.t(viewer, "clinical.folder.intro", count=len(rows))))
    recorded = await records(ctx, [c.id for c, _ in rows if c.id is not None])
    names_of = {p.id: p.display_name for p in supervisors.values()}
    for contract, scope in rows:
        names = competency_names(ctx, viewer, scope)
        details = [
            ctx.t(
                viewer,
                "clinical.folder.line",
                id=contract.id,
                status=ctx.t(viewer, f"clinical.status.{contract.status}"),
                supervisor=supervisors[contract.id].display_name if contract.id in supervisors else "",
                period=period_text(ctx, viewer, scope),
            )
        ]
        done = recorded.get(contract.id or 0, {})
        if "feedback" in done:  # what happened: when, and by whom
            row = done["feedback"][1]
            details.append(
                ctx.t(
                    viewer,
                    "clinical.folder.feedback_held",
                    date=ctx.day(viewer, row.decided_at),
                    name=names_of.get(row.approver_id, ""),
                )
            )
        elif scope.feedback_on:
            details.append(ctx.t(viewer, "clinical.folder.feedback", date=local_day(ctx, viewer, scope.feedback_on)))
        if "evaluation" in done:
            outcome, row = done["evaluation"]
            details.append(
                ctx.t(
                    viewer,
                    "clinical.folder.evaluated",
                    date=ctx.day(viewer, row.decided_at),
                    outcome=ctx.t(viewer, f"clinical.outcome.{outcome}"),
                )
            )
        elif scope.evaluation_on:
            details.append(
                ctx.t(viewer, "clinical.folder.evaluation", date=local_day(ctx, viewer, scope.evaluation_on))
            )
        blocks += [
            Divider(),
            Quote(label=ctx.t(viewer, "clinical.folder.competencies"), text="\n".join(f"• {n}" for n in names) or "–"),
            Note(text=" · ".join(details)),
        ]
    return blocks


# A supervisor's folder shows this many trainees' folders at once; `mappe @navn` shows any.
FOLDER_TRAINEES = 8


async def supervisor_folder(ctx: Context, viewer: Person, trainees: list[Person]) -> Message:
    """`mappe` for a supervisor: each of their trainees' contracts, trainee by trainee."""
    heading = ctx.t(viewer, "clinical.folder.supervisor_title")
    blocks: list[Block] = [Heading(text=heading)]
    for trainee in trainees[:FOLDER_TRAINEES]:
        title = ctx.t(viewer, "clinical.folder.title", name=trainee.display_name)
        blocks += [Divider(), Paragraph(text=f"*{title}*"), *await folder_body(ctx, viewer, trainee)]
    names = ", ".join(t.display_name for t in trainees)
    blocks.append(Note(text=ctx.t(viewer, "clinical.folder.show_hint")))
    blocks.append(Note(text=ctx.t(viewer, "clinical.folder.choose_trainee", names=names)))
    return Message(text=heading, blocks=blocks)

"""The e-learning contract's copy: what `/laering eksport` gives each party (`bot/flows/export.py`)."""

from __future__ import annotations

from sqlmodel import col, select

from bot.core.messages import Block, Column, Columns, Divider, Heading, Message, Note, Paragraph, Quote
from bot.core.text import capitalised
from bot.flows.context import Context
from bot.storage.models import Answer, Approval, Contract, Party, Person, Submission

ELEARNING, LEADER, EMPLOYEE = "elearning", "leader", "employee"  # as bot/flows/elearning/lifecycle.py names them


async def elearning_copy(ctx: Context, viewer: Person, contract: Contract) -> Message | None:
    """The e-learning contract as the viewer may read it; None when the viewer is no party.

    Both parties read both sets of answers of a phase once both have sent them
    (as the chat shows them side by side); before that, only their own.
    """
    rows = (
        await ctx.db.exec(
            select(Party, Person)
            .join(Person, col(Party.person_id) == col(Person.id))
            .where(Party.contract_id == contract.id)
        )
    ).all()
    who = {party.role: person for party, person in rows}
    mine = {role for role, person in who.items() if person.id == viewer.id}
    if not mine:
        return None
    dialog = ctx.texts.dialogs[ELEARNING]
    lang = ctx.language(viewer)
    status = ctx.t(viewer, f"elearning.status.{contract.status}")
    title = ctx.t(viewer, "export.elearning.title", title=contract.title)
    blocks: list[Block] = [
        Heading(text=title),
        Note(text=ctx.t(viewer, "export.elearning.meta", id=contract.id, version=contract.version, status=status)),
    ]
    for role in (LEADER, EMPLOYEE):
        if role in who:
            blocks.append(Quote(label=capitalised(dialog.roles[role](lang)), text=who[role].display_name))
    answers = (
        await ctx.db.exec(select(Answer).where(Answer.contract_id == contract.id, Answer.version == contract.version))
    ).all()
    sent = {
        (s.role, s.phase)
        for s in (await ctx.db.exec(select(Submission).where(Submission.contract_id == contract.id))).all()
    }
    skipped = ctx.t(viewer, "dialog.skipped")
    for phase in ("before", "after"):
        given = {
            role: {a.question_key: a.text for a in answers if a.role == role and a.phase == phase}
            for role in (LEADER, EMPLOYEE)
        }
        both = all((role, phase) in sent for role in (LEADER, EMPLOYEE))
        # A party reads the other's answers only once both have sent (PRODUCT.md §1: nothing before Send).
        shown = [role for role in (LEADER, EMPLOYEE) if role in who and (both or role in mine) and given[role]]
        hidden = [role for role in (LEADER, EMPLOYEE) if role in who and role not in mine and not both]
        if not any(given.values()):
            continue
        blocks += [Divider(), Paragraph(text=f"*{dialog.phases[phase].name(lang)}*")]
        for key in dialog.phases[phase].questions if shown else ():
            blocks.append(
                Columns(
                    title=dialog.questions[key].title(lang),
                    columns=[
                        Column(
                            label=f"{who[role].display_name} ({dialog.roles[role](lang)})",
                            text=given[role].get(key) or skipped,
                        )
                        for role in shown
                    ],
                )
            )
        blocks += [Note(text=ctx.t(viewer, "export.elearning.waiting", name=who[role].display_name)) for role in hidden]
    decisions = (
        await ctx.db.exec(
            select(Approval, Person)
            .join(Person, col(Approval.approver_id) == col(Person.id))
            .where(Approval.contract_id == contract.id)
            .order_by(col(Approval.id))
        )
    ).all()
    if decisions:
        blocks.append(Divider())
    for decision, person in decisions:
        values = {"name": person.display_name, "date": ctx.day(viewer, decision.decided_at)}
        if decision.decision == "changes_requested":
            blocks.append(Quote(label=ctx.t(viewer, "export.elearning.changes", **values), text=decision.comment or ""))
        elif decision.decision in ("approved", "closed"):
            blocks.append(Note(text=ctx.t(viewer, f"export.elearning.{decision.decision}", **values)))
    return Message(text=title, blocks=blocks)

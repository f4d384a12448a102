"""What every contract flow reads and writes the same way: its parties, its answers with
their submission, and its decisions."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import Answer, Approval, AuditEvent, Contract, Party, Person, Submission

# The audit row of a sent set of answers.
SUBMITTED = "answers.submitted"


async def parties(db: AsyncSession, contract: Contract) -> dict[str, Person]:
    """Role -> person, for every party the contract has so far."""
    result = await db.exec(
        select(Party, Person)
        .join(Person, col(Party.person_id) == col(Person.id))
        .where(Party.contract_id == contract.id)
    )
    return {party.role: person for party, person in result.all()}


async def given_answers(db: AsyncSession, contract: Contract, role: str, phase: str) -> dict[str, str | None]:
    """A role's answers of a phase, in the contract's current version."""
    result = await db.exec(
        select(Answer).where(
            Answer.contract_id == contract.id,
            Answer.role == role,
            Answer.phase == phase,
            Answer.version == contract.version,
        )
    )
    return {a.question_key: a.text for a in result.all()}


async def submitted(db: AsyncSession, contract: Contract, role: str, phase: str) -> bool:
    """Whether a role has sent its answers of a phase."""
    found = await db.exec(
        select(Submission.id).where(
            Submission.contract_id == contract.id, Submission.role == role, Submission.phase == phase
        )
    )
    return found.first() is not None


async def store_answers(
    db: AsyncSession,
    contract: Contract,
    person: Person,
    role: str,
    phase: str,
    given: dict[str, str | None],
    now: datetime,
) -> None:
    """A role's sent answers of a phase (a later send replaces them), the submission the
    contract's state rests on, and the audit row."""
    assert contract.id is not None and person.id is not None  # both are in the database
    existing = {
        a.question_key: a
        for a in (
            await db.exec(
                select(Answer).where(
                    Answer.contract_id == contract.id,
                    Answer.role == role,
                    Answer.phase == phase,
                    Answer.version == contract.version,
                )
            )
        ).all()
    }
    for key, text in given.items():
        row = existing.get(key) or Answer(
            contract_id=contract.id,
            person_id=person.id,
            role=role,
            phase=phase,
            question_key=key,
            version=contract.version,
        )
        row.text, row.answered_at = text, now
        db.add(row)
    if not await submitted(db, contract, role, phase):
        db.add(Submission(contract_id=contract.id, person_id=person.id, role=role, phase=phase, submitted_at=now))
    db.add(
        AuditEvent(
            at=now,
            action=SUBMITTED,
            actor_id=person.id,
            contract_id=contract.id,
            detail={"phase": phase, "role": role, "version": contract.version},
        )
    )
    await db.flush()


def decide(
    db: AsyncSession, contract: Contract, approver: Person, decision: str, now: datetime, comment: str | None = None
) -> Approval:
    """A decision on the contract's current version and round: approved, changes_requested,
    closed (or a flow's own, such as `closed:part_a`)."""
    assert contract.id is not None and approver.id is not None  # both are in the database
    row = Approval(
        contract_id=contract.id,
        version=contract.version,
        round=contract.round,
        approver_id=approver.id,
        decision=decision,
        comment=comment,
        decided_at=now,
    )
    db.add(row)
    return row

"""What the flows' overview sources read (`bot/flows/overview.py`): a person's live
contracts, their parties, submissions and open sessions, as plain columns.

Each reads in a handful of queries (by `party.person_id`, then `in_` over the
contract ids), never one query per contract.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement
from sqlmodel import col, select

from bot.flows.context import Context
from bot.flows.conversations import OPEN
from bot.flows.overview import GROUPS, Item
from bot.storage.models import Contract, DialogSession, Party, Person, Submission

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


def _live(person: Person, flow: str, statuses: tuple[str, ...]) -> tuple[ColumnElement[bool], ...]:
    """Where the person is a party to a live contract of the flow (joined `party` and `contract`)."""
    return col(Party.person_id) == person.id, col(Contract.flow) == flow, col(Contract.status).in_(statuses)


async def _mine(
    ctx: Context, person: Person, flow: str, statuses: tuple[str, ...]
) -> dict[int, tuple[_Contract, set[str]]]:
    """The person's live contracts of a flow, with the person's roles in each."""
    result = await ctx.db.exec(
        select(  # type: ignore[call-overload]  # sqlmodel types select() for up to four columns
            Contract.id,
            Contract.title,
            Contract.status,
            Contract.round,
            Contract.updated_at,
            Contract.followup_at,
            Party.role,
        )
        .join(Party, col(Party.contract_id) == col(Contract.id))
        .where(*_live(person, flow, statuses))
    )
    found: dict[int, tuple[_Contract, set[str]]] = {}
    for *contract, role in result.all():
        found.setdefault(contract[0], (_Contract(*contract), set()))[1].add(role)
    return found


async def _parties(ctx: Context, ids: list[int]) -> dict[int, dict[str, _Who]]:
    result = await ctx.db.exec(
        select(  # type: ignore[call-overload]  # sqlmodel types select() for up to four columns
            Party.contract_id, Party.role, Person.id, Person.display_name, Person.timezone
        )
        .join(Person, col(Party.person_id) == col(Person.id))
        .where(col(Party.contract_id).in_(ids))
    )
    found: dict[int, dict[str, _Who]] = defaultdict(dict)
    for contract_id, role, *who in result.all():
        found[contract_id][role] = _Who(*who)
    return found


async def _submitted(ctx: Context, ids: list[int]) -> dict[tuple[int, str, str], datetime]:
    result = await ctx.db.exec(
        select(Submission.contract_id, Submission.role, Submission.phase, Submission.submitted_at).where(
            col(Submission.contract_id).in_(ids)
        )
    )
    return {(cid, role, phase): at for cid, role, phase, at in result.all()}


async def _sessions(
    ctx: Context, person: Person, flow: str, phases: tuple[str, ...] | None = None
) -> dict[int, set[str]]:
    """Contract id -> the phases the person has a session open (or waiting) in; only those in
    `phases` when given (a leader may have thousands of sessions queued)."""
    query = select(DialogSession.contract_ids, DialogSession.phase).where(
        DialogSession.person_id == person.id, col(DialogSession.status).in_(OPEN), DialogSession.flow == flow
    )
    if phases is not None:
        query = query.where(col(DialogSession.phase).in_(phases))
    result = await ctx.db.exec(query)
    found: dict[int, set[str]] = defaultdict(set)
    for contract_ids, phase in result.all():
        for contract_id in contract_ids:
            found[contract_id].add(phase)
    return found


def _best(items: list[Item]) -> list[Item]:
    """One item per contract: what waits for the person first, then what waits for others."""
    return sorted(items, key=lambda i: GROUPS.index(i.group))[:1]

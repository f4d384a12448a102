"""What the flows' overview sources read (`bot/flows/overview.py`): a person's live
contracts, their parties, submissions and open sessions, as plain columns.

Each reads in a handful of queries (by `party.person_id`, then `in_` over the
contract ids), never one query per contract.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import String, cast, or_
from sqlmodel import col, select

from bot.flows.context import Context
from bot.flows.conversations import OPEN
from bot.flows.overview import GROUPS, Item
from bot.storage.models import Contract, DialogSession, Party, Person, Submission

MEETINGS_AHEAD = 20
# A page's contracts are looked for in the sessions' lists by name up to this many (`_sessions`).
NAMED_AT_MOST = 50


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


async def _parts(
    ctx: Context, flow: str, statuses: tuple[str, ...], ids: Collection[int] | None, person: Person | None
) -> list[tuple[_Contract, int, str]]:
    """(contract, person id, role) of the live contracts of a flow: of these ids, when given,
    and of that person, when given."""
    query = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for up to four columns
            Contract.id,
            Contract.title,
            Contract.status,
            Contract.round,
            Contract.updated_at,
            Contract.followup_at,
            Party.person_id,
            Party.role,
        )
        .join(Party, col(Party.contract_id) == col(Contract.id))
        .where(col(Contract.flow) == flow)
    )
    if ids is not None:
        # By the contracts' ids alone, the person and the status sorted out below. PostgreSQL's
        # generic plan of a prepared statement takes `person_id = $1` for a few rows and reads
        # a leader's 11,000 (22 ms instead of 0.5 from the tenth build on); SQLite, given the
        # status too, reads every live contract by it (6 ms; bench/overview.py).
        query = query.where(col(Contract.id).in_(list(ids)))
    else:
        query = query.where(col(Contract.status).in_(statuses))
        if person is not None:
            query = query.where(col(Party.person_id) == person.id)
    return [
        (_Contract(*columns), person_id, role)
        for *columns, person_id, role in (await ctx.db.exec(query)).all()
        if (person is None or person_id == person.id) and columns[2] in statuses
    ]


async def _mine(
    ctx: Context, person: Person, flow: str, statuses: tuple[str, ...], ids: Collection[int] | None = None
) -> dict[int, tuple[_Contract, set[str]]]:
    """The person's live contracts of a flow (of these, when given), with the person's roles in each."""
    found: dict[int, tuple[_Contract, set[str]]] = {}
    for contract, _, role in await _parts(ctx, flow, statuses, ids, person):
        found.setdefault(contract.id, (contract, set()))[1].add(role)
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
    ctx: Context,
    person: Person,
    flow: str,
    phases: tuple[str, ...] | None = None,
    ids: Collection[int] | None = None,
) -> dict[int, set[str]]:
    """Contract id -> the phases the person has a session open (or waiting) in; only those in
    `phases` when given, and of the contracts `ids` when given (a leader may have thousands
    of sessions queued, and a page shows a few contracts)."""
    query = select(DialogSession.contract_ids, DialogSession.phase).where(
        DialogSession.person_id == person.id, col(DialogSession.status).in_(OPEN), DialogSession.flow == flow
    )
    if phases is not None:
        query = query.where(col(DialogSession.phase).in_(phases))
    if ids is not None and not ids:
        return defaultdict(set)
    if ids is not None and len(ids) <= NAMED_AT_MOST:
        # A session about one contract (most are) holds the list's text "[<id>]" exactly: it is
        # matched as a whole. A list of several (a group's e-learning contracts) is read and
        # sorted out below.
        listed = cast(col(DialogSession.contract_ids), String)
        query = query.where(or_(listed.in_([json.dumps([i]) for i in sorted(set(ids))]), listed.contains(",")))
    result = await ctx.db.exec(query)
    found: dict[int, set[str]] = defaultdict(set)
    wanted = None if ids is None else set(ids)
    for contract_ids, phase in result.all():
        for contract_id in contract_ids:
            if wanted is None or contract_id in wanted:
                found[contract_id].add(phase)
    return found


def _best(items: list[Item]) -> list[Item]:
    """One item per contract: what waits for the person first, then what waits for others."""
    return sorted(items, key=lambda i: GROUPS.index(i.group))[:1]

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
from typing import Any, NamedTuple

from sqlalchemy import String, bindparam, cast, or_
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


def _parts_statement(by_ids: bool) -> Any:  # sqlmodel types select() for up to four columns
    query = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for up to four columns
            Contract.id,
            Contract.title,
            Contract.status,
            Contract.round,
            Contract.updated_at,
            Contract.followup_at,
            Party.role,
            Person.id,
            Person.display_name,
            Person.timezone,
        )
        .join(Party, col(Party.contract_id) == col(Contract.id))
        .join(Person, col(Person.id) == col(Party.person_id))
        .where(col(Contract.flow) == bindparam("flow"))
    )
    if by_ids:
        # By the contracts' ids alone, the person and the status sorted out in Python.
        # PostgreSQL's generic plan of a prepared statement takes `person_id = $1` for a few
        # rows and reads a leader's 11,000 (22 ms instead of 0.5 from the tenth build on);
        # SQLite, given the status too, reads every live contract by it (6 ms; bench/overview.py).
        return query.where(col(Contract.id).in_(bindparam("ids", expanding=True)))
    return query.where(col(Contract.status).in_(bindparam("statuses", expanding=True)))


# Built once, their parameters bound at each use: building and keying a statement costs
# about as much as running it (bench/overview.py).
_PARTS_OF = _parts_statement(by_ids=True)
_PARTS_LIVE = _parts_statement(by_ids=False)
_PARTS_OF_PERSON = _PARTS_LIVE.where(col(Party.person_id) == bindparam("person"))


async def _parts(
    ctx: Context, flow: str, statuses: tuple[str, ...], ids: Collection[int] | None, person: Person | None
) -> list[tuple[_Contract, _Who, str]]:
    """(contract, party, role) of the live contracts of a flow: of these ids, when given,
    and of that person, when given."""
    params: dict[str, Any] = {"flow": flow, "ids": list(ids or ()), "statuses": list(statuses)}
    if ids is not None:
        query = _PARTS_OF
    elif person is not None:
        query, params["person"] = _PARTS_OF_PERSON, person.id
    else:
        query = _PARTS_LIVE
    found: list[tuple[_Contract, _Who, str]] = []
    for *columns, role, person_id, name, timezone in (await ctx.db.exec(query, params=params)).all():
        if (person is None or person_id == person.id) and columns[2] in statuses:
            found.append((_Contract(*columns), _Who(person_id, name, timezone), role))
    return found


async def _mine(
    ctx: Context, person: Person, flow: str, statuses: tuple[str, ...], ids: Collection[int] | None = None
) -> dict[int, tuple[_Contract, set[str]]]:
    """The person's live contracts of a flow (of these, when given), with the person's roles in each."""
    found: dict[int, tuple[_Contract, set[str]]] = {}
    for contract, _, role in await _parts(ctx, flow, statuses, ids, person):
        found.setdefault(contract.id, (contract, set()))[1].add(role)
    return found


def _named(parts: list[tuple[_Contract, _Who, str]]) -> dict[int, dict[str, _Who]]:
    """Contract id -> role -> the party, of what `_parts` read of every party."""
    found: dict[int, dict[str, _Who]] = defaultdict(dict)
    for contract, who, role in parts:
        found[contract.id][role] = who
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


_SUBMITTED = select(Submission.contract_id, Submission.role, Submission.phase, Submission.submitted_at).where(
    col(Submission.contract_id).in_(bindparam("ids", expanding=True))
)


async def _submitted(ctx: Context, ids: list[int]) -> dict[tuple[int, str, str], datetime]:
    result = await ctx.db.exec(_SUBMITTED, params={"ids": ids})
    return {(cid, role, phase): at for cid, role, phase, at in result.all()}


_SESSIONS = select(DialogSession.contract_ids, DialogSession.phase).where(
    DialogSession.person_id == bindparam("person"),
    col(DialogSession.status).in_(OPEN),
    DialogSession.flow == bindparam("flow"),
)
_SESSIONS_IN = _SESSIONS.where(col(DialogSession.phase).in_(bindparam("phases", expanding=True)))


def _named_sessions(query: Any) -> Any:
    # A session about one contract (most are) holds the list's text "[<id>]" exactly: it is
    # matched as a whole. A list of several (a group's e-learning contracts) is read and
    # sorted out in Python.
    listed = cast(col(DialogSession.contract_ids), String)
    return query.where(or_(listed.in_(bindparam("named", expanding=True)), listed.contains(",")))


_SESSIONS_NAMED = _named_sessions(_SESSIONS)
_SESSIONS_IN_NAMED = _named_sessions(_SESSIONS_IN)


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
    if ids is not None and not ids:
        return defaultdict(set)
    params: dict[str, Any] = {"person": person.id, "flow": flow}
    named = ids is not None and len(ids) <= NAMED_AT_MOST
    if named and ids is not None:
        params["named"] = [json.dumps([i]) for i in sorted(set(ids))]
    if phases is not None:
        params["phases"] = list(phases)
        query = _SESSIONS_IN_NAMED if named else _SESSIONS_IN
    else:
        query = _SESSIONS_NAMED if named else _SESSIONS
    found: dict[int, set[str]] = defaultdict(set)
    wanted = None if ids is None else set(ids)
    for contract_ids, phase in (await ctx.db.exec(query, params=params)).all():
        for contract_id in contract_ids:
            if wanted is None or contract_id in wanted:
                found[contract_id].add(phase)
    return found


def _best(items: list[Item]) -> list[Item]:
    """One item per contract: what waits for the person first, then what waits for others."""
    return sorted(items, key=lambda i: GROUPS.index(i.group))[:1]

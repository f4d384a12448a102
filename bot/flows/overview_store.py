"""The overview's stored entries: where each contract stands for each of its parties.

A leader may hold 10,000 e-learning contracts and 1,000 peer contracts. Working out
each one's group and date at every look costs a scan of all of them (bench/overview.py:
120 ms on SQLite), so the flows whose people hold thousands (a `StoredSource`) keep
that answer in `overviewentry` — one row a party and contract: the group and the date
the overview sorts by — and the overview counts and pages from its index, in one
statement (`_PAGE`):

    each group's stretch   … WHERE person_id = ? AND grp = ?
                           ORDER BY undated, at, flow, contract_id LIMIT ? OFFSET ?
    UNION ALL the counts   SELECT grp, count(*) … WHERE person_id = ? GROUP BY grp

Only the page's items are then read and written in full, by the flow's own code
(`StoredSource.entries` for those contracts, then `render`), so what a page says is
always the contract as it is now.

Keeping the rows
----------------
Mapper events note, on the session, every contract whose state changed in a flush:
a contract, its parties, submissions, decisions or joint drafts written, and a dialog
session opened, closed or moved to another phase (a peer party's "answer the questions"
rests on that). Before the transaction commits (`Database.before_commit`), and before
the overview reads in it, `refresh` writes those contracts' rows again from the flows'
`stored`. Statements around the ORM do not raise those events: what the retention and
the erasure delete goes with its contract or person (`overviewentry` has delete policies,
bot/storage/personal_data.py), and seeding straight into the tables (the benchmarks)
ends with `rebuild`.

A database from before this table is filled at the first start (`rebuild`, in chunks of
contracts, each its own transaction; a `maintenancerun` row says it is done). Until then
the overview of a contract not yet reached is missing from the counts, for seconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Iterable
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import CompoundSelect, bindparam, delete, event, func, inspect, null, union_all
from sqlalchemy.orm import Session, object_session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flows.context import Context
from bot.flows.overview import GROUPS, Entry, Group, Item, Renders
from bot.storage.db import insert_into
from bot.storage.models import (
    Approval,
    Contract,
    DialogSession,
    JointDraft,
    MaintenanceRun,
    OverviewEntry,
    Party,
    Person,
    Submission,
    table_of,
)

# The session's note of the contracts changed since the last refresh (`Session.info`).
TOUCHED = "overview_touched"
# The maintenance row that says the table was filled from the contracts once (`rebuild`).
REBUILT = "overview-entries"
# Contracts a transaction of the rebuild writes.
REBUILD_CHUNK = 1000


def _page_statement() -> CompoundSelect[Any]:
    """A page's read of the table, one statement: each group's stretch in the overview's order
    (`{group}_offset`, `{group}_limit`), then each group's count as a row with no flow (the
    windows come first: their columns type the result). Built once, its parameters bound at
    each use (bench/overview.py: four statements took twice as long on PostgreSQL)."""
    table = table_of(OverviewEntry)
    person = bindparam("person", type_=table.c.person_id.type)
    windows = []
    for group in GROUPS:
        stretch = (
            select(table.c.grp, table.c.flow, table.c.contract_id, table.c.at)
            .where(table.c.person_id == person, table.c.grp == group)
            .order_by(table.c.undated, table.c.at, table.c.flow, table.c.contract_id)
            .offset(bindparam(f"{group}_offset"))
            .limit(bindparam(f"{group}_limit"))
            .subquery()
        )
        windows.append(select(*stretch.c))
    counts = select(table.c.grp, null(), func.count(), null()).where(table.c.person_id == person).group_by(table.c.grp)
    return union_all(*windows, counts)


_PAGE = _page_statement()


@runtime_checkable
class StoredSource(Renders, Protocol):
    """A flow whose contracts' places in the overview are stored (`overviewentry`)."""

    # The flow's `Contract.flow`.
    flow: str

    async def entries(self, ctx: Context, person: Person, ids: Collection[int] | None = None) -> list[Entry]:
        """The person's entries of these contracts (all theirs with None), ready for `render`;
        keys are "<flow>:<contract id>"."""
        ...

    async def stored(self, ctx: Context, ids: Collection[int]) -> list[tuple[int, Entry]]:
        """Every party's entry of these contracts, as (person id, entry): what is stored (the
        group and the date; the step may leave out what only the page needs)."""
        ...


def contract_of(key: str) -> int:
    return int(key.partition(":")[2])


class OverviewStore:
    """The overview's source for the stored flows: counts and pages from `overviewentry`."""

    def __init__(self, sources: Iterable[StoredSource]) -> None:
        self.sources = {source.flow: source for source in sources}

    # ---- reading (a `CountedSource` of the overview) --------------------------------
    async def page(
        self, ctx: Context, person: Person, stretches: dict[Group, tuple[int, int]]
    ) -> tuple[dict[Group, int], dict[Group, list[Entry]]]:
        await self.refresh(ctx)
        params: dict[str, Any] = {"person": person.id}
        for group in GROUPS:
            params[f"{group}_offset"], params[f"{group}_limit"] = stretches.get(group, (0, 0))
        counts: dict[Group, int] = {g: 0 for g in GROUPS}
        read: dict[Group, list[Entry]] = {g: [] for g in GROUPS}
        connection = await ctx.db.connection()
        for group, flow, number, at in (await connection.execute(_PAGE, params)).all():
            if flow is None:  # the group's count
                counts[group] = number
            else:
                read[group].append(Entry(group=group, key=f"{flow}:{number}", at=at))
        return counts, read

    async def render(self, ctx: Context, person: Person, entries: list[Entry]) -> list[Item]:
        """The page's items, written by their flows from the contracts as they are now. An entry
        whose contract no longer shows for the person is left out."""
        by_flow: dict[str, list[Entry]] = defaultdict(list)
        for entry in entries:
            by_flow[entry.key.partition(":")[0]].append(entry)
        written: dict[str, Item] = {}
        for flow, shown in by_flow.items():
            source = self.sources[flow]
            live = {e.key: e for e in await source.entries(ctx, person, [contract_of(e.key) for e in shown])}
            found = [live[e.key] for e in shown if e.key in live]
            written.update((item.key, item) for item in await source.render(ctx, person, found))
        return [written[e.key] for e in entries if e.key in written]

    # ---- keeping ------------------------------------------------------------------
    async def refresh(self, ctx: Context) -> None:
        """Write again the rows of the contracts this transaction changed so far."""
        await ctx.db.flush()
        info = ctx.db.sync_session.info
        if info.get(TOUCHED):
            await self.write(ctx, sorted(info.pop(TOUCHED)))

    async def write(self, ctx: Context, ids: list[int]) -> None:
        """The rows of these contracts, from the flows' reading of them now."""
        connection = await ctx.db.connection()
        table = table_of(OverviewEntry)
        await connection.execute(delete(table).where(table.c.contract_id.in_(ids)))
        by_flow: dict[str, list[int]] = defaultdict(list)
        for cid, flow in (
            await ctx.db.exec(
                select(Contract.id, Contract.flow).where(
                    col(Contract.id).in_(ids), col(Contract.flow).in_(list(self.sources))
                )
            )
        ).all():
            if cid is not None:
                by_flow[flow].append(cid)
        rows: list[dict[str, Any]] = []
        for flow, cids in sorted(by_flow.items()):
            rows += (
                {
                    "person_id": person_id,
                    "contract_id": contract_of(entry.key),
                    "flow": flow,
                    "grp": entry.group,
                    "at": entry.at,
                    "undated": entry.at is None,
                }
                for person_id, entry in await self.sources[flow].stored(ctx, cids)
            )
        if rows:
            # One transaction writes a contract's rows at a time (the flows' writes are
            # serialized); should another have written them meanwhile, the newer reading wins.
            upsert = insert_into(ctx.db, table)
            await connection.execute(
                upsert.on_conflict_do_update(
                    index_elements=["person_id", "contract_id"],
                    set_={name: upsert.excluded[name] for name in ("flow", "grp", "at", "undated")},
                ),
                rows,
            )
        # The ORM reads above raise no events; whatever this wrote was not a change of state.
        ctx.db.sync_session.info.pop(TOUCHED, None)

    async def rebuild(self, transaction: Callable[[], Any], context: Callable[[AsyncSession], Context]) -> int:
        """Fill the table from the contracts, once per database (the first start after the
        upgrade that brought it; the benchmarks after seeding). Each chunk is its own
        transaction and writes its contracts' rows whole, so a rebuild that is cut off, or
        runs in two instances at once, is simply done again. Returns the contracts read."""
        async with transaction() as s:
            if await s.get(MaintenanceRun, REBUILT) is not None:
                return 0
        after, done = 0, 0
        while True:
            async with transaction() as s:
                ctx = context(s)
                ids = list(
                    (
                        await s.exec(
                            select(Contract.id)
                            .where(col(Contract.id) > after, col(Contract.flow).in_(list(self.sources)))
                            .order_by(col(Contract.id))
                            .limit(REBUILD_CHUNK)
                        )
                    ).all()
                )
                if not ids:
                    if await s.get(MaintenanceRun, REBUILT) is None:
                        s.add(MaintenanceRun(name=REBUILT, last_run_at=ctx.now))
                    return done
                await self.write(ctx, [i for i in ids if i is not None])
            after, done = ids[-1] or after, done + len(ids)


# ---- noting what changed -------------------------------------------------------------


def _touch(row: Any, ids: Iterable[int | None]) -> None:
    session: Session | None = object_session(row)
    if session is not None:
        session.info.setdefault(TOUCHED, set()).update(i for i in ids if i is not None)


def _contract_row(_mapper: Any, _connection: Any, row: Contract) -> None:
    _touch(row, (row.id,))


def _child_row(_mapper: Any, _connection: Any, row: Party | Submission | Approval | JointDraft) -> None:
    _touch(row, (row.contract_id,))


def _session_row(_mapper: Any, _connection: Any, row: DialogSession) -> None:
    _touch(row, row.contract_ids)


def _session_moved(_mapper: Any, _connection: Any, row: DialogSession) -> None:
    # An answer saved changes only `state`: the overview does not show it.
    state = inspect(row)
    if state.attrs.status.history.has_changes() or state.attrs.phase.history.has_changes():
        _touch(row, row.contract_ids)


for _event in ("after_insert", "after_update", "after_delete"):
    event.listen(Contract, _event, _contract_row)
    for _model in (Party, Submission, Approval, JointDraft):
        event.listen(_model, _event, _child_row)
for _event in ("after_insert", "after_delete"):
    event.listen(DialogSession, _event, _session_row)
event.listen(DialogSession, "before_update", _session_moved)


def before_commit(
    store: OverviewStore, context: Callable[[AsyncSession], Context]
) -> Callable[[AsyncSession], Awaitable[None]]:
    """The hook `Database.before_commit` runs: the changed contracts' rows, in the same transaction."""

    async def hook(session: AsyncSession) -> None:
        await session.flush()
        if session.sync_session.info.get(TOUCHED):
            await store.refresh(context(session))

    return hook

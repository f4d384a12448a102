"""What the e-learning contract shows in the overview (`bot/flows/overview.py`)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from bot.core.messages import Button
from bot.flows.context import Context
from bot.flows.elearning.states import EMPLOYEE, LEADER, LIVE, TURNS, Status
from bot.flows.overview import Entry, Group, Item
from bot.flows.overview_reads import _Contract, _named, _parties, _parts, _sessions, _submitted, _Who
from bot.storage.models import Person

# The states where each party answers questions, and the phase they answer.
ANSWERING: dict[str, str] = {Status.BEFORE: "before", Status.CHANGES: "before", Status.AFTER: "after"}
# The states where one party decides: the step shown to them, and to the other.
DECIDING: dict[str, tuple[str, str]] = {
    Status.REVIEW: ("approve", "waiting_approval"),
    Status.AFTER_REVIEW: ("close", "waiting_close"),
}
# The session the overview looks for: a leader writing the changes to ask for.
WRITING = ("change_request",)
# The states that are coming up for both (a date ahead), whoever's turn it is.
COMING = (Status.APPROVED, Status.PRACTICE)


class ElearningOverview:
    """Læringskontrakt med medarbejderen (PRODUCT.md §2.1).

    A leader may have thousands: a `StoredSource` (bot/flows/overview_store.py). The
    overview counts and pages what `stored` gave as the contracts changed; `entries` and
    `render` read the page's contracts only."""

    flow = "elearning"

    async def overview(self, ctx: Context, person: Person) -> list[Item]:
        """Every item: what the overview's sources without paging give."""
        return await self.render(ctx, person, await self.entries(ctx, person))

    async def entries(self, ctx: Context, person: Person, ids: Collection[int] | None = None) -> list[Entry]:
        # A page's contracts are read with every party (by their ids alone, `_parts`): the
        # names the page shows come with them.
        parts = await _parts(ctx, "elearning", LIVE, ids, person if ids is None else None)
        names = _named(parts) if ids is not None else await _parties(ctx, sorted({c.id for c, _, _ in parts}))
        # Writing the changes to ask for is a step only where the person decides (`_step`): an
        # employee's overview, and most pages, need no look at the sessions.
        deciding = sorted(
            {
                c.id
                for c, who, role in parts
                if who.id == person.id and c.status == Status.REVIEW and role in TURNS[c.status]
            }
        )
        sessions = await _sessions(ctx, person, "elearning", WRITING, deciding)
        return [
            replace(entry, data=(*entry.data, names[entry.data[0].id]))
            for person_id, entry in await self._read(ctx, parts, sessions)
            if person_id == person.id
        ]

    async def stored(self, ctx: Context, ids: Collection[int]) -> list[tuple[int, Entry]]:
        # A session of writing the changes renames the step only: not in the group or the date.
        return await self._read(ctx, await _parts(ctx, "elearning", LIVE, ids, None), {})

    async def _read(
        self, ctx: Context, parts: list[tuple[_Contract, _Who, str]], sessions: dict[int, set[str]]
    ) -> list[tuple[int, Entry]]:
        """The entries of these parties of live contracts (`_parts`), as (person id, entry):
        one more query, whatever the number. A person who is both leader and employee of a
        contract sees it as its leader."""
        roles: dict[tuple[int, int], tuple[_Contract, str]] = {}
        for contract, who, role in parts:
            place = (contract.id, who.id)
            if place not in roles or role == LEADER:
                roles[place] = (contract, role)
        if not roles:
            return []
        submitted = await _submitted(ctx, sorted({cid for cid, _ in roles}))
        entries: list[tuple[int, Entry]] = []
        for (cid, person_id), (contract, role) in sorted(roles.items()):
            found = self._step(contract, role, submitted, sessions.get(cid, ()))
            if found is not None:
                group, key, when, named = found
                entries.append(
                    (person_id, Entry(group=group, key=f"elearning:{cid}", at=when, data=(contract, role, key, named)))
                )
        return entries

    @staticmethod
    def _step(
        contract: _Contract, role: str, submitted: dict[tuple[int, str, str], datetime], sessions: Collection[str]
    ) -> tuple[Group, str, datetime | None, str | None] | None:
        """Group, step, date and whose name the step names (a role), or None: nothing to show.
        Whose turn it is comes from the lifecycle's table (`states.TURNS`)."""
        status, since = contract.status, contract.updated_at
        turn = TURNS.get(status, frozenset())
        if status == Status.APPROVED:
            return "coming", "followup", contract.followup_at, None
        if status == Status.PRACTICE:
            return "coming", "practice", contract.followup_at, None
        if (phase := ANSWERING.get(status)) is not None:
            # Each party's turn until it has sent its answers of the phase.
            mine_at = submitted.get((contract.id, role, phase))
            if role in turn and mine_at is None:
                return "you", f"answer_{phase}", since, None
            return "others", "waiting_answers", mine_at, EMPLOYEE if role == LEADER else LEADER
        if status not in DECIDING:
            return None
        yours, theirs = DECIDING[status]
        if role in turn:
            writing = status == Status.REVIEW and WRITING[0] in sessions
            return "you", "write_comment" if writing else yours, since, None
        return "others", theirs, since, next(iter(turn))

    async def render(self, ctx: Context, person: Person, entries: list[Entry]) -> list[Item]:
        if not entries:
            return []
        items: list[Item] = []
        for e in entries:
            contract, role, key, named, parties = e.data
            cid, value = contract.id, f"{contract.id}:{contract.round}"
            other = parties[EMPLOYEE if role == LEADER else LEADER]
            values = {"name": parties[named].display_name} if named else {}
            buttons: list[Button] = []
            if key == "approve":
                buttons = [
                    Button(
                        label=ctx.t(person, "elearning.approve"),
                        action="elearning:approve",
                        value=value,
                        style="primary",
                    ),
                    Button(
                        label=ctx.t(person, "elearning.request_changes"),
                        action="elearning:request_changes",
                        value=value,
                    ),
                ]
            elif key == "practice" and role != LEADER:
                buttons = [
                    Button(label=ctx.t(person, "elearning.answer_now"), action="elearning:answer_now", value=str(cid))
                ]
            elif key == "followup" and role != LEADER:
                buttons = [
                    Button(label=ctx.t(person, "elearning.completed"), action="elearning:completed", value=str(cid))
                ]
            elif key == "close":
                buttons = [
                    Button(
                        label=ctx.t(person, "elearning.close"), action="elearning:close", value=value, style="primary"
                    )
                ]
            items.append(
                Item(
                    group=e.group,
                    flow="elearning",
                    key=e.key,
                    title=ctx.t(person, "overview.elearning.title", title=contract.title, name=other.display_name),
                    step=ctx.t(person, f"overview.elearning.{key}", **values),
                    at=e.at,
                    buttons=tuple(buttons),
                )
            )
        return items

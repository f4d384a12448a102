"""A contract flow's lifecycle, declared as a table, and the one dispatcher of its buttons.

A flow lists its states (a `StrEnum`: the values are what `contract.status`
holds), its buttons as `Press` rows (the step, the roles that may press it,
the states it acts in, the handler, the state it leads to) and the other
changes (`Move`: a session sent, the clock) with the states they lead to, and
whose turn it is in each state. `press()` gives every button the same
answers: a button that acts for nothing (stale), one pressed by someone it was
not sent to or whose role may not press it (wrong person), one whose moment
has passed (already decided); it writes the audit row of every press.

The overview's "whose turn" reads `Lifecycle.turn`, and
`tests/unit/test_lifecycles.py` walks every table: every state reachable
from the first, every state that waits on someone naming them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.core.events import ActionIn
from bot.core.ids import record_id
from bot.core.messages import paragraph
from bot.flows.context import Context
from bot.storage.contracts import parties
from bot.storage.models import Contract, OutboxMessage, Person


@dataclass
class Pressed:
    """A press that passed the checks: what its handler works with."""

    action: ActionIn
    person: Person
    contract: Contract
    # Role -> person, and the presser's roles in the contract.
    who: dict[str, Person]
    roles: set[str]
    # What the button's value carries after the contract's id (a round, a draft's number, a role).
    rest: str


Handler = Callable[[Context, Pressed], Awaitable[None]]
# An extra check of a press that passed the roles and the states: False is "already decided".
Guard = Callable[[Context, Pressed], Awaitable[bool]]
# The values of the wrong-person answer: whom the button is for.
Whom = Callable[[Context, Pressed], Awaitable[dict[str, object]]]
# A flow's own refusal of a press that passed the table (the author accepting their own
# proposal): the answer's text in the presser's language, or None.
Refusal = Callable[[Context, Pressed], Awaitable[str | None]]


@dataclass(frozen=True)
class Press:
    """A button: `<flow>:<step>`, pressed by one of `roles` while the contract is in `states`."""

    step: str
    roles: frozenset[str]
    states: frozenset[str]
    handler: Handler
    # The state it leads to; None where it opens a question whose answer moves on (a `Move`).
    to: str | None
    # The answer to someone whose role may not press it, and its values.
    refuse: str
    whom: Whom | None = None
    # The button carries the contract's round: a button of an earlier round is already decided.
    round: bool = False
    guard: Guard | None = None
    check: Refusal | None = None
    # The answer when the moment has passed, where it is not the lifecycle's.
    already: str | None = None
    # The answer to a press before its moment has come (the states are not yet reached).
    early: Refusal | None = None


@dataclass(frozen=True)
class Move:
    """A change no button makes: a session sent, the clock, a cancellation."""

    why: str
    states: frozenset[str]
    to: str


@dataclass(frozen=True)
class Lifecycle:
    flow: str
    states: type[StrEnum]
    start: str
    presses: tuple[Press, ...]
    moves: tuple[Move, ...]
    # State -> the roles whose turn it is; a state not here waits on no one (the clock, or final).
    turns: Mapping[str, frozenset[str]] = field(default_factory=dict)
    final: frozenset[str] = frozenset()
    # Live states that wait on no one but the clock (a visit booked, waiting for its day).
    clock: frozenset[str] = frozenset()
    # The answer when the moment of a press has passed: `{status}` is the contract's.
    already: str = ""
    # The answer to someone who is no party of the contract, where each button does not say.
    outsider: Refusal | None = None

    def press_for(self, step: str) -> Press | None:
        return next((p for p in self.presses if p.step == step), None)

    def turn(self, status: str) -> frozenset[str]:
        """The roles whose turn it is in `status`."""
        return self.turns.get(status, frozenset())

    def edges(self) -> dict[str, set[str]]:
        """State -> the states a press or a move leads to from it."""
        found: dict[str, set[str]] = {str(s): set() for s in self.states}
        rows: tuple[Press | Move, ...] = (*self.presses, *self.moves)
        for row in rows:
            target = row.to
            if target is not None:
                for state in row.states:
                    found[state].add(target)
        return found


def roles(*names: str) -> frozenset[str]:
    return frozenset(names)


def states(*names: StrEnum | str) -> frozenset[str]:
    return frozenset(str(n) for n in names)


async def sent_to_someone_else(ctx: Context, action: ActionIn, person: Person) -> bool:
    """Whether the pressed message was posted to another person (a button acts only for the
    person it was sent to; a channel's post is everyone's there)."""
    posted = action.message.posted_id if action.message is not None else None
    if posted is None:
        return False
    row = await ctx.db.get(OutboxMessage, posted)
    return row is not None and row.person_id is not None and row.person_id != person.id


async def press(ctx: Context, lifecycle: Lifecycle, action: ActionIn, person: Person) -> None:
    """Check a press of one of the flow's buttons against its table, then run its handler."""
    step = action.action.partition(":")[2]
    row = lifecycle.press_for(step)
    first, _, rest = action.value.partition(":")
    contract = await ctx.db.get(Contract, found) if (found := record_id(first)) else None
    if row is None or contract is None or contract.flow != lifecycle.flow:
        ctx.stale(person, action.response_url)
        return
    who = await parties(ctx.db, contract)
    pressed = Pressed(
        action=action,
        person=person,
        contract=contract,
        who=who,
        roles={r for r, p in who.items() if p.id == person.id},
        rest=rest,
    )
    if not pressed.roles and lifecycle.outsider is not None:
        refused = await lifecycle.outsider(ctx, pressed)
        ctx.audit("button.refused", person, contract.id, step=step, why="outsider")
        ctx.respond(person, action.response_url, paragraph(refused or ctx.t(person, "dialog.stale_button")))
        return
    if not pressed.roles & row.roles:
        values = await row.whom(ctx, pressed) if row.whom is not None else {}
        ctx.audit("button.refused", person, contract.id, step=step, why="role")
        ctx.respond(person, action.response_url, paragraph(ctx.t(person, row.refuse, **values)))
        return
    current = contract.status
    if (
        current not in row.states
        or (row.round and rest != str(contract.round))
        or (row.guard is not None and not await row.guard(ctx, pressed))
    ):
        if row.early is not None and (refused := await row.early(ctx, pressed)) is not None:
            ctx.respond(person, action.response_url, paragraph(refused))
            return
        already(ctx, lifecycle, person, contract, action.response_url, key=row.already)
        return
    if row.check is not None and (refused := await row.check(ctx, pressed)) is not None:
        ctx.audit("button.refused", person, contract.id, step=step, why="flow")
        ctx.respond(person, action.response_url, paragraph(refused))
        return
    # A party in the right role still acts only on what was sent to them: leader B cannot
    # approve with the button sent to leader A.
    if await sent_to_someone_else(ctx, action, person):
        ctx.audit("button.refused", person, contract.id, step=step, why="sent_to_someone_else")
        ctx.stale(person, action.response_url)
        return
    await row.handler(ctx, pressed)
    ctx.audit(f"{lifecycle.flow}.{step}", person, contract.id, before=current, after=contract.status)


def already(
    ctx: Context,
    lifecycle: Lifecycle,
    person: Person,
    contract: Contract,
    response_url: str | None,
    *,
    key: str | None = None,
) -> None:
    """The answer to a button whose moment has passed: what became of the contract."""
    status = ctx.t(person, f"{lifecycle.flow}.status.{contract.status}")
    key = key or lifecycle.already or f"{lifecycle.flow}.already_decided"
    ctx.respond(person, response_url, paragraph(ctx.t(person, key, status=status)))


def named(*wanted: str) -> Whom:
    """The wrong-person answer's `{name}`: the people of `wanted` roles."""

    async def whom(ctx: Context, pressed: Pressed) -> dict[str, object]:
        people = [pressed.who[r] for r in wanted if r in pressed.who]
        return {"name": ctx.names(pressed.person, people)}

    return whom


def live(lifecycle: Lifecycle) -> Collection[str]:
    """The states a contract is still going in."""
    return [str(s) for s in lifecycle.states if str(s) not in lifecycle.final]

"""The clock's rounds take the parts in turn (`Router.due`, `Turns`): whichever parts
have work left, each has a round in its turn, so no part waits behind the others' shares."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bot.flows.router import Turns


class Part:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


PARTS: tuple[Any, ...] = tuple(Part(name) for name in "ABCDEFGH")


def rounds(busy: set[str], n: int) -> list[str]:
    """The part that had each of `n` rounds in which the `busy` parts always use the whole
    share (each stops after its first item), as `Router.due` goes through a round: the
    parts before it had nothing to do, it and those after it are left for the next round,
    in the order the round asked them."""
    turns, left, had = Turns(PARTS), None, []
    for _ in range(n):
        order = turns.order(left)
        stopped = next(i for i, p in enumerate(order) if p.name in busy)
        turns.had(order[stopped])
        had.append(order[stopped].name)
        left = tuple(order[stopped:])
    return had


def test_three_busy_parts_each_have_a_round_in_turn() -> None:
    # Retention, reminders and follow-ups all due at once, say: none waits for the other
    # two to finish (before, the third of them never had a round of its own).
    assert Counter(rounds({"B", "D", "G"}, 30)) == {"B": 10, "D": 10, "G": 10}
    assert rounds({"H", "A"}, 4) == ["A", "H", "A", "H"]


def test_a_round_asks_those_left_in_the_parts_own_order_from_its_turn() -> None:
    turns = Turns(PARTS)
    assert [p.name for p in turns.order(None)] == list("ABCDEFGH")
    turns.had(PARTS[2])  # C had the round: D is next
    assert [p.name for p in turns.order(None)] == list("DEFGHABC")
    # Only those left, whatever order they were left in; none had the share: after E.
    assert [p.name for p in turns.order((PARTS[1], PARTS[6], PARTS[4]))] == ["E", "G", "B"]
    assert turns.order(None)[0].name == "F"

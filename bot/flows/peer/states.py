"""Lær af en kollega's states, the changes no button makes, and whose turn it is.

The buttons are in `lifecycle.py` (`PeerFlow.lifecycle`), with their handlers;
the drawing of the whole is at the top of that module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from bot.flows.lifecycle import Move, roles, states
from bot.flows.peer.copy import LEADER_OF, PART_A, PART_B

LEADERS = roles(*LEADER_OF.values())
PARTIES = roles(PART_A, PART_B)


class Status(StrEnum):
    INVITED = "invited"
    DECLINED = "declined"
    DRAFTING = "drafting"
    APPROVAL = "approval"
    CHANGES = "changes"
    ACTIVE = "active"
    EVALUATION = "evaluation"
    # Both sent: both see both sets and agree (or edit their own) before it is closed.
    EVALUATION_AGREE = "evaluation_agree"
    LEADER_EVALUATION = "leader_evaluation"
    CLOSED = "closed"
    CANCELLED = "cancelled"


S = Status
FINAL = states(S.DECLINED, S.CLOSED, S.CANCELLED)
LIVE = tuple(str(s) for s in S if str(s) not in FINAL)

MOVES = (
    Move("the joint fields accepted and both parties' own fields sent", states(S.DRAFTING, S.CHANGES), S.APPROVAL),
    Move("a leader sent the changes to ask for", states(S.APPROVAL), S.CHANGES),
    Move("every named leader approved", states(S.APPROVAL), S.ACTIVE),
    Move("a party changed the approved contract (the next version)", states(S.ACTIVE), S.CHANGES),
    Move("the end date came", states(S.ACTIVE), S.EVALUATION),
    Move("both parties sent their evaluation: both see both sets", states(S.EVALUATION), S.EVALUATION_AGREE),
    Move("both parties agreed to the evaluation", states(S.EVALUATION_AGREE), S.LEADER_EVALUATION),
    Move("each party and its own leader agreed to their evaluation", states(S.LEADER_EVALUATION), S.CLOSED),
    Move("a party cancelled while drafting", states(S.DRAFTING), S.CANCELLED),
)

TURNS: dict[str, frozenset[str]] = {
    S.INVITED: roles(PART_B),
    S.DRAFTING: PARTIES,
    S.APPROVAL: LEADERS,
    S.CHANGES: PARTIES,
    S.ACTIVE: PARTIES,  # log notes at the agreed frequency
    S.EVALUATION: PARTIES,
    S.EVALUATION_AGREE: PARTIES,
    # Each party and its own leader write their assessments, then both agree.
    S.LEADER_EVALUATION: PARTIES | LEADERS,
}


# The evaluation with a leader, per party: each showing of the two assessments side by side is a
# decision row `shown:<part>` whose round numbers the showings; agreeing to a showing is
# `agreed:<part>`, the leader asking for changes to it `changes:<part>`, in its round.
SHOWN, AGREED, CHANGES_ASKED = "shown", "agreed", "changes"


@dataclass
class Talk:
    """A party's evaluation with its leader as it stands: the newest showing (0: none yet),
    who agreed to it, and whether the leader asked for changes to it."""

    shown: int = 0
    agreed: set[int] = field(default_factory=set)
    asked: bool = False


def talk(decisions: Iterable[tuple[int, int, str]], part: str) -> Talk:
    """`part`'s evaluation with its leader, from the contract's decisions (approver, round, decision)."""
    rows = [(a, r, d.partition(":")[0]) for a, r, d in decisions if d.partition(":")[2] == part]
    found = Talk(shown=max((r for _, r, d in rows if d == SHOWN), default=0))
    for approver, round_, decision in rows:
        if round_ == found.shown and decision == AGREED:
            found.agreed.add(approver)
        found.asked |= round_ == found.shown and decision == CHANGES_ASKED
    return found

"""The e-learning contract's states, roles, the changes no button makes, and whose turn it is.

    before ──both sent──▶ review ──Godkend──▶ approved ──course done / follow-up date──▶ after
      ▲                     │ Bed om ændringer                                            │ both sent
      └──── changes ◀───────┘ (employee re-answers and re-sends)          closed ◀─Afslut─ after_review

The buttons are in `lifecycle.py` (`ElearningFlow.lifecycle`), with their handlers.
"""

from __future__ import annotations

from enum import StrEnum

from bot.flows.lifecycle import Move, roles, states

FLOW = "elearning"
LEADER, EMPLOYEE = "leader", "employee"


class Status(StrEnum):
    BEFORE = "before"
    CHANGES = "changes"
    REVIEW = "review"
    APPROVED = "approved"
    AFTER = "after"
    AFTER_REVIEW = "after_review"
    CLOSED = "closed"
    CANCELLED = "cancelled"


S = Status
FINAL = states(S.CLOSED, S.CANCELLED)
LIVE = tuple(str(s) for s in S if str(s) not in FINAL)

MOVES = (
    Move("both sent their answers before the course", states(S.BEFORE, S.CHANGES), S.REVIEW),
    Move("the leader sent the changes to ask for", states(S.REVIEW), S.CHANGES),
    Move("the follow-up date came", states(S.APPROVED), S.AFTER),
    Move("both sent their answers after the course", states(S.AFTER), S.AFTER_REVIEW),
    Move("a party cancelled their questions", states(*LIVE), S.CANCELLED),
)

# Whose turn it is: in `before` and `after` each party's until they have sent.
TURNS: dict[str, frozenset[str]] = {
    S.BEFORE: roles(LEADER, EMPLOYEE),
    S.CHANGES: roles(EMPLOYEE),
    S.REVIEW: roles(LEADER),
    S.APPROVED: roles(EMPLOYEE),  # "Kurset er gennemført" (or the follow-up date)
    S.AFTER: roles(LEADER, EMPLOYEE),
    S.AFTER_REVIEW: roles(LEADER),
}

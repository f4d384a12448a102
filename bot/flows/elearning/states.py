"""The e-learning contract's states, roles, the changes no button makes, and whose turn it is.

    before ──both sent──▶ review ──Godkend──▶ approved ──follow-up date──────────────────▶ after
      ▲                     │ Bed om ændringer       │ Jeg har gennemført kurset               ▲  │ both sent
      └──── changes ◀───────┘                        ▼                                          │  ▼
         (employee re-answers and re-sends)       practice ──follow-up date, or Svar nu──────┘  after_review
                                                                                      closed ◀─Afslut─┘

The course done, the learning is first tried in practice: the questions after the course
come at the follow-up date (the practice period the leader chose at the start), or at
once if the employee would rather answer now.

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
    PRACTICE = "practice"
    AFTER = "after"
    AFTER_REVIEW = "after_review"
    CLOSED = "closed"
    CANCELLED = "cancelled"


S = Status
FINAL = states(S.CLOSED, S.CANCELLED)
# Live states that wait on the clock: the course done, practising until the follow-up date.
CLOCK = states(S.PRACTICE)
# The states whose follow-up date starts the questions after the course.
AWAITING_FOLLOWUP = (S.APPROVED, S.PRACTICE)
LIVE = tuple(str(s) for s in S if str(s) not in FINAL)

MOVES = (
    Move("both sent their answers before the course", states(S.BEFORE, S.CHANGES), S.REVIEW),
    Move("the leader sent the changes to ask for", states(S.REVIEW), S.CHANGES),
    Move("the follow-up date came", states(S.APPROVED, S.PRACTICE), S.AFTER),
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

"""Læringskontrakt i klinisk praksis: its states, the changes no button makes, whose turn it is.

The buttons are in `lifecycle.py` (`ClinicalFlow.lifecycle`), with their handlers;
the drawing of the whole is at the top of that module.
"""

from __future__ import annotations

from enum import StrEnum

from bot.flows.clinical.copy import SUPERVISOR, TRAINEE
from bot.flows.lifecycle import Move, roles, states


class Status(StrEnum):
    SCOPE = "scope"
    SUBGOALS = "subgoals"
    SUBGOALS_ADD = "subgoals_add"
    LEARNING = "learning"
    LEARNING_ADD = "learning_add"
    AGREEMENT = "agreement"
    AGREEMENT_REVIEW = "agreement_review"
    ACTIVE = "active"
    CLOSED = "closed"
    CANCELLED = "cancelled"


S = Status
FINAL = states(S.CLOSED, S.CANCELLED)
BOTH = roles(SUPERVISOR, TRAINEE)

MOVES = (
    Move("both pressed Vi er enige on the same choice", states(S.SCOPE), S.SUBGOALS),
    Move("the trainee sent the sub-goals", states(S.SUBGOALS), S.SUBGOALS_ADD),
    Move("the supervisor sent additions to the sub-goals", states(S.SUBGOALS_ADD), S.LEARNING),
    Move("the trainee sent where and how to learn", states(S.LEARNING), S.LEARNING_ADD),
    Move("the supervisor sent additions to the learning", states(S.LEARNING_ADD), S.AGREEMENT),
    Move("the supervisor sent the terms of feedback and evaluation", states(S.AGREEMENT), S.AGREEMENT_REVIEW),
    Move("the trainee sent the changes to ask for", states(S.AGREEMENT_REVIEW), S.AGREEMENT),
    Move(
        "a party cancelled their questions",
        states(S.SUBGOALS, S.SUBGOALS_ADD, S.LEARNING, S.LEARNING_ADD, S.AGREEMENT, S.AGREEMENT_REVIEW),
        S.CANCELLED,
    ),
)

# Who answers in each phase of writing (the session's role): the trainee writes, the supervisor adds.
TURN: dict[str, str] = {
    S.SUBGOALS: TRAINEE,
    S.SUBGOALS_ADD: SUPERVISOR,
    S.LEARNING: TRAINEE,
    S.LEARNING_ADD: SUPERVISOR,
    S.AGREEMENT: SUPERVISOR,
    S.AGREEMENT_REVIEW: TRAINEE,
}
TURNS: dict[str, frozenset[str]] = {
    S.SCOPE: BOTH,
    **{state: roles(role) for state, role in TURN.items()},
    S.ACTIVE: roles(SUPERVISOR),  # the supervisor marks the evaluation held
}

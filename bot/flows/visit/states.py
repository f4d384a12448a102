"""Læringsbesøg's states, the changes no button makes, and whose turn it is.

The buttons are in `lifecycle.py` (`VisitFlow.lifecycle`), with their handlers;
the drawing of the whole is at the top of that module.
"""

from __future__ import annotations

from enum import StrEnum

from bot.flows.lifecycle import Move, roles, states

FLOW = "visit"
AGENT, COLLEAGUE = "agent", "colleague"
ROLES = (AGENT, COLLEAGUE)
# The decision row of a party's Bekræft at the check-in.
CONFIRMED = "checkin_confirmed"


class Status(StrEnum):
    INVITED = "invited"
    DECLINED = "declined"
    EXPIRED = "expired"
    PLANNED = "planned"
    CHECKIN = "checkin"
    READY = "ready"
    REFLECTION = "reflection"
    POINTS = "points"
    POINTS_REVIEW = "points_review"
    # The colleague edited the points: the agent confirms (or edits, and it goes back).
    POINTS_CONFIRM = "points_confirm"
    DONE = "done"
    CANCELLED = "cancelled"


S = Status
FINAL = states(S.DECLINED, S.EXPIRED, S.DONE, S.CANCELLED)
LIVE = tuple(str(s) for s in S if str(s) not in FINAL)

MOVES = (
    Move("the day of the visit ended unanswered", states(S.INVITED), S.EXPIRED),
    Move("the visit day starts, 08:00: both are asked the check-in questions", states(S.PLANNED), S.CHECKIN),
    Move("both confirmed the check-in", states(S.CHECKIN), S.READY),
    Move("the end of the visit", states(S.READY), S.REFLECTION),
    Move("both sent their reflections", states(S.REFLECTION), S.POINTS),
    Move("the agent sent the learning points", states(S.POINTS), S.POINTS_REVIEW),
    Move("the colleague sent the points unchanged", states(S.POINTS_REVIEW), S.DONE),
    Move("the colleague sent edited points: the agent confirms them", states(S.POINTS_REVIEW), S.POINTS_CONFIRM),
    Move("the agent sent the points unchanged", states(S.POINTS_CONFIRM), S.DONE),
    Move("the agent sent edited points: the colleague confirms them", states(S.POINTS_CONFIRM), S.POINTS_REVIEW),
    Move("a party cancelled", states(*LIVE), S.CANCELLED),
)

TURNS: dict[str, frozenset[str]] = {
    S.INVITED: roles(COLLEAGUE),
    S.CHECKIN: roles(AGENT, COLLEAGUE),
    S.REFLECTION: roles(AGENT, COLLEAGUE),
    S.POINTS: roles(AGENT),
    S.POINTS_REVIEW: roles(COLLEAGUE),
    S.POINTS_CONFIRM: roles(AGENT),
}
# Who reviews the points in each state: the one who did not write the version shown.
REVIEWER = {S.POINTS_REVIEW: COLLEAGUE, S.POINTS_CONFIRM: AGENT}
# Waiting for the clock: the visit's day to start (a reminder the working day before), and its end.
CLOCK = states(S.PLANNED, S.READY)

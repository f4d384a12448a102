"""A learning meeting's lifecycle, declared: the statuses of one meeting of a series
(`meetingoccurrence.status`), the changes between them and the buttons' statuses.

The clock drives a meeting, not a person's turn: the reminder the working day before, the
start, each step of the agenda as its minutes run out (or Næste punkt), the summary.
`tests/unit/test_lifecycles.py` walks the table."""

from __future__ import annotations

from enum import StrEnum

from bot.flows.lifecycle import Lifecycle, Move, states

FLOW = "meeting"


class Status(StrEnum):
    PLANNED = "planned"
    HOLIDAY = "holiday"
    RUNNING = "running"
    DONE = "done"
    MISSED = "missed"
    CANCELLED = "cancelled"


S = Status
FINAL = states(S.DONE, S.MISSED, S.CANCELLED)
MOVES = (
    Move("the date is a public holiday: a notice instead of a meeting", states(S.PLANNED), S.HOLIDAY),
    Move("the start time came (the reminder went the working day before)", states(S.PLANNED), S.RUNNING),
    Move("the whole meeting passed while the bot was away", states(S.PLANNED), S.MISSED),
    Move("the last step ran out, or was pressed on", states(S.RUNNING), S.DONE),
    Move("`møde aflys` (the next meeting) or `møde stop` (the series)", states(S.PLANNED, S.HOLIDAY), S.CANCELLED),
)
# No one's turn: every live status waits on the clock.
CLOCK = states(S.PLANNED, S.HOLIDAY, S.RUNNING)
# Each button of a meeting's posts and the statuses it acts in; pressed in another, the meeting
# has moved on (each handler says how).
BUTTONS: dict[str, frozenset[str]] = {
    "case": states(S.PLANNED, S.RUNNING),  # Jeg har en case
    "next": states(S.RUNNING),  # Næste punkt
    # The round (step 4): Jeg er med, Giv ordet videre.
    "join": states(S.RUNNING),
    "pass": states(S.RUNNING),
    "action": states(S.RUNNING, S.DONE),  # Tilføj tiltag, in the last step and after it
}
# The meetings the overview and the visit's learning points look ahead to.
COMING = states(S.PLANNED, S.RUNNING)

LIFECYCLE = Lifecycle(flow=FLOW, states=Status, start=S.PLANNED, presses=(), moves=MOVES, final=FINAL, clock=CLOCK)

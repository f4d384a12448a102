"""Every flow's lifecycle table, walked: every state reachable from the first, every button
acting in a live state for roles the contract has, and every state that waits on someone
shown to that someone in their overview (which reads the same table)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.app import load_texts
from bot.flows.context import Context
from bot.flows.lifecycle import Lifecycle
from bot.flows.router import Router
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.models import ClinicalScope, Contract, DialogSession, Party, Person, Submission, Visit

ROUTER = Router()
# The roles of each flow's contract (what its parties are called in `party.role`).
ROLES = {
    "elearning": ("leader", "employee"),
    "peer": ("part_a", "part_b", "leader_a", "leader_b"),
    "visit": ("agent", "colleague"),
    "clinical": ("supervisor", "trainee"),
}
# Every flow declares its table; the contract flows' have buttons and turns.
ALL: dict[str, Lifecycle] = {name: flow.lifecycle for name, flow in ROUTER.flows.items()}
TABLES = {name: table for name, table in ALL.items() if name in ROLES}
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
# Where a state is several people's turn one after the other, what has happened by the time it is
# this role's: (flow, state, role) -> the open question (a dialog phase) or the sent answers
# (role, phase) the moment has.
# Part A writes the whole contract in the template's order; Part B its own fields meanwhile.
# In the evaluation with a leader, leader A writes their own assessment; leader B holds the
# Afslut of a contract that came to it before leaders wrote their own (the party's notes sent).
ASKED = {
    ("peer", "drafting", "part_a"): "contract",
    ("peer", "drafting", "part_b"): "own",
    ("peer", "leader_evaluation", "leader_a"): "leader_evaluation",
}
SENT = {
    ("peer", "leader_evaluation", "leader_b"): ("part_b", "leader_evaluation"),
    # The visit's check-in: the other has sent theirs, and it is still this one's turn.
    ("visit", "checkin", "agent"): ("colleague", "checkin"),
    ("visit", "checkin", "colleague"): ("agent", "checkin"),
}


def test_every_flow_has_a_table() -> None:
    assert set(ALL) == set(ROUTER.flows)
    assert set(TABLES) == {"elearning", "peer", "visit", "clinical"}


@pytest.mark.parametrize("flow", sorted(ALL))
def test_every_state_is_reachable_from_the_first(flow: str) -> None:
    table = ALL[flow]
    edges, seen, todo = table.edges(), {str(table.start)}, [str(table.start)]
    while todo:
        for target in edges[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    assert seen == {str(s) for s in table.states}


@pytest.mark.parametrize("flow", sorted(TABLES))
def test_every_button_acts_in_live_states_for_the_contract_s_roles(flow: str) -> None:
    table = TABLES[flow]
    live = {str(s) for s in table.states} - table.final
    assert table.presses
    for row in table.presses:
        # A button after the end (a finished visit's Del på læringsmøde) changes no state.
        assert row.states and (row.states <= live or row.to is None), row.step
        assert row.roles and row.roles <= set(ROLES[flow]), row.step
        assert row.to is None or row.to in {str(s) for s in table.states}, row.step
    # Every live state waits on someone or the clock, and only on the contract's roles; a final
    # one on no one.
    for state in table.states:
        assert bool(table.turn(state)) == (str(state) in live - table.clock), state
        assert table.turn(state) <= set(ROLES[flow]), state


@pytest.mark.parametrize("flow", sorted(TABLES))
async def test_whose_turn_it_is_shows_in_that_person_s_overview(flow: str, database_url: str) -> None:
    table = TABLES[flow]
    settings = Settings(database_url=database_url)
    texts = load_texts(settings)
    db = Database(database_url)
    source = ROUTER.flows[flow].overview
    try:
        async with db.transaction() as s:
            people = {
                role: Person(platform="slack", external_id=f"U{role.upper()}", display_name=role.title())
                for role in ROLES[flow]
            }
            s.add_all(people.values())
            await s.flush()
            ctx = Context(db=s, now=NOW, settings=settings, texts=texts)
            # One contract for each state and role whose turn it is, at that role's moment.
            for state in table.states:
                for role in sorted(table.turn(state)):
                    starter = people[ROLES[flow][0]].id
                    assert starter is not None
                    contract = Contract(
                        flow=flow,
                        title=f"{flow} {state}",
                        status=str(state),
                        starter_id=starter,
                        followup_at=NOW + timedelta(days=30),
                        created_at=NOW,
                        updated_at=NOW,
                    )
                    s.add(contract)
                    await s.flush()
                    assert contract.id is not None
                    s.add_all(
                        Party(contract_id=contract.id, person_id=p.id, role=r)
                        for r, p in people.items()
                        if p.id is not None
                    )
                    person = people[role]
                    assert person.id is not None
                    if flow == "clinical":  # the period and competencies chosen at the start
                        s.add(ClinicalScope(contract_id=contract.id))
                    if flow == "visit":  # the visit's day and moments live beside its contract
                        agent, colleague = people["agent"].id, people["colleague"].id
                        assert agent is not None and colleague is not None
                        day = NOW + timedelta(days=7)
                        s.add(
                            Visit(
                                contract_id=contract.id,
                                agent_id=agent,
                                colleague_id=colleague,
                                day=day.date(),
                                length="half",
                                checkin_at=day - timedelta(days=1),  # the reminder the working day before
                                morning_at=day - timedelta(hours=1),  # the day starts: the check-in
                                ends_at=day + timedelta(hours=3),
                            )
                        )
                    if (phase := ASKED.get((flow, str(state), role))) is not None:
                        s.add(
                            DialogSession(
                                person_id=person.id,
                                flow=flow,
                                phase=phase,
                                role="party",
                                contract_ids=[contract.id],
                                status="active",
                            )
                        )
                    if (sent := SENT.get((flow, str(state), role))) is not None:
                        by = people[sent[0]]
                        assert by.id is not None
                        s.add(Submission(contract_id=contract.id, person_id=by.id, role=sent[0], phase=sent[1]))
                    await s.flush()
                    items = await source.overview(ctx, person)
                    groups = {item.group for item in items if item.key == f"{flow}:{contract.id}"}
                    # Waiting for them, or coming up for them (a date they act by).
                    assert groups & {"you", "coming"}, (state, role, groups)
                    if flow == "visit" and sent is not None:  # the one who sent waits on the other
                        theirs = await source.overview(ctx, people[sent[0]])
                        assert {i.group for i in theirs if i.key == f"visit:{contract.id}"} == {"others"}, state
    finally:
        await db.dispose()


def test_a_meeting_waits_on_the_clock_and_its_buttons_act_while_it_is_on() -> None:
    """A learning meeting is no one's turn: the clock moves it (reminder, start, steps); its
    buttons act while it is planned or running (a Tilføj tiltag also just after)."""
    from bot.flows.meeting.states import BUTTONS, Status

    table = ALL["meeting"]
    live = {str(s) for s in table.states} - table.final
    assert table.clock == live and not table.turns and not table.presses
    assert set(BUTTONS) == {"case", "next", "action", "join", "pass"}
    for step, statuses in BUTTONS.items():
        assert statuses and statuses <= live | {Status.DONE}, step
    assert Status.DONE in BUTTONS["action"] and Status.DONE not in BUTTONS["next"]

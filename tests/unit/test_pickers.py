"""A dialog question's picker (bot/core/messages.py `Picker`): rendered within Slack's limits
and the Adaptive Card schema, read back from what each platform sends for a pick, and taken
by the engine only while its question is asked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.core.engine import Answer, Ask, Refused, Script, button_is_current, start, step
from bot.core.events import ActionIn, Incoming
from bot.core.forms import UNREACHED
from bot.core.messages import PICK, Message, Paragraph, Picker
from bot.slack import inbound as slack_inbound
from bot.slack.render import render
from bot.teams import inbound as teams_inbound
from bot.teams.forms import PICKED
from bot.teams.render import activities
from tests.support.slack_specs import check_message
from tests.support.teams_specs import assert_valid_activity

AAD = "0f8fad5b-d9cb-469f-a165-70867728950e"


def asking(picks: str, label: str = "Vælg en person") -> Message:
    return Message(
        text="Hvem er din leder/sponsor?",
        blocks=[
            Paragraph(text="*Hvem er din leder/sponsor?*"),
            Picker(picks="person" if picks == "person" else "date", label=label, submit="Vælg", value="34:leader"),
        ],
    )


@pytest.mark.parametrize(("picks", "element"), [("person", "users_select"), ("date", "datepicker")])
def test_slack_a_picker_is_an_actions_block_that_carries_its_question(picks: str, element: str) -> None:
    for label in ("Vælg", "x" * 400):  # a long placeholder is cut to Slack's 150
        [args] = render(asking(picks, label), posted=12)
        assert not check_message(args), check_message(args)
        [block] = [b for b in args["blocks"] if b["type"] == "actions"]
        assert block["elements"][0]["type"] == element
        assert block["elements"][0]["action_id"] == PICK
        assert block["block_id"] == "posted:12|34:leader"


def pressed(event: Incoming | None) -> ActionIn:
    assert isinstance(event, ActionIn), event
    return event


def _slack_pick(kind: str, **picked: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": "UMADS"},
        "trigger_id": "1.2.3",
        "container": {"type": "message", "channel_id": "DMADS", "message_ts": "111.222"},
        "actions": [{"type": kind, "action_id": PICK, "block_id": "posted:12|34:leader", **picked}],
    }


def test_slack_a_picked_person_or_date_reads_as_the_pick_on_its_question() -> None:
    person = pressed(slack_inbound.translate("action", _slack_pick("users_select", selected_user="ULISE")))
    assert (person.action, person.value, person.fields, person.mentions) == (
        PICK,
        "34:leader",
        {"pick": "ULISE"},
        ("ULISE",),
    )
    assert person.message is not None and person.message.posted_id == 12
    day = pressed(slack_inbound.translate("action", _slack_pick("datepicker", selected_date="2027-04-15")))
    assert day.fields == {"pick": "2027-04-15"} and day.mentions == ()
    nobody = pressed(slack_inbound.translate("action", _slack_pick("users_select")))
    assert nobody.fields == {"pick": ""} and nobody.mentions == ()


@pytest.mark.parametrize(("picks", "element"), [("person", "Input.ChoiceSet"), ("date", "Input.Date")])
def test_teams_a_picker_is_a_valid_card_with_an_input_and_an_execute_button(picks: str, element: str) -> None:
    [activity] = activities(asking(picks), posted=12)
    assert_valid_activity(activity)
    body = activity["attachments"][0]["content"]["body"]
    [index] = [i for i, e in enumerate(body) if e["type"] == element]
    field, [button] = body[index], body[index + 1]["actions"]
    assert field["id"] == "pick"
    assert button["type"] == "Action.Execute" and button["verb"] == PICK
    assert button["data"]["value"] == "34:leader" and button["data"]["posted"] == 12
    if picks == "person":  # the organisation's directory, its pick resolved like a form's
        assert field["choices.data"] == {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}
        assert button["data"]["people"] == "pick"


def test_teams_a_picked_aad_id_reads_as_the_teams_user_it_was_found_to_be() -> None:
    press = {
        "type": "invoke",
        "name": "adaptiveCard/action",
        "id": "f:1",
        "from": {"id": "29:1UMADS", "aadObjectId": "11111111-1111-1111-1111-111111111111"},
        "conversation": {"id": "a:mads", "conversationType": "personal"},
        "recipient": {"id": "28:bot"},
        "replyToId": "card-1",
        "value": {
            "action": {
                "type": "Action.Execute",
                "verb": PICK,
                "data": {"value": "34:leader", "posted": 12, "people": "pick", "pick": AAD},
            }
        },
        PICKED: {AAD: "29:1ULISE"},  # what bot/teams/picks.py wrote down before the press was stored
    }
    commands = teams_inbound.Commands(shapes={}, greeting="hjælp")
    event = pressed(teams_inbound.translate("action", json.loads(json.dumps(press)), commands))
    assert (event.action, event.value, event.fields, event.mentions) == (
        PICK,
        "34:leader",
        {"pick": "29:1ULISE"},
        ("29:1ULISE",),
    )
    del press[PICKED]  # nobody found: a pick nobody can be written to
    event = pressed(teams_inbound.translate("action", press, commands))
    assert event.mentions == () and event.fields["pick"] == UNREACHED


SCRIPT = Script(keys=("goals", "leader"), people=frozenset({"leader"}))


def test_a_pick_is_current_only_while_its_question_is_asked() -> None:
    state, _ = start(SCRIPT)
    assert button_is_current(SCRIPT, state, "pick", "goals")
    assert not button_is_current(SCRIPT, state, "pick", "leader")
    state, _ = step(SCRIPT, state, Answer("Blive sikker i dokumentation"))
    assert button_is_current(SCRIPT, state, "pick", "leader")
    assert not button_is_current(SCRIPT, state, "pick", "goals")
    state, _ = step(SCRIPT, state, Answer("Lise", mention=("7", "Lise")))
    assert not button_is_current(SCRIPT, state, "pick", "leader")  # at the summary


def test_an_answer_its_sender_found_unusable_is_refused_with_its_reason_and_asked_again() -> None:
    state, _ = start(SCRIPT)
    state, _ = step(SCRIPT, state, Answer("Mål"))
    state, said = step(SCRIPT, state, Answer("", problem="dialog.not_yourself"))
    assert said[0] == Refused("invalid", message="dialog.not_yourself")
    assert isinstance(said[1], Ask) and said[1].key == "leader"
    assert "leader" not in state.answers

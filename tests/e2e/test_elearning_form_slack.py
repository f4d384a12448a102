"""`/laering kontrakt` alone, and **Ny kontrakt**, open a form on Slack: a modal opened with the
command's or the press's trigger_id; what is wrong is answered at the field while the modal
stays open; a good submission goes through the inbox and starts the same contract the typed
command starts; the same submission twice starts it once."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.storage.models import Contract, InboxEvent, Party, Person
from tests.e2e.harness import Chat
from tests.fakes import slack_signing as signing

LISE, MADS = "ULISE", "UMADS"
CPH = ZoneInfo("Europe/Copenhagen")


def _today(chat: Chat) -> date:
    return chat.bot.clock().astimezone(CPH).date()


async def open_by_command(chat: Chat, user: str = LISE, text: str = "kontrakt") -> dict[str, Any]:
    """The command alone, in the DM; the modal Slack opened with its trigger_id."""
    trigger = f"trigger-{len(chat.slack.views)}-{user}"
    body = signing.slash_command_body(
        text=text,
        user_id=user,
        channel_id="D" + user[1:],
        response_url=chat.slack.response_url(user=user),
        trigger_id=trigger,
    )
    before = len(chat.slack.views)
    response = await chat.bot.post(body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.text
    await chat.slack.wait_for(lambda fake: len(fake.views) > before)
    assert chat.slack.calls_of("views.open")[-1].args["trigger_id"] == trigger
    return chat.slack.views[-1]


def fill(view: dict[str, Any], **answers: str | None) -> dict[str, dict[str, dict[str, Any]]]:
    """What Slack sends as the modal's state when these are filled in (None: left empty)."""
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        answer = answers.get(block["block_id"])
        kind = element["type"]
        if kind == "users_select":
            state = {"selected_user": answer}
        elif kind == "datepicker":
            state = {"selected_date": answer}
        else:
            state = {"value": answer}
        values[block["block_id"]] = {element["action_id"]: {"type": kind, **state}}
    return values


async def submit(chat: Chat, user: str, view: dict[str, Any], **answers: str | None) -> dict[str, Any] | None:
    """Press the modal's submit; the acknowledgement's JSON (None: the empty answer that closes it)."""
    body = signing.view_submission_body(user, view, fill(view, **answers))
    response = await chat.bot.post(body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.text
    return response.json() if response.content else None


async def contracts(chat: Chat) -> list[tuple[Contract, list[str]]]:
    async with chat.bot.runtime.db.transaction() as s:
        found = (await s.exec(select(Contract).order_by(col(Contract.id)))).all()
        result = []
        for contract in found:
            people = (
                await s.exec(
                    select(Person.external_id)
                    .join(Party, col(Party.person_id) == col(Person.id))
                    .where(Party.contract_id == contract.id)
                    .order_by(col(Party.role))
                )
            ).all()
            result.append((contract, list(people)))
        return result


async def test_the_command_alone_opens_the_form_and_the_submission_starts_the_contract(chat: Chat) -> None:
    view = await open_by_command(chat)
    assert view["title"]["text"] == "Ny læringskontrakt"
    assert view["submit"]["text"] == "Start kontrakten"
    inputs = {b["block_id"]: b for b in view["blocks"]}
    assert [(k, b["element"]["type"], b["label"]["text"], b["optional"]) for k, b in inputs.items()] == [
        ("employee", "users_select", "Medarbejder", False),
        ("course", "plain_text_input", "Kursus", False),
        ("followup", "datepicker", "Opfølgningsdato", True),
    ]
    assert inputs["course"]["element"]["max_length"] == 150
    assert not chat.texts(LISE), "the form opens; no usage text is said"

    day = _today(chat) + timedelta(days=40)
    assert await submit(chat, LISE, view, employee=MADS, course="ABC Demens", followup=day.isoformat()) is None
    await chat.expect(LISE, "Læringskontrakten om *ABC Demens* er startet med Mads")
    await chat.expect(LISE, "Spørgsmål 1 af 3")
    await chat.expect(MADS, "Lise har startet en læringskontrakt med dig om *ABC Demens*")
    [(contract, people)] = await contracts(chat)
    assert contract.title == "ABC Demens" and sorted(people) == [LISE, MADS]
    assert contract.followup_at is not None
    followup = contract.followup_at.replace(tzinfo=contract.followup_at.tzinfo or ZoneInfo("UTC")).astimezone(CPH)
    assert (followup.date(), followup.hour) == (day, 9)


async def test_the_form_and_the_typed_command_start_the_same_contract(chat: Chat) -> None:
    day = _today(chat) + timedelta(days=20)
    await chat.command(LISE, f"kontrakt <@UMADS|mads> ABC Demens {day.strftime('%d-%m-%Y')}")
    await chat.expect(LISE, "Læringskontrakten om *ABC Demens* er startet med Mads")
    chat.person("UBO", "Bo")
    view = await open_by_command(chat)
    assert await submit(chat, LISE, view, employee="UBO", course="ABC Demens", followup=day.isoformat()) is None
    await chat.expect(LISE, "Læringskontrakten om *ABC Demens* er startet med Bo")
    typed, formed = await contracts(chat)
    assert (typed[0].title, typed[0].status, typed[0].followup_at) == (
        formed[0].title,
        formed[0].status,
        formed[0].followup_at,
    )
    # The same course again with the same employee asks first, as the typed command does.
    view = await open_by_command(chat)
    assert await submit(chat, LISE, view, employee=MADS, course="abc demens") is None
    await chat.expect(LISE, "Du har allerede en åben læringskontrakt om *abc demens* med Mads", "[Start en ny]")
    assert len(await contracts(chat)) == 2


async def test_bad_values_are_answered_at_the_field_and_nothing_is_stored(chat: Chat) -> None:
    view = await open_by_command(chat)
    yesterday = (_today(chat) - timedelta(days=1)).isoformat()
    cases: list[tuple[dict[str, str | None], dict[str, str]]] = [
        ({"employee": None, "course": "ABC Demens"}, {"employee": "Udfyld dette felt."}),
        (
            {"employee": LISE, "course": "ABC Demens"},
            {"employee": "Du kan ikke lave en læringskontrakt med dig selv – vælg medarbejderen."},
        ),
        (
            {"employee": MADS, "course": "ABC Demens", "followup": yesterday},
            {"followup": "Opfølgningsdatoen ligger i fortiden. Vælg en dag efter i dag."},
        ),
        ({"employee": MADS, "course": "x" * 151}, {"course": "Der er plads til 150 tegn – du har skrevet 151."}),
        ({"employee": MADS, "course": "  "}, {"course": "Udfyld dette felt."}),
    ]
    for answers, errors in cases:
        assert await submit(chat, LISE, view, **answers) == {"response_action": "errors", "errors": errors}
    await chat.settle()
    async with chat.bot.runtime.db.transaction() as s:
        assert not (await s.exec(select(InboxEvent).where(InboxEvent.kind == "view"))).all()
    assert await contracts(chat) == []
    # Put right in the same modal, it is sent.
    assert await submit(chat, LISE, view, employee=MADS, course="ABC Demens") is None
    await chat.expect(LISE, "Læringskontrakten om *ABC Demens* er startet med Mads")


async def test_a_second_identical_submission_changes_nothing(chat: Chat) -> None:
    view = await open_by_command(chat)
    body = signing.view_submission_body(LISE, view, fill(view, employee=MADS, course="ABC Demens"))
    for _ in range(2):  # Slack sends it again (no 200 in time), or the person presses twice
        response = await chat.bot.post(body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200 and not response.content
    await chat.expect(LISE, "Læringskontrakten om *ABC Demens* er startet med Mads")
    await chat.settle()
    assert len(await contracts(chat)) == 1
    assert chat.count(LISE, "er startet med Mads") == 1
    # The same form sent under another request (a new view_submission of the old modal) does
    # nothing either: the form was sent.
    again = signing.view_submission_body(LISE, view | {"id": "VOTHER"}, fill(view, employee=MADS, course="ABC Demens"))
    assert (await chat.bot.post(again, content_type="application/x-www-form-urlencoded")).status_code == 200
    await chat.settle()
    assert len(await contracts(chat)) == 1 and chat.count(LISE, "er startet med Mads") == 1


async def test_the_help_shows_both_ways_and_its_button_opens_the_form(chat: Chat) -> None:
    await chat.command(LISE, "hjælp")
    help_text = await chat.expect(LISE, "[Ny kontrakt]")
    assert "`/laering kontrakt` – start en læringskontrakt om et e-læringskursus i en formular" in help_text
    assert "`/laering kontrakt @medarbejder [kursusnavn] [opfølgningsdato]`" in help_text


async def test_the_ny_kontrakt_button_in_a_message_opens_the_form_with_its_trigger(chat: Chat) -> None:
    # The trigger of /laering kontrakt ran out before the modal could open: said in the DM,
    # with the button that opens it again.
    chat.slack.expired_triggers.add("trigger-0-ULISE")
    body = signing.slash_command_body(
        text="kontrakt",
        user_id=LISE,
        channel_id="DLISE",
        response_url=chat.slack.response_url(user=LISE),
        trigger_id="trigger-0-ULISE",
    )
    assert (await chat.bot.post(body, content_type="application/x-www-form-urlencoded")).status_code == 200
    await chat.expect(LISE, "Formularen nåede ikke at åbne", "[Ny kontrakt]")
    assert not chat.slack.views
    await chat.click(LISE, "Ny kontrakt")
    view = await chat.slack.wait_for(lambda fake: fake.views[-1] if fake.views else None)
    assert view["title"]["text"] == "Ny læringskontrakt"
    assert await submit(chat, LISE, view, employee=MADS, course="ABC Demens") is None
    await chat.expect(MADS, "Lise har startet en læringskontrakt med dig om *ABC Demens*")


async def test_a_problem_found_in_the_inbox_is_said_in_the_dm_with_the_button(chat: Chat) -> None:
    chat.slack.add_user("UROBOT", "robot", is_bot=True)
    view = await open_by_command(chat)
    assert await submit(chat, LISE, view, employee="UROBOT", course="ABC Demens") is None
    text = await chat.expect(LISE, "Det er ikke sendt endnu", "robot er en bot", "[Ny kontrakt]")
    assert "startet" not in text
    assert await contracts(chat) == []


async def test_the_app_home_offers_ny_kontrakt(chat: Chat) -> None:
    home = signing.event_body(
        {"type": "app_home_opened", "user": LISE, "channel": "DLISE", "tab": "home", "event_ts": "1.1"}
    )
    assert (await chat.bot.post(home, content_type="application/json")).status_code == 200
    shown = await chat.slack.wait_for(lambda fake: fake.homes.get(LISE))
    buttons = {e["text"]["text"]: (b, e) for b in shown["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert "Ny kontrakt" in buttons
    # Pressed on the App Home (a press in a view, not a message): the modal opens with its trigger.
    block, element = buttons["Ny kontrakt"]
    press = {
        "type": "block_actions",
        "user": {"id": LISE, "username": "lise", "name": "lise", "team_id": "T1"},
        "api_app_id": "A1",
        "token": "verification-token",
        "container": {"type": "view", "view_id": shown["id"]},
        "trigger_id": "trigger-home-ULISE",
        "team": {"id": "T1", "domain": "testteam"},
        "view": {"id": shown["id"], "type": "home", "blocks": shown["blocks"]},
        "actions": [
            {
                "action_id": element["action_id"],
                "block_id": block.get("block_id", "b"),
                "value": element.get("value", ""),
                "type": "button",
                "action_ts": "1700000000.000001",
            }
        ],
    }
    body = urlencode({"payload": json.dumps(press)})
    assert (await chat.bot.post(body, content_type="application/x-www-form-urlencoded")).status_code == 200
    view = await chat.slack.wait_for(lambda fake: fake.views[-1] if fake.views else None)
    assert chat.slack.calls_of("views.open")[-1].args["trigger_id"] == "trigger-home-ULISE"
    assert view["title"]["text"] == "Ny læringskontrakt"

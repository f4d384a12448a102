"""`kontrakt` alone, and **Ny kontrakt**, open a form in Teams: an Adaptive Card with the people
picker, sent with Action.Execute. The press carries what a Teams client sends: the picked
user's Azure AD object id, no mention entity. The bot finds whom the id names, answers
problems in the refreshed card, and starts the same contract the typed command starts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlmodel import col, select

from bot.storage.models import Contract, Party, Person
from tests.e2e.teams_harness import TeamsChat, channel_id, teams_id
from tests.fakes.teams_api import card_of, card_text

LISE, MADS = "ULISE", "UMADS"
CPH = ZoneInfo("Europe/Copenhagen")
CARD = "application/vnd.microsoft.card.adaptive"


def _today(chat: TeamsChat) -> date:
    return chat.bot.clock().astimezone(CPH).date()


def aad(chat: TeamsChat, handle: str) -> str:
    return chat.teams.users[teams_id(handle)].aad_object_id


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in card["body"] if e["type"].startswith("Input.")}


async def open_form(chat: TeamsChat, handle: str = LISE) -> tuple[str, dict[str, Any]]:
    """`kontrakt` written alone; the form's card in the chat (its activity id, the card)."""
    conversation = chat.teams.conversation_of(teams_id(handle))
    before = len(chat.teams.activities_in(conversation))
    await chat.say(handle, "kontrakt")

    def posted(_: Any) -> tuple[str, dict[str, Any]] | None:
        for sent in chat.teams.activities_in(conversation)[before:]:
            card = card_of(sent.activity)
            if card and inputs(card):
                return sent.id, card
        return None

    return await chat.teams.wait_for(posted)


async def submit(
    chat: TeamsChat, card_id: str, card: dict[str, Any], handle: str = LISE, *, id: str | None = None, **filled: str
) -> dict[str, Any]:
    """Press the card's submit with these inputs filled in, as Teams sends it: the action's data
    with the inputs' values merged in. What Teams shows: the card the bot answered with."""
    [action] = card["actions"]
    assert action["type"] == "Action.Execute"
    conversation = chat.teams.conversation_of(teams_id(handle))
    press = chat.teams.press(
        teams_id(handle), conversation, card_id, action["verb"], {**action["data"], **filled}, id=id
    )
    response: httpx.Response = await chat.bot.post(press)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    chat.teams.record_answer(teams_id(handle), answer)
    assert answer["type"] == CARD, answer
    shown: dict[str, Any] = answer["value"]
    return shown


async def contracts(chat: TeamsChat) -> list[tuple[Contract, list[str]]]:
    async with chat.bot.runtime.db.transaction() as s:
        result = []
        for contract in (await s.exec(select(Contract).order_by(col(Contract.id)))).all():
            people = (
                await s.exec(
                    select(Person.external_id)
                    .join(Party, col(Party.person_id) == col(Person.id))
                    .where(Party.contract_id == contract.id)
                )
            ).all()
            result.append((contract, sorted(people)))
        return result


def error_at(card: dict[str, Any], key: str) -> str | None:
    return inputs(card)[key].get("errorMessage")


async def test_the_word_alone_opens_the_card_and_the_picked_aad_id_starts_the_contract(teams_chat: TeamsChat) -> None:
    chat = teams_chat
    card_id, card = await open_form(chat)
    fields = inputs(card)
    assert [(k, e["type"], e["label"]) for k, e in fields.items()] == [
        ("employee", "Input.ChoiceSet", "Medarbejder"),
        ("course", "Input.Text", "Kursus"),
        ("followup", "Input.Date", "Opfølgningsdato"),
    ]
    assert fields["employee"]["choices.data"] == {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}
    assert fields["course"]["maxLength"] == 150 and fields["followup"]["isRequired"] is False
    assert "Ny læringskontrakt" in card_text(card) and "[Start kontrakten]" in card_text(card)

    day = _today(chat) + timedelta(days=40)
    answered = await submit(
        chat, card_id, card, employee=aad(chat, MADS), course="ABC Demens", followup=day.isoformat()
    )
    assert "✓ Sendt" in card_text(answered) and not inputs(answered) and not answered.get("actions")
    await chat.expect(LISE, "Læringskontrakten om *ABC Demens* er startet med Mads")
    await chat.expect(MADS, "Lise har startet en læringskontrakt med dig om *ABC Demens*")
    [(contract, people)] = await contracts(chat)
    assert contract.title == "ABC Demens" and people == sorted([teams_id(LISE), teams_id(MADS)])
    assert contract.followup_at is not None
    followup = contract.followup_at.replace(tzinfo=contract.followup_at.tzinfo or ZoneInfo("UTC")).astimezone(CPH)
    assert (followup.date(), followup.hour) == (day, 9)
    # A real client sends no mention entity with a picker's submission; none was needed.
    assert not any(
        e.get("type") == "mention" for c in chat.teams.calls_of("send") for e in c.body.get("entities") or []
    )


async def test_bad_values_are_answered_in_the_refreshed_card(teams_chat: TeamsChat) -> None:
    chat = teams_chat
    card_id, card = await open_form(chat)
    yesterday = (_today(chat) - timedelta(days=1)).isoformat()
    cases: list[tuple[dict[str, str], str, str]] = [
        ({"course": "ABC Demens"}, "employee", "Udfyld dette felt."),
        (
            {"employee": aad(chat, LISE), "course": "ABC Demens"},
            "employee",
            "Du kan ikke lave en læringskontrakt med dig selv – vælg medarbejderen.",
        ),
        (
            {"employee": aad(chat, MADS), "course": "ABC Demens", "followup": yesterday},
            "followup",
            "Opfølgningsdatoen ligger i fortiden. Vælg en dag efter i dag.",
        ),
        (
            {"employee": aad(chat, MADS), "course": "x" * 151},
            "course",
            "Der er plads til 150 tegn – du har skrevet 151.",
        ),
    ]
    for filled, key, error in cases:
        answered = await submit(chat, card_id, card, **filled)
        assert error_at(answered, key) == error, card_text(answered)
        assert error in card_text(answered)  # said under the field, as text too
        # What was typed stays in the card; the errors of the other fields are gone.
        assert all(error_at(answered, other) is None for other in inputs(answered) if other != key)
        if key != "course":
            assert inputs(answered)["course"].get("value") == filled["course"]
        if key == "followup":  # the person picked is shown picked again, by name
            picker = inputs(answered)["employee"]
            assert picker["value"] == aad(chat, MADS)
            assert picker["choices"] == [{"title": "Mads", "value": aad(chat, MADS)}]
    assert await contracts(chat) == []
    answered = await submit(chat, card_id, card, employee=aad(chat, MADS), course="ABC Demens")
    assert "✓ Sendt" in card_text(answered)
    assert len(await contracts(chat)) == 1


async def test_a_picked_person_the_bot_cannot_reach_is_named_at_the_field(teams_chat: TeamsChat) -> None:
    chat = teams_chat
    # Bo is in a team that has the app, but has not added it himself; Eva is in no team with the bot.
    chat.person("UBO", "Bo", installed=False)
    chat.person("UEVA", "Eva", installed=False)
    await chat.post_in_channel(LISE, "CTEAM", "hjælp")
    await chat.settle()
    chat.teams.team_members[channel_id("CTEAM")] = {teams_id(LISE), teams_id("UBO")}
    card_id, card = await open_form(chat)

    answered = await submit(chat, card_id, card, employee=aad(chat, "UEVA"), course="ABC Demens")
    assert error_at(answered, "employee") == (
        "Jeg kan ikke skrive til den, du valgte: vedkommende har ikke tilføjet Læringsbot i Teams og er ikke i et team"
        " med mig. Bed personen om at åbne Læringsbot under Apps i Teams (eller bed jeres it-administrator om at"
        " installere den for alle), og prøv så igen."
    )
    answered = await submit(chat, card_id, card, employee=aad(chat, "UBO"), course="ABC Demens")
    # Found as a member of the team, by the id the picker gave, but not someone the bot may write to.
    assert chat.teams.calls_of("member"), chat.teams.dump()
    assert "Bo ikke har tilføjet Læringsbot i Teams" in (error_at(answered, "employee") or "")
    assert await contracts(chat) == []


async def test_a_second_identical_submission_changes_nothing(teams_chat: TeamsChat) -> None:
    chat = teams_chat
    card_id, card = await open_form(chat)
    filled = {"employee": aad(chat, MADS), "course": "ABC Demens"}
    first = await submit(chat, card_id, card, id="f:press-1", **filled)
    again = await submit(chat, card_id, card, id="f:press-1", **filled)  # Teams redelivers the invoke
    other = await submit(chat, card_id, card, id="f:press-2", **filled)  # pressed again on an old card
    for answered in (first, again, other):
        assert "✓ Sendt" in card_text(answered) and not inputs(answered)
    await chat.settle()
    assert len(await contracts(chat)) == 1
    assert chat.count(LISE, "er startet med Mads") == 1


async def test_the_help_shows_both_ways_and_ny_kontrakt_opens_the_card(teams_chat: TeamsChat) -> None:
    chat = teams_chat
    await chat.say(LISE, "hjælp")
    text = await chat.expect(LISE, "[Ny kontrakt]")
    # (code is a monospace run on the card)
    assert "• kontrakt – start en læringskontrakt om et e-læringskursus i en formular" in text
    assert "kontrakt @medarbejder [kursusnavn] [opfølgningsdato]" in text
    await chat.click(LISE, "Ny kontrakt")
    conversation = chat.teams.conversation_of(teams_id(LISE))
    card = await chat.teams.wait_for(
        lambda fake: next(
            (c for s in reversed(fake.activities_in(conversation)) if (c := card_of(s.activity)) and inputs(c)), None
        )
    )
    assert "Ny læringskontrakt" in card_text(card)
    # The typed shortcut works exactly as before.
    await chat.say(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(LISE, "Læringskontrakten om *ABC Demens* er startet med Mads")

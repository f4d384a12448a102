"""The e-learning learning contract end to end, as the people meet it, on Slack and on Teams."""

from __future__ import annotations

import pytest

from tests.e2e.harness import Chat
from tests.e2e.teams_harness import TeamsChat


@pytest.fixture
def chat(any_chat: Chat) -> Chat:
    """Every scenario here runs on both platforms, through the same driver interface."""
    return any_chat


LISE, MADS = "ULISE", "UMADS"
LEADER_ANSWERS = ["Forstå demens og kommunikation", "Bruge validerende kommunikation", "Tid til e-læring hver uge"]
MADS_ANSWERS = ["Viden om demenstyper", "I morgenplejen hos borgere med demens", "Sparring med en kollega"]


async def answer_all(chat: Chat | TeamsChat, user: str, answers: list[str], total: int) -> None:
    """Answer every question; the caller has already seen the first one."""
    for number, answer in enumerate(answers, 1):
        if number > 1:
            await chat.expect(user, f"Spørgsmål {number} af {total}")
        await chat.say(user, answer)
    await chat.expect(user, "Intet sendes, før du trykker")


async def test_whole_contract_from_start_to_close(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(LISE, "Læringskontrakten om *ABC Demens* er startet med Mads")
    # What the contract is for, as the seed says it, under each intro.
    await chat.expect(LISE, "Du har startet en læringskontrakt med Mads", "det lærte bliver brugt i praksis")
    await chat.expect(LISE, "Spørgsmål 1 af 3", "Hvilken viden og færdigheder er de vigtigste, at medarbejderen får?")
    await chat.expect(MADS, "Lise har startet en læringskontrakt med dig om *ABC Demens*", "(High Impact Learning Map)")
    await chat.expect(
        MADS,
        "Spørgsmål 1 af 3",
        "Hvilken viden, færdigheder eller kompetencer vil du gerne opnå med dette e-læringskursus?",
    )

    # Both answer in parallel, one question at a time.
    await answer_all(chat, LISE, LEADER_ANSWERS, 3)
    await chat.click(LISE, "Send")
    await chat.expect(LISE, "Tak – dine svar er sendt. Når Mads også har sendt")
    assert not any("Godkend" in t for t in chat.texts(MADS))

    await answer_all(chat, MADS, MADS_ANSWERS, 3)
    await chat.click(MADS, "Send")

    # Side by side for both; the leader decides.
    overview = await chat.expect(
        LISE, "LÆRINGSMÅL", "Forstå demens og kommunikation", "Viden om demenstyper", "[Godkend]"
    )
    assert "[Bed om ændringer]" in overview
    await chat.expect(MADS, "Lise og du har begge sendt jeres svar", "Viden om demenstyper", "Forstå demens")
    await chat.click(LISE, "Godkend")
    await chat.expect(LISE, "Du har godkendt læringskontrakten med Mads")
    await chat.expect(MADS, "Lise har godkendt jeres læringskontrakt", "[Jeg har gennemført kurset]")
    # The approval message is updated: no live button is left.
    update = await chat.updated("Godkendt af Lise")
    assert "[Godkend]" not in update and "[Bed om ændringer]" not in update

    # After the course: first the learning is tried in practice, until the follow-up date,
    # unless Mads would rather answer now.
    await chat.click(MADS, "Jeg har gennemført kurset")
    practice = await chat.expect(MADS, "Nu skal det lærte prøves af i praksis", "[Svar nu]")
    assert "Hvad gør du anderledes nu?" not in practice
    await chat.expect(LISE, "Mads har gennemført *ABC Demens* og prøver nu det lærte af i praksis")
    await chat.settle()
    assert chat.count(MADS, "Hvad gør du anderledes nu?") == 0  # not the moment the course is done
    await chat.click(MADS, "Svar nu")
    await chat.expect(MADS, "Spørgsmål 1 af 2", "Hvad gør du anderledes nu?")
    await chat.expect(LISE, "Spørgsmål 1 af 2", "Hvordan kan man se, at det er lykkedes medarbejderen")
    await answer_all(chat, MADS, ["Jeg validerer følelser", "Roligere beboerkonferencer"], 2)
    await chat.click(MADS, "Send")
    await answer_all(chat, LISE, ["Færre konflikter", "Bedre dokumentation"], 2)
    await chat.click(LISE, "Send")
    await chat.expect(LISE, "RESULTATER", "Jeg validerer følelser", "Færre konflikter", "[Afslut]")
    await chat.click(LISE, "Afslut")
    await chat.expect(LISE, "Læringskontrakten med Mads om *ABC Demens* er afsluttet")
    await chat.expect(MADS, "Lise har afsluttet jeres læringskontrakt om *ABC Demens*")
    chat.check_payloads()

"""Læringskontrakt i klinisk praksis with other education plans, on Slack and on Teams:
none at all (the competency is free text, the period chosen as dates) and several (the
plan is chosen first). The bot reads `dialogs/` as an editor left it (`DIALOGS_DIR`)."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.settings import DEFAULT_DIALOGS_DIR
from tests.e2e.harness import Chat

CPH = ZoneInfo("Europe/Copenhagen")
ANNA, SOFIE, MADS, LISE = "UANNA", "USOFIE", "UMADS", "ULISE"
SECOND_PLAN = """\
id: sygeplejerske_modul4
name: {da: "Sygeplejerske – modul 4, klinisk undervisning"}
competencies:
  - id: pleje
    name: {da: Klinisk beslutningstagning}
"""


def dialogs_with(tmp_path: Path, *plans: str) -> Path:
    folder = tmp_path / "dialogs"
    shutil.copytree(DEFAULT_DIALOGS_DIR, folder, ignore=shutil.ignore_patterns("plans"))
    (folder / "plans").mkdir()
    for text in plans:
        plan_id = text.split("\n", 1)[0].removeprefix("id: ")
        (folder / "plans" / f"{plan_id}.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(params=["slack", "teams"])
def free_chat(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Chat:
    """A bot whose dialogs/ holds no education plan."""
    monkeypatch.setenv("DIALOGS_DIR", str(dialogs_with(tmp_path)))
    chat: Chat = request.getfixturevalue(f"{request.param}_chat")
    return chat


@pytest.fixture(params=["slack", "teams"])
def two_plans_chat(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Chat:
    """A bot with the shipped plan and a second one."""
    shipped = (DEFAULT_DIALOGS_DIR / "plans" / "ssa_praktik2.yaml").read_text(encoding="utf-8")
    shipped = "\n".join(line for line in shipped.splitlines() if not line.startswith("#"))
    monkeypatch.setenv("DIALOGS_DIR", str(dialogs_with(tmp_path, shipped, SECOND_PLAN)))
    chat: Chat = request.getfixturevalue(f"{request.param}_chat")
    return chat


async def at(chat: Chat, moment: datetime) -> None:
    chat.bot.clock.set(moment)
    await chat.bot.tick()
    await chat.settle()


async def test_with_no_plan_the_competency_is_free_text(free_chat: Chat) -> None:
    chat = free_chat
    await at(chat, datetime(2027, 3, 1, 10, 0, tzinfo=CPH))
    await chat.command(ANNA, "klinisk <@USOFIE|sofie>")
    await chat.expect(SOFIE, "Anna has started a learning contract in clinical practice with you")
    picker = await chat.expect(
        SOFIE, "Step 1 of 4: Competencies and period", "no education plan", "[Write a competency]", "[Choose dates]"
    )
    assert "[We agree]" in picker
    await chat.expect(ANNA, "Trin 1 af 4", "[Skriv en kompetence]")

    # The trainee writes the competency in her own words; the supervisor sets the dates.
    await chat.click(SOFIE, "Write a competency")
    await chat.expect(SOFIE, "Which competency are you to learn in the coming period?")
    await chat.say(SOFIE, "Modtage og påbegynde udredning af en akut indlagt patient")
    await chat.expect(SOFIE, "the competency is now in the choice")
    await chat.updated("✓ Modtage og påbegynde udredning")
    await chat.click(ANNA, "Vælg datoer")
    await chat.expect(ANNA, "Hvornår starter perioden?")
    await chat.say(ANNA, "08-03-2027")
    await chat.expect(ANNA, "Hvornår slutter perioden?")
    await chat.say(ANNA, "05-03-2027")  # before the start: refused, asked again
    await chat.expect(ANNA, "Hvornår slutter perioden?")
    await chat.say(ANNA, "02-04-2027")
    await chat.expect(ANNA, "perioden står nu i valget")
    await chat.updated("Aftalte datoer: 8. marts 2027 – 2. april 2027")
    await chat.settle()
    await chat.click(SOFIE, "We agree")
    await chat.click(ANNA, "Vi er enige")
    await chat.updated("Valgt af jer begge")
    question = await chat.expect(SOFIE, "What do you think the competency includes?")
    assert "Modtage og påbegynde udredning af en akut indlagt patient" in question

    # The supervisor writing in the DM before the trainee has sent is told why she waits.
    await chat.say(ANNA, "Jeg foreslår: ABCDE")
    await chat.expect(ANNA, "Sofie skriver delmålene først")
    await chat.say(SOFIE, "ABCDE assessment, early warning score, handover with ISBAR")
    await chat.click(SOFIE, "Send")
    await chat.expect(ANNA, "Sofie har sendt delmålene", "early warning score")

    # The folder, in English for the trainee.
    await chat.command(SOFIE, "folder")
    folder = await chat.expect(SOFIE, "Folder: Sofie's education", "Modtage og påbegynde udredning")
    assert "the supervisor is adding to the sub-goals" in folder and "8 March 2027 – 2 April 2027" in folder


async def test_with_several_plans_the_plan_is_chosen_first(two_plans_chat: Chat) -> None:
    chat = two_plans_chat
    await chat.command(LISE, "klinisk <@UMADS|mads>")
    picker = await chat.expect(MADS, "Vælg først uddannelsesplanen", "[Sygeplejerske – modul 4, klinisk undervisning]")
    assert "[Medicinhåndtering]" not in picker
    await chat.click(MADS, "Social- og sundhedsassistent – praktikperiode 2, somatik")
    await chat.updated("uddannelsesplanen *Social- og sundhedsassistent", "[Medicinhåndtering]")
    await chat.settle()
    await chat.click(LISE, "Medicinhåndtering")
    await chat.click(LISE, "En uge")
    await chat.updated("✓ Medicinhåndtering", "✓ En uge")
    await chat.settle()
    await chat.click(LISE, "Vi er enige")
    await chat.click(MADS, "Vi er enige")
    await chat.expect(MADS, "Hvad mener du, indgår i kompetencen?")

    # The trainee's next contract starts from the same plan: the same education.
    await chat.command(LISE, "klinisk <@UMADS|mads>")
    await chat.expect(
        MADS, "Trin 1 af 4", "uddannelsesplanen *Social- og sundhedsassistent", "[Forflytning og brug af hjælpemidler]"
    )


@pytest.fixture(params=["slack", "teams"])
def planned_chat(request: pytest.FixtureRequest) -> Chat:
    chat: Chat = request.getfixturevalue(f"{request.param}_chat")  # the shipped plan, the only one
    return chat


async def test_beside_the_plan_a_competency_can_be_written_in_own_words(planned_chat: Chat) -> None:
    """The seed's own example, a medical competency, is in no SSA plan: free text is always
    possible beside the plan."""
    chat = planned_chat
    await chat.command(LISE, "klinisk <@UMADS|mads>")
    picker = await chat.expect(MADS, "Trin 1 af 4", "uddannelsesplanen", "[Medicinhåndtering]")
    assert "[Skriv en kompetence]" in picker and "Står en kompetence ikke i planen" in picker
    await chat.click(MADS, "Skriv en kompetence")
    await chat.expect(MADS, "Hvilken kompetence skal du lære i den kommende periode?")
    await chat.say(MADS, "Modtage, påbegynde udredning og initial behandling af en akut indlagt patient")
    await chat.expect(MADS, "kompetencen står nu i valget")
    both = await chat.updated("✓ Modtage, påbegynde udredning")
    assert "[Medicinhåndtering]" in both  # the plan's own are still there to choose
    await chat.settle()
    await chat.click(LISE, "Medicinhåndtering")
    await chat.click(LISE, "En måned")
    await chat.updated("✓ Medicinhåndtering", "✓ Modtage, påbegynde udredning", "✓ En måned")
    await chat.settle()
    await chat.click(MADS, "Vi er enige")
    await chat.click(LISE, "Vi er enige")
    question = await chat.expect(MADS, "Hvad mener du, indgår i kompetencen?")
    assert (
        "Modtage, påbegynde udredning og initial behandling af en akut indlagt patient" in question
        and "Medicinhåndtering" in question
    )

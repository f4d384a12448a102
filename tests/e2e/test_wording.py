"""How the bot words what it says where a person meets it (issue 16): roles written alike,
the bot never speaking as the leader, no "sent to you in a direct message" inside it, and
the learning meeting's steps in correct Danish."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.e2e.files import copy_texts, received
from tests.e2e.harness import Chat
from tests.e2e.test_elearning_contract import answer_all

LISE, MADS = "ULISE", "UMADS"
TEAM = "CTEAM"
CPH = ZoneInfo("Europe/Copenhagen")


async def test_a_contract_started_in_the_dm_reads_right_there_and_asks_about_the_leader(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    started = await chat.expect(LISE, "Læringskontrakten om *ABC Demens* er startet med Mads")
    assert "direkte besked" not in started
    await chat.expect(LISE, "Spørgsmål 1 af 3")
    await answer_all(chat, LISE, ["Forstå demens", "Validerende kommunikation", "Tid hver uge"], 3)
    await chat.click(LISE, "Send")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.say(MADS, "Demenstyper")
    await chat.expect(MADS, "Spørgsmål 2 af 3")
    await chat.say(MADS, "I morgenplejen")
    # The bot asks, so it does not say "mig som leder": the leader is the employee's leader.
    support = await chat.expect(MADS, "Spørgsmål 3 af 3", "STØTTE")
    assert "fra dine kolleger og din leder" in support and "mig som leder" not in support
    await chat.say(MADS, "Sparring")
    await chat.click(MADS, "Send")
    # Side by side and in the copy, a role is written as in a sentence; a label begins with a capital.
    side_by_side = await chat.expect(LISE, "Godkend kontrakten, eller bed om ændringer")
    assert "Lise (leder)" in side_by_side and "Mads (medarbejder)" in side_by_side
    assert "(Leder)" not in side_by_side and "(Medarbejder)" not in side_by_side
    await chat.click(LISE, "Godkend")
    await chat.command(LISE, "eksport 1")
    markdown, pdf = copy_texts(await received(chat, LISE, 2))
    assert "**Leder**\n\n> Lise" in markdown and "**Lise (leder)**" in markdown
    assert "Lise (leder)" in pdf and "Mads (medarbejder)" in pdf


async def test_the_meeting_step_without_a_case_person_is_correct_danish(chat: Chat) -> None:
    chat.bot.clock.set(datetime(2027, 1, 1, 10, 0, tzinfo=CPH))
    await chat.post_in_channel(LISE, TEAM, "møde tirsdag 09:00")
    await chat.settle()
    await chat.expect_in_channel(TEAM, "Lise har oprettet en serie")
    chat.bot.clock.set(datetime(2027, 1, 5, 9, 0, 10, tzinfo=CPH))  # nobody took the case
    await chat.bot.tick()
    await chat.settle()
    await chat.expect_in_channel(
        TEAM,
        "1. Casen præsenteres – 5 min",
        "Den, der har casen, præsenterer en case eller opgave, som vedkommende gerne vil lære af.",
        "Facilitatoren eller den, der har casen, går videre med *Næste punkt*.",
    )
    assert not any("han/hun" in text for text in chat.channel_texts(TEAM))


async def test_my_data_in_markdown_keeps_my_words_as_written(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.say(MADS, "Demenstyper (fx Alzheimer).\n# ikke en overskrift\n1. ikke en liste")
    for number, text in ((2, "I morgenplejen"), (3, "Sparring")):  # answers are kept once sent
        await chat.expect(MADS, f"Spørgsmål {number} af 3")
        await chat.say(MADS, text)
    await chat.click(MADS, "Send")
    await chat.expect(MADS, "Tak – dine svar er sendt")
    await chat.command(MADS, "mine-data")
    await chat.settle()
    files = await received(chat, MADS, 2)
    markdown = files["laeringsbot-mine-data.md"].decode()
    # One list item, its lines kept; nothing of mine is a heading or a list of its own.
    assert "**: Demenstyper (fx Alzheimer).  \n  \\# ikke en overskrift  \n  1\\. ikke en liste\n" in markdown
    assert not any(line.startswith(("# ikke", "1. ikke")) for line in markdown.split("\n"))

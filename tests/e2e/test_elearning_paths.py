"""The e-learning contract's other paths: groups, change requests, follow-up, nudges, languages.

All but the last run on Slack and on Teams through the same driver interface.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from tests.e2e.harness import Chat
from tests.e2e.teams_harness import TeamsChat
from tests.e2e.test_elearning_contract import answer_all
from tests.e2e.test_personal_data import capture, press_again


@pytest.fixture
def chat(any_chat: Chat) -> Chat:
    return any_chat


LISE, MADS, ANNA, SOFIE = "ULISE", "UMADS", "UANNA", "USOFIE"


async def both_answer_before(chat: Chat | TeamsChat, employee: str = MADS) -> None:
    await chat.command(LISE, f"kontrakt <@{employee}|x> ABC Demens")
    await chat.expect(LISE, "Spørgsmål 1 af 3")
    await answer_all(chat, LISE, ["L1", "L2", "L3"], 3)
    await chat.click(LISE, "Send")
    await chat.expect(employee, "Spørgsmål 1 af 3")
    await answer_all(chat, employee, ["E1", "E2", "E3"], 3)
    await chat.click(employee, "Send")
    await chat.expect(LISE, "[Godkend]")


async def test_group_leader_answers_once_and_sees_everyone_side_by_side(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> <@UANNA|anna> ABC Demens")
    await chat.expect(LISE, "Læringskontrakten om *ABC Demens* er startet med Mads og Anna")
    await chat.expect(LISE, "Du svarer én gang for hele gruppen")
    await chat.expect(LISE, "Spørgsmål 1 af 3")
    await answer_all(chat, LISE, ["Fælles mål", "Fælles praksis", "Fælles støtte"], 3)
    await chat.click(LISE, "Send")
    await chat.expect(LISE, "Når Mads og Anna også har sendt")
    for user, answers in (
        (MADS, ["Mads mål", "Mads praksis", "Mads støtte"]),
        (ANNA, ["Anna mål", "Anna praksis", "Anna støtte"]),
    ):
        await chat.expect(user, "Spørgsmål 1 af 3")
        await answer_all(chat, user, answers, 3)
        await chat.click(user, "Send")
    overview = await chat.expect(LISE, "Gruppeoverblik – ABC Demens")
    for fragment in ("Fælles mål", "Mads mål", "Anna mål", "Anna støtte"):
        assert fragment in overview
    # One contract each: an approval request per employee, with the leader's answers on both.
    await chat.settle()
    approvals = [t for t in chat.texts(LISE) if "[Godkend]" in t]
    assert len(approvals) == 2 and all("Fælles mål" in t for t in approvals)
    assert chat.count(LISE, "Gruppeoverblik") == 1
    chat.check_payloads()


async def test_change_request_reaches_the_employee_who_resends(chat: Chat) -> None:
    await both_answer_before(chat)
    await chat.click(LISE, "Bed om ændringer")
    await chat.expect(LISE, "Hvad skal Mads ændre eller uddybe?")
    await chat.say(LISE, "Gør målet mere konkret, tak.")
    await chat.expect(LISE, "Din kommentar er sendt til Mads")
    await chat.expect(MADS, "Lise har bedt om ændringer", "Gør målet mere konkret, tak.")
    summary = await chat.expect(MADS, "Intet sendes, før du trykker")
    assert "E1" in summary and "[Send]" in summary
    # The first approval message no longer has live buttons.
    updated = await chat.updated("bedt om ændringer")
    assert "[Godkend]" not in updated and "[Bed om ændringer]" not in updated

    await chat.click(MADS, "Ret et svar")
    await chat.click(MADS, "1. LÆRINGSMÅL")
    await chat.expect(MADS, "Du retter dit svar", "LÆRINGSMÅL", "E1")
    await chat.say(MADS, "At kunne genkende tre demenstyper")
    await chat.expect(MADS, "Intet sendes", "At kunne genkende tre demenstyper")
    await chat.click(MADS, "Send")
    second = await chat.expect(LISE, "[Godkend]", "At kunne genkende tre demenstyper")
    assert "E1" not in second
    await chat.click(LISE, "Godkend")
    await chat.expect(MADS, "Lise har godkendt jeres læringskontrakt")


async def test_follow_up_date_starts_the_after_course_phase(chat: Chat) -> None:
    await both_answer_before(chat)
    await chat.click(LISE, "Godkend")
    await chat.expect(MADS, "[Jeg har gennemført kurset]")
    await chat.bot.tick()
    await chat.settle()
    assert chat.count(MADS, "Hvad gør du anderledes nu?") == 0
    chat.bot.clock.advance(days=31)
    await chat.bot.tick()
    await chat.expect(MADS, "Opfølgningsdatoen for *ABC Demens* er nået")
    await chat.expect(MADS, "Spørgsmål 1 af 2", "Hvad gør du anderledes nu?")
    await chat.expect(LISE, "Spørgsmål 1 af 2", "Hvordan kan man se")
    # The course button is gone, saying the date came: Mads never reported the course completed.
    closed = await chat.updated("Opfølgningsdatoen er nået")
    assert "[Jeg har gennemført kurset]" not in closed and "meldt gennemført" not in closed
    assert all("Kurset er meldt gennemført" not in text for text in chat.texts(MADS))
    # A second tick starts nothing twice.
    await chat.bot.tick()
    await chat.settle()
    assert chat.count(MADS, "Hvad gør du anderledes nu?") == 1


def example_after_today(chat: Chat, shown: str) -> None:
    """The refusal's example date is a real date after the bot's today (not a fixed one)."""
    found = re.search(r"fx (\d{2}-\d{2}-\d{4})", shown)
    assert found, shown
    assert datetime.strptime(found.group(1), "%d-%m-%Y").date() > chat.bot.clock().date(), shown


async def test_follow_up_date_can_be_set_in_the_command(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens 15-01-2099")
    await chat.expect(LISE, "startet med Mads")
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens 01-01-2001")
    example_after_today(chat, await chat.expect(LISE, "Opfølgningsdatoen 01-01-2001 ligger i fortiden"))


async def test_a_follow_up_date_that_does_not_exist_is_refused_and_starts_nothing(chat: Chat) -> None:
    for written in ("31-02-2027", "2027-02-31", "15-13-2027"):
        await chat.command(LISE, f"kontrakt <@UMADS|mads> Excel basics {written}")
        example_after_today(chat, await chat.expect(LISE, f"Datoen {written} findes ikke"))
    await chat.settle()
    # No contract was started, so Mads was asked nothing (on Teams he was only greeted).
    assert not [t for t in chat.texts(MADS) if "Spørgsmål" in t or "Excel" in t], chat.texts(MADS)
    # A date written year first is the follow-up date too, not a part of the course's name.
    await chat.command(LISE, "kontrakt <@UMADS|mads> Excel basics 2099-02-15")
    assert "*Excel basics*" in await chat.expect(LISE, "startet med Mads")


async def test_one_nudge_after_two_working_days_then_the_leader_hears(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.say(LISE, "L1")
    chat.bot.clock.advance(days=4)  # at least two working days, whatever today is
    await chat.bot.tick()
    await chat.expect(MADS, "jeg venter stadig på dit svar til *ABC Demens*")
    await chat.bot.tick()
    await chat.settle()
    assert chat.count(MADS, "jeg venter stadig") == 1
    chat.bot.clock.advance(days=4)  # now at least five working days
    await chat.bot.tick()
    await chat.expect(LISE, "Mads har ikke svaret på *ABC Demens* i 5 arbejdsdage")
    await chat.bot.tick()
    await chat.settle()
    assert chat.count(LISE, "har ikke svaret") == 1


async def test_english_employee_and_language_switch(chat: Chat) -> None:
    await chat.command(LISE, f"kontrakt <@{SOFIE}|sofie> ABC Demens")
    await chat.expect(SOFIE, "Lise has started a learning contract with you about *ABC Demens*")
    await chat.expect(
        SOFIE,
        "Question 1 of 3",
        "Which knowledge, skills or competencies would you like to gain from this e-learning course?",
    )
    await chat.say(SOFIE, "x" * 4001)
    await chat.expect(SOFIE, "Your answer is too long: 4001 characters. There is room for 4000 characters.")
    await chat.say(SOFIE, "back")
    await chat.expect(SOFIE, "This is the first question")
    await chat.command(LISE, "sprog en")
    await chat.expect(LISE, "I will write to you in English from now on.")
    await chat.say(LISE, "L1")
    await chat.expect(LISE, "Question 2 of 3", "What should the employee do differently in practice?")
    await chat.command(LISE, "language da")
    await chat.expect(LISE, "Jeg skriver til dig på dansk")


async def test_pause_continue_and_cancel_tell_the_other_party(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.say(MADS, "M1")
    await chat.expect(MADS, "Spørgsmål 2 af 3")
    await chat.say(MADS, "pause")
    await chat.expect(MADS, "Samtalen er sat på pause", "[Fortsæt]")
    await chat.say(MADS, "noget")
    await chat.expect(MADS, "Skriv *fortsæt* for at fortsætte")
    await chat.click(MADS, "Fortsæt")
    await chat.expect(MADS, "Spørgsmål 2 af 3")
    await chat.say(MADS, "afbryd")
    await chat.expect(MADS, "Vil du afbryde?")
    await chat.click(MADS, "Ja, afbryd")
    await chat.expect(MADS, "Du har afbrudt læringskontrakten om *ABC Demens*")
    await chat.expect(LISE, "Mads har afbrudt læringskontrakten om *ABC Demens*")
    # Lise is no longer asked anything for it.
    await chat.say(LISE, "svar")
    await chat.expect(LISE, "Jeg venter ikke på et svar fra dig lige nu")


async def test_a_button_of_an_earlier_message_says_so_and_asks_nothing_again(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.say(MADS, "M1")
    await chat.expect(MADS, "Spørgsmål 2 af 3")
    await chat.say(MADS, "pause")
    await chat.expect(MADS, "Samtalen er sat på pause", "[Fortsæt]")
    held = capture(chat, MADS, "Fortsæt")
    await chat.say(MADS, "fortsæt")  # written, not pressed: the button stays on the old message
    await chat.expect(MADS, "Spørgsmål 2 af 3")
    asked = chat.count(MADS, "Spørgsmål 2 af 3")
    await press_again(chat, MADS, held)
    await chat.expect(MADS, "Den knap hører til en tidligere besked")
    await chat.settle()
    assert chat.count(MADS, "Spørgsmål 2 af 3") == asked  # not asked again
    await chat.say(MADS, "M2")  # and the dialog goes on where it was
    await chat.expect(MADS, "Spørgsmål 3 af 3")


async def test_answers_never_carry_live_broadcast_mentions(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(LISE, "Spørgsmål 1 af 3")
    await answer_all(chat, LISE, ["<!channel> se her", "@here nu", "<!everyone> & <@UANNA|anna>"], 3)
    await chat.click(LISE, "Send")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await answer_all(chat, MADS, ["@channel hej", "b", "c"], 3)
    await chat.click(MADS, "Send")
    await chat.expect(LISE, "[Godkend]")
    await chat.settle()
    for body in chat.sent_bodies():
        for live in chat.live_mentions:
            assert live not in body, (live, body[:300])
        # The bot mentions the contract's people; Anna, named only in an answer, never.
        assert chat.mentioned(body) <= {LISE, MADS}, body[:300]
    assert any(chat.mentioned(body) for body in chat.sent_bodies())


async def test_commands_that_cannot_work_get_a_clear_answer(slack_chat: Chat) -> None:
    chat = slack_chat  # Teams' own version is in test_teams_protocol.py
    await chat.command(LISE, "flyv")
    await chat.expect(LISE, "Den kommando kender jeg ikke: `flyv`", "/laering kontrakt")
    await chat.command(LISE, "kontrakt ABC Demens")
    shown = await chat.expect(LISE, "Nævn en eller flere medarbejdere med @")
    assert shown.count("Nævn en eller flere medarbejdere med @") == 1, shown  # the usage once, not twice
    await chat.command(LISE, "kontrakt <@UGHOST|ghost> ABC")
    await chat.expect(LISE, "Jeg kan ikke finde brugeren")
    await chat.command(LISE, "kontrakt <@ULISE|lise> ABC")
    await chat.expect(LISE, "Du kan ikke lave en læringskontrakt med dig selv")
    await chat.say(MADS, "hej")
    await chat.expect(MADS, "Jeg venter ikke på et svar fra dig lige nu")
    await chat.command(MADS, "")
    await chat.expect(MADS, "*Kommandoer*")


async def test_the_same_course_with_the_same_person_again_is_asked_first(chat: Chat) -> None:
    from tests.e2e.test_personal_data import rows

    await chat.command(LISE, "kontrakt <@UMADS|mads> Excel basics 15-02-2027")
    await chat.expect(LISE, "Læringskontrakten om *Excel basics* er startet med Mads")
    # A retry of the same start (a mistyped date corrected, say) asks before a second one.
    await chat.command(LISE, "kontrakt <@UMADS|mads> excel basics")
    asked = await chat.expect(LISE, "Du har allerede en åben læringskontrakt om *excel basics* med Mads (nr.")
    assert "[Start en ny]" in asked and "[Nej, behold den]" in asked
    await chat.click(LISE, "Nej, behold den")
    closed = await chat.updated("Du har allerede", "Ingen ny kontrakt startet")  # the question, closed
    assert "[Start en ny]" not in closed
    await chat.settle()
    assert len(rows(chat, "contract")) == 1

    await chat.command(LISE, "kontrakt <@UMADS|mads> Excel basics 01-03-2027")
    await chat.expect(LISE, "Du har allerede en åben læringskontrakt")
    held = capture(chat, LISE, "Start en ny")
    await chat.click(LISE, "Start en ny")
    await chat.expect(LISE, "Læringskontrakten om *Excel basics* er startet med Mads")
    await chat.settle()
    contracts = rows(chat, "contract")
    assert len(contracts) == 2 and contracts[1]["title"] == "Excel basics"
    assert contracts[1]["followup_at"].day == 1 and contracts[1]["followup_at"].month == 3
    await press_again(chat, LISE, held)  # pressed twice: one new contract, not two
    await chat.settle()
    assert len(rows(chat, "contract")) == 2

    # Another course, or the same course with someone else, starts at once.
    await chat.command(LISE, "kontrakt <@UANNA|anna> Excel basics")
    await chat.expect(LISE, "Læringskontrakten om *Excel basics* er startet med Anna")
    assert chat.count(LISE, "Du har allerede en åben") == 2


async def test_the_course_done_the_follow_up_waits_for_the_date_of_practice(chat: Chat) -> None:
    """Jeg har gennemført kurset: the questions after the course come at the follow-up date the
    leader set at the start (the practice period), not the moment the course is done."""
    await both_answer_before(chat)
    await chat.click(LISE, "Godkend")
    await chat.click(MADS, "Jeg har gennemført kurset")
    await chat.expect(MADS, "prøves af i praksis", "[Svar nu]")
    chat.bot.clock.advance(days=29)
    await chat.bot.tick()
    await chat.settle()
    assert chat.count(MADS, "Hvad gør du anderledes nu?") == 0
    chat.bot.clock.advance(days=2)  # past the follow-up date, 30 days after the start
    await chat.bot.tick()
    await chat.expect(MADS, "Opfølgningsdatoen for *ABC Demens* er nået")
    await chat.expect(MADS, "Spørgsmål 1 af 2", "Hvad gør du anderledes nu?")
    await chat.expect(LISE, "Spørgsmål 1 af 2")
    closed = await chat.updated("Opfølgningsdatoen er nået", "prøves af i praksis")
    assert "[Svar nu]" not in closed  # no live button is left
    await chat.bot.tick()
    await chat.settle()
    assert chat.count(MADS, "Hvad gør du anderledes nu?") == 1


async def test_in_a_group_each_employee_s_follow_up_is_their_own(chat: Chat) -> None:
    """The first employee to finish starts the leader's follow-up for that employee only;
    the next one gets theirs when they have finished too."""
    await chat.command(LISE, "kontrakt <@UMADS|mads> <@UANNA|anna> ABC Demens")
    await chat.expect(LISE, "Spørgsmål 1 af 3")
    await answer_all(chat, LISE, ["Fælles mål", "Fælles praksis", "Fælles støtte"], 3)
    await chat.click(LISE, "Send")
    for user in (MADS, ANNA):
        await chat.expect(user, "Spørgsmål 1 af 3")
        await answer_all(chat, user, [f"{user} mål", f"{user} praksis", f"{user} støtte"], 3)
        await chat.click(user, "Send")
    await chat.expect(LISE, "Gruppeoverblik – ABC Demens")
    await chat.settle()
    for _ in (MADS, ANNA):  # one approval each
        await chat.click(LISE, "Godkend")
        await chat.settle()
    for user in (MADS, ANNA):
        await chat.expect(user, "Lise har godkendt jeres læringskontrakt", "[Jeg har gennemført kurset]")

    await chat.click(MADS, "Jeg har gennemført kurset")
    await chat.click(MADS, "Svar nu")
    await chat.expect(MADS, "Spørgsmål 1 af 2")
    first = await chat.expect(LISE, "Nu er det tid til at følge op på *ABC Demens* med Mads:")
    assert "Anna" not in first  # Anna has not finished her course
    await chat.click(ANNA, "Jeg har gennemført kurset")
    await chat.click(ANNA, "Svar nu")
    await chat.expect(ANNA, "Spørgsmål 1 af 2")
    await chat.expect(LISE, "Nu er det tid til at følge op på *ABC Demens* med Anna:")

    # Everyone answers the follow-up (Lise for each in turn): then the group view after the course.
    for user in (MADS, ANNA):
        await answer_all(chat, user, [f"{user} gør nu", f"{user} effekt"], 2)
        await chat.click(user, "Send")
    for name in ("Mads", "Anna"):  # Mads's session is open already; Anna's comes after it
        if name == "Anna":
            await chat.expect(LISE, "Spørgsmål 1 af 2")
        await answer_all(chat, LISE, [f"Lise om {name}", f"Effekt hos {name}"], 2)
        await chat.click(LISE, "Send")
    group = await chat.expect(LISE, "Gruppeoverblik efter kurset – ABC Demens", "Alle 2 medarbejdere og du")
    for fragment in ("UMADS gør nu", "UANNA gør nu", "Lise om Mads", "Lise om Anna", "UANNA effekt"):
        assert fragment in group, fragment
    await chat.settle()
    assert chat.count(LISE, "Gruppeoverblik efter kurset") == 1

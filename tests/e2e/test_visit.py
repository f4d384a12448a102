"""Læringsbesøg (PRODUCT.md §2.5) as the learning agent and the colleague meet it, on Slack and on
Teams, with the clock moved by the test: booking, the reminder the working day before, the
morning and its joint check-in, reflections, three learning points, and sharing them on a
learning meeting."""

from __future__ import annotations

from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.storage.models import Contract, MeetingSeries, OutboxMessage, Visit
from tests.e2e.harness import Chat
from tests.e2e.teams_harness import TeamsChat
from tests.e2e.test_personal_data import capture, press_again

CPH = ZoneInfo("Europe/Copenhagen")
TEAM = "CTEAM"
MADS, ANNA, LISE, SOFIE = "UMADS", "UANNA", "ULISE", "USOFIE"
SUMMARY = "Intet sendes, før du trykker"


@pytest.fixture
def chat(any_chat: Chat) -> Chat:
    return any_chat


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=CPH)


async def at(chat: Chat, moment: datetime) -> None:
    """Move the clock to `moment`, let it tick, and send what it caused."""
    chat.bot.clock.set(moment)
    await chat.bot.tick()
    await chat.settle()


async def answer(chat: Chat, user: str, answers: list[str]) -> None:
    """Answer the questions one by one (the first one is already asked), then Send."""
    for number, text in enumerate(answers, 1):
        if number > 1:
            await chat.expect(user, f"Spørgsmål {number} af {len(answers)}")
        await chat.say(user, text)
    await chat.expect(user, SUMMARY)
    await chat.click(user, "Send")


async def book_and_accept(chat: Chat, when: str = "onsdag halv") -> None:
    await chat.command(MADS, f"besøg <@UANNA|anna> {when}")
    await chat.expect(MADS, "Jeg har spurgt Anna")
    await chat.expect(ANNA, "vil gerne følge dig på arbejde som læringsagent", "[Ja, gerne]", "[Nej tak]")
    await chat.click(ANNA, "Ja, gerne")
    await chat.expect(MADS, "Anna har sagt ja til dit læringsbesøg")


async def check_in(chat: Chat) -> None:
    await chat.expect(MADS, "Hvad vil du selv gerne have ud af læringsbesøget hos Anna?")
    await answer(chat, MADS, ["Blive bedre til at observere", "Fortrolighed, og jeg blander mig ikke"])
    await chat.expect(ANNA, "Hvad mener du, at Mads som læringsagent især bør have fokus på")
    await answer(chat, ANNA, ["Samtalen med de pårørende", "Fortrolighed om borgerne"])
    await chat.click(MADS, "Bekræft")
    await chat.click(ANNA, "Bekræft")
    await chat.expect(MADS, "I har begge bekræftet tjek-ind")


async def reflect(chat: Chat) -> None:
    await chat.expect(MADS, "Hvad så og hørte du i løbet af dagen med Anna?")
    await answer(chat, MADS, ["Mange afbrydelser", "Roen i samtalerne", "Færre telefonopkald"])
    await chat.expect(MADS, "Du ser begges, når Anna også har svaret")
    await chat.expect(ANNA, "Hvordan var det at have Mads med på arbejde som læringsagent?")
    await answer(chat, ANNA, ["Trygt og lærerigt", "Jeg så min egen rutine udefra"])
    both = await chat.expect(MADS, "Her er jeres refleksioner", "Mange afbrydelser", "Trygt og lærerigt")
    assert "Jeg så min egen rutine udefra" in both
    await chat.expect(ANNA, "Her er jeres refleksioner", "Roen i samtalerne")


async def test_the_whole_visit_shared_on_a_learning_meeting(chat: Chat) -> None:
    await at(chat, local(2027, 3, 8, 10, 0))  # a Monday
    await chat.post_in_channel(LISE, TEAM, "møde fredag 09:00")
    await chat.settle()
    await chat.expect_in_channel(TEAM, "Lise har oprettet en serie", "hver anden fredag kl. 09:00")

    await chat.command(MADS, "besøg <@UANNA|anna> onsdag halv")
    await chat.expect(MADS, "Jeg har spurgt Anna", "10. marts 2027", "en halv dag, til kl. 12:00")
    await chat.expect(ANNA, "Mads", "vil gerne følge dig på arbejde som læringsagent 10. marts 2027", "[Ja, gerne]")
    # Only Anna answers her invitation; the others are told why, and nothing changes.
    await chat.click(ANNA, "Ja, gerne", as_user=MADS)
    await chat.expect(MADS, "Den knap er til Anna")
    await chat.click(ANNA, "Ja, gerne", as_user=LISE)
    await chat.expect(LISE, "Den knap er til Anna")
    assert chat.count(MADS, "har sagt ja") == 0
    await chat.click(ANNA, "Ja, gerne")
    await chat.expect(
        MADS, "Anna har sagt ja til dit læringsbesøg 10. marts 2027", "fælles tjek-ind", "10. marts 2027 kl. 08:00"
    )
    await chat.expect(ANNA, "Mads følger dig 10. marts 2027", "spørgsmålene 10. marts 2027 kl. 08:00")

    # The working day before, 09:00: a reminder that the visit and its check-in are coming; no questions yet.
    await at(chat, local(2027, 3, 9, 9, 0, 30))
    await chat.expect(
        MADS, "Husk: 10. marts 2027 følger du Anna som læringsagent", "kl. 08:00 med jeres fælles tjek-ind"
    )
    await chat.expect(ANNA, "Husk: 10. marts 2027 har du Mads med på arbejde", "kl. 08:00 med jeres fælles tjek-ind")
    await at(chat, local(2027, 3, 10, 7, 59))
    for user in (MADS, ANNA):
        assert chat.count(user, "Fælles tjek-ind på læringsbesøget") == 0 and chat.count(user, "God morgen") == 0

    # The day starts, 08:00: the morning reminder and the joint check-in, each answering their own questions.
    await at(chat, local(2027, 3, 10, 8, 0, 30))
    await chat.expect(MADS, "I dag følger du Anna som læringsagent", "fælles tjek-ind", "kl. 12:00")
    await chat.expect(ANNA, "I dag har du Mads med på arbejde", "fælles tjek-ind")
    await chat.expect(MADS, "Fælles tjek-ind på læringsbesøget hos Anna 10. marts 2027", "side om side på samme tid")
    await chat.expect(ANNA, "Fælles tjek-ind på læringsbesøget, hvor Mads følger dig 10. marts 2027")
    await chat.expect(MADS, "Hvad vil du selv gerne have ud af læringsbesøget hos Anna?")
    await chat.say(MADS, "Blive bedre til at observere")
    await chat.expect(MADS, "Spørgsmål 2 af 2", "Hvilke spilleregler foreslår du for dagen?")
    await chat.bot.restart()  # between two answers: nothing is lost
    await chat.say(MADS, "Fortrolighed, og jeg blander mig ikke")
    await chat.expect(MADS, SUMMARY, "Blive bedre til at observere")
    await chat.click(MADS, "Send")
    await chat.expect(MADS, "Når Anna også har sendt sine, ser I begges svar på samme tid")
    await chat.expect(ANNA, "Hvad mener du, at Mads som læringsagent især bør have fokus på i løbet af dagen?")
    await chat.say(ANNA, "Samtalen med de pårørende")
    await chat.expect(ANNA, "Spørgsmål 2 af 2", "Hvilke spilleregler vil du have for dagen?")
    # Neither sees the other's answers before both have sent: Anna has not seen Mads' yet.
    assert chat.count(ANNA, "Blive bedre til at observere") == 0 and chat.count(MADS, "Her er jeres svar") == 0
    await chat.command(MADS, "mine")
    await chat.expect(MADS, "Dine svar er sendt. Du ser Annas svar, når Anna også har sendt.")
    await chat.say(ANNA, "Fortrolighed om borgerne")
    await chat.expect(ANNA, SUMMARY, "Fortrolighed om borgerne")
    assert chat.count(MADS, "Her er jeres svar") == 0
    await chat.click(ANNA, "Send")
    await chat.settle()
    for user in (MADS, ANNA):  # at the same moment, both see both answers side by side, and confirm
        shown = await chat.expect(
            user,
            "Her er jeres svar side om side",
            "Blive bedre til at observere",
            "Samtalen med de pårørende",
            "[Bekræft]",
        )
        assert "Fortrolighed, og jeg blander mig ikke" in shown and "Fortrolighed om borgerne" in shown
        assert "Fortrolighed gælder altid" in shown
        assert chat.count(user, "Her er jeres svar side om side") == 1
    await chat.click(MADS, "Bekræft", as_user=LISE)
    await chat.expect(LISE, "Den knap er til Mads og Anna")
    await chat.click(MADS, "Bekræft")
    await chat.expect(MADS, "Jeg venter på, at Anna også bekræfter")
    await chat.expect(ANNA, "Mads har bekræftet jeres tjek-ind")
    await chat.click(ANNA, "Bekræft")
    await chat.expect(MADS, "I har begge bekræftet tjek-ind", "kl. 12:00")
    await chat.expect(ANNA, "I har begge bekræftet tjek-ind")
    await at(chat, local(2027, 3, 10, 8, 30))
    assert chat.count(MADS, "I dag følger du Anna") == 1
    assert chat.count(MADS, "Hvad vil du selv gerne have ud af læringsbesøget") == 1

    # The end of the half day: reflections, then three learning points.
    await at(chat, local(2027, 3, 10, 11, 59))
    assert chat.count(MADS, "Læringsbesøget hos Anna er slut") == 0
    await at(chat, local(2027, 3, 10, 12, 0, 30))
    await chat.expect(MADS, "Læringsbesøget hos Anna er slut")
    await reflect(chat)
    await chat.expect(ANNA, "Mads skriver nu et udkast til tre læringspointer")
    await chat.expect(MADS, "Hvad er det første læringspoint?")
    await answer(chat, MADS, ["Ro skaber tillid", "Planlæg pauser", "Spørg de pårørende først"])
    await chat.expect(MADS, "sendt til Anna, der bekræfter eller retter dem")
    review = await chat.expect(
        ANNA,
        "Mads har skrevet tre læringspointer",
        "Ro skaber tillid",
        "[Bekræft læringspointerne]",
        "[Ret læringspointerne]",
    )
    assert "Spørg de pårørende først" in review
    await chat.click(ANNA, "Ret læringspointerne", as_user=MADS)
    await chat.expect(MADS, "Den knap er til Anna")
    # Anna edits the second point.
    await chat.click(ANNA, "Ret læringspointerne")
    await chat.expect(ANNA, SUMMARY, "Planlæg pauser")
    await chat.click(ANNA, "Ret et svar")
    await chat.click(ANNA, "2. LÆRINGSPOINT 2")
    await chat.expect(ANNA, "Ret det andet læringspoint")
    await chat.say(ANNA, "Planlæg faste pauser sammen")
    await chat.expect(ANNA, SUMMARY, "Planlæg faste pauser sammen")
    await chat.click(ANNA, "Send")
    await chat.expect(ANNA, "dine rettelser er sendt til Mads, der bekræfter dem eller retter videre")
    # Either may edit; the other confirms the version edited: now Mads.
    edited = await chat.expect(
        MADS,
        "Anna har rettet jeres tre læringspointer. Bekræft dem, eller ret dem.",
        "Planlæg faste pauser sammen",
        "[Bekræft læringspointerne]",
    )
    assert "Planlæg pauser\n" not in edited
    await chat.click(MADS, "Bekræft læringspointerne", as_user=ANNA)
    await chat.expect(ANNA, "Den knap er til Mads")
    await chat.click(MADS, "Bekræft læringspointerne")
    final = await chat.expect(
        MADS, "Du har bekræftet jeres tre læringspointer", "Planlæg faste pauser sammen", "[Del på læringsmøde]"
    )
    assert "Planlæg pauser\n" not in final
    await chat.expect(ANNA, "Mads har bekræftet jeres tre læringspointer og kan dele dem", "Planlæg faste pauser")

    # Del på læringsmøde: the series the bot knows, then the next reminder and the agenda show the points.
    await chat.click(MADS, "Del på læringsmøde")
    await chat.expect(
        MADS,
        "Hvilket læringsmøde skal have jeres tre læringspointer?",
        "[#team · fredag kl. 09:00 · næste gang 12. marts 2027]",
        "[Personalemøde]",
    )
    await chat.click(MADS, "#team · fredag kl. 09:00 · næste gang 12. marts 2027")
    await chat.expect(MADS, "Læringspointerne er sat på læringsmødet 12. marts 2027 kl. 09:00")
    await chat.expect(ANNA, "Mads har delt jeres tre læringspointer på læringsmødet 12. marts 2027")
    assert chat._button_or_none(MADS, "Del på læringsmøde") is None  # no live share button is left

    await at(chat, local(2027, 3, 11, 9, 0, 30))
    reminder = await chat.expect_in_channel(TEAM, "Læringsmøde 12. marts 2027 kl. 09:00", "[Jeg har en case]")
    assert "Læringspointer fra læringsbesøg: Mads hos Anna (10. marts 2027)" in reminder
    assert "1. Ro skaber tillid" in reminder and "2. Planlæg faste pauser sammen" in reminder
    assert "3. Spørg de pårørende først" in reminder
    await at(chat, local(2027, 3, 12, 9, 0, 10))
    agenda = await chat.expect_in_channel(TEAM, "Læringsmøde 12. marts 2027", "Dagsorden")
    assert "Læringspointer fra læringsbesøg: Mads hos Anna" in agenda and "Planlæg faste pauser sammen" in agenda

    async with chat.bot.runtime.db.transaction() as s:
        contract = (await s.exec(select(Contract).where(Contract.flow == "visit"))).one()
        keys = [r.dedupe_key for r in (await s.exec(select(OutboxMessage))).all() if r.dedupe_key]
    assert contract.status == "done" and len(keys) == len(set(keys))


async def test_a_visit_booked_for_tomorrow_checks_in_at_once_and_points_confirmed(chat: Chat) -> None:
    await at(chat, local(2027, 3, 8, 10, 0))  # Monday; the reminder's time (Friday 09:00) has passed
    await book_and_accept(chat, "i morgen 13:30")
    await chat.settle()
    # The acceptance said when the check-in comes: no reminder besides it, no questions yet.
    assert chat.count(MADS, "Husk:") == 0 and chat.count(MADS, "Fælles tjek-ind på") == 0
    await at(chat, local(2027, 3, 9, 8, 0, 30))
    await chat.expect(MADS, "I dag følger du Anna som læringsagent", "kl. 13:30")
    await chat.expect(MADS, "Fælles tjek-ind på læringsbesøget hos Anna 9. marts 2027")
    await check_in(chat)
    await at(chat, local(2027, 3, 9, 13, 30, 5))  # the time in the command ends the day
    await chat.expect(MADS, "Læringsbesøget hos Anna er slut")
    assert chat.count(MADS, "I dag følger du Anna") == 1
    await reflect(chat)
    await chat.expect(MADS, "Hvad er det første læringspoint?")
    await answer(chat, MADS, ["Et", "To", "Tre"])
    await chat.click(ANNA, "Bekræft læringspointerne")
    await chat.expect(MADS, "Anna har bekræftet jeres tre læringspointer", "[Del på læringsmøde]")
    await chat.expect(ANNA, "Du har bekræftet jeres tre læringspointer")
    assert chat._button_or_none(ANNA, "Bekræft læringspointerne") is None
    # No learning meeting exists yet: the agent is told so, and the button stays for later.
    await chat.click(MADS, "Del på læringsmøde")
    await chat.expect(MADS, "Jeg kender ingen læringsmøder endnu", "[Del på læringsmøde]", "[Personalemøde]")

    # A series set up afterwards: its reminder for tomorrow is out already, and shows the points once shared.
    await chat.post_in_channel(LISE, TEAM, "møde onsdag 10:00")
    await chat.settle()
    await at(chat, local(2027, 3, 9, 13, 40))
    await chat.expect_in_channel(TEAM, "Læringsmøde 10. marts 2027 kl. 10:00", "[Jeg har en case]")
    await chat.click(MADS, "Del på læringsmøde")
    await chat.click(MADS, "#team · onsdag kl. 10:00 · næste gang 10. marts 2027")
    await chat.expect(MADS, "Læringspointerne er sat på læringsmødet 10. marts 2027 kl. 10:00")
    await chat.updated(
        "Læringspointer fra læringsbesøg: Mads hos Anna (9. marts 2027)", "1. Et", "3. Tre", "[Jeg har en case]"
    )


async def test_cancelling_the_check_in_cancels_the_visit_for_both(chat: Chat) -> None:
    await at(chat, local(2027, 3, 8, 10, 0))
    await book_and_accept(chat, "i morgen")
    await at(chat, local(2027, 3, 9, 8, 0, 30))
    await chat.expect(ANNA, "Hvad mener du, at Mads som læringsagent især bør have fokus på")
    await chat.say(ANNA, "afbryd")
    await chat.click(ANNA, "Ja, afbryd")
    await chat.expect(ANNA, "Læringsbesøget er aflyst")
    await chat.expect(MADS, "Anna har aflyst jeres læringsbesøg")
    await chat.say(MADS, "Blive bedre til at observere")  # Mads' check-in ended with the visit
    await chat.expect(MADS, "Jeg venter ikke på et svar fra dig lige nu")
    await at(chat, local(2027, 3, 9, 15, 0, 30))
    assert chat.count(MADS, "I dag følger du") == 1 and chat.count(MADS, "er slut") == 0


async def test_a_declined_visit_ends_cleanly(chat: Chat) -> None:
    await at(chat, local(2027, 3, 8, 10, 0))
    await chat.command(MADS, "besøg <@UANNA|anna> 12/3 hel")
    await chat.expect(MADS, "Jeg har spurgt Anna", "12. marts 2027", "en hel dag, til kl. 15:00")
    await chat.click(ANNA, "Nej tak")
    await chat.expect(MADS, "Anna har takket nej til læringsbesøget 12. marts 2027")
    await chat.expect(ANNA, "Du har takket nej")
    assert "[Ja, gerne]" not in await chat.updated("Du sagde nej tak")
    # Nothing more happens: no check-in, no morning, no reflections.
    for moment in (local(2027, 3, 11, 9, 0, 30), local(2027, 3, 12, 8, 0, 30), local(2027, 3, 12, 15, 0, 30)):
        await at(chat, moment)
    assert chat.count(MADS, "tjek-ind på") == 0 and chat.count(ANNA, "tjek-ind på") == 0
    assert chat.count(MADS, "Husk:") == 0 and chat.count(ANNA, "Husk:") == 0
    assert chat.count(MADS, "I dag følger du") == 0 and chat.count(MADS, "er slut") == 0


async def test_unreadable_and_past_dates_are_refused_with_an_example(chat: Chat) -> None:
    await at(chat, local(2027, 3, 8, 10, 0))
    await chat.command(MADS, "besøg <@UANNA|anna> snart halv")
    await chat.expect(MADS, "snart", "kan jeg ikke læse", "12/3", "i morgen", "tirsdag")
    await chat.command(MADS, "besøg <@UANNA|anna> 01-03-2027")
    await chat.expect(MADS, "1. marts 2027 er allerede forbi", "i morgen")
    await chat.command(MADS, "besøg <@UANNA|anna> i dag 09:00")  # today, but it would have ended
    await chat.expect(MADS, "8. marts 2027 er allerede forbi")
    await chat.command(MADS, "besøg <@UANNA|anna>")
    await chat.expect(MADS, "Hvilken dag?")
    # `besøg` alone opens the form now (tests/e2e/test_visit_form.py), no longer the usage.
    await chat.command(MADS, "besøg <@UMADS|mads> 12/3")
    await chat.expect(MADS, "Du kan ikke være læringsagent hos dig selv")
    await chat.command(MADS, "besøg <@UANNA|anna> <@USOFIE|sofie> 12/3")
    refused = await chat.expect(MADS, "Et læringsbesøg er hos én kollega – nævn én.")
    assert "besøg @kollega 12/3 halv" in refused  # with how it is written
    assert chat.count(ANNA, "vil gerne følge dig") == 0
    # English, with a weekday: Sofie reads English and her day is in London.
    await chat.command(SOFIE, "visit <@UANNA|anna> tuesday half")
    await chat.expect(SOFIE, "I have asked Anna", "9 March 2027", "half a day, until 12:00")
    await chat.expect(ANNA, "vil gerne følge dig på arbejde som læringsagent 9. marts 2027")


async def test_the_overview_lists_the_visit_and_its_buttons_work(chat: Chat) -> None:
    from tests.e2e.test_overview import click_overview

    await at(chat, local(2027, 3, 8, 10, 0))
    await chat.command(MADS, "besøg <@UANNA|anna> onsdag halv")
    await chat.expect(ANNA, "vil gerne følge dig")
    await chat.command(MADS, "mine")
    await chat.expect(
        MADS, "Læringsbesøg", "Mads hos Anna, 10. marts 2027", "Venter på, at Anna svarer på invitationen"
    )
    await chat.command(ANNA, "mine")
    await chat.expect(ANNA, "Mads vil gerne følge dig som læringsagent – svar på invitationen", "[Ja, gerne]")
    await click_overview(chat, ANNA, "Ja, gerne")
    await chat.expect(MADS, "Anna har sagt ja til dit læringsbesøg")
    await chat.command(ANNA, "mine")
    await chat.expect(ANNA, "Det kommer", "Fælles tjek-ind, når dagen begynder")
    await at(chat, local(2027, 3, 10, 8, 0, 30))
    await check_in(chat)
    await chat.command(MADS, "mine")
    await chat.expect(MADS, "Læringsbesøget – til kl. 12:00")


async def test_either_may_edit_the_points_until_the_other_confirms(chat: Chat) -> None:
    """Anna edits Mads's draft, Mads edits hers back, and Anna confirms: agreed by both."""
    await at(chat, local(2027, 3, 8, 10, 0))
    await book_and_accept(chat, "i morgen 13:30")
    await at(chat, local(2027, 3, 9, 8, 0, 30))
    await check_in(chat)
    await at(chat, local(2027, 3, 9, 13, 30, 5))
    await reflect(chat)
    await chat.expect(MADS, "Hvad er det første læringspoint?")
    await answer(chat, MADS, ["Et", "To", "Tre"])

    async def edit_second(user: str, text: str) -> None:
        await chat.click(user, "Ret læringspointerne")
        await chat.expect(user, SUMMARY)
        await chat.click(user, "Ret et svar")
        await chat.click(user, "2. LÆRINGSPOINT 2")
        await chat.say(user, text)
        await chat.expect(user, SUMMARY, text)
        await chat.click(user, "Send")

    await chat.expect(ANNA, "Mads har skrevet tre læringspointer", "[Ret læringspointerne]")
    await edit_second(ANNA, "To, sagt af Anna")
    await chat.expect(MADS, "Anna har rettet jeres tre læringspointer", "To, sagt af Anna", "[Ret læringspointerne]")
    await edit_second(MADS, "To, som vi sagde det")
    back = await chat.expect(ANNA, "Mads har rettet jeres tre læringspointer", "To, som vi sagde det")
    assert "[Bekræft læringspointerne]" in back
    await chat.click(ANNA, "Bekræft læringspointerne")
    await chat.expect(
        MADS, "Anna har bekræftet jeres tre læringspointer", "To, som vi sagde det", "[Del på læringsmøde]"
    )
    await chat.expect(ANNA, "Du har bekræftet jeres tre læringspointer")
    await chat.settle()
    async with chat.bot.runtime.db.transaction() as s:
        visit = (await s.exec(select(Visit))).one()
    assert visit.points == ["Et", "To, som vi sagde det", "Tre"] and visit.points_edited


# ---- where the points go: a learning meeting named by its channel, or a staff meeting -----------
NURSES, THERAPISTS = "CSYGEPLEJEN", "CTERAPIEN"


async def points_agreed(chat: Chat) -> None:
    """A visit tomorrow, checked in, reflected on, and its three points confirmed by Anna."""
    await book_and_accept(chat, "i morgen 13:30")
    await at(chat, local(2027, 3, 9, 8, 0, 30))
    await check_in(chat)
    await at(chat, local(2027, 3, 9, 13, 30, 5))
    await reflect(chat)
    await chat.expect(MADS, "Hvad er det første læringspoint?")
    await answer(chat, MADS, ["Ro skaber tillid", "Planlæg faste pauser", "Spørg de pårørende først"])
    await chat.click(ANNA, "Bekræft læringspointerne")
    await chat.expect(MADS, "Anna har bekræftet jeres tre læringspointer", "[Del på læringsmøde]")


async def test_two_series_at_the_same_time_are_told_apart_by_their_channel(chat: Chat) -> None:
    await at(chat, local(2027, 3, 8, 10, 0))  # a Monday
    await chat.post_in_channel(LISE, NURSES, "møde torsdag 09:00")
    await chat.post_in_channel(SOFIE, THERAPISTS, "meeting thursday 09:00")  # Sofie reads English
    await chat.settle()
    await points_agreed(chat)

    await chat.click(MADS, "Del på læringsmøde")
    choice = await chat.expect(
        MADS,
        "Hvilket læringsmøde skal have jeres tre læringspointer?",
        "[#sygeplejen · torsdag kl. 09:00 · næste gang 11. marts 2027]",
        "[#terapien · torsdag kl. 09:00 · næste gang 11. marts 2027]",
        "[Personalemøde]",
    )
    assert "hver anden torsdag" not in choice
    old = capture(chat, MADS, "#sygeplejen · torsdag kl. 09:00 · næste gang 11. marts 2027")
    await chat.click(MADS, "#terapien · torsdag kl. 09:00 · næste gang 11. marts 2027")
    # Each reads the meeting in their own language, with its channel.
    await chat.expect(MADS, "Læringspointerne er sat på læringsmødet 11. marts 2027 kl. 09:00 i #terapien")
    await chat.expect(
        ANNA, "Mads har delt jeres tre læringspointer på læringsmødet 11. marts 2027 kl. 09:00 i #terapien"
    )

    # The other channel's button, pressed afterwards, shares nothing a second time.
    await press_again(chat, MADS, old)
    await chat.expect(MADS, "Læringspointerne er allerede delt på læringsmødet 11. marts 2027 kl. 09:00 i #terapien")
    await chat.settle()
    assert chat.count(ANNA, "har delt jeres tre læringspointer") == 1

    await at(chat, local(2027, 3, 10, 9, 0, 30))  # the working day before: the reminders
    theirs = await chat.expect_in_channel(THERAPISTS, "Learning meeting 11 March 2027 at 09:00", "[I have a case]")
    assert "Learning points from a learning visit: Mads with Anna (9 March 2027)" in theirs, theirs
    nurses = await chat.expect_in_channel(NURSES, "Læringsmøde 11. marts 2027 kl. 09:00", "[Jeg har en case]")
    assert "Læringspointer fra læringsbesøg" not in nurses and "Ro skaber tillid" not in nurses


async def test_the_points_kept_for_a_staff_meeting_reach_both_and_nowhere_else(chat: Chat) -> None:
    await at(chat, local(2027, 3, 8, 10, 0))
    await chat.post_in_channel(LISE, NURSES, "møde torsdag 09:00")
    await chat.settle()
    await points_agreed(chat)

    await chat.click(MADS, "Del på læringsmøde")
    await chat.expect(MADS, "Hvilket læringsmøde", "[#sygeplejen · torsdag kl. 09:00 · næste gang 11. marts 2027]")
    series_button = capture(chat, MADS, "#sygeplejen · torsdag kl. 09:00 · næste gang 11. marts 2027")
    staff_button = capture(chat, MADS, "Personalemøde")
    await chat.click(MADS, "Personalemøde", as_user=ANNA)  # the agent's choice
    await chat.expect(ANNA, "Den knap er til Mads")
    await chat.click(MADS, "Personalemøde")
    mine = await chat.expect(
        MADS,
        "jeres tre læringspointer skal med på et senere personalemøde",
        "klar til at fremlægge",
        "Læringspointer fra læringsbesøg: Mads hos Anna (9. marts 2027)",
        "1. Ro skaber tillid",
    )
    assert "2. Planlæg faste pauser" in mine and "3. Spørg de pårørende først" in mine
    theirs = await chat.expect(ANNA, "Mads tager jeres tre læringspointer med på et senere personalemøde")
    assert "1. Ro skaber tillid" in theirs and "3. Spørg de pårørende først" in theirs
    assert chat._button_or_none(MADS, "Del på læringsmøde") is None

    # The old buttons of the choice change nothing: no meeting gets the points, nobody is told twice.
    await press_again(chat, MADS, series_button)
    await chat.expect(MADS, "Læringspointerne skal allerede med på et senere personalemøde")
    await press_again(chat, MADS, staff_button)
    await chat.settle()
    assert chat.count(ANNA, "tager jeres tre læringspointer med") == 1
    assert chat.count(MADS, "skal med på et senere personalemøde. Her er de samlet") == 1
    await at(chat, local(2027, 3, 10, 9, 0, 30))
    reminder = await chat.expect_in_channel(NURSES, "Læringsmøde 11. marts 2027 kl. 09:00", "[Jeg har en case]")
    assert "Ro skaber tillid" not in reminder
    # Decided: the overview no longer asks Mads to share them.
    await chat.command(MADS, "mine")
    overview = await chat.expect(MADS, "Dit overblik")
    assert "Del læringspointerne på et læringsmøde" not in overview and "[Del på læringsmøde]" not in overview


async def test_a_series_from_before_channel_names_shows_its_schedule_until_its_channel_speaks(chat: Chat) -> None:
    await at(chat, local(2027, 3, 8, 10, 0))
    await chat.post_in_channel(LISE, NURSES, "møde torsdag 09:00")
    await chat.settle()
    async with chat.bot.runtime.db.transaction() as s:  # as migration 0009 leaves a series made before it
        for series in (await s.exec(select(MeetingSeries))).all():
            series.channel_name = None
            s.add(series)
    await points_agreed(chat)
    await chat.click(MADS, "Del på læringsmøde")
    await chat.expect(MADS, "Hvilket læringsmøde", "[torsdag kl. 09:00 · næste gang 11. marts 2027]")

    await chat.post_in_channel(LISE, NURSES, "møde")  # the next command in the channel names it
    await chat.settle()
    await chat.click(MADS, "Del på læringsmøde")
    await chat.expect(MADS, "Hvilket læringsmøde", "[#sygeplejen · torsdag kl. 09:00 · næste gang 11. marts 2027]")


async def test_teams_names_a_channel_by_the_bot_connector_or_by_the_post_itself(teams_chat: TeamsChat) -> None:
    """Teams sends a channel post with the channel's id only: the bot asks the Bot Connector for the
    team's channels. When that fails the series is made without a name, and a later post names it;
    a post that carries the name (channelData.channel.name) needs no call."""
    chat = teams_chat
    driver = cast(Chat, chat)  # the same driver interface as Slack's
    await at(driver, local(2027, 3, 8, 10, 0))
    chat.teams.fail_next("team_channels", 503)
    await chat.post_in_channel(LISE, NURSES, "møde torsdag 09:00")
    await chat.expect_in_channel(NURSES, "Lise har oprettet en serie")
    await points_agreed(driver)
    await chat.click(MADS, "Del på læringsmøde")
    await chat.expect(MADS, "Hvilket læringsmøde", "[torsdag kl. 09:00 · næste gang 11. marts 2027]")

    await chat.post_in_channel(LISE, NURSES, "møde")  # this time the Bot Connector answers
    await chat.expect(LISE, "hver anden torsdag")
    assert [c.status for c in chat.teams.calls_of("team_channels", include_failed=True)] == [503, 200]
    await chat.click(MADS, "Del på læringsmøde")
    await chat.expect(MADS, "Hvilket læringsmøde", "[#sygeplejen · torsdag kl. 09:00 · næste gang 11. marts 2027]")

    # Renamed, and the post says so itself: no call, and the series reads its new name.
    post = chat._mentioning(LISE, NURSES, "møde", bot=True)
    post["channelData"]["channel"]["name"] = "Sygeplejen Nord"
    response = await chat.bot.post(post)
    assert response.status_code == 200, response.text
    await chat.expect(LISE, "hver anden torsdag")
    assert len(chat.teams.calls_of("team_channels", include_failed=True)) == 2
    await chat.click(MADS, "Del på læringsmøde")
    await chat.click(MADS, "#Sygeplejen Nord · torsdag kl. 09:00 · næste gang 11. marts 2027")
    await chat.expect(MADS, "Læringspointerne er sat på læringsmødet 11. marts 2027 kl. 09:00 i #Sygeplejen Nord")

"""Steps of "Lær af en kollega" that the peer scenarios share, as the people take them.

Mads (Part A) and Anna (Part B) learn from each other; Lise leads Mads, Sofie
(who reads English) leads Anna, Ole is their supervisor.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta

from tests.e2e.harness import Chat
from tests.e2e.teams_harness import TeamsChat

MADS, ANNA, LISE, SOFIE, OLE = "UMADS", "UANNA", "ULISE", "USOFIE", "UOLE"
STARTS = date.today() + timedelta(days=2)
ENDS = date.today() + timedelta(days=30)
PURPOSE = "Vi vil lære af hinandens faglighed om medicinhåndtering"
MADS_OWN = ["Mads vil blive sikker i dokumentation", "<@ULISE|lise>", "Lise giver tid i planen"]
ANNA_OWN = ["Anna vil lære dosering", "<@USOFIE|sofie>", "Sofie frigiver to timer om ugen"]
SUPERVISION = ["<@UOLE|ole>", "Ole giver sparring hver anden uge"]
PLAN = [
    "Tre fælles vagter og en tjekliste, vi udfylder sammen",
    "Vi følges på arbejde og sparrer",
    "Mads viser dosering, Anna viser dokumentation",
    f"{STARTS:%d-%m-%Y}",
    f"{ENDS:%d-%m-%Y}",
    "hver uge",
    "Vi ser på målene hver fjerde uge",
]
# The joint fields in the template's order, as a party editing them is asked them.
JOINT = [PURPOSE, *SUPERVISION, *PLAN]
# The questions of the contract as Part A is asked them, the template's order, each with the
# start of its prompt: the joint purpose, A's goals and leader/sponsor, supervisor, the plan.
CONTRACT_QUESTIONS = [
    "Hvad er formålet og det overordnede fokus i læringen?",
    "Hvilke målsætninger har du for læringen?",
    "Hvem er din leder/sponsor?",
    "Hvad er din leders/sponsors ansvar og opgaver i forhold til læringen?",
    "Har I en supervisor (videnforvalter)?",
    "Hvad er supervisorens ansvar og opgaver i forhold til lærerelationen?",
    "Lav en plan for de aktiviteter, der skal gennemføres, for at målsætningerne kan realiseres.",
    "Hvordan skal læringen ske?",
    "Hvem gør hvad?",
    "Hvornår starter forløbet?",
    "Hvornår slutter forløbet?",
    "Hvor ofte mødes I?",
    "Hvordan evaluerer I løbende undervejs?",
]


def contract_answers(supervision: list[str] = SUPERVISION) -> list[str]:
    """Mads's answers to the contract, in the order he is asked."""
    return [PURPOSE, *MADS_OWN, *supervision, *PLAN]


SUMMARY = {"da": "Intet sendes, før du trykker", "en": "Nothing is sent until you press"}


async def seen(chat: Chat | TeamsChat, user: str, *fragments: str, timeout: float = 5.0) -> str:
    """A message to `user` with every fragment, read or not (messages to two people interleave)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = [t for t in chat.texts(user) if all(f in t for f in fragments)]
        if found:
            return found[-1]
        assert asyncio.get_running_loop().time() < deadline, f"no message with {fragments} to {user}"
        await asyncio.sleep(0.02)


async def add_person(chat: Chat | TeamsChat, handle: str, name: str) -> None:
    chat.person(handle, name)
    if isinstance(chat, TeamsChat):
        await chat.install(handle)
        await chat.settle()
        chat.read[handle] = len(chat.texts(handle))


async def answer(
    chat: Chat | TeamsChat, user: str, answers: list[str], *, send: bool = True, language: str = "da"
) -> None:
    """Answer one question after the other, then Send; the caller has seen the first question."""
    total = len(answers)
    for number, text in enumerate(answers, 1):
        if number > 1:
            progress = "Spørgsmål" if language == "da" else "Question"
            await chat.expect(
                user, f"{progress} {number} af {total}" if language == "da" else f"{progress} {number} of {total}"
            )
        await chat.say(user, text)
    if send:
        await chat.expect(user, SUMMARY[language])
        await chat.click(user, "Send")


async def invite(chat: Chat | TeamsChat) -> None:
    await add_person(chat, OLE, "Ole")
    await chat.command(MADS, "kollega <@UANNA|anna>")
    await chat.expect(MADS, "Jeg har spurgt Anna")
    await chat.expect(ANNA, "vil gerne lære sammen med dig", "[Ja, gerne]", "[Nej tak]")


async def profile(chat: Chat | TeamsChat, user: str, department: str, position: str) -> None:
    await chat.expect(user, "Hvilken afdeling arbejder du i?")
    await answer(chat, user, [department, position])
    await chat.expect(user, "din profil er gemt")


async def until_approval(
    chat: Chat | TeamsChat, supervision: list[str] = SUPERVISION, anna_own: list[str] = ANNA_OWN
) -> None:
    """From the invitation to both leaders holding the contract with Godkend / Bed om ændringer."""
    await invite(chat)
    await chat.click(ANNA, "Ja, gerne")
    await chat.expect(MADS, "Anna har sagt ja")
    await profile(chat, MADS, "Hjemmeplejen Nord", "Social- og sundhedsassistent")
    await chat.expect(MADS, CONTRACT_QUESTIONS[0])
    await answer(chat, MADS, contract_answers(supervision))
    await chat.expect(MADS, "dit forslag er sendt til Anna")
    await chat.expect(MADS, "Lise får kontrakten til godkendelse")

    await profile(chat, ANNA, "Sygeplejen Syd", "Sygeplejerske")
    await chat.expect(ANNA, "Hvilke målsætninger har du for læringen?")
    await answer(chat, ANNA, anna_own)
    await chat.expect(ANNA, "får kontrakten til godkendelse")
    review = await seen(chat, ANNA, "Mads har skrevet et forslag", "[Godkend forslaget]", "[Ret i forslaget]")
    assert "hver uge" in review and "skrevet af Mads" in review
    await chat.click(ANNA, "Godkend forslaget")
    await chat.expect(MADS, "Anna har godkendt jeres fælles felter")


async def approve_both(chat: Chat | TeamsChat) -> None:
    await chat.expect(LISE, "er nævnt som leder/sponsor", "[Godkend]", "[Bed om ændringer]")
    await chat.expect(SOFIE, "you are named as leader/sponsor", "[Approve]", "[Ask for changes]")
    await chat.click(LISE, "Godkend")
    await chat.expect(LISE, "når Sofie også har godkendt")
    await chat.click(SOFIE, "Approve")
    await chat.expect(MADS, "er godkendt af alle og er nu aktiv")
    await chat.expect(ANNA, "er godkendt af alle og er nu aktiv")


async def contract_id(chat: Chat | TeamsChat, user: str = MADS) -> str:
    await chat.command(user, "kollega")
    listing = await chat.expect(user, "Dine læringskontrakter med kolleger")
    found = re.search(r"• (\d+): Mads og Anna", listing)
    assert found, listing
    return found.group(1)

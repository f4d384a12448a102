"""Lær af en kollega off the straight path, on Slack and on Teams: a no, an edit, changes, new versions."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot.storage.models import DialogSession
from tests.e2e.harness import Chat
from tests.e2e.peer_steps import (
    ANNA,
    ANNA_OWN,
    LISE,
    MADS,
    MADS_OWN,
    PLAN,
    PURPOSE,
    SOFIE,
    SUPERVISION,
    answer,
    approve_both,
    contract_answers,
    contract_id,
    invite,
    profile,
    seen,
    until_approval,
)


@pytest.fixture
def chat(any_chat: Chat) -> Chat:
    return any_chat


async def test_a_declined_invitation_is_told_to_the_starter(chat: Chat) -> None:
    await invite(chat)
    await chat.click(ANNA, "Ja, gerne", as_user=MADS)
    await chat.expect(MADS, "Den invitation er til Anna")
    await chat.click(ANNA, "Nej tak")
    await chat.expect(MADS, "Anna har takket nej")
    await chat.expect(ANNA, "Du har takket nej")
    assert "[Ja, gerne]" not in await chat.updated("Du sagde nej tak")


async def test_an_edit_of_the_joint_fields_goes_back_to_the_author(chat: Chat) -> None:
    await invite(chat)
    await chat.click(ANNA, "Ja, gerne")
    await profile(chat, MADS, "Hjemmeplejen Nord", "Social- og sundhedsassistent")
    await chat.expect(MADS, "Hvad er formålet")
    await answer(chat, MADS, contract_answers())
    await chat.click(ANNA, "Godkend forslaget", as_user=MADS)
    await chat.expect(MADS, "Det er dit eget forslag – det er Anna, der skal godkende det")
    await chat.click(ANNA, "Ret i forslaget")
    # Her profile and her own fields come first; the edit waits its turn, at its summary.
    await chat.expect(ANNA, "Hvilken afdeling")
    await answer(chat, ANNA, ["Sygeplejen Syd", "Sygeplejerske"])
    await chat.expect(ANNA, "Hvilke målsætninger har du for læringen?")
    await answer(chat, ANNA, ANNA_OWN)
    # The joint fields alone, in the template's order: purpose, supervisor, plan and activities.
    summary = await chat.expect(ANNA, "Intet sendes, før du trykker", "Vi følges på arbejde og sparrer")
    assert "Hvilke målsætninger" not in summary and ANNA_OWN[0] not in summary and MADS_OWN[0] not in summary
    await chat.click(ANNA, "Ret et svar")
    await chat.click(ANNA, "6. HVEM GØR HVAD?")
    await chat.say(ANNA, "Anna viser dokumentation, Mads viser dosering, begge skriver log")
    await chat.expect(ANNA, "Intet sendes, før du trykker")
    await chat.click(ANNA, "Send")
    review = await seen(chat, MADS, "Anna har skrevet et forslag", "[Godkend forslaget]")
    assert "HVEM GØR HVAD? · skrevet af Anna" in review and "FORMÅL OG OVERORDNET FOKUS · skrevet af Mads" in review
    await chat.click(MADS, "Godkend forslaget")
    await chat.expect(ANNA, "Mads har godkendt jeres fælles felter")
    number = await contract_id(chat, ANNA)
    await chat.command(ANNA, f"kollega {number}")
    copy = await chat.expect(ANNA, "Læringskontrakt: Mads og Anna", "begge skriver log")
    assert "forslag 2: skrevet af Anna, godkendt af Mads" in copy


async def test_one_of_two_leaders_asks_for_changes(chat: Chat) -> None:
    await until_approval(chat)
    await chat.expect(LISE, "er nævnt som leder/sponsor", "[Godkend]")
    await chat.click(LISE, "Godkend", as_user=ANNA)
    await chat.expect(ANNA, "Kun Lise og Sofie kan godkende")
    await chat.click(SOFIE, "Ask for changes")
    await chat.expect(SOFIE, "What should change in the contract?")
    await chat.say(SOFIE, "Please add a date for the mid-way evaluation")
    await chat.expect(LISE, "Sofie har bedt om ændringer")
    assert "[Godkend]" not in await chat.updated("Sofie bad om ændringer")
    await chat.expect(ANNA, "Sofie har bedt om ændringer", "Please add a date", "[Ret mine felter]")
    await chat.click(ANNA, "Ret mine felter")
    await chat.expect(ANNA, "Her er dine egne felter")
    await chat.expect(ANNA, "Intet sendes, før du trykker", "Anna vil lære dosering")
    await chat.click(ANNA, "Ret et svar")
    await chat.click(ANNA, "1. DINE MÅLSÆTNINGER")
    await chat.say(ANNA, "Anna vil lære dosering; midtvejsevaluering 1. marts")
    await chat.click(ANNA, "Send")
    await approve_both(chat)


async def test_a_leader_approves_only_with_the_button_sent_to_them(chat: Chat) -> None:
    """Both are the contract's leaders, but Sofie pressing the Godkend sent to Lise records nothing."""
    await until_approval(chat)
    await chat.expect(LISE, "er nævnt som leder/sponsor", "[Godkend]")
    await chat.click(LISE, "Godkend", as_user=SOFIE)
    await chat.expect(SOFIE, "That button belongs to a conversation that has ended or is not yours.")
    # Lise's approval is still hers to give, and Sofie's still missing.
    await chat.click(LISE, "Godkend")
    await chat.expect(LISE, "når Sofie også har godkendt")
    await chat.click(SOFIE, "Approve")
    await chat.expect(MADS, "er godkendt af alle og er nu aktiv")


async def test_a_change_after_approval_is_a_new_version_to_approve(chat: Chat) -> None:
    await until_approval(chat)
    await approve_both(chat)
    await chat.click(MADS, "Ret mine felter")
    await chat.expect(MADS, "Her er dine egne felter")
    await chat.expect(MADS, "Intet sendes, før du trykker", MADS_OWN[0])
    await chat.click(MADS, "Ret et svar")
    await chat.click(MADS, "1. DINE MÅLSÆTNINGER")
    await chat.say(MADS, "Mads vil også lære sårpleje")
    await chat.click(MADS, "Send")
    await chat.expect(MADS, "Kontrakten (version 2) er sendt til godkendelse")
    await chat.expect(LISE, "(version 2)", "Mads vil også lære sårpleje", "[Godkend]")
    await chat.expect(SOFIE, "(version 2)", "[Approve]")
    number = await contract_id(chat)
    await chat.command(MADS, f"kollega {number} 1")
    old = await chat.expect(MADS, "Version 1 (nyeste: 2)")
    assert MADS_OWN[0] in old and "sårpleje" not in old
    await chat.click(LISE, "Godkend")
    await chat.click(SOFIE, "Approve")
    await chat.expect(MADS, "(version 2) er godkendt af alle og er nu aktiv")


async def test_without_a_supervisor_the_evaluation_does_not_ask_about_one(chat: Chat) -> None:
    await until_approval(chat, supervision=["spring over", "spring over"])
    await approve_both(chat)
    chat.bot.clock.advance(days=31)
    await chat.bot.tick()
    first = await chat.expect(MADS, "Hvad gik godt og mindre godt i forhold til de opstillede mål?")
    assert "Spørgsmål 1 af 4" in first  # the seed's five, less the one about the supervisor
    await answer(chat, MADS, ["Målene blev nået", "Godt samarbejde", "Faste tider", "Teammøder"])
    await chat.expect(ANNA, "Spørgsmål 1 af 4")
    await answer(chat, ANNA, ["Delvist nået", "Svært at finde tid", "Mødes oftere", "Huskeliste"])
    both = await chat.expect(MADS, "Her er jeres svar side om side", "Målene blev nået", "Delvist nået")
    assert "BRUGEN AF SUPERVISOR" not in both and "(sprunget over)" not in both
    assert all("brugen af supervisor" not in text for text in chat.texts(MADS) + chat.texts(ANNA))


async def test_a_contract_begun_in_the_earlier_order_finishes_with_the_questions_it_began_with(chat: Chat) -> None:
    """Mads was three answers into the joint fields as they were asked before the template's
    order (purpose, how, who, …, supervisor last), with his own fields waiting behind them, when
    the bot was updated: his session goes on where it was, and the contract reaches approval."""
    await invite(chat)
    await chat.click(ANNA, "Ja, gerne")
    await profile(chat, MADS, "Hjemmeplejen Nord", "Social- og sundhedsassistent")
    await chat.expect(MADS, "Spørgsmål 1 af 13")
    async with chat.bot.runtime.db.transaction() as s:
        session = (
            await s.exec(
                select(DialogSession).where(DialogSession.phase == "contract", DialogSession.status == "active")
            )
        ).one()
        earlier = {"purpose": PURPOSE, "how": PLAN[1], "who": PLAN[2]}
        session.phase, session.state = "joint", {"mode": "asking", "index": 3, "answers": earlier, "left_out": []}
        s.add(session)
        s.add(
            DialogSession(
                person_id=session.person_id,
                flow="peer",
                phase="own",
                role="party",
                contract_ids=session.contract_ids,
                state={"mode": "asking", "index": 0, "answers": {}, "left_out": []},
                status="queued",
            )
        )
    await chat.say(MADS, PLAN[3])  # the start date: the question he was at
    await chat.expect(MADS, "Spørgsmål 5 af 8", "Hvornår slutter forløbet?")
    await chat.say(MADS, PLAN[4])
    await chat.expect(MADS, "Spørgsmål 6 af 8", "Hvor ofte mødes I?")
    await chat.say(MADS, PLAN[5])
    await chat.expect(MADS, "Spørgsmål 7 af 8", "Har I en supervisor")
    await chat.say(MADS, SUPERVISION[0])
    await chat.expect(MADS, "Spørgsmål 8 af 8", "Hvad er supervisorens ansvar")
    await chat.say(MADS, SUPERVISION[1])
    summary = await chat.expect(MADS, "Intet sendes, før du trykker", PURPOSE, PLAN[2])
    assert "LØBENDE EVALUERING" not in summary  # not a question of the session he began
    await chat.click(MADS, "Send")
    await chat.expect(MADS, "dit forslag er sendt til Anna")
    await chat.expect(MADS, "Hvilke målsætninger har du for læringen?")
    await answer(chat, MADS, MADS_OWN)
    await profile(chat, ANNA, "Sygeplejen Syd", "Sygeplejerske")
    await answer(chat, ANNA, ANNA_OWN)
    review = await seen(chat, ANNA, "Mads har skrevet et forslag", "[Godkend forslaget]")
    assert PURPOSE in review and "Ole giver sparring" in review
    await chat.click(ANNA, "Godkend forslaget")
    await approve_both(chat)
    async with chat.bot.runtime.db.transaction() as s:
        assert not (
            await s.exec(select(DialogSession.id).where(col(DialogSession.status).in_(("active", "queued"))))
        ).all()


async def test_one_leader_evaluates_with_each_of_the_two_parties_on_their_own(chat: Chat) -> None:
    """Lise leads both Mads and Anna: she writes an assessment of each, each beside that party's
    own, and closes each evaluation with that party alone; the other party's button is not hers."""
    await until_approval(chat, anna_own=["Anna vil lære dosering", "<@ULISE|lise>", "Lise frigiver tid"])
    await chat.expect(LISE, "er nævnt som leder/sponsor", "[Godkend]")
    await chat.click(LISE, "Godkend")
    await chat.expect(MADS, "er godkendt af alle og er nu aktiv")
    chat.bot.clock.advance(days=31)
    await chat.bot.tick()
    await chat.expect(MADS, "Hvad gik godt og mindre godt i forhold til de opstillede mål?")
    await answer(chat, MADS, ["Målene blev nået", "Godt samarbejde", "Ole hjalp", "Faste tider", "Teammøder"])
    await chat.expect(ANNA, "Hvad gik godt og mindre godt i forhold til de opstillede mål?")
    await answer(chat, ANNA, ["Delvist nået", "Svært at finde tid", "Ole hjalp", "Mødes oftere", "Huskeliste"])
    await chat.click(MADS, "Vi er enige")
    await chat.click(ANNA, "Vi er enige")

    # One assessment about each party, the second after the first.
    await chat.expect(LISE, "nu evaluerer du det med Mads")
    await chat.expect(LISE, "Hvilke resultater nåede Mads i forhold til sine målsætninger?")
    await chat.expect(LISE, "mellem Mads og Anna er slut, og nu evaluerer du det med Anna", "Denne begynder")
    await answer(chat, LISE, ["Mads nåede målene", "Jeg gav tid", "Mads tog ansvar", "Mads viser teamet det"])
    await chat.expect(LISE, "Hvilke resultater nåede Anna i forhold til sine målsætninger?")
    await answer(chat, LISE, ["Anna nåede halvdelen", "Jeg gav for lidt tid", "Anna kæmpede", "Anna får en ny plan"])
    await chat.expect(MADS, "Til sidst evaluerer du forløbet med Lise")
    await answer(chat, MADS, ["Jeg nåede målene", "Lise gav tid", "Jeg var engageret", "Jeg viser teamet det"])
    to_mads = await chat.expect(MADS, "Her er den side om side", "Mads nåede målene", "Jeg nåede målene")
    assert "Anna nåede halvdelen" not in to_mads
    await chat.expect(LISE, "Her er den side om side", "Mads nåede målene", "Jeg nåede målene")
    # Anna cannot agree to Mads's evaluation with Lise.
    await chat.click(MADS, "Vi er enige", as_user=ANNA)
    await chat.expect(ANNA, "Den knap er til Mads og Lise, som evaluerer forløbet sammen")
    await chat.click(MADS, "Vi er enige")
    await chat.click(LISE, "Vi er enige")
    await chat.expect(MADS, "Du og Lise er enige – din evaluering er afsluttet")
    assert chat.count(MADS, "Læringskontrakten med Anna er afsluttet") == 0

    await answer(chat, ANNA, ["Jeg nåede halvdelen", "Lise var travl", "Jeg kæmpede", "Ny plan i maj"])
    to_anna = await chat.expect(ANNA, "Her er den side om side", "Anna nåede halvdelen", "Jeg nåede halvdelen")
    assert "Mads nåede målene" not in to_anna
    await chat.click(LISE, "Vi er enige")
    await chat.expect(LISE, "Når Anna også er enig")
    await chat.click(ANNA, "Vi er enige")
    await chat.expect(LISE, "Du og Anna er enige – evalueringen er afsluttet")
    await chat.expect(MADS, "Læringskontrakten med Anna er afsluttet")
    await chat.expect(ANNA, "Læringskontrakten med Mads er afsluttet")
    chat.check_payloads()

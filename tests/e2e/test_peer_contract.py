"""Lær af en kollega end to end, on Slack and on Teams: from the invitation to the close."""

from __future__ import annotations

import pytest

from tests.e2e.harness import Chat
from tests.e2e.peer_steps import (
    ANNA,
    ANNA_OWN,
    CONTRACT_QUESTIONS,
    LISE,
    MADS,
    MADS_OWN,
    OLE,
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


async def test_the_whole_peer_contract(chat: Chat) -> None:
    await until_approval(chat)
    await approve_both(chat)
    await chat.expect(OLE, "Du er supervisor", "Mads og Anna")

    # During: a reminder at the agreed frequency, with a place for a short log.
    chat.bot.clock.advance(days=3)
    await chat.bot.tick()
    # It carries the continuous evaluation ("løbende evaluering") their plan holds.
    await chat.expect(
        MADS,
        "Påmindelse: du og Anna har aftalt at mødes (hver uge)",
        "Jeres aftale om løbende evaluering",
        "Vi ser på målene hver fjerde uge",
        "[Skriv i logbogen]",
    )
    await chat.expect(ANNA, "Påmindelse: du og Mads", "Vi ser på målene hver fjerde uge", "[Skriv i logbogen]")
    await chat.click(MADS, "Skriv i logbogen")
    await chat.expect(MADS, "Hvad har du lavet i forløbet siden sidst?")
    await chat.say(MADS, "Vi gennemgik dosering på tre besøg")
    await chat.expect(MADS, "det står nu i din logbog")
    await chat.bot.tick()
    assert chat.count(MADS, "Påmindelse") == 1  # once per agreed meeting, not once per tick

    # At the end date: the evaluation between the parties.
    chat.bot.clock.advance(days=28)
    await chat.bot.tick()
    await chat.expect(MADS, "Jeres læringsforløb er slut")
    await chat.expect(MADS, "Hvad gik godt og mindre godt i forhold til de opstillede mål?")
    await answer(
        chat,
        MADS,
        [
            "Målene blev nået",
            "Godt samarbejde",
            "Ole var god at spørge",
            "Aftale faste tider",
            "Bruge det på teammøder",
        ],
    )
    await chat.expect(MADS, "Du ser begges svar, når Anna også har sendt")
    await chat.expect(ANNA, "Hvad gik godt og mindre godt i forhold til de opstillede mål?")
    await answer(
        chat, ANNA, ["Delvist nået", "Svært at finde tid", "Ole hjalp med plan", "Mødes oftere", "Skrive huskeliste"]
    )
    both = await chat.expect(MADS, "Her er jeres svar side om side", "Målene blev nået", "Delvist nået")
    assert "Svært at finde tid" in both and "[Vi er enige]" in both and "[Ret mine svar]" in both
    await chat.expect(ANNA, "Her er jeres svar side om side", "Målene blev nået", "Delvist nået")
    # Both agree before it is closed; Anna changes an answer first, and both see the new sets.
    await chat.click(MADS, "Vi er enige")
    await chat.expect(MADS, "Når Anna også er enig")
    await chat.click(ANNA, "Ret mine svar")
    await chat.expect(ANNA, "Her er dine svar til evalueringen med Mads")
    await chat.expect(ANNA, "Intet sendes, før du trykker", "Svært at finde tid")
    await chat.click(ANNA, "Ret et svar")
    await chat.click(ANNA, "2. SAMARBEJDET OG PROCESSEN")
    await chat.say(ANNA, "Svært at finde tid, men det lykkedes")
    await chat.expect(ANNA, "Intet sendes, før du trykker", "Svært at finde tid, men det lykkedes")
    await chat.click(ANNA, "Send")
    again = await chat.expect(MADS, "Her er jeres svar side om side", "Svært at finde tid, men det lykkedes")
    assert "[Vi er enige]" in again  # his agreement was to the sets before the change
    await chat.expect(ANNA, "Her er jeres svar side om side", "Svært at finde tid, men det lykkedes")
    assert chat.count(OLE, "brugen af supervisor") == 0  # nothing is passed on before both agree
    await chat.click(MADS, "Vi er enige")
    await chat.click(ANNA, "Vi er enige")
    to_ole = await chat.expect(OLE, "brugen af supervisor", "Ole var god at spørge", "Ole hjalp med plan")
    assert "Godt samarbejde" not in to_ole  # only the answer about the supervisor is passed on

    # Then each party with its own leader, as a conversation of the two: both write their own
    # assessment, both see both side by side, the leader may ask for changes, and both agree.
    await chat.expect(MADS, "Til sidst evaluerer du forløbet med Lise", "Lise skriver sin")
    await chat.expect(LISE, "Læringsforløbet mellem Mads og Anna er slut", "Mads skriver sin")
    await chat.expect(LISE, "Hvilke resultater nåede Mads i forhold til sine målsætninger?")
    await chat.expect(SOFIE, "The learning between Mads and Anna has ended", "Anna writes theirs")
    await answer(
        chat, MADS, ["Mads nåede sine mål", "Lise gav tid", "Mads var engageret", "Mads underviser teamet i marts"]
    )
    await chat.expect(MADS, "Du ser den side om side med Lises, når Lise også har sendt")
    assert chat.count(LISE, "Mads underviser teamet i marts") == 0  # nothing is shown before both have sent
    await answer(
        chat,
        LISE,
        ["To af tre mål er nået", "Jeg kunne have fulgt op oftere", "Mads tog ansvar", "Mads underviser i marts"],
    )
    side = await chat.expect(
        MADS, "Her er den side om side", "Mads underviser teamet i marts", "Mads underviser i marts", "[Vi er enige]"
    )
    assert "[Ret mine svar]" in side and "Bed om ændringer" not in side
    assert "Anna" not in side.split("side om side", 1)[1]  # between Mads and Lise only
    lise = await chat.expect(LISE, "Her er den side om side", "To af tre mål er nået", "Mads nåede sine mål")
    assert "[Vi er enige]" in lise and "[Bed om ændringer]" in lise and "[Ret mine svar]" in lise
    # Lise asks Mads to look at his plan again; the side by side is of the past.
    await chat.click(LISE, "Bed om ændringer")
    await chat.expect(LISE, "Hvad vil du gerne have, at Mads ser på igen i sin evaluering?")
    await chat.say(LISE, "Skriv gerne, hvornår i marts")
    await chat.expect(LISE, "din kommentar er sendt til Mads")
    await chat.expect(MADS, "Lise vil gerne have, at du ser på dine svar igen", "Skriv gerne, hvornår i marts")
    await chat.updated("Lise har bedt om ændringer")
    await chat.click(MADS, "Ret mine svar")
    await chat.expect(MADS, "Her er dine svar til evalueringen med Lise")
    await chat.expect(MADS, "Intet sendes, før du trykker", "Mads underviser teamet i marts")
    await chat.click(MADS, "Ret et svar")
    await chat.click(MADS, "4. PLAN FOR AT NYTTIGGØRE OG VEDLIGEHOLDE DET LÆRTE")
    await chat.say(MADS, "Mads underviser teamet den 10. marts")
    await chat.expect(MADS, "Intet sendes, før du trykker", "Mads underviser teamet den 10. marts")
    await chat.click(MADS, "Send")
    await chat.expect(MADS, "Her er den side om side", "Mads underviser teamet den 10. marts")
    await chat.expect(LISE, "Her er den side om side", "Mads underviser teamet den 10. marts", "[Bed om ændringer]")
    await chat.click(MADS, "Vi er enige")
    await chat.expect(MADS, "Når Lise også er enig, er evalueringen afsluttet")
    assert chat.count(MADS, "din evaluering er afsluttet") == 0
    await chat.click(LISE, "Vi er enige")
    await chat.expect(MADS, "Du og Lise er enige – din evaluering er afsluttet")
    await chat.expect(LISE, "Du og Mads er enige – evalueringen er afsluttet")
    assert chat.count(MADS, "Læringskontrakten med Anna er afsluttet") == 0  # Anna's is still open
    # Anna and Sofie (who reads English) agree at once.
    await answer(
        chat, ANNA, ["Anna lærte dosering", "Sofie frigav tid", "Anna var vedholdende", "Anna deler viden på stuegang"]
    )
    await chat.expect(SOFIE, "What results did Anna reach against their goals?")
    await answer(
        chat,
        SOFIE,
        ["Anna reached her goals", "I gave time", "Anna kept at it", "Anna teaches on the ward round"],
        language="en",
    )
    await chat.expect(SOFIE, "Here they are side by side", "Anna deler viden på stuegang", "[We agree]")
    await chat.expect(ANNA, "Her er den side om side", "Anna teaches on the ward round")
    await chat.click(SOFIE, "We agree")
    await chat.click(ANNA, "Vi er enige")
    await chat.expect(SOFIE, "You and Anna agree – the evaluation is closed")
    await chat.expect(MADS, "Læringskontrakten med Anna er afsluttet")
    await chat.expect(ANNA, "Læringskontrakten med Mads er afsluttet")

    # Privacy, by trying: one document, with both parties' goals, leaders and the leaders' tasks,
    # that both parties, both leaders and the supervisor read; each party's evaluation with its
    # leader only in that party's and that leader's copy.
    number = await contract_id(chat, ANNA)
    await chat.command(ANNA, f"kollega {number}")
    anna = await chat.expect(ANNA, "Læringskontrakt: Mads og Anna", "Vi følges på arbejde og sparrer")
    assert "Anna vil lære dosering" in anna and "Mads vil blive sikker i dokumentation" in anna
    assert "Anna deler viden på stuegang" in anna  # her evaluation with Sofie
    assert "Anna teaches on the ward round" in anna  # Sofie's assessment beside hers
    assert "Mads underviser teamet" not in anna and "Lise gav tid" not in anna
    assert "To af tre mål er nået" not in anna  # Lise's assessment of Mads
    assert "Sygeplejen Syd" in anna and "Hjemmeplejen Nord" in anna  # the parties' profiles
    assert "Mads' egne felter" in anna and "Annas egne felter" in anna  # the Danish genitive
    assert "Vi gennemgik dosering på tre besøg" not in anna  # Mads's log is his
    await chat.command(MADS, f"kollega {number}")
    mads = await chat.expect(MADS, "Læringskontrakt: Mads og Anna", "Vi gennemgik dosering på tre besøg")
    assert "Mads vil blive sikker i dokumentation" in mads and "Anna vil lære dosering" in mads
    assert "Mads underviser teamet den 10. marts" in mads and "Anna deler viden på stuegang" not in mads
    assert "To af tre mål er nået" in mads and "Anna teaches on the ward round" not in mads
    await chat.command(LISE, f"kollega {number}")
    lise = await chat.expect(LISE, "Læringskontrakt: Mads og Anna")
    assert "Mads underviser teamet den 10. marts" in lise and "Anna vil lære dosering" in lise
    assert "To af tre mål er nået" in lise and "Mads underviser i marts" in lise
    assert "Anna deler viden på stuegang" not in lise and "Anna teaches on the ward round" not in lise
    await chat.command(SOFIE, f"kollega {number}")
    sofie = await chat.expect(SOFIE, "Learning contract: Mads and Anna")
    assert "Anna deler viden på stuegang" in sofie and "Mads vil blive sikker i dokumentation" in sofie
    assert "Anna teaches on the ward round" in sofie
    assert "Mads underviser teamet" not in sofie and "To af tre mål er nået" not in sofie
    await chat.command(OLE, f"kollega {number}")
    ole = await chat.expect(OLE, "Læringskontrakt: Mads og Anna", "Vi følges på arbejde og sparrer")
    assert "Mads vil blive sikker i dokumentation" in ole and "Anna vil lære dosering" in ole
    assert "Anna deler viden" not in ole and "Mads underviser" not in ole  # no evaluation with a leader
    assert "To af tre mål" not in ole and "Anna teaches" not in ole
    # Each leader's tasks are in the one document too.
    assert "Sofie frigiver to timer om ugen" in lise and "Lise giver tid i planen" in sofie
    assert "Sofie frigiver to timer om ugen" in ole and "Lise giver tid i planen" in anna
    chat.check_payloads()


def in_order(text: str, *fragments: str) -> bool:
    """Every fragment is in `text`, each after the one before it."""
    at = -1
    for fragment in fragments:
        found = text.find(fragment, at + 1)
        if found <= at:
            return False
        at = found
    return True


async def test_the_contract_holds_the_templates_fields_in_its_order(chat: Chat) -> None:
    """The seed's "Skabelon til læringskontrakt": the purpose and the goals, the sponsor/leader,
    the supervisor, then the plan and activities with the template's own prompt and the time
    frame's continuous evaluation. Part A is asked them in that order; everyone reads them so."""
    await invite(chat)
    await chat.click(ANNA, "Ja, gerne")
    await profile(chat, MADS, "Hjemmeplejen Nord", "Social- og sundhedsassistent")
    assert chat.count(MADS, "Nu skriver du læringskontrakten i skabelonens rækkefølge") == 1
    total = len(CONTRACT_QUESTIONS)
    for number, (question, reply) in enumerate(zip(CONTRACT_QUESTIONS, contract_answers(), strict=True), 1):
        await chat.expect(MADS, f"Spørgsmål {number} af {total}", question)
        await chat.say(MADS, reply)
    summary = await chat.expect(MADS, "Intet sendes, før du trykker")
    assert in_order(summary, PURPOSE, MADS_OWN[0], MADS_OWN[2], SUPERVISION[1], *PLAN)
    await chat.click(MADS, "Send")

    # Anna writes her own goals and leader meanwhile; the proposal she reviews is the joint fields.
    await profile(chat, ANNA, "Sygeplejen Syd", "Sygeplejerske")
    await chat.expect(ANNA, "Spørgsmål 1 af 3", "Hvilke målsætninger har du for læringen?")
    await answer(chat, ANNA, ANNA_OWN)
    review = await seen(chat, ANNA, "Mads har skrevet et forslag", "[Godkend forslaget]")
    assert in_order(
        review,
        "FORMÅL OG OVERORDNET FOKUS",
        "SUPERVISORS ANSVAR OG OPGAVER",
        "PLAN FOR AKTIVITETERNE · skrevet af Mads",
        PLAN[0],
        "HVORDAN SKAL LÆRINGEN SKE?",
        "HVEM GØR HVAD?",
        "STARTDATO",
        "SLUTDATO",
        "HYPPIGHED AF MØDER",
        "LØBENDE EVALUERING",
        PLAN[6],
    )
    assert MADS_OWN[0] not in review  # his goals are his own fields, not the proposal
    await chat.click(ANNA, "Godkend forslaget")

    # The document: the purpose, each party's goals and leader/sponsor, then supervisor and plan;
    # in English for Sofie, with the template's prompt's English title.
    lise = await chat.expect(LISE, "er nævnt som leder/sponsor", "[Godkend]")
    order = (PURPOSE, MADS_OWN[0], MADS_OWN[2], ANNA_OWN[0], ANNA_OWN[2], SUPERVISION[1], *PLAN)
    assert in_order(lise, "Fælles formål", PURPOSE, "Mads' egne felter", "Annas egne felter")
    assert in_order(lise, *order) and in_order(lise, "Supervisor, plan og aktiviteter (fælles)", PLAN[0])
    sofie = await chat.expect(SOFIE, "you are named as leader/sponsor", "[Approve]")
    assert in_order(sofie, *order)
    assert in_order(sofie, "PLAN FOR THE ACTIVITIES", "HOW WILL THE LEARNING HAPPEN?", "CONTINUOUS EVALUATION")
    await chat.click(LISE, "Godkend")
    await chat.click(SOFIE, "Approve")
    await chat.expect(ANNA, "er godkendt af alle og er nu aktiv")
    shown = await contract_id(chat, ANNA)
    for user in (MADS, ANNA, OLE):
        await chat.command(user, f"kollega {shown}")
        assert in_order(await chat.expect(user, "Læringskontrakt: Mads og Anna"), *order), user
    chat.check_payloads()

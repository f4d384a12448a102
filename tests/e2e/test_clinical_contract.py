"""Læringskontrakt i klinisk praksis end to end, on Slack and on Teams: Lise supervises
Mads; they choose from the shipped education plan, the bot keeps the seed's order, and
the clock brings the reminders before the feedback and the evaluation."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.harness import Chat
from tests.e2e.test_personal_data import person_id, press_again, rows

CPH = ZoneInfo("Europe/Copenhagen")
LISE, MADS, ANNA, SOFIE = "ULISE", "UMADS", "UANNA", "USOFIE"
SUMMARY = "Intet sendes, før du trykker"


@pytest.fixture
def chat(any_chat: Chat) -> Chat:
    return any_chat


async def at(chat: Chat, moment: datetime) -> None:
    """Move the clock to `moment`, let it tick, and send what it caused."""
    chat.bot.clock.set(moment)
    await chat.bot.tick()
    await chat.settle()


async def contract_number(chat: Chat, user: str) -> str:
    text = await chat.expect(user, "Kontrakt ")
    return text.split("Kontrakt ", 1)[1].split(" ", 1)[0]


async def choose_scope(chat: Chat) -> None:
    """Lise starts; the two choose a month and a competency from the plan, and both agree."""
    await chat.command(LISE, "klinisk <@UMADS|mads>")
    await chat.expect(LISE, "Jeg har startet læringskontrakten med Mads")
    await chat.expect(MADS, "Lise har startet en læringskontrakt i klinisk praksis med dig", "højst 15 minutter")
    picker = await chat.expect(
        MADS,
        "Trin 1 af 4: Kompetencer og periode",
        "uddannelsesplanen",
        "Social- og sundhedsassistent – praktikperiode 2",
        "[Medicinhåndtering]",
    )
    assert "[En uge]" in picker and "[En måned]" in picker and "[Et halvt år]" in picker and "[Vælg datoer]" in picker
    await chat.expect(LISE, "Trin 1 af 4", "[Medicinhåndtering]", "[Vi er enige]")

    await chat.click(MADS, "Vi er enige")
    await chat.expect(MADS, "Vælg først en periode og mindst én kompetence")
    await chat.click(MADS, "Medicinhåndtering")  # the trainee picks …
    await chat.click(LISE, "En måned")  # … and the supervisor, on the same choice
    chosen = await chat.updated("✓ Medicinhåndtering", "✓ En måned", "En måned: 1. marts 2027 – 1. april 2027")
    await chat.settle()
    assert "Dispenserer, administrerer og dokumenterer medicin" in chosen  # the plan's description
    await chat.click(LISE, "Vi er enige")
    await chat.updated("Enig i valget: Lise")
    await chat.settle()
    # Someone else's press changes nothing.
    await chat.click(MADS, "Vi er enige", as_user=ANNA)
    await chat.expect(ANNA, "Den knap er til Lise og Mads")
    # A change after one agreed asks both again.
    await chat.click(MADS, "Observation og vurdering af patientens tilstand")
    again = await chat.updated("✓ Observation og vurdering af patientens tilstand")
    assert "Enig i valget" not in again
    await chat.settle()
    await chat.click(MADS, "Vi er enige")
    await chat.click(LISE, "Vi er enige")
    done = await chat.updated("Valgt af jer begge")
    assert "[Vi er enige]" not in done


async def test_the_whole_clinical_contract(chat: Chat) -> None:
    await at(chat, datetime(2027, 3, 1, 10, 0, tzinfo=CPH))  # a Monday
    await choose_scope(chat)

    # 2. The trainee writes the sub-goals first; the supervisor waits and is refused until then.
    await chat.expect(MADS, "Trin 2 af 4: Delmål", "Det er din analyse")
    question = await chat.expect(MADS, "Hvad mener du, indgår i kompetencen?")
    assert "Medicinhåndtering; Observation og vurdering af patientens tilstand" in question
    await chat.expect(LISE, "Trin 2 af 4", "Mads skriver nu delmålene", "[Supplér delmål]")
    await chat.click(LISE, "Supplér delmål")
    await chat.expect(LISE, "Mads har ikke sendt delmålene endnu")
    await chat.say(LISE, "Delmål: kende de fem R'er")
    await chat.expect(LISE, "Mads skriver delmålene først")
    await chat.say(MADS, "Dosere medicin sikkert og måle blodtryk og puls")
    await chat.expect(MADS, SUMMARY)
    number = await shown_number(chat, LISE)
    await chat.command(LISE, f"klinisk {number}")
    early = await chat.expect(LISE, "Læringskontrakt i klinisk praksis: Mads", "Ikke sendt endnu – Mads skriver først")
    assert "Dosere medicin" not in early  # not before Mads has sent
    await chat.click(MADS, "Send")
    await chat.expect(MADS, "dine delmål er sendt. Lise ser dem nu")
    review = await chat.expect(LISE, "Mads har sendt delmålene", "Dosere medicin sikkert", "[Ingen tilføjelser]")
    assert "Trin 2 af 4" in review
    await chat.click(LISE, "Supplér delmål")
    await chat.expect(LISE, "Hvad vil du tilføje til de delmål, Mads har skrevet?")
    await chat.say(LISE, "Kende de fem R'er og observere bivirkninger")
    await chat.expect(LISE, SUMMARY)
    await chat.click(LISE, "Send")

    # 3. Where and how: the trainee first, with the supervisor's additions in view.
    step3 = await chat.expect(MADS, "Lise har suppleret dine delmål", "Kende de fem R'er", "Trin 3 af 4")
    assert "Supplement fra Lise" in step3
    await chat.expect(MADS, "Hvor og hvordan kan delmålene blive lært?")
    await chat.expect(LISE, "Mads skriver nu, hvor og hvordan", "[Supplér hvor og hvordan]")
    await chat.bot.restart()  # a redeploy between two steps loses nothing
    await chat.say(MADS, "Ved medicinrunden med Lise og ved egen aktivitet på stuegang")
    await chat.expect(MADS, SUMMARY)
    await chat.click(MADS, "Send")
    await chat.expect(LISE, "Mads har skrevet, hvor og hvordan", "Ved medicinrunden")
    await chat.click(LISE, "Ingen tilføjelser")
    await chat.expect(
        MADS, "Lise har set, hvor og hvordan du vil lære delmålene, og har ingen tilføjelser", "Lise skriver nu aftalen"
    )

    # 4. The supervisor writes the agreement on feedback and evaluation; the trainee agrees.
    await chat.expect(LISE, "Trin 4 af 4: Feedback og evaluering")
    await chat.expect(LISE, "Hvem giver Mads feedback undervejs?")
    await chat.say(LISE, "Lise og aftenvagten Ole")
    await chat.expect(LISE, "Hvornår skal den vejledende feedback ske?")
    await chat.say(LISE, "12-03-2027")
    await chat.expect(LISE, "Hvornår er den summative bedømmelse?")
    await chat.say(LISE, "10-03-2027")
    await chat.expect(LISE, "Hvornår er den summative bedømmelse?")  # before the feedback: refused, asked again
    await chat.say(LISE, "30-03-2027")
    await chat.expect(LISE, SUMMARY)
    await chat.click(LISE, "Send")
    await chat.expect(LISE, "aftalen er sendt til Mads")
    terms = await chat.expect(
        MADS,
        "Lise har skrevet aftalen om feedback og evaluering",
        "Lise og aftenvagten Ole",
        "[Enig]",
        "[Bed om en ændring]",
    )
    assert "12-03-2027" in terms and "30-03-2027" in terms
    await chat.click(MADS, "Enig", as_user=LISE)
    await chat.expect(LISE, "Den knap er til den uddannelsessøgende, Mads")
    await chat.click(MADS, "Bed om en ændring")
    await chat.expect(MADS, "Hvad vil du gerne have ændret i aftalen")
    await chat.say(MADS, "Kan feedbacken ligge fredagen efter?")
    await chat.expect(MADS, "Lise får din kommentar")
    await chat.expect(LISE, "Mads beder om en ændring", "Kan feedbacken ligge fredagen efter?")
    await chat.expect(LISE, SUMMARY, "12-03-2027")  # the agreement as it was: the supervisor edits, not re-answers
    await chat.click(LISE, "Ret et svar")
    await chat.click(LISE, "2. VEJLEDENDE FEEDBACK")
    await chat.say(LISE, "19-03-2027")
    await chat.expect(LISE, SUMMARY, "19-03-2027")
    await chat.click(LISE, "Send")
    await chat.expect(MADS, "Lise har skrevet aftalen", "19-03-2027")
    chat.bot.clock.advance(hours=20)  # Mads agrees the next morning
    await chat.click(MADS, "Enig")

    # Each party keeps a copy; it claims no duration for a contract agreed over a night.
    for user in (LISE, MADS):
        copy = await chat.expect(user, "Læringskontrakten er på plads. Her er dit eksemplar")
        assert " min.)" not in copy
        for fragment in (
            "Medicinhåndtering",
            "Dosere medicin sikkert",
            "Kende de fem R'er",
            "Ved medicinrunden",
            "Lise og aftenvagten Ole",
            "19-03-2027",
            "30-03-2027",
            "aftalt",
        ):
            assert fragment in copy, (user, fragment)

    # Reminders the working day before each, to both.
    await at(chat, datetime(2027, 3, 18, 8, 59, tzinfo=CPH))
    assert chat.count(MADS, "Påmindelse") == 0
    await at(chat, datetime(2027, 3, 18, 9, 0, tzinfo=CPH))
    await chat.expect(MADS, "Påmindelse: du får vejledende feedback", "19. marts 2027", "Lise og aftenvagten Ole")
    await chat.expect(
        LISE, "Påmindelse: den vejledende feedback til Mads", "er 19. marts 2027", "[Feedbacken er givet]"
    )
    await at(chat, datetime(2027, 3, 18, 15, 0, tzinfo=CPH))
    assert chat.count(MADS, "Påmindelse") == 1  # once, not once per tick
    # On the day the supervisor records that the feedback was given: the folder says when, and by whom.
    await at(chat, datetime(2027, 3, 19, 14, 0, tzinfo=CPH))
    await chat.click(LISE, "Feedbacken er givet", as_user=MADS)
    await chat.expect(MADS, "Den knap er til vejlederen, Lise")
    await chat.click(LISE, "Feedbacken er givet")
    await chat.expect(MADS, "Lise har noteret, at du har fået den vejledende feedback")
    assert "[Feedbacken er givet]" not in await chat.updated("✓ Feedback givet 19. marts 2027")
    # The evaluation on Tuesday after Easter: the working day before is Wednesday of Holy Week.
    await at(chat, datetime(2027, 3, 24, 9, 0, tzinfo=CPH))
    await chat.expect(MADS, "Påmindelse: den summative bedømmelse af dig", "er 30. marts 2027")
    await chat.expect(LISE, "den summative bedømmelse af Mads", "[Bestået]", "[Ikke bestået]")
    await at(chat, datetime(2027, 3, 30, 11, 0, tzinfo=CPH))  # the day itself
    await chat.click(LISE, "Bestået", as_user=MADS)
    await chat.expect(MADS, "Den knap er til vejlederen, Lise")
    await chat.click(LISE, "Bestået")
    await chat.expect(MADS, "Læringskontrakten for Mads er bedømt (Bestået) og afsluttet af Lise")

    # The folder: for the trainee and the supervisor, not for anyone else; it says what happened.
    await chat.command(MADS, "mappe")
    folder = await chat.expect(MADS, "Mappe: uddannelsesforløbet for Mads", "Medicinhåndtering")
    assert "vejleder Lise" in folder and "1. marts 2027 – 1. april 2027" in folder
    assert "feedback givet 19. marts 2027 (Lise)" in folder and "bedømt 30. marts 2027: Bestået" in folder
    await chat.command(LISE, "mappe <@UMADS|mads>")
    await chat.expect(LISE, "Mappe: uddannelsesforløbet for Mads", "Observation og vurdering")
    await chat.command(ANNA, "mappe <@UMADS|mads>")
    refused = await chat.expect(ANNA, "Du kan ikke se mappen for Mads")
    assert "Medicinhåndtering" not in refused
    await chat.command(ANNA, f"klinisk {number}")
    await chat.expect(ANNA, "Den kontrakt kan jeg ikke vise dig")
    await chat.command(LISE, "mappe")  # a supervisor's folder: each trainee's contracts
    mine = await chat.expect(LISE, "Mappe: dine uddannelsessøgende", "Mappe: uddannelsesforløbet for Mads")
    assert (
        "Medicinhåndtering" in mine and "bedømt 30. marts 2027: Bestået" in mine and "Du er vejleder for Mads" in mine
    )
    # Each party can take their copy along as a file.
    await chat.command(MADS, f"eksport {number}")
    await chat.expect(MADS, f"Din kopi af kontrakt {number}")


async def shown_number(chat: Chat, user: str) -> str:
    """The contract's number, from the supervisor's folder of the trainee."""
    await chat.command(user, "mappe <@UMADS|mads>")
    return await contract_number(chat, user)


async def test_the_overview_and_a_cancel_that_tells_the_other(chat: Chat) -> None:
    await at(chat, datetime(2027, 3, 1, 10, 0, tzinfo=CPH))
    await choose_scope(chat)
    await chat.expect(MADS, "Hvad mener du, indgår i kompetencen?")
    await chat.command(MADS, "mine")
    await chat.expect(MADS, "Mads med vejleder Lise", "Skriv delmålene i vores direkte besked")
    await chat.command(LISE, "mine")
    await chat.expect(LISE, "Mads med vejleder Lise", "Venter på Mads: den uddannelsessøgende skriver delmål")
    await chat.command(LISE, "klinisk 1")
    await chat.expect(LISE, "Læringskontrakt i klinisk praksis: Mads", "Ikke sendt endnu")
    await chat.say(MADS, "Dosere medicin sikkert")
    await chat.click(MADS, "Send")
    await chat.expect(LISE, "Mads har sendt delmålene", "[Ingen tilføjelser]")
    # The supervisor's turn shows in her overview, with the very buttons of the DM.
    await chat.command(LISE, "mine")
    await chat.expect(LISE, "Se delmålene fra Mads, og supplér dem eller ej", "[Supplér delmål]", "[Ingen tilføjelser]")
    await chat.click(LISE, "Ingen tilføjelser")
    await chat.expect(MADS, "Lise har set dine delmål og har ingen tilføjelser")
    await chat.expect(MADS, "Hvor og hvordan kan delmålene blive lært?")
    await chat.say(MADS, "afbryd")
    await chat.click(MADS, "Ja, afbryd")
    await chat.expect(MADS, "Du har afbrudt læringskontrakten i klinisk praksis")
    await chat.expect(LISE, "Mads har afbrudt læringskontrakten i klinisk praksis")
    await chat.click(LISE, "Supplér hvor og hvordan")
    await chat.expect(LISE, "Det er allerede gjort – kontrakten er nu: afbrudt")
    await chat.command(ANNA, "mappe")
    await chat.expect(ANNA, "Der er ingen læringskontrakter i klinisk praksis for Anna")


async def until_agreement(chat: Chat) -> None:
    """From the choice to the supervisor's first agreement question, with no additions."""
    await choose_scope(chat)
    await chat.expect(MADS, "Hvad mener du, indgår i kompetencen?")
    await chat.say(MADS, "Dosere medicin sikkert")
    await chat.click(MADS, "Send")
    await chat.expect(LISE, "Mads har sendt delmålene", "[Ingen tilføjelser]")
    await chat.click(LISE, "Ingen tilføjelser")
    await chat.expect(MADS, "Hvor og hvordan kan delmålene blive lært?")
    await chat.say(MADS, "Ved medicinrunden")
    await chat.click(MADS, "Send")
    await chat.expect(LISE, "Mads har skrevet, hvor og hvordan", "[Ingen tilføjelser]")
    await chat.click(LISE, "Ingen tilføjelser")
    await chat.expect(LISE, "Hvem giver Mads feedback undervejs?")


async def test_a_feedback_or_evaluation_date_not_after_today_is_asked_again(chat: Chat) -> None:
    await at(chat, datetime(2027, 3, 1, 10, 0, tzinfo=CPH))
    await until_agreement(chat)
    await at(chat, datetime(2027, 3, 15, 10, 0, tzinfo=CPH))  # the agreement is written two weeks later
    await chat.say(LISE, "Lise og aftenvagten Ole")
    await chat.expect(LISE, "Hvornår skal den vejledende feedback ske?")
    await chat.say(LISE, "12-03-2027")  # in the past
    await chat.expect(LISE, "Hvornår er den summative bedømmelse?")
    await chat.say(LISE, "15-03-2027")  # today
    await chat.expect(LISE, SUMMARY)
    await chat.click(LISE, "Send")
    await chat.expect(
        LISE, "Datoen for den vejledende feedback skal ligge efter i dag (15. marts 2027)", "fx 29-03-2027"
    )
    again = await chat.expect(LISE, "Hvornår skal den vejledende feedback ske?")
    assert "12-03-2027" in again  # the answer as it was, to be corrected
    await chat.say(LISE, "19-03-2027")
    await chat.expect(LISE, SUMMARY, "Lise og aftenvagten Ole", "19-03-2027")  # nothing lost
    await chat.click(LISE, "Send")
    await chat.expect(LISE, "Datoen for den summative bedømmelse skal ligge efter i dag")
    await chat.expect(LISE, "Hvornår er den summative bedømmelse?")
    await chat.say(LISE, "30-03-2027")
    await chat.expect(LISE, SUMMARY, "19-03-2027", "30-03-2027")
    assert chat.count(MADS, "Lise har skrevet aftalen") == 0  # nothing reached the trainee before
    await chat.click(LISE, "Send")
    await chat.expect(LISE, "aftalen er sendt til Mads")
    terms = await chat.expect(MADS, "Lise har skrevet aftalen om feedback og evaluering", "Lise og aftenvagten Ole")
    assert "19-03-2027" in terms and "30-03-2027" in terms and "12-03-2027" not in terms


async def test_either_party_can_cancel_while_choosing(chat: Chat) -> None:
    await at(chat, datetime(2027, 3, 1, 10, 0, tzinfo=CPH))
    await chat.command(LISE, "klinisk <@UMADS|mads>")
    await chat.expect(MADS, "Trin 1 af 4", "[Vi er enige]", "[Afbryd]")
    await chat.expect(LISE, "Trin 1 af 4", "[Vi er enige]", "[Afbryd]")
    await chat.click(LISE, "Medicinhåndtering")
    await chat.updated("✓ Medicinhåndtering")
    await chat.settle()
    # Someone else's press is refused and changes nothing.
    await chat.click(MADS, "Afbryd", as_user=ANNA)
    await chat.expect(ANNA, "Den knap er til Lise og Mads")
    assert not rows(chat, "auditevent", action="contract.cancelled")
    captured = chat.find_button(MADS, "Afbryd")
    await chat.click(MADS, "Afbryd")
    await chat.expect(MADS, "Du har afbrudt læringskontrakten i klinisk praksis")
    await chat.expect(LISE, "Mads har afbrudt læringskontrakten i klinisk praksis")
    await chat.updated("Afbrudt af Mads – der er ingen kontrakt")
    await chat.settle()
    for user in (LISE, MADS):  # no live button is left on either copy
        for label in ("Afbryd", "Vi er enige", "Medicinhåndtering", "En måned"):
            assert chat._button_or_none(user, label) is None, (user, label)
    assert [r["status"] for r in rows(chat, "contract")] == ["cancelled"]
    audit = rows(chat, "auditevent", action="contract.cancelled")
    assert [a["actor_id"] for a in audit] == [person_id(chat, MADS)]
    # A second press changes nothing.
    await press_again(chat, MADS, captured)
    await chat.expect(MADS, "Det er allerede gjort – kontrakten er nu: afbrudt")
    await chat.settle()
    assert chat.count(LISE, "har afbrudt") == 1
    assert len(rows(chat, "auditevent", action="contract.cancelled")) == 1

"""Systematiske læringsmøder (PRODUCT.md §2.4) as a team meets them in a channel,
on Slack and on Teams, with the clock moved by the test (never slept through)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from bot.storage.models import InboxEvent, MeetingCase, MeetingNote, MeetingOccurrence, OutboxMessage

CPH = ZoneInfo("Europe/Copenhagen")
TEAM = "CTEAM"


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=CPH)


async def learnings_stored(chat, count: int, timeout: float = 5.0) -> None:
    """Wait until `count` learnings are in the database; else fail showing the inbox's rows."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with chat.bot.runtime.db.transaction() as s:
            notes = [n for n in (await s.exec(select(MeetingNote))).all() if n.kind == "learning"]
            if len(notes) >= count:
                return
            if loop.time() >= deadline:
                rows = (await s.exec(select(InboxEvent).order_by(col(InboxEvent.id)))).all()
                inbox = "\n".join(f"{r.id} {r.kind} {r.lane} {r.status} {r.attempts} {r.error}" for r in rows[-8:])
                raise AssertionError(f"{len(notes)} learning(s) stored, not {count}; the inbox's last rows:\n{inbox}")
        await chat.settle()
        await asyncio.sleep(0.05)


async def at(chat, moment: datetime) -> None:
    """Move the clock to `moment` and let it tick, then send what it caused."""
    chat.bot.clock.set(moment)
    await chat.bot.tick()
    await chat.settle()


async def test_a_full_meeting_run(any_chat) -> None:
    chat = any_chat
    await at(chat, local(2027, 1, 1, 10, 0))
    await chat.post_in_channel("ULISE", TEAM, "møde tirsdag 09:00 <@UMADS|mads>")
    await chat.settle()
    created = await chat.expect_in_channel(TEAM, "Lise har oprettet en serie", "hver anden tirsdag kl. 09:00")
    assert "Facilitator: Mads" in created
    assert "5. januar 2027 kl. 09:00" in created and "19. januar 2027 kl. 09:00" in created
    assert "2. februar 2027 kl. 09:00" in created

    # The working day before, at 09:00: who brings a case?
    await at(chat, local(2027, 1, 4, 8, 59))
    assert chat.channel_count(TEAM, "Hvem tager en case med?") == 0
    await at(chat, local(2027, 1, 4, 9, 0, 30))
    reminder = await chat.expect_in_channel(
        TEAM, "Læringsmøde 5. januar 2027 kl. 09:00", "Facilitator: *Mads*", "[Jeg har en case]"
    )
    # The seed's purpose and form: half an hour every second week, preferably standing.
    assert "læring og udvikling i den daglige opgaveløsning og praksis" in reminder
    assert "hver anden tirsdag kl. 09:00, 30 min – og gerne stående" in reminder
    held = await chat.channel_button(TEAM, "Jeg har en case")  # Anna's client still shows it
    await chat.click_in_channel("UANNA", TEAM, "Jeg har en case")
    await chat.settle()
    await chat.expect("UANNA", "Du har casen til læringsmødet")
    taken = await chat.updated("Case: *Anna*")
    assert "[Jeg har en case]" in taken  # one or more may bring a case: the reminder still asks
    await chat.expect("UANNA", "Hvad handler den om?")
    await chat.say("UANNA", "En svær samtale med en pårørende")
    await chat.settle()
    await chat.expect("UANNA", "Casen hedder nu: En svær samtale med en pårørende")
    await chat.updated("Case: *Anna* – En svær samtale med en pårørende", "[Jeg har en case]")
    # Anna's press again, from the post as it was (or the press redelivered): she has her case, once.
    await chat.click_in_channel("UANNA", TEAM, "Jeg har en case", held=held)
    await chat.settle()
    await chat.expect("UANNA", "Du har allerede meldt en case til det møde")
    assert chat.count("UANNA", "Hvad handler den om?") == 1
    assert chat.count("ULISE", "allerede meldt") == 0

    # The meeting: the agenda, then the steps in the thread.
    await at(chat, local(2027, 1, 5, 9, 0, 10))
    agenda = await chat.expect_in_channel(TEAM, "Læringsmøde 5. januar 2027", "Dagsorden", "og gerne stående")
    for line in (
        "1. Casen præsenteres (5 min)",
        "2. Læringsspørgsmål (10 min)",
        "3. Case-personens læring (2 min)",
        "4. Runden (8 min)",
        "5. Fælles refleksion og tiltag (5 min)",
    ):
        assert line in agenda
    await chat.expect_in_channel(TEAM, "1. Casen præsenteres – 5 min", "Anna præsenterer en case", "[Næste punkt]")

    # Someone who is neither facilitator nor case person is told why, and nothing moves.
    await chat.click_in_channel("ULISE", TEAM, "Næste punkt")
    await chat.settle()
    await chat.expect("ULISE", "Kun facilitatoren (Mads) eller den, der har casen (Anna)")
    assert chat.channel_count(TEAM, "2. Læringsspørgsmål – 10 min") == 0

    await chat.click_in_channel("UMADS", TEAM, "Næste punkt")
    await chat.settle()
    questions = await chat.expect_in_channel(TEAM, "2. Læringsspørgsmål – 10 min")
    # The press is answered with the step's card as it stands (on Teams it is a reply in the
    # thread), not with "that button is not yours".
    assert chat.count("UMADS", "hører til en samtale") == 0
    for question in (
        "Hvad var den største udfordring?",
        "Hvad var nemt eller sjovt?",
        "Hvad var din rolle? Hvem havde også en rolle?",
        "Hvordan var relationerne?",
        "Hvilken viden eller information savnede du?",
        "Hvem havde beslutningskompetencen?",
        "Hvad ville du have gjort anderledes med den viden, du har i dag?",
        "Hvad er den vigtigste læring, du gjorde dig?",
    ):
        assert question in questions

    # Step 2 runs out on the clock: step 3.
    await at(chat, local(2027, 1, 5, 9, 11))
    await chat.expect_in_channel(TEAM, "3. Case-personens læring – 2 min")
    await chat.reply_in_thread("UANNA", TEAM, "At lytte før jeg svarer", root="Dagsorden")
    await chat.settle()
    await at(chat, local(2027, 1, 5, 9, 13))
    await chat.expect_in_channel(TEAM, "4. Runden – 8 min", "I reflekterer hver især over")
    await chat.reply_in_thread("USOFIE", TEAM, "I will ask relatives earlier", root="Dagsorden")
    await chat.reply_in_thread("UMADS", TEAM, "Jeg tager det med til teammødet", root="Dagsorden")
    await chat.settle()
    await at(chat, local(2027, 1, 5, 9, 21))
    await chat.expect_in_channel(TEAM, "5. Fælles refleksion og tiltag – 5 min", "[Tilføj tiltag]")
    await chat.click_in_channel("ULISE", TEAM, "Tilføj tiltag")
    await chat.settle()
    await chat.expect("ULISE", "Hvilket tiltag vil I sætte i gang?")
    await chat.say("ULISE", "Ny procedure for pårørendesamtaler <@UMADS|mads>")
    await chat.settle()
    await chat.expect("ULISE", "Tiltaget er noteret: Ny procedure for pårørendesamtaler (ansvarlig: Mads)")
    await chat.expect_in_channel(TEAM, "Nyt tiltag: Ny procedure for pårørendesamtaler (ansvarlig: Mads")

    await at(chat, local(2027, 1, 5, 9, 26))
    summary = await chat.expect_in_channel(TEAM, "Opsummering – læringsmøde 5. januar 2027")
    for part in (
        "Case: *Anna* – En svær samtale med en pårørende",
        "Læring – Anna",
        "At lytte før jeg svarer",
        "Refleksion – Sofie",
        "I will ask relatives earlier",
        "Refleksion – Mads",
        "Ny procedure for pårørendesamtaler (ansvarlig: Mads)",
    ):
        assert part in summary, part
    async with chat.bot.runtime.db.transaction() as s:
        kinds = sorted(n.kind for n in (await s.exec(select(MeetingNote))).all())
    assert kinds == ["learning", "reflection", "reflection"]

    # The next reminder lists the open action; nothing was posted twice.
    await at(chat, local(2027, 1, 18, 9, 1))
    await chat.expect_in_channel(
        TEAM,
        "Læringsmøde 19. januar 2027",
        "Åbne tiltag fra sidste møde:",
        "1. Ny procedure for pårørendesamtaler (ansvarlig: Mads)",
        "[Tiltag 1 er udført]",
    )
    texts = chat.channel_texts(TEAM)
    assert len(texts) == len(set(texts))

    # The action is done: someone else may not say so; the owner and the creator press at once, one wins.
    await chat.click_in_channel("USOFIE", TEAM, "Tiltag 1 er udført")
    await chat.settle()
    await chat.expect("USOFIE", "Only the owner (Mads)")
    await asyncio.gather(
        chat.click_in_channel("UMADS", TEAM, "Tiltag 1 er udført"),
        chat.click_in_channel("ULISE", TEAM, "Tiltag 1 er udført"),
    )
    await chat.settle()
    marked = {
        user: chat.count(user, "»Ny procedure for pårørendesamtaler« er markeret som udført.")
        for user in ("UMADS", "ULISE")
    }
    assert sorted(marked.values()) == [0, 1], marked
    winner, loser = ("UMADS", "ULISE") if marked["UMADS"] else ("ULISE", "UMADS")
    name = {"UMADS": "Mads", "ULISE": "Lise"}[winner]
    await chat.expect(loser, f"er allerede markeret som udført af {name}")
    reminder = await chat.updated(
        "Udført siden påmindelsen:", f"✓ Ny procedure for pårørendesamtaler – markeret udført af {name}"
    )
    assert "Åbne tiltag" not in reminder and "Tiltag 1 er udført" not in reminder
    # The next meeting's reminder no longer lists it.
    await at(chat, local(2027, 2, 1, 9, 1))
    nxt = await chat.expect_in_channel(TEAM, "Læringsmøde 2. februar 2027")
    assert "Ny procedure" not in nxt and "Åbne tiltag" not in nxt


async def test_a_series_made_the_morning_of_its_first_meeting_reminds_at_once(any_chat) -> None:
    chat = any_chat
    chat.bot.clock.set(local(2027, 1, 5, 8, 50))  # Tuesday, ten minutes before
    await chat.post_in_channel("ULISE", TEAM, "møde tirsdag 09:00 <@UMADS|mads>")
    await chat.settle()  # no tick of the clock: the reminder comes with the announcement
    texts = chat.channel_texts(TEAM)
    assert len(texts) == 2, texts
    assert "Lise har oprettet en serie" in texts[0] and "5. januar 2027 kl. 09:00" in texts[0]
    assert "Hvem tager en case med?" in texts[1] and "[Jeg har en case]" in texts[1]
    await at(chat, local(2027, 1, 5, 9, 0, 10))
    await chat.expect_in_channel(TEAM, "Dagsorden")
    assert chat.channel_count(TEAM, "Hvem tager en case med?") == 1  # not again with the agenda


async def test_a_case_taken_while_the_meeting_runs_shows_on_the_agenda_not_the_closed_reminder(any_chat) -> None:
    chat = any_chat
    await at(chat, local(2027, 1, 1, 10, 0))
    await chat.post_in_channel("ULISE", TEAM, "møde tirsdag 09:00 <@UMADS|mads>")
    await chat.settle()
    await at(chat, local(2027, 1, 4, 9, 0, 30))
    await chat.expect_in_channel(TEAM, "Læringsmøde 5. januar 2027 kl. 09:00", "[Jeg har en case]")
    await at(chat, local(2027, 1, 5, 9, 0, 10))  # nobody offered one: the meeting starts without
    await chat.expect_in_channel(TEAM, "Dagsorden", "Case: *ingen endnu*", "[Jeg har en case]")
    await chat.click_in_channel("UANNA", TEAM, "Jeg har en case")
    await chat.settle()
    await chat.expect("UANNA", "Du har casen til læringsmødet")
    # Another may still bring one, until the meeting is over.
    await chat.updated("Dagsorden", "Case: *Anna*", "[Jeg har en case]")
    # The day-before reminder was closed when the meeting began; it stays closed.
    reminder = await chat.updated("Hvem tager en case med?")
    assert "[Jeg har en case]" not in reminder and "Case: *Anna*" not in reminder


async def test_two_people_bring_a_case_each_and_the_meeting_has_both(any_chat) -> None:
    """Seed 004, step 1: "En eller flere medarbejdere præsenterer en case" – each who presses
    Jeg har en case is a case person, once, named in the order they pressed."""
    chat = any_chat
    await at(chat, local(2027, 1, 1, 10, 0))
    await chat.post_in_channel("ULISE", TEAM, "møde tirsdag 09:00 <@UMADS|mads>")
    await chat.settle()
    await at(chat, local(2027, 1, 4, 9, 0, 30))
    await chat.expect_in_channel(TEAM, "Læringsmøde 5. januar 2027 kl. 09:00", "I kan godt være flere")
    await chat.click_in_channel("UANNA", TEAM, "Jeg har en case")
    await chat.settle()
    await chat.expect("UANNA", "Hvad handler den om?")
    await chat.say("UANNA", "En svær samtale med en pårørende")
    await chat.settle()
    await chat.expect("UANNA", "Casen hedder nu: En svær samtale med en pårørende")
    # Sofie presses after Anna did, twice at once (a double click, or a redelivery): one case of hers.
    await asyncio.gather(
        chat.click_in_channel("USOFIE", TEAM, "Jeg har en case"),
        chat.click_in_channel("USOFIE", TEAM, "Jeg har en case"),
    )
    await chat.settle()
    await chat.expect("USOFIE", "What is it about?")  # Sofie reads English
    assert chat.count("USOFIE", "What is it about?") == 1
    assert chat.count("USOFIE", "You have already offered a case for that meeting") == 1
    await chat.say("USOFIE", "A fall at night")
    await chat.settle()
    reminder = await chat.updated(
        "Case: *Anna* – En svær samtale med en pårørende\nCase: *Sofie* – A fall at night", "[Jeg har en case]"
    )
    assert reminder.count("Case: *Sofie*") == 1
    await chat.post_in_channel("ULISE", TEAM, "møde")
    await chat.expect("ULISE", "Case til næste møde: Anna og Sofie")

    await at(chat, local(2027, 1, 5, 9, 0, 10))
    await chat.expect_in_channel(
        TEAM,
        "Dagsorden",
        "Case: *Anna og Sofie*",
        "• *Anna* – En svær samtale med en pårørende\n• *Sofie* – A fall at night",
    )
    await chat.expect_in_channel(
        TEAM, "1. Casen præsenteres – 5 min", "Anna og Sofie præsenterer hver en case eller opgave, som de gerne"
    )
    # Lise has no case: she may not move on; either case person may.
    await chat.click_in_channel("ULISE", TEAM, "Næste punkt")
    await chat.settle()
    await chat.expect("ULISE", "Kun facilitatoren (Mads) eller en af dem, der har en case (Anna og Sofie)")
    await chat.click_in_channel("USOFIE", TEAM, "Næste punkt")
    await chat.settle()
    await chat.expect_in_channel(TEAM, "2. Læringsspørgsmål – 10 min")
    await at(chat, local(2027, 1, 5, 9, 11))
    await chat.expect_in_channel(TEAM, "3. Case-personens læring – 2 min", "Anna og Sofie fortæller hver kort")
    # Each case person's reply in the thread is their learning; Lise's, who has no case, is not.
    await chat.reply_in_thread("USOFIE", TEAM, "Ask for help sooner", root="Dagsorden")
    await chat.reply_in_thread("UANNA", TEAM, "At lytte før jeg svarer", root="Dagsorden")
    await chat.reply_in_thread("ULISE", TEAM, "Ikke en case", root="Dagsorden")
    await chat.settle()
    # Both learnings are written down before the meeting moves on (and, if not, what the inbox did).
    await learnings_stored(chat, 2)
    await at(chat, local(2027, 1, 5, 9, 26))
    summary = await chat.expect_in_channel(TEAM, "Opsummering – læringsmøde 5. januar 2027")
    assert "Case: *Anna* – En svær samtale med en pårørende\nCase: *Sofie* – A fall at night" in summary
    # The learnings in the order of the cases, whoever wrote first.
    anna, sofie = summary.index("Læring – Anna"), summary.index("Læring – Sofie")
    assert anna < summary.index("At lytte før jeg svarer") < sofie < summary.index("Ask for help sooner")
    assert "Ikke en case" not in summary and "Læring – Lise" not in summary
    async with chat.bot.runtime.db.transaction() as s:
        learnings = sorted(n.text for n in (await s.exec(select(MeetingNote))).all() if n.kind == "learning")
        cases = (await s.exec(select(MeetingCase).order_by(col(MeetingCase.id)))).all()
    assert learnings == ["Ask for help sooner", "At lytte før jeg svarer"]
    assert [c.title for c in cases] == ["En svær samtale med en pårørende", "A fall at night"]
    texts = chat.channel_texts(TEAM)
    assert len(texts) == len(set(texts))


async def test_a_workplace_that_keeps_christmas_eve_free_has_no_meeting_then(chat) -> None:
    """OPTIONAL_DAYS_OFF=juleaften: Friday 24 December 2027 is a day off like a public holiday."""
    await at(chat, local(2027, 12, 8, 12, 0))
    await chat.post_in_channel("ULISE", TEAM, "møde fredag 09:00")
    await chat.settle()
    plain = await chat.expect_in_channel(TEAM, "hver anden fredag kl. 09:00")
    assert "24. december 2027 kl. 09:00\n" in plain + "\n" and "Juleaftensdag" not in plain  # by default, a day
    await chat.post_in_channel("ULISE", TEAM, "møde stop")
    await chat.settle()

    chat.bot.overrides["optional_days_off"] = "juleaften"
    await chat.bot.restart()
    await chat.post_in_channel("ULISE", TEAM, "møde fredag 09:00")
    await chat.settle()
    kept = await chat.expect_in_channel(TEAM, "hver anden fredag kl. 09:00")
    assert "24. december 2027 kl. 09:00 – Juleaftensdag, intet møde" in kept


async def test_an_unknown_optional_day_off_is_refused_at_the_start() -> None:
    from pydantic import ValidationError

    from bot.settings import Settings

    with pytest.raises(ValidationError, match="unknown optional days off"):
        Settings(_env_file=None, optional_days_off="juleaften,sankthans")
    assert Settings(_env_file=None, optional_days_off="Juleaften, nytaarsaften").optional_days_off


async def test_a_series_across_daylight_saving_and_a_holiday(any_chat) -> None:
    """Mondays at 09:00 from 15 March 2027: 29 March is Easter Monday (and the clocks moved on 28 March)."""
    chat = any_chat
    await at(chat, local(2027, 3, 10, 12, 0))
    await chat.post_in_channel("ULISE", TEAM, "møde mandag 09:00")
    await chat.settle()
    created = await chat.expect_in_channel(TEAM, "hver anden mandag kl. 09:00", "Facilitator: Lise")
    assert "15. marts 2027 kl. 09:00" in created
    assert "29. marts 2027 kl. 09:00 – Anden påskedag, intet møde" in created
    assert "12. april 2027 kl. 09:00" in created

    await at(chat, local(2027, 3, 12, 9, 0, 5))  # Friday: the working day before Monday 15 March
    await chat.expect_in_channel(TEAM, "Læringsmøde 15. marts 2027 kl. 09:00", "Hvem tager en case med?")
    # The bot is away from before the meeting until after it: the meeting is skipped, not replayed.
    await at(chat, local(2027, 3, 15, 10, 0))
    assert chat.channel_count(TEAM, "Dagsorden") == 0
    # Easter: 25, 26 and 29 March are holidays, 27–28 a weekend: the working day before is Wednesday 24.
    await at(chat, local(2027, 3, 23, 9, 30))
    assert chat.channel_count(TEAM, "helligdag, så læringsmødet springes over") == 0
    await at(chat, local(2027, 3, 24, 9, 0, 5))
    await chat.expect_in_channel(
        TEAM,
        "Intet læringsmøde 29. marts 2027",
        "29. marts 2027 (Anden påskedag) er en helligdag, så læringsmødet springes over. "
        "Næste møde er 12. april 2027 kl. 09:00.",
    )
    await at(chat, local(2027, 3, 29, 9, 5))
    assert chat.channel_count(TEAM, "Dagsorden") == 0
    # After the change to summer time the meeting is still at 09:00 local (07:00 UTC, not 08:00).
    await at(chat, local(2027, 4, 9, 9, 0, 5))
    await chat.expect_in_channel(TEAM, "Læringsmøde 12. april 2027 kl. 09:00")
    await at(chat, local(2027, 4, 12, 9, 0, 5))
    await chat.expect_in_channel(TEAM, "Læringsmøde 12. april 2027", "Dagsorden")
    async with chat.bot.runtime.db.transaction() as s:
        starts = {o.local_date.isoformat(): o.starts_at for o in (await s.exec(select(MeetingOccurrence))).all()}
    assert starts["2027-03-15"] == datetime(2027, 3, 15, 8, 0, tzinfo=UTC)
    assert starts["2027-04-12"] == datetime(2027, 4, 12, 7, 0, tzinfo=UTC)
    texts = chat.channel_texts(TEAM)
    assert len(texts) == len(set(texts))


async def test_the_round_passes_the_word_in_turn_and_shows_who_has_spoken(any_chat) -> None:
    """Seed 004, step 4: "Ordet går på omgang" – the round's post shows who has the word, who
    comes next and who has spoken; Giv ordet videre passes it on, once."""
    chat = any_chat
    await at(chat, local(2027, 1, 1, 10, 0))
    await chat.post_in_channel("ULISE", TEAM, "møde tirsdag 09:00 <@UMADS|mads>")
    await chat.settle()
    await at(chat, local(2027, 1, 5, 9, 0, 5))
    await at(chat, local(2027, 1, 5, 9, 17, 5))
    opened = await chat.expect_in_channel(TEAM, "4. Runden – 8 min", "Tryk på *Jeg er med*", "[Jeg er med]")
    assert "[Giv ordet videre]" not in opened  # no one has the word yet
    joined = await chat.channel_button(TEAM, "Jeg er med")
    for user in ("USOFIE", "UANNA", "ULISE"):
        await chat.click_in_channel(user, TEAM, "Jeg er med")
        await chat.settle()
    await chat.expect("USOFIE", "You are in the round as number 1")  # Sofie reads English
    await chat.expect("UANNA", "Du er med i runden som nummer 2")
    await chat.updated("Ordet har: *Sofie*", "Derefter: Anna og Lise", "[Giv ordet videre]")
    # Pressed again (or the press redelivered): the place is kept, nothing changes.
    await chat.click_in_channel("UANNA", TEAM, "Jeg er med", held=joined)
    await chat.settle()
    await chat.expect("UANNA", "Du er allerede med i runden")
    assert chat.count("UANNA", "Du er med i runden som nummer") == 1

    # Sofie writes her reflection in the thread: she has spoken, and Anna has the word.
    await chat.reply_in_thread("USOFIE", TEAM, "I will ask relatives earlier", root="Dagsorden")
    await chat.settle()
    shown = await chat.updated("Ordet har: *Anna*", "Derefter: Lise", "Har talt: Sofie")
    assert "Derefter: Anna" not in shown
    annas = await chat.channel_button(TEAM, "Giv ordet videre")
    # Only the one with the word, the facilitator or the case person passes it on.
    await chat.click_in_channel("ULISE", TEAM, "Giv ordet videre")
    await chat.settle()
    await chat.expect("ULISE", "Det er Anna, der har ordet. Kun Anna, facilitatoren (Mads)")
    await chat.click_in_channel("UANNA", TEAM, "Giv ordet videre")
    await chat.settle()
    await chat.updated("Ordet har: *Lise*", "Har talt: Sofie og Anna")
    # Anna's press again, from the post as it was: the word is not passed on twice.
    await chat.click_in_channel("UANNA", TEAM, "Giv ordet videre", held=annas)
    await chat.settle()
    await chat.expect("UANNA", "Ordet er allerede givet videre")
    await chat.bot.restart()  # the round is in the database
    await chat.click_in_channel("UMADS", TEAM, "Giv ordet videre")  # the facilitator, for Lise
    await chat.settle()
    done = await chat.updated("Alle i runden har talt", "Har talt: Sofie, Anna og Lise")
    assert "[Giv ordet videre]" not in done and "[Jeg er med]" in done

    # The round is over: its buttons are closed, and a held one says so.
    await at(chat, local(2027, 1, 5, 9, 25, 5))
    await chat.expect_in_channel(TEAM, "5. Fælles refleksion og tiltag – 5 min")
    await chat.click_in_channel("UMADS", TEAM, "Jeg er med", held=joined)
    await chat.settle()
    await chat.expect("UMADS", "Runden er slut")
    await at(chat, local(2027, 1, 5, 9, 30, 10))
    summary = await chat.expect_in_channel(TEAM, "Opsummering – læringsmøde 5. januar 2027")
    # Passing the word leaves no note: the summary has what was written.
    assert "Refleksion – Sofie" in summary and "Refleksion – Anna" not in summary


async def test_a_restart_mid_meeting_resumes_without_repeating(any_chat) -> None:
    chat = any_chat
    await at(chat, local(2027, 1, 1, 10, 0))
    await chat.post_in_channel("ULISE", TEAM, "møde tirsdag 09:00 <@UMADS|mads>")
    await chat.settle()
    await at(chat, local(2027, 1, 5, 9, 0, 5))
    await chat.expect_in_channel(TEAM, "1. Casen præsenteres – 5 min")
    await at(chat, local(2027, 1, 5, 9, 5, 5))
    await chat.expect_in_channel(TEAM, "2. Læringsspørgsmål – 10 min")
    await chat.bot.restart()
    # A tick right after the restart has nothing new to post: step 2 is still running.
    await at(chat, local(2027, 1, 5, 9, 6))
    assert chat.channel_count(TEAM, "2. Læringsspørgsmål – 10 min") == 1
    # Down from 09:06 to 09:18: steps 3 ran out meanwhile; the bot resumes at step 4, once.
    await chat.bot.restart()
    await at(chat, local(2027, 1, 5, 9, 18))
    await chat.expect_in_channel(TEAM, "4. Runden – 8 min")
    assert chat.channel_count(TEAM, "3. Case-personens læring – 2 min") == 0
    await chat.reply_in_thread("UMADS", TEAM, "Jeg lærte noget", root="Dagsorden")
    await chat.settle()
    await at(chat, local(2027, 1, 5, 9, 40))  # after the end: the summary, once
    await chat.expect_in_channel(TEAM, "Opsummering", "Jeg lærte noget")
    await at(chat, local(2027, 1, 5, 9, 41))
    for step in ("1. Casen præsenteres – 5 min", "2. Læringsspørgsmål – 10 min", "4. Runden – 8 min", "Opsummering"):
        assert chat.channel_count(TEAM, step) == 1, step


async def test_commands_refuse_with_an_example_and_cancel_and_stop(chat) -> None:
    await at(chat, local(2027, 1, 1, 10, 0))
    await chat.post_in_channel("ULISE", TEAM, "møde tirsday 09:00")
    await chat.expect("ULISE", "`tirsday` er ikke en ugedag", "fx `/laering møde tirsdag 09:00 @facilitator`")
    await chat.post_in_channel("ULISE", TEAM, "møde tirsdag 9")
    await chat.expect("ULISE", "Klokkeslættet `9` kan jeg ikke læse", "TT:MM")
    await chat.post_in_channel("ULISE", "DLISE", "møde tirsdag 09:00")  # in the DM
    await chat.expect("ULISE", "Læringsmøder holdes i en kanal")
    await chat.post_in_channel("ULISE", TEAM, "møde")
    await chat.expect("ULISE", "Kanalen har ingen læringsmøder endnu")
    await chat.post_in_channel("ULISE", TEAM, "møde onsdag 14:30 <@UMADS|mads> <@UANNA|anna> hver 3. uge 45 min")
    await chat.settle()
    created = await chat.expect_in_channel(TEAM, "hver 3. uge, onsdag kl. 14:30, 45 min", "Facilitator: Mads, Anna")
    assert "6. januar 2027 kl. 14:30" in created and "27. januar 2027 kl. 14:30" in created
    await chat.post_in_channel("USOFIE", TEAM, "meeting cancel")
    await chat.expect("USOFIE", "Only the person who set up the series (Lise) or a facilitator")
    await chat.post_in_channel("UANNA", TEAM, "møde aflys")
    await chat.settle()
    await chat.expect_in_channel(
        TEAM, "Læringsmødet 6. januar 2027 kl. 14:30 er aflyst af Anna", "Næste møde er 27. januar 2027 kl. 14:30"
    )
    await chat.post_in_channel("ULISE", TEAM, "møde")
    shown = await chat.expect("ULISE", "hver 3. uge, onsdag kl. 14:30")
    assert "6. januar 2027 kl. 14:30 – aflyst" in shown
    await at(chat, local(2027, 1, 6, 15, 0))
    assert chat.channel_count(TEAM, "Dagsorden") == 0
    await chat.post_in_channel("ULISE", TEAM, "møde stop")
    await chat.settle()
    await chat.expect_in_channel(TEAM, "Lise har stoppet serien")
    await at(chat, local(2027, 1, 27, 15, 0))
    assert chat.channel_count(TEAM, "Dagsorden") == 0 and chat.channel_count(TEAM, "Hvem tager en case") == 0
    await chat.post_in_channel("ULISE", TEAM, "møde mandag 10:00")
    await chat.settle()
    await chat.expect_in_channel(TEAM, "hver anden mandag kl. 10:00")


async def test_the_command_words_work_without_danish_letters(chat) -> None:
    await at(chat, local(2027, 1, 1, 10, 0))
    await chat.post_in_channel("ULISE", TEAM, "mode lordag 09:00")
    await chat.settle()
    await chat.expect_in_channel(TEAM, "Lise har oprettet en serie", "hver anden lørdag kl. 09:00")
    await chat.post_in_channel("ULISE", TEAM, "moede")
    await chat.expect("ULISE", "hver anden lørdag kl. 09:00")
    await chat.command("ULISE", "hjalp")
    help_text = await chat.expect("ULISE", "/laering kontrakt @medarbejder")
    assert "Den kommando kender jeg ikke" not in help_text


async def test_two_instances_on_one_postgresql_post_each_reminder_and_step_once(chat, database_url) -> None:
    """Two bot processes on one PostgreSQL database tick at the same moments: every post goes out once."""
    import asyncio

    import pytest

    from bot.storage.db import is_sqlite
    from tests.e2e.harness import Bot

    if is_sqlite(database_url):
        pytest.skip("two instances need a shared server database (set TEST_DATABASE_URL)")
    other = Bot(database_url=database_url, slack=chat.slack, clock=chat.bot.clock)
    await other.start()
    try:
        await at(chat, local(2027, 1, 1, 10, 0))
        channels = [f"CT{n:03d}" for n in range(30)]
        for channel in channels:
            await chat.post_in_channel("ULISE", channel, "møde tirsdag 09:00 <@UMADS|mads>")
        await chat.settle()

        async def both(moment: datetime) -> None:
            chat.bot.clock.set(moment)
            for _ in range(3):
                await asyncio.gather(chat.bot.tick(), other.tick(), chat.bot.tick(), other.tick())
            await asyncio.gather(chat.settle(), other.runtime.outbox.send_due())

        await both(local(2027, 1, 4, 9, 0, 5))
        await both(local(2027, 1, 5, 9, 0, 5))
        await both(local(2027, 1, 5, 9, 5, 5))
        await both(local(2027, 1, 5, 9, 40))
        for channel in channels:
            texts = chat.channel_texts(channel)
            for fragment in (
                "Hvem tager en case med?",
                "Dagsorden",
                "1. Casen præsenteres – 5 min",
                "2. Læringsspørgsmål – 10 min",
                "Opsummering",
            ):
                assert sum(fragment in t for t in texts) == 1, (channel, fragment, texts)
        async with chat.bot.runtime.db.transaction() as s:
            keys = [r.dedupe_key for r in (await s.exec(select(OutboxMessage))).all() if r.dedupe_key]
        assert len(keys) == len(set(keys))
    finally:
        await other.stop()
        await other.http.aclose()

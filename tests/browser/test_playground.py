"""A newcomer walks through the playground in a browser."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

LISE_ANSWERS = ["Forstå demens", "Validerende kommunikation", "Tid til kurset"]
MADS_ANSWERS = ["Demenstyper", "I morgenplejen", "Sparring"]


async def write(page: Page, text: str) -> None:
    await page.fill("#text", text)
    await page.press("#text", "Enter")


async def play_as(page: Page, name: str) -> None:
    await page.click(f"#people button:has-text('{name}')")
    await expect(page.locator("#dm-title")).to_contain_text(f"du er {name}")


async def answer(page: Page, answers: list[str]) -> None:
    for number, text in enumerate(answers, 1):
        await expect(page.locator("#messages li.bot").last).to_contain_text(f"Spørgsmål {number} af {len(answers)}")
        await write(page, text)
    await expect(page.locator("#messages li.bot").last).to_contain_text("Intet sendes, før du trykker")
    await page.locator("#messages li.bot").last.locator("button:has-text('Send')").click()
    await expect(page.locator("#messages li.bot", has_text="Tak – dine svar er sendt")).to_have_count(1)


async def test_switching_person_shows_their_own_direct_messages(page: Page) -> None:
    await expect(page.locator("#dm-title")).to_contain_text("du er Lise")
    await write(page, "/laering hjælp")
    await expect(page.locator("#messages")).to_contain_text("/laering kontrakt @medarbejder")
    await play_as(page, "Mads")
    await expect(page.locator("#messages li")).to_have_count(0)
    await play_as(page, "Lise")
    await expect(page.locator("#messages")).to_contain_text("/laering kontrakt @medarbejder")


async def test_a_whole_contract_through_to_approval(page: Page, artifacts: Path) -> None:
    await write(page, "/laering kontrakt @mads ABC Demens")
    await expect(page.locator("#messages")).to_contain_text("Læringskontrakten om ABC Demens er startet med Mads")
    await answer(page, LISE_ANSWERS)
    await play_as(page, "Mads")
    await expect(page.locator("#messages")).to_contain_text("Lise har startet en læringskontrakt med dig")
    await answer(page, MADS_ANSWERS)
    await play_as(page, "Lise")
    approval = page.locator("#messages li.bot", has_text="Godkend kontrakten, eller bed om ændringer")
    await expect(approval).to_contain_text("Demenstyper")
    await approval.locator("button:has-text('Godkend')").click()
    await expect(approval).to_contain_text("Godkendt af Lise")
    await expect(approval.locator("button")).to_have_count(0)
    await play_as(page, "Mads")
    await expect(page.locator("#messages")).to_contain_text("Lise har godkendt jeres læringskontrakt")
    await expect(page.locator("button:has-text('Jeg har gennemført kurset')")).to_be_visible()
    await play_as(page, "Lise")
    # What the window shows (docs/playground.png is this picture): a full-page picture would
    # draw the header and the people, which stay in view, in the middle of the page.
    await approval.evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + scrollY - 200)")
    await page.screenshot(path=str(artifacts / "playground-approved.png"))


async def test_moving_the_clock_makes_a_reminder_appear(page: Page) -> None:
    await write(page, "/laering kontrakt @mads ABC Demens")
    await expect(page.locator("#messages")).to_contain_text("Spørgsmål 1 af 3")
    await expect(page.locator("#next-due")).not_to_contain_text("intet planlagt")
    await page.click("#advance-next")
    await play_as(page, "Mads")
    await expect(page.locator("#messages")).to_contain_text("jeg venter stadig på dit svar til ABC Demens")


async def test_the_page_switches_to_english(page: Page) -> None:
    await expect(page.locator("#dm-title")).to_contain_text("du er Lise")  # the page has loaded
    await page.click("#language")
    await expect(page.locator("#dm-title")).to_contain_text("you are Lise")
    await write(page, "/laering help")
    await expect(page.locator("#messages")).to_contain_text("Commands")


async def test_the_channel_shows_a_learning_meeting_from_reminder_to_the_run(page: Page, artifacts: Path) -> None:
    await page.click("#tab-channel")
    await expect(page.locator("#dm-title")).to_contain_text("#læring")
    await write(page, "/laering møde torsdag 09:00 @lise")
    await expect(page.locator("#messages")).to_contain_text("har oprettet en serie af læringsmøder")
    # The working day before: the reminder, with the button for the case.
    await page.click("#advance-next")
    reminder = page.locator("#messages > li.bot", has_text="Jeg har en case")
    await expect(reminder.locator("button:has-text('Jeg har en case')")).to_be_visible()
    # The meeting starts: the agenda, run step by step in its thread.
    await page.click("#advance-next")
    await expect(page.locator("#messages .thread")).to_contain_text("1. Casen præsenteres")
    agenda = page.locator("#messages > li.bot", has=page.locator(".thread"))
    await agenda.locator("button:has-text('Svar i tråd')").click()
    await expect(page.locator("#replying")).to_be_visible()
    await write(page, "Jeg tager en case med om en svær samtale")
    await expect(page.locator("#messages .thread")).to_contain_text("Jeg tager en case med om en svær samtale")
    # The DM stays apart from the channel.
    await page.click("#tab-dm")
    await expect(page.locator("#messages")).not_to_contain_text("Casen præsenteres")
    await page.click("#tab-channel")
    await page.screenshot(path=str(artifacts / "playground-channel.png"))


async def in_view(page: Page, selector: str) -> bool:
    """The element is on the screen, wholly, as the viewport shows the page now."""
    return bool(
        await page.locator(selector).evaluate(
            "e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight + 1; }"
        )
    )


async def test_what_the_bot_answers_in_the_channel_shows_there_only_to_the_one_who_acted(page: Page) -> None:
    await page.click("#tab-channel")
    await write(page, "/laering møde fredag 25:00")
    refusal = page.locator("#messages > li.only-you", has_text="Klokkeslættet `25:00`".replace("`", ""))
    await expect(refusal).to_contain_text("Læringsbot · kun synlig for dig")
    # Not in the direct message, and not in anyone else's view of the channel.
    await page.click("#tab-dm")
    await expect(page.locator("#messages")).not_to_contain_text("Klokkeslættet")
    await play_as(page, "Mads")
    await page.click("#tab-channel")
    await expect(page.locator("#messages")).to_contain_text("/laering møde fredag 25:00")
    await expect(page.locator("#messages")).not_to_contain_text("Klokkeslættet")


async def test_a_press_in_the_channel_is_answered_there_and_a_refusal_in_its_thread(page: Page) -> None:
    await page.click("#tab-channel")
    await write(page, "/laering møde torsdag 09:00 @lise")
    await expect(page.locator("#messages")).to_contain_text("har oprettet en serie af læringsmøder")
    await page.click("#advance-next")
    await page.locator("#messages > li.bot button:has-text('Jeg har en case')").click()
    # The note that the case is taken is Lise's alone, in the channel; the question for a title is in her DM.
    taken = page.locator("#messages > li.only-you", has_text="Du har casen til læringsmødet")
    await expect(taken).to_contain_text("kun synlig for dig")
    await page.click("#tab-dm")
    await expect(page.locator("#messages")).to_contain_text("Hvad handler den om?")
    await expect(page.locator("#messages")).not_to_contain_text("Jeg har skrevet til dig")
    # Ole may not move the meeting on: he is told so in the thread he pressed in, and only he.
    await page.click("#advance-next")
    await play_as(page, "Ole")
    await page.click("#tab-channel")
    step = page.locator("#messages .thread > li.bot", has=page.locator("button:has-text('Næste punkt')")).first
    await step.locator("button:has-text('Næste punkt')").click()
    refusal = page.locator("#messages .thread > li.only-you", has_text="Kun facilitatoren (Lise)")
    await expect(refusal).to_contain_text("kun synlig for dig")
    await page.click("#tab-dm")
    await expect(page.locator("#messages li")).to_have_count(0)
    await play_as(page, "Lise")
    await page.click("#tab-channel")
    await expect(page.locator("#messages .thread")).to_contain_text("1. Casen præsenteres")
    await expect(page.locator("#messages")).not_to_contain_text("Kun facilitatoren")
    # Lise moves on to the last step; "Tilføj tiltag" is answered in the thread, the action asked for in her DM.
    for number in range(2, 6):
        await page.locator("#messages .thread button:has-text('Næste punkt')").last.click()
        await expect(page.locator("#messages .thread h3")).to_have_count(number)  # step `number` is posted
    await expect(page.locator("#messages .thread")).to_contain_text("5. Fælles refleksion og tiltag")
    await page.locator("#messages .thread button:has-text('Tilføj tiltag')").last.click()
    asked = page.locator("#messages .thread > li.only-you", has_text="skriv tiltaget der")
    await expect(asked).to_contain_text("kun synlig for dig")
    await page.click("#tab-dm")
    await expect(page.locator("#messages")).to_contain_text("Hvilket tiltag vil I sætte i gang?")
    await expect(page.locator("#messages")).not_to_contain_text("skriv tiltaget der")


async def test_the_red_dot_marks_a_leader_with_an_approval_waiting(page: Page) -> None:
    await write(page, "/laering kontrakt @mads ABC Demens")
    lise, mads = page.locator("#people button[data-person=lise]"), page.locator("#people button[data-person=mads]")
    await expect(lise.locator(".dot")).to_have_count(1)  # her questions
    await answer(page, LISE_ANSWERS)
    await expect(lise.locator(".dot")).to_have_count(0)
    await expect(mads.locator(".dot")).to_have_count(1)
    await play_as(page, "Mads")
    await answer(page, MADS_ANSWERS)
    # Both have sent: the bot waits for Lise's approval, and for nobody else.
    await expect(lise.locator(".dot")).to_have_count(1)
    await expect(lise.locator(".dot")).to_have_attribute("title", "venter på et svar eller en godkendelse")
    await expect(mads.locator(".dot")).to_have_count(0)
    await play_as(page, "Lise")
    await page.locator("#messages li.bot button:has-text('Godkend')").click()
    await expect(lise.locator(".dot")).to_have_count(0)


async def test_the_header_and_the_people_stay_in_view_and_a_chat_opens_at_its_newest(page: Page) -> None:
    await page.set_viewport_size({"width": 1200, "height": 600})
    for _ in range(4):
        await write(page, "/laering hjælp")
    await expect(page.locator("#messages li.bot")).to_have_count(4)
    await page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    assert await page.evaluate("scrollY") > 300  # the page is long enough to scroll
    assert await in_view(page, "#top") and await in_view(page, "#people")
    # Mads's chat, then Lise's again: each opens at its newest message.
    await page.evaluate("window.scrollTo(0, 0)")
    await play_as(page, "Mads")
    await write(page, "/laering hjælp")
    await write(page, "/laering hjælp")
    await expect(page.locator("#messages li.bot")).to_have_count(2)
    await page.evaluate("window.scrollTo(0, 0)")
    await play_as(page, "Lise")
    await expect(page.locator("#messages li.bot")).to_have_count(4)
    await expect(page.locator("#messages > li").last).to_be_in_viewport()
    await expect(page.locator("#messages > li").first).not_to_be_in_viewport()


async def test_the_channel_follows_new_posts_when_the_clock_moves(page: Page) -> None:
    await page.set_viewport_size({"width": 1200, "height": 600})
    await page.click("#tab-channel")
    for _ in range(3):
        await write(page, "/laering møde")  # the series' state, to make the channel long
    await write(page, "/laering møde torsdag 09:00 @lise")
    await expect(page.locator("#messages")).to_contain_text("har oprettet en serie af læringsmøder")
    await page.evaluate("window.scrollTo(0, 0)")
    await page.click("#advance-next")
    reminder = page.locator("#messages > li.bot", has_text="Hvem tager en case med?")
    await expect(reminder).to_have_count(1)
    await expect(page.locator("#messages > li").last).to_be_in_viewport()


async def test_a_phone_shows_the_page_without_sideways_scrolling(page: Page, artifacts: Path) -> None:
    await page.set_viewport_size({"width": 420, "height": 800})
    await write(page, "/laering kontrakt @mads ABC Demens")
    await answer(page, LISE_ANSWERS)
    await play_as(page, "Mads")
    await answer(page, MADS_ANSWERS)
    await play_as(page, "Lise")
    approval = page.locator("#messages li.bot", has_text="Godkend kontrakten, eller bed om ændringer")
    await expect(approval).to_contain_text("Demenstyper")
    await write(page, "/laering hjælp")
    await expect(page.locator("#messages")).to_contain_text("/laering kontrakt @medarbejder")
    widths = await page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1] == 420, widths
    assert await in_view(page, "#people") and await in_view(page, "#composer")
    await page.click("#tab-channel")
    await write(page, "/laering møde torsdag 09:00 @lise")
    # The clock is moved once the series exists: the bot handles the command on its own time.
    await expect(page.locator("#messages")).to_contain_text("har oprettet en serie af læringsmøder")
    await page.click("#advance-next")  # the reminder, then (clicked at once) the meeting's start
    await page.click("#advance-next")
    await expect(page.locator("#messages .thread")).to_contain_text("1. Casen præsenteres")
    widths = await page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], widths
    await page.screenshot(path=str(artifacts / "playground-phone.png"))
    await page.click("#language")  # the English page's longer words fit too
    await expect(page.locator("#advance-next")).to_have_text("To the next event")
    await page.click("#tab-dm")
    await expect(page.locator("#dm-title")).to_contain_text("you are Lise")
    widths = await page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], widths


async def test_the_page_loads_without_a_missing_file(playground: str) -> None:
    from playwright.async_api import async_playwright

    from tests.browser.conftest import CHROMIUM

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = await browser.new_page()
        failed: list[str] = []
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))
        await page.goto(playground)
        await expect(page.locator("#dm-title")).to_contain_text("du er Lise")
        icon = await page.evaluate("fetch(document.querySelector('link[rel=icon]').href).then(r => r.status)")
        fallback = await page.evaluate("fetch('/favicon.ico').then(r => [r.status, r.headers.get('content-type')])")
        await page.wait_for_load_state("networkidle")
        await browser.close()
    assert failed == []
    assert icon == 200 and fallback == [200, "image/svg+xml"]


async def test_the_contract_form_on_the_page_answers_at_the_field_and_starts_the_contract(page: Page) -> None:
    await write(page, "/laering kontrakt")
    form = page.locator("#messages li.bot form.form")
    await expect(form.locator("h3")).to_have_text("Ny læringskontrakt")
    await expect(form.locator("label")).to_have_text(["Medarbejder", "Kursus", "Opfølgningsdato"])
    await form.locator("select").select_option("lise")
    await form.locator("input[name=course]").fill("ABC Demens")
    # The page draws itself again when something changes (here the clock): what is being
    # filled in stays.
    now = await page.locator("#now").text_content()
    await page.click("#advance-hour")
    await expect(page.locator("#now")).not_to_have_text(now or "")
    await expect(form.locator("input[name=course]")).to_have_value("ABC Demens")
    await expect(form.locator("select")).to_have_value("lise")
    await form.locator("button:has-text('Start kontrakten')").click()
    # Answered at the field, in the same form, with what was written kept.
    error = page.locator("#messages li.bot form.form .error")
    await expect(error).to_have_text("Du kan ikke lave en læringskontrakt med dig selv – vælg medarbejderen.")
    await expect(page.locator("#messages li.bot form.form input[name=course]")).to_have_value("ABC Demens")
    form = page.locator("#messages li.bot form.form")
    await form.locator("select").select_option("mads")
    await form.locator("button:has-text('Start kontrakten')").click()
    await expect(page.locator("#messages li.bot form.form")).to_contain_text("✓ Sendt")
    await expect(page.locator("#messages")).to_contain_text("Læringskontrakten om ABC Demens er startet med Mads")
    await play_as(page, "Mads")
    await expect(page.locator("#messages")).to_contain_text("Lise har startet en læringskontrakt med dig")

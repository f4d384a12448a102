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
    await approval.scroll_into_view_if_needed()
    await page.screenshot(path=str(artifacts / "playground-approved.png"), full_page=True)


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
    await page.screenshot(path=str(artifacts / "playground-channel.png"), full_page=True)

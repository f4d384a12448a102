"""A dialog question's picker on the playground's page, in a browser: the peer contract's
leader question shows the cast beside typing, and picking Lise answers it."""

from __future__ import annotations

import asyncio

from playwright.async_api import Locator, Page, expect

from tests.browser.test_playground import play_as, write

HINT = "Skriv dit svar her"
SUMMARY = "Intet sendes, før du trykker"
LEADER = "Hvem er din leder/sponsor?"
TYPED = {
    "Hvornår starter": "01-01-2099",
    "Hvornår slutter": "01-06-2099",
    "Hvor ofte mødes": "hver uge",
    "supervisorens ansvar": "Ole giver sparring",
    "supervisor (videnforvalter)?": "spring over",
}


async def next_question(page: Page, seen: int) -> tuple[Locator, int]:
    """The first bot message after the first `seen` that is a question or a summary, and how
    many bot messages there are up to it."""
    bot = page.locator("#messages li.bot")
    for _ in range(250):
        for index in range(seen, await bot.count()):
            text = await bot.nth(index).inner_text()
            if HINT in text or SUMMARY in text:
                return bot.nth(index), index + 1
        await asyncio.sleep(0.04)
    raise AssertionError(f"no new question: {await page.locator('#messages').inner_text()}")


async def test_the_leader_question_offers_the_cast_and_a_pick_answers_it(page: Page) -> None:
    await play_as(page, "Mads")
    await write(page, "/laering kollega @sofie")
    await play_as(page, "Sofie")
    invitation = page.locator("#messages li.bot", has_text="vil gerne lære sammen med dig")
    await invitation.locator("button:has-text('Ja, gerne')").click()
    await expect(invitation).to_contain_text("Ja, gerne")
    await play_as(page, "Mads")
    shown, seen = await next_question(page, 0)
    for _ in range(40):  # the questions before the leader's, typed (their order is the flow's)
        text = await shown.inner_text()
        if LEADER in text:
            break
        if SUMMARY in text:
            await shown.locator("button:has-text('Send')").click()
        else:
            await write(page, next((a for f, a in TYPED.items() if f in text), "Et svar til kontrakten"))
        shown, seen = await next_question(page, seen)

    picker = shown.locator("select[aria-label='Vælg en person']")
    await expect(picker).to_be_visible()
    await picker.select_option(label="Lise")
    await shown.locator("button:has-text('Vælg')").click()
    await expect(shown).to_contain_text("✓ Lise")  # the picker gives way to the pick
    await expect(shown.locator("select")).to_have_count(0)
    after, _ = await next_question(page, seen)
    assert LEADER not in await after.inner_text()

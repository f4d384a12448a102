"""`klinisk` alone, and **Ny klinisk kontrakt**, open a form on Slack (a modal) and in Teams (a
card): the trainee picked starts the same contract as `klinisk @uddannelsessøgende`; yourself
or nobody is answered at the field; the same submission twice starts it once."""

from __future__ import annotations

from sqlmodel import select

from bot.storage.models import Contract
from tests.e2e.form_steps import (
    aad,
    slack_inputs,
    slack_open_by_button,
    slack_submit,
    teams_error,
    teams_inputs,
    teams_open_by_button,
    teams_submit,
)
from tests.e2e.harness import Chat
from tests.e2e.teams_harness import TeamsChat
from tests.fakes import slack_signing as signing
from tests.fakes.teams_api import card_text

LISE, MADS = "ULISE", "UMADS"
STARTED = "Jeg har startet læringskontrakten med Mads. Først vælger I sammen kompetencer og periode."
INTRO = "Lise har startet en læringskontrakt i klinisk praksis med dig"
YOURSELF = "Du kan ikke lave en læringskontrakt med dig selv – vælg den uddannelsessøgende."


async def clinical_contracts(chat: Chat | TeamsChat) -> int:
    async with chat.bot.runtime.db.transaction() as s:
        return len((await s.exec(select(Contract).where(Contract.flow == "clinical"))).all())


async def test_slack_klinisk_alone_and_the_button_open_the_form(slack_chat: Chat) -> None:
    chat = slack_chat
    await chat.command(LISE, "klinisk")
    view = await chat.slack.wait_for(lambda fake: fake.views[-1] if fake.views else None)
    assert view["title"]["text"] == "Klinisk læringskontrakt"
    assert slack_inputs(view) == [("trainee", "users_select", "Uddannelsessøgende", False)]
    assert not chat.texts(LISE), "no usage text: the form opened"
    view = await slack_open_by_button(chat, LISE, "Ny klinisk kontrakt")
    assert await slack_submit(chat, LISE, view, trainee=LISE) == {
        "response_action": "errors",
        "errors": {"trainee": YOURSELF},
    }
    body = signing.view_submission_body(
        LISE, view, {"trainee": {"trainee": {"type": "users_select", "selected_user": MADS}}}
    )
    for _ in range(2):
        assert (await chat.bot.post(body, content_type="application/x-www-form-urlencoded")).status_code == 200
    await chat.expect(LISE, STARTED)
    await chat.expect(MADS, INTRO)
    await chat.settle()
    assert await clinical_contracts(chat) == 1


async def test_teams_the_card_starts_the_contract_with_the_picked_trainee(teams_chat: TeamsChat) -> None:
    chat = teams_chat
    card_id, card = await teams_open_by_button(chat, LISE, "Ny klinisk kontrakt")
    assert list(teams_inputs(card)) == ["trainee"]
    answered = await teams_submit(chat, card_id, card, LISE)
    assert teams_error(answered, "trainee") == "Udfyld dette felt."
    answered = await teams_submit(chat, card_id, card, LISE, trainee=aad(chat, LISE))
    assert teams_error(answered, "trainee") == YOURSELF
    first = await teams_submit(chat, card_id, card, LISE, trainee=aad(chat, MADS))
    again = await teams_submit(chat, card_id, card, LISE, trainee=aad(chat, MADS))
    assert "✓ Sendt" in card_text(first) and "✓ Sendt" in card_text(again)
    await chat.expect(LISE, STARTED)
    await chat.expect(MADS, INTRO)
    await chat.settle()
    assert await clinical_contracts(chat) == 1
    # `klinisk` alone reads as the command in Teams' personal chat now: it opens the card too.
    conversation = chat.teams.conversation_of("29:1" + LISE)
    before = len(chat.teams.activities_in(conversation))
    await chat.say(LISE, "klinisk")
    await chat.teams.wait_for(
        lambda fake: any(
            "Klinisk læringskontrakt" in card_text(c)
            for s in fake.activities_in(conversation)[before:]
            if (c := s.activity["attachments"][0]["content"] if s.activity.get("attachments") else None)
        )
    )

"""**Ny kollegakontrakt** opens a form on Slack (a modal) and in Teams (a card): the colleague
picked starts the same invitation as `kollega @kollega`; yourself or nobody is answered at the
field; the same submission twice invites once. `kollega` alone still lists the contracts."""

from __future__ import annotations

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

MADS, ANNA = "UMADS", "UANNA"
INVITED = "Jeg har spurgt Anna, om I skal lave en læringskontrakt sammen"
INVITATION = "*Mads* vil gerne lære sammen med dig i *Lær af en kollega*"
YOURSELF = "Du kan ikke lave en læringskontrakt med dig selv – vælg den kollega, du vil lære sammen med."


async def test_slack_the_button_opens_the_form_and_the_colleague_is_invited(slack_chat: Chat) -> None:
    chat = slack_chat
    view = await slack_open_by_button(chat, MADS, "Ny kollegakontrakt")
    assert view["title"]["text"] == "Ny kollegakontrakt"
    assert slack_inputs(view) == [("colleague", "users_select", "Kollega", False)]
    assert await slack_submit(chat, MADS, view, colleague=None) == {
        "response_action": "errors",
        "errors": {"colleague": "Udfyld dette felt."},
    }
    assert await slack_submit(chat, MADS, view, colleague=MADS) == {
        "response_action": "errors",
        "errors": {"colleague": YOURSELF},
    }
    body = signing.view_submission_body(
        MADS, view, {"colleague": {"colleague": {"type": "users_select", "selected_user": ANNA}}}
    )
    for _ in range(2):  # sent twice: invited once
        assert (await chat.bot.post(body, content_type="application/x-www-form-urlencoded")).status_code == 200
    await chat.expect(MADS, INVITED)
    await chat.expect(ANNA, INVITATION)
    await chat.settle()
    assert chat.count(ANNA, INVITATION) == 1 and chat.count(MADS, INVITED) == 1
    # `kollega` alone lists the contracts, as before: no form opens.
    opened = len(chat.slack.views)
    await chat.command(MADS, "kollega")
    await chat.expect(MADS, "Anna")
    await chat.settle()
    assert len(chat.slack.views) == opened


async def test_teams_the_button_opens_the_card_and_the_picked_colleague_is_invited(teams_chat: TeamsChat) -> None:
    chat = teams_chat
    card_id, card = await teams_open_by_button(chat, MADS, "Ny kollegakontrakt")
    fields = teams_inputs(card)
    assert list(fields) == ["colleague"] and fields["colleague"]["label"] == "Kollega"
    assert fields["colleague"]["choices.data"]["dataset"] == "graph.microsoft.com/users"
    answered = await teams_submit(chat, card_id, card, MADS, colleague=aad(chat, MADS))
    assert teams_error(answered, "colleague") == YOURSELF
    answered = await teams_submit(chat, card_id, card, MADS)
    assert teams_error(answered, "colleague") == "Udfyld dette felt."
    first = await teams_submit(chat, card_id, card, MADS, colleague=aad(chat, ANNA))
    again = await teams_submit(chat, card_id, card, MADS, colleague=aad(chat, ANNA))
    assert "✓ Sendt" in card_text(first) and "✓ Sendt" in card_text(again)
    await chat.expect(MADS, INVITED)
    await chat.expect(ANNA, INVITATION)
    await chat.settle()
    assert chat.count(ANNA, INVITATION) == 1

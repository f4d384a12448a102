"""A form's modal over Socket Mode: the view_submission arrives as an `interactive` envelope,
and what is wrong is answered at the field in the envelope's acknowledgement, as over HTTP."""

from __future__ import annotations

from tests.e2e.form_steps import slack_submit
from tests.e2e.harness import Chat
from tests.e2e.test_socket_mode import bot, slack, socket_slack  # noqa: F401  (the bot over Socket Mode)

LISE, MADS = "ULISE", "UMADS"


async def test_a_modal_over_socket_mode_is_answered_at_the_field_in_the_acknowledgement(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt")
    view = await chat.slack.wait_for(lambda fake: fake.views[-1] if fake.views else None)
    assert view["title"]["text"] == "Ny læringskontrakt"
    assert await slack_submit(chat, LISE, view, employee=LISE, course="ABC Demens") == {
        "response_action": "errors",
        "errors": {"employee": "Du kan ikke lave en læringskontrakt med dig selv – vælg medarbejderen."},
    }
    assert not await slack_submit(chat, LISE, view, employee=MADS, course="ABC Demens")  # the empty ack
    await chat.expect(LISE, "Læringskontrakten om *ABC Demens* er startet med Mads")
    await chat.expect(MADS, "Lise har startet en læringskontrakt med dig om *ABC Demens*")

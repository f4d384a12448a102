"""**Nyt læringsmøde** opens the learning meeting's form: on Slack a modal (the channel a
conversations_select), in Teams a card (the channel one of the team channels the bot knows).
It sets up the same series the typed `møde tirsdag 09:00 @mads hver 3. uge 45 min` sets up,
through the same code; a channel with a series already, a channel the bot does not know, or a
missing time is answered at the field, and a second submission changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.storage.models import MeetingSeries
from tests.e2e.form_steps import (
    aad,
    slack_inputs,
    slack_open_from_reply,
    slack_submit,
    teams_error,
    teams_form_after,
    teams_inputs,
    teams_submit,
)
from tests.e2e.harness import Chat
from tests.e2e.teams_harness import TeamsChat, channel_id
from tests.fakes.teams_api import card_text

CPH = ZoneInfo("Europe/Copenhagen")
LISE, MADS = "ULISE", "UMADS"
TEAM, OTHER = "CTEAM", "COTHER"
NONE_YET = "Kanalen har ingen læringsmøder endnu."
CREATED = "Lise har oprettet en serie af læringsmøder: hver 3. uge, tirsdag kl. 09:00, 45 min. Facilitator: Mads."


def _monday(chat: Chat | TeamsChat) -> None:
    """A Monday morning, so the first Tuesday is tomorrow (its reminder today, after 9)."""
    chat.bot.clock.set(datetime(2027, 1, 4, 10, 0, tzinfo=CPH).astimezone(UTC))


async def series(chat: Chat | TeamsChat) -> list[MeetingSeries]:
    async with chat.bot.runtime.db.transaction() as s:
        return list((await s.exec(select(MeetingSeries).order_by(col(MeetingSeries.id)))).all())


def _same(typed: MeetingSeries, formed: MeetingSeries) -> None:
    fields = ("weekday", "hour", "minute", "interval_weeks", "length_minutes", "first_date", "facilitator_ids")
    assert [getattr(formed, f) for f in fields] == [getattr(typed, f) for f in fields]
    assert (formed.creator_id, formed.status, formed.language) == (typed.creator_id, "active", "da")


async def test_slack_the_form_sets_up_the_same_series_as_the_typed_command(slack_chat: Chat) -> None:
    chat = slack_chat
    chat.person(LISE, "Lise")
    chat.person(MADS, "Mads")
    _monday(chat)
    await chat.post_in_channel(LISE, OTHER, "møde tirsdag 09:00 <@UMADS|mads> hver 3. uge 45 min")
    typed_post = await chat.expect_in_channel(OTHER, CREATED)

    # `møde` alone in a channel without a series answers as before, with the form's button.
    await chat.post_in_channel(LISE, TEAM, "møde")
    view = await slack_open_from_reply(chat, LISE, "Nyt læringsmøde", channel=TEAM)
    assert view["title"]["text"] == "Nyt læringsmøde"
    replies = [chat.slack.shown(c.args.get("text", "")) for c in chat.slack.calls_of("response_url")]
    assert any(NONE_YET in text for text in replies)
    assert slack_inputs(view) == [
        ("channel", "conversations_select", "Kanal", False),
        ("weekday", "static_select", "Ugedag", False),
        ("time", "timepicker", "Klokkeslæt", False),
        ("facilitators", "multi_users_select", "Facilitatorer", True),
        ("every", "static_select", "Hvor ofte", True),
        ("length", "static_select", "Varighed", True),
    ]
    channel = next(b for b in view["blocks"] if b["block_id"] == "channel")["element"]
    assert channel["initial_conversation"] == TEAM and channel["default_to_current_conversation"] is True
    assert channel["filter"]["include"] == ["public", "private"]
    every = next(b for b in view["blocks"] if b["block_id"] == "every")["element"]["options"]
    assert [o["text"]["text"] for o in every[:3]] == ["Hver uge", "Hver anden uge", "Hver 3. uge"]

    # A missing time is answered at the field while the modal stays open.
    assert await slack_submit(chat, LISE, view, channel=TEAM, weekday="tuesday", time=None) == {
        "response_action": "errors",
        "errors": {"time": "Udfyld dette felt."},
    }
    filled = {"channel": TEAM, "weekday": "tuesday", "time": "09:00", "facilitators": MADS}
    assert await slack_submit(chat, LISE, view, **filled, every="3", length="45") is None
    formed_post = await chat.expect_in_channel(TEAM, CREATED)
    assert formed_post == typed_post  # the same announcement, word for word
    await chat.expect_in_channel(TEAM, "Læringsmøde", "Facilitator: *Mads*", "[Jeg har en case]")  # due today
    typed, formed = await series(chat)
    assert (formed.channel, typed.channel) == (TEAM, OTHER)
    _same(typed, formed)

    # The same modal sent again (a retry): nothing changes.
    assert await slack_submit(chat, LISE, view, **filled, every="3", length="45") is None
    await chat.settle()
    assert len(await series(chat)) == 2 and chat.channel_count(TEAM, "har oprettet en serie") == 1

    # A new form for a channel with a series: told in the DM, with the form to open again.
    await chat.command(LISE, "hjælp")
    await chat.settle()  # the help's button, not the one in the channel's answer
    again = await slack_open_from_reply(chat, LISE, "Nyt læringsmøde")
    assert "initial_conversation" not in next(b for b in again["blocks"] if b["block_id"] == "channel")["element"]
    assert await slack_submit(chat, LISE, again, channel=TEAM, weekday="monday", time="13:00") is None
    await chat.expect(
        LISE,
        "Det er ikke sendt endnu:",
        "Kanalen har allerede en serie af læringsmøder (hver 3. uge, tirsdag kl. 09:00, 45 min)",
        "[Nyt læringsmøde]",
    )
    assert len(await series(chat)) == 2

    # The typed shortcuts are as before: `møde` in the channel shows its series.
    await chat.post_in_channel(LISE, TEAM, "møde")
    await chat.settle()
    replies = [chat.slack.shown(c.args.get("text", "")) for c in chat.slack.calls_of("response_url")]
    assert "hver 3. uge, tirsdag kl. 09:00, 45 min. Facilitator: Mads." in replies[-1]


async def test_slack_defaults_are_the_typed_defaults_and_a_bot_is_no_facilitator(slack_chat: Chat) -> None:
    chat = slack_chat
    chat.person(LISE, "Lise")
    chat.slack.add_user("UROBOT", "Robot", is_bot=True)
    _monday(chat)
    await chat.post_in_channel(LISE, TEAM, "møde")
    view = await slack_open_from_reply(chat, LISE, "Nyt læringsmøde", channel=TEAM)
    filled = {"channel": TEAM, "weekday": "thursday", "time": "14:30"}
    assert await slack_submit(chat, LISE, view, **filled, facilitators="UROBOT") is None
    await chat.expect(LISE, "Det er ikke sendt endnu:", "Robot kan ikke være facilitator.")
    assert await series(chat) == []
    # Nobody chosen: the one who sets it up facilitates, every other week, 30 min (as typed).
    view = await slack_open_from_reply(chat, LISE, "Nyt læringsmøde")
    assert await slack_submit(chat, LISE, view, **filled) is None
    await chat.expect_in_channel(
        TEAM, "Lise har oprettet en serie af læringsmøder: hver anden torsdag kl. 14:30, 30 min. Facilitator: Lise."
    )
    [made] = await series(chat)
    assert (made.interval_weeks, made.length_minutes, made.channel) == (2, 30, TEAM)


async def test_teams_the_card_sets_up_the_series_with_the_picked_facilitator(teams_chat: TeamsChat) -> None:
    chat = teams_chat
    _monday(chat)
    await chat.post_in_channel(LISE, OTHER, "møde tirsdag 09:00 <@UMADS|mads> hver 3. uge 45 min")
    typed_post = await chat.expect_in_channel(OTHER, CREATED)

    await chat.post_in_channel(LISE, TEAM, "møde")
    # Teams has no reply only one person sees in a channel: the answer is in Lise's chat.
    await chat.expect(LISE, NONE_YET, "[Nyt læringsmøde]")
    card_id, card = await teams_form_after(chat, LISE, lambda: chat.click(LISE, "Nyt læringsmøde"))
    fields = teams_inputs(card)
    assert [(k, e["type"]) for k, e in fields.items()] == [
        ("channel", "Input.ChoiceSet"),
        ("weekday", "Input.ChoiceSet"),
        ("time", "Input.Time"),
        ("facilitators", "Input.ChoiceSet"),
        ("every", "Input.ChoiceSet"),
        ("length", "Input.ChoiceSet"),
    ]
    # The channel it was opened from, chosen; not the other channel, which has its series.
    assert fields["channel"]["choices"] == [{"title": "#team", "value": channel_id(TEAM)}]
    assert fields["channel"]["value"] == channel_id(TEAM)
    assert fields["facilitators"]["choices.data"]["dataset"] == "graph.microsoft.com/users"
    assert fields["facilitators"]["isMultiSelect"] is True

    answered = await teams_submit(chat, card_id, card, LISE, channel=channel_id(TEAM), weekday="tuesday")
    assert teams_error(answered, "time") == "Udfyld dette felt."
    unknown = "19:unknown@thread.tacv2"  # not a channel the form offered
    answered = await teams_submit(chat, card_id, card, LISE, channel=unknown, weekday="tuesday", time="09:00")
    assert teams_error(answered, "channel") == (
        "Den kanal kender jeg ikke. Tilføj Læringsbot til kanalen, skriv `møde` til mig dér, og tryk *Nyt læringsmøde*."
    )
    assert len(await series(chat)) == 1

    # The picker hands back the facilitator's Azure AD object id, no mention entity.
    filled = {"channel": channel_id(TEAM), "weekday": "tuesday", "time": "09:00", "every": "3", "length": "45"}
    answered = await teams_submit(chat, card_id, card, LISE, **filled, facilitators=aad(chat, MADS))
    assert "✓ Sendt" in card_text(answered)
    assert await chat.expect_in_channel(TEAM, CREATED) == typed_post
    typed, formed = await series(chat)
    assert formed.channel == channel_id(TEAM)
    _same(typed, formed)

    # Sent again: shown as sent, nothing changes.
    answered = await teams_submit(chat, card_id, card, LISE, **filled, facilitators=aad(chat, MADS))
    assert "✓ Sendt" in card_text(answered)
    await chat.settle()
    assert len(await series(chat)) == 2 and chat.channel_count(TEAM, "har oprettet en serie") == 1

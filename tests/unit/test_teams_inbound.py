"""Bot Framework activities as neutral events, and what they tell about conversations and people."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.core.events import ActionIn, CommandIn, Incoming, MessageIn, MessageRef
from bot.core.i18n import Catalog
from bot.flows.router import Router
from bot.teams import inbound

# The real command words and shapes, as the router makes them from the flows.
ROUTER = Router()
CATALOG = Catalog.load(Path(__file__).resolve().parents[2] / "dialogs" / "messages")
COMMANDS = inbound.Commands(shapes=ROUTER.shapes(CATALOG.words), greeting=ROUTER.greeting(CATALOG.words))
BOT = "28:app"
LISE, MADS = "29:lise", "29:mads"
SERVICE = "https://smba.trafficmanager.net/emea/"


def activity(
    text: str = "", *, mentions: Sequence[tuple[str, str]] = (), kind: str = "personal", **fields: Any
) -> dict[str, Any]:
    conversation = {
        "id": "a:1lise" if kind == "personal" else "19:general@thread.tacv2;messageid=17",
        "conversationType": kind,
        "tenantId": "tenant",
    }
    entities: list[dict[str, Any]] = [{"type": "clientInfo", "locale": "da-DK", "timezone": "Europe/Copenhagen"}]
    entities += [
        {"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": id_, "name": name}}
        for id_, name in mentions
    ]
    return {
        "type": "message",
        "id": "1700000000001",
        "channelId": "msteams",
        "serviceUrl": SERVICE,
        "from": {"id": LISE, "name": "Lise", "aadObjectId": "aad-lise"},
        "recipient": {"id": BOT},
        "conversation": conversation,
        "text": text,
        "entities": entities,
        "locale": "da-DK",
        "channelData": {"tenant": {"id": "tenant"}, "team": {"id": "19:team"}} if kind == "channel" else {},
        **fields,
    }


def translate(a: dict[str, Any]) -> Incoming | None:
    kind = inbound.kind(a)
    return inbound.translate(kind, a, COMMANDS) if kind is not None else None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("hjælp", CommandIn),
        ("Help", CommandIn),
        ("/laering hjælp", CommandIn),
        ("sprog en", CommandIn),
        ("Hjælp fra mine kolleger", MessageIn),
        ("hjælp!", MessageIn),
        ("Sprog og kommunikation", MessageIn),
        ("kontrakt ABC Demens", MessageIn),  # no one mentioned: an answer, or nothing to start
        ("Læring om demens", MessageIn),
        ("Mit svar", MessageIn),
    ],
)
def test_in_the_personal_chat_only_a_command_shaped_message_is_a_command(text: str, expected: type) -> None:
    assert type(translate(activity(text))) is expected


def test_a_contract_command_with_mentions() -> None:
    event = translate(activity("kontrakt <at>Mads Hansen</at> ABC Demens 15-01-2027", mentions=[(MADS, "Mads Hansen")]))
    assert event == CommandIn(
        platform="teams", user=LISE, text="kontrakt ABC Demens 15-01-2027", mentions=(MADS,), channel="a:1lise"
    )


def test_in_a_channel_only_messages_to_the_bot_count_and_all_of_them_are_commands() -> None:
    unaddressed = activity("hjælp", kind="channel")
    assert inbound.kind(unaddressed) is None
    addressed = activity(
        "<at>Læringsbot</at> flyv <at>Mads</at>", kind="channel", mentions=[(BOT, "Læringsbot"), (MADS, "Mads")]
    )
    assert inbound.kind(addressed) == "message"
    event = translate(addressed)
    assert isinstance(event, CommandIn) and event.text == "flyv" and event.mentions == (MADS,)


def test_an_answer_keeps_mentions_as_plain_names_and_html_as_text() -> None:
    event = translate(
        activity("<p>Sparring med <at>Anna</at> &amp; Bo</p><p>hver&nbsp;uge</p>", mentions=[("29:anna", "Anna")])
    )
    assert isinstance(event, MessageIn)
    assert event.text == "Sparring med @Anna & Bo\nhver uge"


def test_a_card_press_and_a_submit() -> None:
    press = activity(
        type="invoke",
        name="adaptiveCard/action",
        replyToId="1:7",
        id="f:abc",
        value={
            "action": {"type": "Action.Execute", "verb": "elearning:approve", "data": {"value": "3:1"}},
            "trigger": "manual",
        },
    )
    assert inbound.kind(press) == "action"
    event = translate(press)
    assert event == ActionIn(
        platform="teams",
        user=LISE,
        action="elearning:approve",
        value="3:1",
        message=MessageRef(channel="a:1lise", message_id="1:7"),
        response_url="teams-invoke:teams:a:1lise:f:abc",
    )
    submit = activity(value={"action": "dialog:send", "value": "9"}, replyToId="1:8")
    assert inbound.kind(submit) == "action"
    assert translate(submit) == ActionIn(
        platform="teams",
        user=LISE,
        action="dialog:send",
        value="9",
        message=MessageRef(channel="a:1lise", message_id="1:8"),
    )
    assert inbound.kind(activity(type="invoke", name="task/fetch")) is None


def test_an_install_greets_and_other_activities_are_not_kept() -> None:
    install = activity(type="installationUpdate", action="add")
    assert inbound.kind(install) == "installed"
    event = translate(install)
    assert isinstance(event, CommandIn) and event.text in CATALOG.words("commands.help")
    for other in (
        activity(type="installationUpdate", action="remove"),
        activity(type="typing"),
        activity(type="conversationUpdate", membersAdded=[{"id": BOT}]),
        activity("   "),
        activity(type="messageReaction"),
    ):
        assert inbound.kind(other) is None


def test_dedupe_keys_are_per_conversation_and_activity_and_fit_the_column() -> None:
    assert inbound.dedupe_key(activity()) == "teams:a:1lise:1700000000001"
    long = activity(conversation={"id": "a:" + "x" * 400, "conversationType": "personal"})
    assert len(inbound.dedupe_key(long)) <= 255 and inbound.dedupe_key(long).endswith(":1700000000001")


def test_what_an_activity_tells_about_conversations_and_people() -> None:
    personal = inbound.conversation_of(activity("hej"))
    assert personal == inbound.ConversationFacts(
        conversation_id="a:1lise",
        kind="personal",
        service_url=SERVICE,
        tenant_id="tenant",
        bot_id=BOT,
        user_id=LISE,
        team_id=None,
    )
    channel = inbound.conversation_of(activity("x", kind="channel"))
    assert channel is not None and channel.conversation_id == "19:general@thread.tacv2"
    assert channel.user_id is None and channel.team_id == "19:team"
    people = inbound.users_of(
        activity("<at>Mads</at>", mentions=[(MADS, "Mads"), (BOT, "Læringsbot")], localTimezone=None)
    )
    assert [(p.user_id, p.name, p.locale, p.timezone) for p in people] == [
        (LISE, "Lise", "da-DK", "Europe/Copenhagen"),
        (MADS, "Mads", None, None),
    ]
    added = inbound.users_of(activity(type="conversationUpdate", membersAdded=[{"id": BOT}, {"id": "29:ole"}]))
    assert [p.user_id for p in added] == [LISE, "29:ole"]
    assert inbound.uninstalled(activity(type="installationUpdate", action="remove"))

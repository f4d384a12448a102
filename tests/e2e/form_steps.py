"""Steps for the start forms, as a person takes them: on Slack a modal opened by a button's or
the command's trigger_id and submitted as Slack submits it; in Teams a card posted in the chat
and sent with Action.Execute carrying what a Teams client sends (Azure AD object ids for the
people picked)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tests.e2e.harness import Chat
from tests.e2e.teams_harness import TeamsChat, teams_id
from tests.fakes import slack_signing as signing
from tests.fakes.teams_api import card_of

CARD = "application/vnd.microsoft.card.adaptive"


# ---- Slack ----------------------------------------------------------------------------
async def slack_open_by_button(chat: Chat, user: str, label: str) -> dict[str, Any]:
    """Press a **Ny …** button in the help; the modal Slack opened with the press's trigger_id."""
    await chat.command(user, "hjælp")
    return await slack_open_from_reply(chat, user, label)


async def slack_open_from_reply(chat: Chat, user: str, label: str, channel: str | None = None) -> dict[str, Any]:
    """Press a button of the newest reply only `user` sees (in `channel`, else the DM); the
    modal Slack opened with the press's trigger_id."""

    def button(fake: Any) -> dict[str, Any] | None:
        for call in reversed(fake.calls_of("response_url")):  # the help is a reply only they see
            for block in call.args.get("blocks") or []:
                for element in block.get("elements", []) if block.get("type") == "actions" else []:
                    if element["text"]["text"] == label:
                        found: dict[str, Any] = element | {"block_id": block.get("block_id", "b")}
                        return found
        return None

    element = await chat.slack.wait_for(button)
    before = len(chat.slack.views)
    body = signing.block_actions_body(
        user,
        element["action_id"],
        element.get("value", ""),
        message_ts="1700000000.000100",
        channel_id=channel or "D" + user[1:],
        response_url=chat.slack.response_url(user=user),
        block_id=element["block_id"],
    )
    response = await chat.bot.post(body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.text
    await chat.slack.wait_for(lambda fake: len(fake.views) > before)
    return chat.slack.views[-1]


def slack_fill(view: dict[str, Any], **answers: str | None) -> dict[str, dict[str, dict[str, Any]]]:
    """What Slack sends as the modal's state when these are filled in (None: left empty)."""
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element, answer = block["element"], answers.get(block["block_id"])
        kind = element["type"]
        if kind == "users_select":
            state: dict[str, Any] = {"selected_user": answer}
        elif kind == "multi_users_select":
            state = {"selected_users": answer.split(",") if answer else []}
        elif kind == "datepicker":
            state = {"selected_date": answer}
        elif kind == "timepicker":
            state = {"selected_time": answer}
        elif kind == "conversations_select":
            state = {"selected_conversation": answer}
        elif kind == "static_select":
            option = next((o for o in element["options"] if o["value"] == answer), None)
            state = {"selected_option": option}
        else:
            state = {"value": answer}
        values[block["block_id"]] = {element["action_id"]: {"type": kind, **state}}
    return values


async def slack_submit(chat: Chat, user: str, view: dict[str, Any], **answers: str | None) -> dict[str, Any] | None:
    """Press the modal's submit; the acknowledgement's JSON (None: the empty answer that closes it)."""
    body = signing.view_submission_body(user, view, slack_fill(view, **answers))
    response = await chat.bot.post(body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.text
    return response.json() if response.content else None


def slack_inputs(view: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """Each field as (block id, element type, label, optional)."""
    return [
        (b["block_id"], b["element"]["type"], b["label"]["text"], b["optional"])
        for b in view["blocks"]
        if b["type"] == "input"
    ]


# ---- Teams ----------------------------------------------------------------------------
def aad(chat: TeamsChat, handle: str) -> str:
    return chat.teams.users[teams_id(handle)].aad_object_id


def teams_inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in card["body"] if e["type"].startswith("Input.")}


async def teams_open_by_button(chat: TeamsChat, handle: str, label: str) -> tuple[str, dict[str, Any]]:
    """Press a **Ny …** button in the help; the form's card posted in the chat (its id, the card)."""
    await chat.say(handle, "hjælp")
    await chat.expect(handle, f"[{label}]")
    return await teams_form_after(chat, handle, lambda: chat.click(handle, label))


async def teams_form_after(
    chat: TeamsChat, handle: str, press: Callable[[], Awaitable[object]]
) -> tuple[str, dict[str, Any]]:
    """What `press` does: the form's card posted in the person's chat (its id, the card)."""
    conversation = chat.teams.conversation_of(teams_id(handle))
    before = len(chat.teams.activities_in(conversation))
    await press()

    def posted(_: Any) -> tuple[str, dict[str, Any]] | None:
        for sent in chat.teams.activities_in(conversation)[before:]:
            card = card_of(sent.activity)
            if card and teams_inputs(card):
                return sent.id, card
        return None

    return await chat.teams.wait_for(posted)


async def teams_submit(
    chat: TeamsChat, card_id: str, card: dict[str, Any], handle: str, *, id: str | None = None, **filled: str
) -> dict[str, Any]:
    """Press the card's submit with these inputs filled in: the action's data with the inputs'
    values merged in, as Teams sends it. The card Teams shows from the bot's answer."""
    [action] = card["actions"]
    assert action["type"] == "Action.Execute"
    conversation = chat.teams.conversation_of(teams_id(handle))
    data = {**action["data"], **filled}
    press = chat.teams.press(teams_id(handle), conversation, card_id, action["verb"], data, id=id)
    response = await chat.bot.post(press)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    chat.teams.record_answer(teams_id(handle), answer)
    assert answer["type"] == CARD, answer
    shown: dict[str, Any] = answer["value"]
    return shown


def teams_error(card: dict[str, Any], key: str) -> str | None:
    error: str | None = teams_inputs(card)[key].get("errorMessage")
    return error

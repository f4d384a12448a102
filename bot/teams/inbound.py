"""Bot Framework activities as neutral events, and what they tell about conversations and people.

Commands are the same words as the Slack slash command. In the personal chat
they are written to the bot as they are (`kontrakt @Mads ABC Demens`, `hjælp`,
`sprog en`), and only in a shape an answer to a question would not have, so an
answer that happens to begin with "hjælp" stays an answer. In a channel or a
group chat the bot only hears messages that @mention it, and all of those are
commands. Mentions come from the activity's `mention` entities; the bot's own
is removed.
"""

from __future__ import annotations

import hashlib
import html
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.events import ActionIn, CommandIn, Incoming, MessageIn, MessageRef
from bot.core.forms import SUBMIT
from bot.core.ids import record_id
from bot.core.messages import is_pick
from bot.teams import forms
from bot.untrusted import as_dict as _dict, as_id, as_list, as_text

PLATFORM = "teams"
INVOKE_PREFIX = "teams-invoke:"
CARD_ACTION = "adaptiveCard/action"
_AT = re.compile(r"<at\b[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p>|</div>\s*<div>", re.IGNORECASE)
_TAG = re.compile(r"</?(p|div|span|b|strong|i|em|u|s|strike|pre|code|blockquote|ul|ol|li)\b[^>]*>", re.IGNORECASE)
# The Slack habit "/laering kontrakt …" works too (an answer never starts with it).
_PREFIXES = ("/laering", "/læring")


@dataclass(frozen=True)
class Commands:
    """What reads as a command in the personal chat: each command word (every language) with
    the shape of a command of that word (the words, whether someone else is @mentioned). The
    router makes it from the flows' own commands; this module knows no flow's words."""

    shapes: Mapping[str, Callable[[list[str], bool], bool]]
    # The word a person who adds the app is answered with (the help).
    greeting: str


@dataclass(frozen=True)
class Mention:
    id: str
    name: str
    text: str


@dataclass(frozen=True)
class ConversationFacts:
    conversation_id: str
    kind: str  # personal | channel | groupChat
    service_url: str
    tenant_id: str | None
    bot_id: str | None
    user_id: str | None
    team_id: str | None


@dataclass(frozen=True)
class UserFacts:
    user_id: str
    name: str | None
    aad_object_id: str | None
    tenant_id: str | None
    service_url: str | None
    locale: str | None = None
    timezone: str | None = None


# ---- reading an activity -------------------------------------------------
# Every value is read by its type (bot/untrusted.py): an id that is a number, a list where an
# object belongs, reads as missing, so nothing here raises on what a sender made up.
MAX_NAME = 200  # TeamsUser.name
MAX_URL = 500  # TeamsConversation.service_url


def _short(value: Any, limit: int) -> str | None:
    """Text kept for display (a name, a locale): cut to what the column holds."""
    return value[:limit] if isinstance(value, str) and value else None


def conversation_kind(activity: dict[str, Any]) -> str:
    conversation = _dict(activity.get("conversation"))
    kind = conversation.get("conversationType")
    if isinstance(kind, str) and kind in ("personal", "channel", "groupChat"):
        return kind
    return "groupChat" if conversation.get("isGroup") else "personal"


def tenant_of(activity: dict[str, Any]) -> str | None:
    return as_id(_dict(activity.get("conversation")).get("tenantId"), 64) or as_id(
        _dict(_dict(activity.get("channelData")).get("tenant")).get("id"), 64
    )


def bot_id(activity: dict[str, Any]) -> str | None:
    return as_id(_dict(activity.get("recipient")).get("id"))


def sender(activity: dict[str, Any]) -> str | None:
    return as_id(_dict(activity.get("from")).get("id"))


def _conversation_id(activity: dict[str, Any]) -> str | None:
    return as_id(_dict(activity.get("conversation")).get("id"))


def mentions(activity: dict[str, Any]) -> list[Mention]:
    found = []
    for entity in map(_dict, as_list(activity.get("entities"))):
        mentioned = _dict(entity.get("mentioned"))
        if entity.get("type") == "mention" and (user := as_id(mentioned.get("id"))) is not None:
            found.append(Mention(user, as_text(mentioned.get("name")), as_text(entity.get("text"))))
    return found


def _client_info(activity: dict[str, Any]) -> dict[str, Any]:
    for entity in map(_dict, as_list(activity.get("entities"))):
        if entity.get("type") == "clientInfo":
            return entity
    return {}


def dedupe_key(activity: dict[str, Any]) -> str:
    """Teams redelivers an activity with the same id when the bot was slow (~15 s)."""
    conversation = as_text(_dict(activity.get("conversation")).get("id"))
    if len(conversation) > 160:
        conversation = hashlib.sha256(conversation.encode()).hexdigest()[:32]
    # Without an id nothing tells a redelivery apart: keep each one rather than drop any.
    return f"teams:{conversation}:{as_id(activity.get('id')) or 'no-id-' + uuid.uuid4().hex}"[:255]


def kind(activity: dict[str, Any]) -> str | None:
    """What the inbox keeps: a person's message, a card press, a personal install; else None.

    Only from a person: an activity without a sender the bot can name, or from a bot, is
    nothing to keep.
    """
    type_ = activity.get("type")
    if (
        sender(activity) is None
        or _conversation_id(activity) is None
        or _dict(activity.get("from")).get("role") == "bot"
    ):
        return None
    if type_ == "invoke":
        return "action" if activity.get("name") == CARD_ACTION else None
    if type_ == "message":
        if _dict(activity.get("value")).get("action"):
            return "action"  # Action.Submit
        if not as_text(activity.get("text")).strip():
            return None
        if conversation_kind(activity) != "personal" and not _bot_mentioned(activity) and thread_of(activity) is None:
            return None
        return "message"
    if type_ == "installationUpdate" and activity.get("action") == "add" and conversation_kind(activity) == "personal":
        return "installed"
    return None


def thread_of(activity: dict[str, Any]) -> str | None:
    """The root message id when the activity is a reply in a channel thread (a learning meeting's).

    A channel post's conversation id names its own thread (`…;messageid=<its id>`); a reply's
    names the root, and the reply carries `replyToId`. The bot hears replies without an @mention
    through the app's resource-specific consent `ChannelMessage.Read.Group`
    (manifest/teams/manifest.json).
    """
    if conversation_kind(activity) != "channel" or activity.get("type") != "message" or not activity.get("replyToId"):
        return None
    root = (_conversation_id(activity) or "").partition(";messageid=")[2]
    return root if root and root != activity.get("id") else None


def _bot_mentioned(activity: dict[str, Any]) -> bool:
    me = bot_id(activity)
    return any(m.id == me for m in mentions(activity))


# ---- text ------------------------------------------------------------------
def readable(text: str) -> str:
    """Teams' message text (light HTML, `<at>` tags) as what the person wrote."""
    if "<" in text or "&" in text:
        text = _AT.sub(lambda m: "@" + m.group(1), text)
        text = _BREAK.sub("\n", text)
        text = html.unescape(_TAG.sub("", text))
    return text.replace("\xa0", " ").strip()


def _without_mentions(text: str, found: list[Mention]) -> str:
    for mention in found:
        if mention.text:
            text = text.replace(mention.text, " ")
    return readable(_AT.sub(" ", text))


def channel_name(activity: dict[str, Any]) -> str | None:
    """A team channel's name, when Teams puts it in `channelData.channel.name`."""
    if conversation_kind(activity) != "channel":
        return None
    return _short(_dict(_dict(activity.get("channelData")).get("channel")).get("name"), 255)


# ---- translation -----------------------------------------------------------
def translate(kind_: str, activity: dict[str, Any], commands: Commands) -> Incoming | None:
    user = sender(activity)
    conversation = _conversation_id(activity)
    if user is None or conversation is None:
        return None
    if kind_ == "installed":
        # A person who adds the app is greeted with what it can do.
        return CommandIn(platform=PLATFORM, user=user, text=commands.greeting, channel=conversation)
    if kind_ == "action":
        return _action(activity, user, conversation)
    if kind_ != "message":
        return None
    me = bot_id(activity)
    found = mentions(activity)
    others = tuple(m.id for m in found if m.id != me)
    in_channel = conversation_kind(activity) != "personal"
    if conversation_kind(activity) == "channel":
        conversation = conversation.split(";messageid=", 1)[0]  # the channel, not the thread
        if (root := thread_of(activity)) is not None:
            text = _AT.sub(
                lambda m: " " if any(f.id == me and f.text == m.group(0) for f in found) else "@" + m.group(1),
                as_text(activity.get("text")),
            )
            return MessageIn(
                platform=PLATFORM,
                user=user,
                text=readable(text),
                channel=conversation,
                mentions=others,
                thread=root,
                channel_name=channel_name(activity),
            )
    words = _without_mentions(as_text(activity.get("text")), found).split()
    prefixed = bool(words) and words[0].casefold() in _PREFIXES
    if prefixed:
        words = words[1:]
    command = CommandIn(
        platform=PLATFORM,
        user=user,
        text=" ".join(words),
        mentions=others,
        channel=conversation,
        in_channel=in_channel,
        channel_name=channel_name(activity),
    )
    if conversation_kind(activity) != "personal" or prefixed or _looks_like_command(words, others, commands):
        return command
    return MessageIn(
        platform=PLATFORM,
        user=user,
        text=readable(as_text(activity.get("text"))),
        channel=conversation,
        mentions=others,
    )


def _looks_like_command(words: list[str], others: tuple[str, ...], commands: Commands) -> bool:
    shape = commands.shapes.get(words[0].casefold()) if words else None
    return shape is not None and shape(words, bool(others))


def _action(activity: dict[str, Any], user: str, conversation: str | None) -> ActionIn | None:
    value = _dict(activity.get("value"))
    if activity.get("type") == "invoke":
        action = _dict(value.get("action"))
        verb, data = action.get("verb"), action.get("data")
        response_url: str | None = INVOKE_PREFIX + dedupe_key(activity)
    else:  # Action.Submit: the card's data arrives as the message's value
        verb, data, response_url = value.get("action"), value, None
    if not isinstance(verb, str) or not verb:
        return None
    carried = data.get("value", "") if isinstance(data, dict) else data
    if carried is None:
        carried = ""
    if not isinstance(carried, str):  # our cards carry text; a list or a number is no press of ours
        return None
    posted = data.get("posted") if isinstance(data, dict) else None
    fields, picked = _form_fields(activity, verb, data)
    ref = None
    if conversation and (pressed := as_id(activity.get("replyToId"))) is not None:
        # Our id of the post; one that cannot be an id (a huge number, true) is no post of ours.
        ref = MessageRef(
            channel=conversation, message_id=pressed, posted_id=record_id(posted) if isinstance(posted, int) else None
        )
    return ActionIn(
        platform=PLATFORM,
        user=user,
        action=verb,
        value=carried,
        message=ref,
        response_url=response_url,
        fields=fields,
        mentions=picked,
    )


def _form_fields(activity: dict[str, Any], verb: str, data: Any) -> tuple[dict[str, str], tuple[str, ...]]:
    """A form's submission (bot/teams/forms.py): its inputs by field, the people fields as the
    Teams users the picks were found to be, and those users."""
    if (verb != SUBMIT and not is_pick(verb)) or not isinstance(data, dict):  # a form, or a dialog picker's pick
        return {}, ()
    people = {k.strip() for k in data.get("people", "").split(",")} if isinstance(data.get("people"), str) else set()
    fields: dict[str, str] = {}
    picked: list[str] = []
    for key, raw in data.items():
        if key in ("value", "posted", "people") or not isinstance(key, str) or not isinstance(raw, str):
            continue
        if key in people:
            fields[key], ids = forms.resolved(activity, raw)
            picked += ids
        else:
            fields[key] = raw
    return fields, tuple(dict.fromkeys(picked))


# ---- what an activity tells about conversations and people -------------------
def conversation_of(activity: dict[str, Any]) -> ConversationFacts | None:
    conversation_id = _conversation_id(activity)
    service_url = as_id(activity.get("serviceUrl"), MAX_URL)
    if conversation_id is None or service_url is None:
        return None
    kind_ = conversation_kind(activity)
    if kind_ == "channel":
        conversation_id = conversation_id.split(";messageid=", 1)[0]  # the channel, not the thread
    user = sender(activity)
    return ConversationFacts(
        conversation_id=conversation_id,
        kind=kind_,
        service_url=service_url,
        tenant_id=tenant_of(activity),
        bot_id=bot_id(activity),
        user_id=user if kind_ == "personal" and user != bot_id(activity) else None,
        team_id=as_id(_dict(_dict(activity.get("channelData")).get("team")).get("id")),
    )


def users_of(activity: dict[str, Any]) -> list[UserFacts]:
    """The sender (with locale and time zone), the people mentioned, and members added."""
    me, tenant = bot_id(activity), tenant_of(activity)
    service_url = as_id(activity.get("serviceUrl"), MAX_URL)
    found: list[UserFacts] = []
    person = _dict(activity.get("from"))
    if (user := sender(activity)) is not None and user != me and person.get("role") != "bot":
        info = _client_info(activity)
        found.append(
            UserFacts(
                user_id=user,
                name=_short(person.get("name"), MAX_NAME),
                aad_object_id=as_id(person.get("aadObjectId"), 64),
                tenant_id=tenant,
                service_url=service_url,
                locale=as_id(activity.get("locale"), 32) or as_id(info.get("locale"), 32),
                timezone=as_id(activity.get("localTimezone"), 64) or as_id(info.get("timezone"), 64),
            )
        )
    for mention in mentions(activity):
        if mention.id != me:
            found.append(
                UserFacts(
                    user_id=mention.id,
                    name=_short(mention.name, MAX_NAME),
                    aad_object_id=None,
                    tenant_id=tenant,
                    service_url=service_url,
                )
            )
    for member in map(_dict, as_list(activity.get("membersAdded"))):
        if (added := as_id(member.get("id"))) is not None and added != me:
            found.append(
                UserFacts(
                    user_id=added,
                    name=_short(member.get("name"), MAX_NAME),
                    aad_object_id=as_id(member.get("aadObjectId"), 64),
                    tenant_id=tenant,
                    service_url=service_url,
                )
            )
    return found


def uninstalled(activity: dict[str, Any]) -> bool:
    """The person removed the app from their personal scope: no more 1:1 messages."""
    return (
        activity.get("type") == "installationUpdate"
        and activity.get("action") == "remove"
        and conversation_kind(activity) == "personal"
    )

"""Neutral inbound events: what a platform adapter hands to the flows."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from bot.core.mentions import unmarked


def _unmark(event: object) -> None:
    """Whatever a person or a platform wrote cannot carry a mention marker (bot/core/mentions.py)."""
    for f in fields(event):  # type: ignore[arg-type]
        value = getattr(event, f.name)
        if isinstance(value, str):
            object.__setattr__(event, f.name, unmarked(value))
        elif isinstance(value, dict):
            object.__setattr__(event, f.name, {k: unmarked(v) if isinstance(v, str) else v for k, v in value.items()})


@dataclass(frozen=True)
class Profile:
    """What a platform tells about a person."""

    external_id: str
    display_name: str
    locale: str | None = None
    timezone: str | None = None
    is_bot: bool = False
    team_id: str | None = None
    # False when the bot cannot write to the person (Teams: the app is not installed for them).
    reachable: bool = True

    def __post_init__(self) -> None:
        _unmark(self)


@dataclass(frozen=True)
class MessageRef:
    """Where a posted message lives on its platform (channel and message id)."""

    channel: str
    message_id: str
    # Our outbox id of the post, when the platform hands it back with the press: it finds
    # the post even before the platform's message id has been recorded.
    posted_id: int | None = None


@dataclass(frozen=True)
class CommandIn:
    """`/laering …`: the words with mentions taken out, and who was mentioned."""

    platform: str
    user: str
    text: str
    mentions: tuple[str, ...] = ()
    channel: str | None = None
    response_url: str | None = None
    # Written in a channel or group conversation (not the DM): where learning meetings live.
    in_channel: bool = False
    # Where the platform can open a form in answer, for a few seconds (Slack's trigger_id).
    trigger: str | None = None
    # The channel's name, when the platform tells it ("sygeplejen"): it names a meeting series.
    channel_name: str | None = None

    def __post_init__(self) -> None:
        _unmark(self)


@dataclass(frozen=True)
class MessageIn:
    """Something a person wrote to the bot in the direct message."""

    platform: str
    user: str
    text: str
    channel: str | None = None
    # People the message @mentions (platform ids), e.g. naming a leader in an answer.
    mentions: tuple[str, ...] = ()
    # A reply in a channel thread: the thread's root message id (Slack `thread_ts`, Teams root
    # activity id). None for the DM.
    thread: str | None = None
    # The channel's name, when the platform tells it (Teams' channelData.channel.name).
    channel_name: str | None = None

    def __post_init__(self) -> None:
        _unmark(self)


@dataclass(frozen=True)
class ActionIn:
    """A button press: `action` is "<flow>:<step>", `value` what the button carried."""

    platform: str
    user: str
    action: str
    value: str
    message: MessageRef | None = None
    response_url: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # Where the platform can open a form in answer, for a few seconds (Slack's trigger_id).
    trigger: str | None = None
    # A form's submission (bot/core/forms.py): what was filled in, by field, and the people
    # picked in it (platform ids), whom the inbox reads like mentions.
    fields: dict[str, str] = field(default_factory=dict)
    mentions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _unmark(self)


Incoming = CommandIn | MessageIn | ActionIn

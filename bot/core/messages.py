"""Neutral messages: what the core says, before any platform renders it.

Bot texts (from the catalogues) may use `*bold*`; text a person wrote is kept
apart (`Quote`, `Columns`) so that renderers escape it and never turn it into
markup or a live mention.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from bot.core.mentions import plain_json


class Heading(BaseModel):
    kind: Literal["heading"] = "heading"
    text: str


class Paragraph(BaseModel):
    kind: Literal["paragraph"] = "paragraph"
    text: str


class Note(BaseModel):
    """Small print: progress, dates, who decided (Slack's "context" block)."""

    kind: Literal["context"] = "context"
    text: str


class Quote(BaseModel):
    """A person's own words under a label."""

    kind: Literal["quote"] = "quote"
    label: str
    text: str


class Column(BaseModel):
    label: str
    text: str


class Columns(BaseModel):
    """Answers side by side (leader | employee), under a title."""

    kind: Literal["columns"] = "columns"
    title: str
    columns: list[Column]


class Divider(BaseModel):
    kind: Literal["divider"] = "divider"


class Button(BaseModel):
    label: str
    # "<flow>:<step>", e.g. "elearning:approve"; one listener per platform serves all.
    action: str
    value: str = ""
    style: Literal["primary", "danger"] | None = None


class Buttons(BaseModel):
    kind: Literal["buttons"] = "buttons"
    buttons: list[Button]


class Link(BaseModel):
    """A link the person opens (a file's download link): a button on Teams, a link on Slack."""

    kind: Literal["link"] = "link"
    label: str
    url: str


# The action every dialog picker is sent back as (bot/flows/router.py).
PICK = "dialog:pick"


def is_pick(action: str) -> bool:
    """A picker's pick (`<part>:pick`): a dialog question's, or a flow's own (a meeting's
    action owner); its person is looked up like a mention before the press is stored."""
    return action.partition(":")[2] == "pick"


class Picker(BaseModel):
    """A picker beside typing, for a question that asks for a person or a date: a people
    picker or a calendar. What is picked comes back like a press of a button: `action` with
    `value`, and the pick (a person's platform id, a date as YYYY-MM-DD) in the event's
    `fields["pick"]`."""

    kind: Literal["picker"] = "picker"
    picks: Literal["person", "date"]
    # The picker's placeholder ("Vælg en person"), and the button that sends the pick where
    # the platform needs one (Teams).
    label: str
    submit: str
    action: str = PICK
    value: str = ""


Block = Annotated[
    Heading | Paragraph | Note | Quote | Columns | Divider | Buttons | Link | Picker, Field(discriminator="kind")
]


class Message(BaseModel):
    """`text` is the notification/fallback text; `blocks` the body."""

    text: str
    blocks: list[Block] = []

    @property
    def has_buttons(self) -> bool:
        return any(isinstance(b, (Buttons, Picker)) for b in self.blocks)


def paragraph(text: str) -> Message:
    """A message of one paragraph."""
    return Message(text=text, blocks=[Paragraph(text=text)])


def with_buttons(text: str, *buttons: Button, blocks: list[Block] | None = None) -> Message:
    """A message (one paragraph, or `blocks`) with buttons under it."""
    return Message(text=text, blocks=[*(blocks or [Paragraph(text=text)]), Buttons(buttons=list(buttons))])


def without_mentions(message: Message) -> Message:
    """The message with each person it names as their plain name (bot/core/mentions.py): for a
    document, or anything else that notifies nobody."""
    return Message.model_validate(plain_json(message.model_dump()))

"""Neutral messages as Block Kit, within Slack's published limits.

Every text is escaped (`&`, `<`, `>`), so nothing a person wrote becomes a
link, a mention or a broadcast. A person the bot names (bot/core/mentions.py) is
a live mention `<@U…>` in mrkdwn and in the notification text, where they are in
the reader's workspace; their plain name elsewhere (headers, buttons, placeholders).
Long texts are split over several blocks; a message with more than 50 blocks
becomes several messages, the buttons last.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.core import mentions
from bot.core.messages import Buttons, Columns, Divider, Heading, Link, Message, Note, Paragraph, Picker, Quote
from bot.core.text import neutralise_broadcasts

SECTION_MAX = 3000
FIELD_MAX = 2000
CONTEXT_MAX = 2000
HEADER_MAX = 150
BUTTON_MAX = 75
PLACEHOLDER_MAX = 150
BLOCK_ID_MAX = 255
FIELDS_MAX = 10
BLOCKS_MAX = 50
TEXT_MAX = 3000  # the notification text; Slack truncates far later, people read far less


PLATFORM = "slack"
_USER_ID = re.compile(r"[UW][A-Z0-9]{1,40}")
Escape = Callable[[str], str]


def _escaped(text: str) -> str:
    text = neutralise_broadcasts(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape(text: str) -> str:
    """Text for mrkdwn with nothing live in it: each person the text names is their name."""
    return mentions.replace(text, lambda who: _escaped(who.name), _escaped)


def escape_for(team: str | None) -> Escape:
    """`escape` for a reader in workspace `team`: a person of that workspace is a live mention."""

    def person(who: mentions.Mentioned) -> str:
        same = not team or not who.team or who.team == team
        if who.platform == PLATFORM and same and _USER_ID.fullmatch(who.id):
            return f"<@{who.id}>"
        return _escaped(who.name)

    return lambda text: mentions.replace(text, person, _escaped)


def _chunks(text: str, limit: int, escape: Escape = escape) -> list[str]:
    """Escaped pieces of `text`, each at most `limit` long, split at line or word ends
    (never inside a person's mention)."""
    pieces: list[str] = []
    rest = text
    while rest:
        cut = len(rest)
        while len(escape(rest[:cut])) > limit:
            cut = max(1, min(cut - 1, int(cut * limit / len(escape(rest[:cut])))))
        cut = mentions.safe_cut(rest, cut) or cut
        if cut < len(rest):
            for sep in ("\n", " "):
                at = rest.rfind(sep, 0, cut)
                if at > cut // 2:
                    cut = at + 1
                    break
        pieces.append(escape(rest[:cut]))
        rest = rest[cut:]
    return pieces or [""]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _quoted(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.split("\n"))


def _quote_blocks(label: str, text: str, escape_label: Escape = escape) -> list[dict[str, Any]]:
    """A bold label (the bot's: it may name someone) over a person's words (never live)."""
    head = f"*{escape_label(label)}*\n"
    # Quoting turns n characters into at most 2n + 1 (every line gets its ">").
    pieces = _chunks(text, (SECTION_MAX - len(head) - 1) // 2)
    blocks = [_section(_quoted(p)) for p in pieces]
    blocks[0]["text"]["text"] = head + blocks[0]["text"]["text"]
    return blocks


def _columns(block: Columns, live: Escape) -> list[dict[str, Any]]:
    title = f"*{live(block.title)}*"
    fields = [f"*{live(c.label)}*\n{escape(c.text)}" for c in block.columns]
    if len(fields) <= FIELDS_MAX and all(len(f) <= FIELD_MAX for f in fields):
        return [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": title},
                "fields": [{"type": "mrkdwn", "text": f} for f in fields],
            }
        ]
    # Too long to stand side by side: one after the other.
    blocks = [_section(title)]
    for column in block.columns:
        blocks += _quote_blocks(column.label, column.text, live)
    return blocks


def _buttons(block: Buttons, posted: int | None = None, row: int = 0) -> dict[str, Any]:
    seen: dict[str, int] = {}
    elements = []
    for button in block.buttons:
        # action_id must be unique in its block; "#n" is dropped again on the way in.
        n = seen.get(button.action, 0)
        seen[button.action] = n + 1
        element: dict[str, Any] = {
            "type": "button",
            "text": {"type": "plain_text", "text": mentions.plain_text(button.label)[:BUTTON_MAX], "emoji": True},
            "action_id": button.action if n == 0 else f"{button.action}#{n}",
            "value": button.value[:2000],
        }
        if button.style:
            element["style"] = button.style
        elements.append(element)
    actions: dict[str, Any] = {"type": "actions", "elements": elements[:25]}
    if posted is not None:
        # Block ids are unique in a message or view: the second row of buttons is "posted:<id>:1".
        actions["block_id"] = f"posted:{posted}" + (f":{row}" if row else "")
    return actions


def _picker(block: Picker, posted: int | None = None, row: int = 0) -> dict[str, Any]:
    """A people picker or a calendar in an `actions` block. Neither element carries a value: the
    block id does, after "|" (`posted:<id>[:<row>]|<value>`), and Slack sends it with the pick."""
    text = " ".join(mentions.plain_text(block.label).split())[:PLACEHOLDER_MAX] or " "
    element: dict[str, Any] = {
        "type": "users_select" if block.picks == "person" else "datepicker",
        "action_id": block.action,
        "placeholder": {"type": "plain_text", "text": text, "emoji": True},
    }
    where = f"posted:{posted}" + (f":{row}" if row else "") if posted is not None else "pick"
    return {"type": "actions", "block_id": f"{where}|{block.value}"[:BLOCK_ID_MAX], "elements": [element]}


def blocks_for(message: Message, posted: int | None = None, team: str | None = None) -> list[dict[str, Any]]:
    """The blocks, read in workspace `team` (the people of that workspace it names are live)."""
    live = escape_for(team)
    blocks: list[dict[str, Any]] = []
    rows = 0
    for block in message.blocks:
        if isinstance(block, Heading):
            text = mentions.plain_text(block.text)
            blocks.append(
                {
                    "type": "header",
                    "text": {
                        "type": "plain_text",
                        "emoji": True,
                        "text": text[: HEADER_MAX - 1] + "…" if len(text) > HEADER_MAX else text,
                    },
                }
            )
        elif isinstance(block, Paragraph):
            blocks += [_section(p) for p in _chunks(block.text, SECTION_MAX, live)]
        elif isinstance(block, Note):
            blocks.append(
                {"type": "context", "elements": [{"type": "mrkdwn", "text": _chunks(block.text, CONTEXT_MAX, live)[0]}]}
            )
        elif isinstance(block, Quote):
            blocks += _quote_blocks(block.label, block.text, live)
        elif isinstance(block, Columns):
            blocks += _columns(block, live)
        elif isinstance(block, Divider):
            blocks.append({"type": "divider"})
        elif isinstance(block, Buttons):
            blocks.append(_buttons(block, posted, rows))
            rows += 1
        elif isinstance(block, Picker):
            blocks.append(_picker(block, posted, rows))
            rows += 1
        elif isinstance(block, Link):
            blocks.append(_section(f"<{block.url}|{escape(block.label)}>"))
    return blocks


def render(message: Message, posted: int | None = None, team: str | None = None) -> list[dict[str, Any]]:
    """chat.postMessage arguments (without `channel`): one dict per message to send.

    `posted` is our outbox id of the post; its buttons carry it back when pressed. `team` is
    the reader's workspace: the people of it the message names are mentioned.
    """
    blocks = blocks_for(message, posted, team)
    text = _chunks(message.text, TEXT_MAX, escape_for(team))[0]
    parts = [blocks[i : i + BLOCKS_MAX] for i in range(0, len(blocks), BLOCKS_MAX)] or [[]]
    return [{"text": text, "blocks": part} for part in parts]


HOME_BLOCKS_MAX = 100


def home_view(message: Message, posted: int | None = None, team: str | None = None) -> dict[str, Any]:
    """views.publish's `view`: the message as the person's App Home tab (up to 100 blocks)."""
    return {"type": "home", "blocks": blocks_for(message, posted, team)[:HOME_BLOCKS_MAX]}

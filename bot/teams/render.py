"""Neutral messages as Adaptive Cards 1.5 (the highest version Teams renders).

Every text goes into a `RichTextBlock` of `TextRun`s, which Adaptive Cards never
read as Markdown: what a person wrote stays their literal words (no links, no
emphasis, no `<at>` mentions). The bot's own `*bold*` and `` `code` `` become
bold and monospace runs.

A line of the bot's that names a person on Teams (bot/core/mentions.py) is a
`TextBlock` instead, the one element that renders `<at>Name</at>` as a live
mention: its Markdown escaped but for the bot's bold, and the mention entity in
the card's `msteams.entities`. Anywhere else (headings, labels, buttons, the
notification and fallback text) a person is their plain name.

Buttons become `Action.Execute` (Universal Actions): Teams sends the press as an
`adaptiveCard/action` invoke with `verb` = the button's "<flow>:<step>" and
`data.value`, and shows the card the bot answers with at once. A message too
big for one card (Teams takes about 28 KB) becomes several, the buttons last.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.core import mentions
from bot.core.document import md_line
from bot.core.messages import Buttons, Columns, Divider, Heading, Link, Message, Note, Paragraph, Picker, Quote
from bot.core.text import neutralise_broadcasts

CARD_VERSION = "1.5"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_MAX_BYTES = 24_000  # Teams' limit is about 28 KB for the whole activity
SIDE_BY_SIDE_MAX = 3  # more columns than this are too narrow to read: stacked instead
SUMMARY_MAX = 200
_MARKUP = re.compile(r"(\*[^*\n]+\*|`[^`\n]+`)")
_STYLES = {"primary": "positive", "danger": "destructive"}
# Teams' people picker: the client searches the organisation's directory (as bot/teams/forms.py).
PEOPLE_QUERY = {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}
PICK_INPUT = "pick"  # the input's id: the pick arrives as `data.pick`


def _size(element: dict[str, Any]) -> int:
    return len(json.dumps(element, ensure_ascii=False).encode())


PLATFORM = "teams"
_AT_NAME = re.compile(r"[<>\n]")


def _run(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextRun", "text": mentions.plain_text(text), **style}


def _live(who: mentions.Mentioned) -> bool:
    return who.platform == PLATFORM and bool(who.id)


def _at(who: mentions.Mentioned) -> str:
    return f"<at>{_AT_NAME.sub('', who.name).strip() or who.id}</at>"


def _entity(who: mentions.Mentioned) -> dict[str, Any]:
    return {"type": "mention", "text": _at(who), "mentioned": {"id": who.id, "name": who.name}}


def _names_live(text: str) -> bool:
    return mentions.has_mentions(text) and any(
        isinstance(p, mentions.Mentioned) and _live(p) for p in mentions.pieces(text)
    )


def _mention_block(line: str, **style: Any) -> dict[str, Any]:
    """A line of the bot's that names someone on Teams: Markdown, escaped but for its bold and
    the `<at>` mentions."""
    text = ""
    for piece in _MARKUP.split(line):
        if not piece:
            continue
        bold = len(piece) > 2 and piece[0] == piece[-1] == "*"
        if bold or (len(piece) > 2 and piece[0] == piece[-1] == "`"):
            piece = piece[1:-1]
        words = mentions.replace(
            piece,
            lambda who: _at(who) if _live(who) else md_line(who.name, start=False),
            lambda s: md_line(neutralise_broadcasts(s), start=False),
        )
        text += f"**{words}**" if bold else words
    text = md_line(text, escape=False)  # a list or heading marker that begins the line
    block: dict[str, Any] = {"type": "TextBlock", "text": text, "wrap": True}
    block |= {k: v for k, v in style.items() if k in ("isSubtle", "size", "weight")}
    return block


def _bot_runs(line: str, **style: Any) -> list[dict[str, Any]]:
    """A line of the bot's own text: `*bold*` and `` `code` `` as styled runs, the rest literal."""
    runs = []
    for piece in _MARKUP.split(line):
        if not piece:
            continue
        if len(piece) > 2 and piece[0] == piece[-1] == "*":
            runs.append(_run(piece[1:-1], weight="Bolder", **style))
        elif len(piece) > 2 and piece[0] == piece[-1] == "`":
            runs.append(_run(piece[1:-1], fontType="Monospace", **style))
        else:
            runs.append(_run(piece, **style))
    return runs or [_run(" ", **style)]


def _lines(text: str, *, markup: bool, **style: Any) -> list[dict[str, Any]]:
    """One RichTextBlock per line, so line breaks survive every Teams client."""
    blocks: list[dict[str, Any]] = []
    gap = False
    for line in text.split("\n"):
        if not line.strip():
            gap = True
            continue
        block: dict[str, Any]
        if markup and _names_live(line):
            block = _mention_block(line, **style)
        else:
            runs = _bot_runs(line, **style) if markup else [_run(line, **style)]
            block = {"type": "RichTextBlock", "inlines": runs}
        if blocks:
            block["spacing"] = "Small" if gap else "None"
        blocks.append(block)
        gap = False
    return blocks or [{"type": "RichTextBlock", "inlines": [_run(" ", **style)]}]


def _labelled(label: str, text: str) -> list[dict[str, Any]]:
    """A bold label over a person's own words (never read as markup)."""
    return [{"type": "RichTextBlock", "inlines": [_run(label, weight="Bolder")]}, *_lines(text, markup=False)]


def _quote(block: Quote) -> dict[str, Any]:
    return {"type": "Container", "style": "emphasis", "items": _labelled(block.label, block.text)}


def _columns(block: Columns) -> list[dict[str, Any]]:
    title = {"type": "RichTextBlock", "inlines": [_run(block.title, weight="Bolder")]}
    side_by_side = {
        "type": "ColumnSet",
        "columns": [{"type": "Column", "width": "stretch", "items": _labelled(c.label, c.text)} for c in block.columns],
    }
    if len(block.columns) <= SIDE_BY_SIDE_MAX and _size(side_by_side) <= CARD_MAX_BYTES // 2:
        return [title, side_by_side]
    return [
        title,
        *({"type": "Container", "style": "emphasis", "items": _labelled(c.label, c.text)} for c in block.columns),
    ]


def _actions(block: Buttons, posted: int | None = None) -> dict[str, Any]:
    actions = []
    for button in block.buttons:
        data: dict[str, Any] = {"value": button.value}
        if posted is not None:
            data["posted"] = posted
        action: dict[str, Any] = {
            "type": "Action.Execute",
            "title": mentions.plain_text(button.label),
            "verb": button.action,
            "data": data,
        }
        if button.style:
            action["style"] = _STYLES[button.style]
        actions.append(action)
    return {"type": "ActionSet", "actions": actions}


def _picker(block: Picker, posted: int | None = None) -> list[dict[str, Any]]:
    """The people picker (its pick an AAD object id, bot/teams/picks.py) or `Input.Date`, and
    the button that sends it as a press of `block.action`."""
    field: dict[str, Any] = {"id": PICK_INPUT, "placeholder": mentions.plain_text(block.label)}
    data: dict[str, Any] = {"value": block.value}
    if block.picks == "person":
        field |= {"type": "Input.ChoiceSet", "choices": [], "choices.data": dict(PEOPLE_QUERY)}
        data["people"] = PICK_INPUT
    else:
        field["type"] = "Input.Date"
    if posted is not None:
        data["posted"] = posted
    send = {"type": "Action.Execute", "title": mentions.plain_text(block.submit), "verb": block.action, "data": data}
    return [field, {"type": "ActionSet", "actions": [send]}]


def elements(message: Message, posted: int | None = None) -> list[dict[str, Any]]:
    """The card body for a message, element by element."""
    body: list[dict[str, Any]] = []
    separator = False
    for block in message.blocks:
        if isinstance(block, Divider):
            separator = True
            continue
        new: list[dict[str, Any]]
        if isinstance(block, Heading):
            new = [{"type": "RichTextBlock", "inlines": [_run(block.text, size="Large", weight="Bolder")]}]
        elif isinstance(block, Paragraph):
            new = _lines(block.text, markup=True)
        elif isinstance(block, Note):
            new = _lines(block.text, markup=True, isSubtle=True, size="Small")
        elif isinstance(block, Quote):
            new = [_quote(block)]
        elif isinstance(block, Columns):
            new = _columns(block)
        elif isinstance(block, Buttons):
            new = [_actions(block, posted)]
        elif isinstance(block, Picker):
            new = _picker(block, posted)
        elif isinstance(block, Link):
            new = [
                {
                    "type": "ActionSet",
                    "actions": [
                        {"type": "Action.OpenUrl", "title": mentions.plain_text(block.label), "url": block.url}
                    ],
                }
            ]
        else:  # pragma: no cover - every block kind is handled above
            continue
        if separator and new:
            new[0] = {**new[0], "separator": True, "spacing": "Medium"}
            separator = False
        body += new
    return body


def card(body: list[dict[str, Any]], fallback: str, entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    msteams: dict[str, Any] = {"width": "Full"}
    if entities:
        msteams["entities"] = entities
    return {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "body": body,
        "fallbackText": fallback,
        "msteams": msteams,
    }


def _entities(message: Message, body: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The mention entities of the people a card's body mentions, once each."""
    shown = json.dumps(body, ensure_ascii=False)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for block in message.blocks:
        for text in (getattr(block, "text", None), getattr(block, "label", None)):
            if not isinstance(text, str) or not mentions.has_mentions(text):
                continue
            for who in mentions.pieces(text):
                if isinstance(who, mentions.Mentioned) and _live(who):
                    entity = _entity(who)
                    if json.dumps(entity["text"], ensure_ascii=False)[1:-1] in shown:
                        found.setdefault((entity["text"], who.id), entity)
    return list(found.values())


def cards(message: Message, posted: int | None = None) -> list[dict[str, Any]]:
    """One card per activity to send; only a very long message needs more than one."""
    fallback = mentions.plain_text(message.text)[:SUMMARY_MAX]
    parts: list[list[dict[str, Any]]] = [[]]
    used = _size(card([], fallback))
    for element in elements(message, posted):
        size = _size(element)
        if parts[-1] and used + size > CARD_MAX_BYTES:
            parts.append([])
            used = _size(card([], fallback))
        parts[-1].append(element)
        used += size
    return [card(part, fallback, _entities(message, part)) for part in parts]


def activities(message: Message, posted: int | None = None) -> list[dict[str, Any]]:
    """Bot Framework message activities for a message, the buttons in the last.

    `posted` is our outbox id of the post; its buttons carry it back when pressed.
    """
    summary = mentions.plain_text(message.text)[:SUMMARY_MAX]
    return [
        {"type": "message", "summary": summary, "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": content}]}
        for content in cards(message, posted)
    ]


def plain_text(message: Message) -> str:
    """The message as plain words, for Teams' one-line answers to a press."""

    def unmarked(text: str) -> str:
        return _MARKUP.sub(lambda m: m.group(0)[1:-1], mentions.plain(text))

    texts = []
    for block in message.blocks:
        if isinstance(block, (Paragraph, Note, Heading)):
            texts.append(unmarked(block.text))
        elif isinstance(block, Quote):
            texts.append(f"{mentions.plain(block.label)}: {mentions.plain(block.text)}")
    return neutralise_broadcasts(" ".join(" ".join(texts).split()) or unmarked(message.text))

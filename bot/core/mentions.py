"""People the bot names: a marker in the neutral text that each platform renders.

A flow names a person by putting `mention(...)` in a text. The marker holds what a
renderer needs: the person's platform, workspace (team) and platform id, and their
name as it is today. Slack renders it as `<@U…>`, Teams as `<at>Name</at>` with a
mention entity, the playground as the name; anywhere a platform cannot show a live
mention (a button, a heading, a notification), and for a reader on another platform
or workspace, it is the plain name.

The marker is delimited by characters of Unicode's private use area, which no text
of the bot's uses and which every text from outside loses on the way in (`unmarked`),
so nobody can forge a mention through a topic or an answer the bot later repeats.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.core.text import neutralise_broadcasts

START, SEP, END = "\ue000", "\ue001", "\ue002"
_DELIMITERS = re.compile(f"[{START}{SEP}{END}]")
_MARKER = re.compile(
    f"{START}([^{START}{SEP}{END}]*){SEP}([^{START}{SEP}{END}]*){SEP}([^{START}{SEP}{END}]*){SEP}([^{START}{SEP}{END}]*){END}"
)


@dataclass(frozen=True)
class Mentioned:
    """A person named in a text, as its marker holds them."""

    platform: str
    team: str
    id: str
    name: str


def unmarked(text: str) -> str:
    """Text from outside (a person's words, a platform's name for someone) without the
    characters a marker is made of."""
    return _DELIMITERS.sub("", text) if text and not text.isascii() else text


def mention(platform: str, team: str | None, external_id: str, name: str) -> str:
    """The marker for a person (their name plain where it cannot be a live mention)."""
    name = unmarked(name)
    if not external_id or not platform:
        return name
    return f"{START}{unmarked(platform)}{SEP}{unmarked(team or '')}{SEP}{unmarked(external_id)}{SEP}{name}{END}"


def has_mentions(text: str) -> bool:
    return START in text


_NOT = f"[^{START}{SEP}{END}]*"
# What is left of a marker cut in two: its head is dropped, its tail is the name.
_BROKEN_HEAD = re.compile(f"{START}[^{END}]*$")
_BROKEN_TAIL = re.compile(f"^(?:{_NOT}{SEP})+({_NOT}){END}")


def _text(piece: str) -> str:
    if piece.isascii():
        return piece
    return unmarked(_BROKEN_TAIL.sub(r"\1", _BROKEN_HEAD.sub("", piece)))


def pieces(text: str) -> list[str | Mentioned]:
    """The text as plain pieces and the people it names, in order. What is left of a marker
    cut in two (a text cut through one) is its name, or nothing."""
    found: list[str | Mentioned] = []
    at = 0
    for match in _MARKER.finditer(text):
        if match.start() > at:
            found.append(_text(text[at : match.start()]))
        found.append(Mentioned(*match.groups()))
        at = match.end()
    if at < len(text):
        found.append(_text(text[at:]))
    return [p for p in found if p != ""]


def replace(text: str, rendered: Callable[[Mentioned], str], plain: Callable[[str], str] = lambda s: s) -> str:
    """The text with each person as `rendered` shows them, and the rest as `plain` does."""
    if START not in text and END not in text:
        return plain(unmarked(text))
    return "".join(rendered(p) if isinstance(p, Mentioned) else plain(p) for p in pieces(text))


def plain(text: str) -> str:
    """The text with each person as their name: for places that cannot carry a mention."""
    return replace(text, lambda who: who.name)


def plain_text(text: str) -> str:
    """A field that can carry no markup (a button's label, a Teams TextRun, a summary): each
    person as their name, and no broadcast live (`neutralise_broadcasts`)."""
    return neutralise_broadcasts(plain(text))


def plain_json(value: Any) -> Any:
    """`plain` in every string of a JSON-like value (a message or a form as a dict)."""
    if isinstance(value, str):
        return plain(value) if START in value else value
    if isinstance(value, dict):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_json(v) for v in value]
    return value


def safe_cut(text: str, cut: int) -> int:
    """`cut`, or the start of the marker it would fall inside of, so no marker is split."""
    start = text.rfind(START, 0, cut)
    if start < 0:
        return cut
    end = text.find(END, start)
    return start if end >= cut else cut

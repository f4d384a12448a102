"""What arrives from outside: JSON read with limits, and values read by their type.

A request body is parsed only after it is authenticated (Slack's signature,
Teams' token), and then only as far as is sane: at most MAX_DEPTH levels of
nesting; text that is text (no lone surrogates, which UTF-8 cannot carry, and
no NUL, which PostgreSQL cannot keep); numbers that are numbers (no NaN or
Infinity, which JSON has not and PostgreSQL refuses). Anything else is
`Malformed`, which the endpoints answer with 400.

After that, a payload is still only what its sender says: the readers below
take a value only if it has the type the bot reads it as, so an odd value
reads as a missing one instead of raising.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

MAX_DEPTH = 64  # Slack's and Teams' payloads nest about 10 levels; cards a few more
MAX_ID_LENGTH = 255  # the id columns (Person.external_id, TeamsUser.user_id, …)


class Malformed(ValueError):
    """A body that is not the JSON (or the text) it claims to be."""


def _no_constant(name: str) -> Any:
    raise Malformed(f"{name} is not a JSON number")


def _finite(written: str) -> float:
    value = float(written)
    if not math.isfinite(value):  # 1e400
        raise Malformed(f"{written[:20]} is out of range")
    return value


_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)
# Decoded UTF-8 holds no surrogates, and JSON no raw NUL: only these escapes can make them.
_ESCAPES = re.compile(r"\\u(?:[dD][89a-fA-F]|0000)")


def loads(raw: bytes | bytearray | str) -> Any:
    """JSON from UTF-8 bytes (or text), within the limits above; else `Malformed`.

    Bytes are UTF-8 or malformed (json.loads alone would take UTF-16 and UTF-32 too)."""
    try:
        text = raw if isinstance(raw, str) else bytes(raw).decode("utf-8")
        value = _DECODER.decode(text)
    except RecursionError as exc:  # deeper than the parser goes: deeper than MAX_DEPTH too
        raise Malformed("nested too deeply") from exc
    except ValueError as exc:  # not UTF-8, not JSON, or an integer of more than 4,300 digits
        raise Malformed(str(exc)[:200]) from exc
    # Each level of nesting takes a bracket, and only an escape makes a lone surrogate or a
    # NUL: most bodies need no walk at all (the text is searched at C speed).
    deep = text.count("{") + text.count("[") > MAX_DEPTH
    texts = _ESCAPES.search(text) is not None
    if deep or texts:
        check(value, texts=texts)
    return value


def check_text(value: str) -> None:
    if "\x00" in value:
        raise Malformed("text holds NUL")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise Malformed("text holds a lone surrogate") from exc


def check(value: Any, max_depth: int = MAX_DEPTH, *, texts: bool = True) -> None:
    """Every object and list at most `max_depth` deep; with `texts`, every string (key or
    value) text. Level by level, so a deep value costs no recursion."""
    level, depth = [value], 0
    while level:
        depth += 1
        found: list[Any] = []
        children: Iterable[Any]
        for item in level:
            if isinstance(item, dict):
                if texts:
                    for key in item:
                        check_text(key)
                children = item.values()
            elif isinstance(item, list):
                children = item
            else:
                continue
            found += [child for child in children if isinstance(child, (dict, list, str))]
        if texts:
            for child in found:
                if isinstance(child, str):
                    check_text(child)
        level = [child for child in found if not isinstance(child, str)]
        if level and depth >= max_depth:
            raise Malformed(f"nested deeper than {max_depth} levels")


# ---- reading values by type ------------------------------------------------------
def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_text(value: Any) -> str:
    """A string as it is; anything else as no text."""
    return value if isinstance(value, str) else ""


def as_id(value: Any, max_length: int = MAX_ID_LENGTH) -> str | None:
    """A platform's id (a user, a channel, a message ts): a non-empty string that fits the columns."""
    return value if isinstance(value, str) and value and len(value) <= max_length else None

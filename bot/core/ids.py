"""Numbers people write and buttons carry, read as our record ids.

A contract number in a command, a session id in a button's value, the post id in a
Slack block id: whatever arrives is text from outside. It names a record only if it
is plain ASCII digits that fit the integer columns (PostgreSQL's `integer`, the
smaller of the two databases); anything else names no record, like an unknown id,
and never reaches the database.
"""

from __future__ import annotations

import re

MAX_ID = 2**31 - 1  # PostgreSQL `integer`; SQLite's is wider
_DIGITS = re.compile(r"[0-9]{1,10}")


def number(value: object, low: int = 0, high: int = MAX_ID) -> int | None:
    """`value` as a whole number from `low` to `high`, or None.

    Text counts only as ASCII digits ("²" and "١٢" are digits to `str.isdigit`, and
    int("²") raises); an int counts as itself, a bool does not.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        found = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value):
        found = int(value)
    else:
        return None
    return found if low <= found <= high else None


def record_id(value: object) -> int | None:
    """`value` as the id of a record (1 … MAX_ID), or None when it cannot name one."""
    return number(value, 1, MAX_ID)

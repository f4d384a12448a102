"""Rules for text that people write."""

from __future__ import annotations

import re

MAX_ANSWER = 4000

# "@channel" and friends must never reach anyone as a live mention. A word
# joiner after the @ keeps the text readable and the mention dead.
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def neutralise_broadcasts(text: str) -> str:
    return _BROADCAST.sub(lambda m: "@\u2060" + m.group(1), text)


# A keyboard without Danish letters: æ, ø and å as two letters or as the plain one
# ("møde", "moede", "mode"), é as e ("eksportér", "eksporter").
_PLAIN_LETTERS = {"æ": ("ae", "a"), "ø": ("oe", "o"), "å": ("aa", "a"), "é": ("e",)}


def plain_spellings(word: str) -> set[str]:
    """The word, and the spellings it has without Danish letters (lower case in, lower case out)."""
    spellings = {word}
    for letter, plain in _PLAIN_LETTERS.items():
        if letter in word:
            spellings |= {s.replace(letter, p) for s in spellings for p in plain}
    return spellings


def capitalised(text: str) -> str:
    """The text with a capital first letter, where a word written as in a sentence
    ("leder") begins a label; the rest as it is ("leder/sponsor" → "Leder/sponsor")."""
    return text[:1].upper() + text[1:]

"""Rules for text that people write."""

from __future__ import annotations

import re

MAX_ANSWER = 4000

# "@channel" and friends must never reach anyone as a live mention. A word
# joiner after the @ keeps the text readable and the mention dead.
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def neutralise_broadcasts(text: str) -> str:
    return _BROADCAST.sub(lambda m: "@\u2060" + m.group(1), text)

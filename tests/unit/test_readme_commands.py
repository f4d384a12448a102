"""The README and the English help name the same command words."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.core.i18n import Catalog
from bot.flows.router import Router

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = ROOT / "dialogs" / "messages"
# "`/laering møde tirsdag 09:00` (English `meeting`)" or "`/laering mappe` (`folder`)".
_NAMED = re.compile(r"`/laering ([^`\s]+)[^`]*` \((?:English )?`([^`\s]+)")


def _english_help() -> str:
    """Every help line of the English catalogue, as a Slack user reads them."""
    found: list[str] = []

    def walk(data: object, path: str) -> None:
        if isinstance(data, dict):
            for key, value in data.items():
                walk(value, f"{path}.{key}" if path else str(key))
        elif (
            isinstance(data, str)
            and not path.startswith("teams.")
            and (path.endswith(".help") or path.startswith("help."))
        ):
            found.append(data.replace("{cmd}", "/laering "))

    walk(yaml.safe_load((MESSAGES / "en.yaml").read_text(encoding="utf-8")), "")
    return "\n".join(found)


def test_the_readme_names_the_english_words_the_english_help_shows() -> None:
    catalog = Catalog.load(MESSAGES)
    commands = [c.words for part in Router().parts for c in part.commands]
    english = _english_help()
    named = _NAMED.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(named) >= 8, named  # the README's (English `…`) notes are found
    for danish, word in named:
        key = next(k for k in commands if danish.casefold() in catalog.words(k))
        assert word in catalog.words(key), f"README: {danish} is {word} in English, the catalogue says otherwise"
        shown = re.search(rf"`/laering {re.escape(word)}[\s`]", english)
        assert shown, f"README: {danish} is {word} in English, the English help does not say"

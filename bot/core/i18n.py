"""Message catalogues (`dialogs/messages/<language>.yaml`) and localised dates.

Texts are nested YAML; a key is its dotted path (`help.title`). Placeholders
are `str.format` fields, and both catalogues must use the same ones; `{name:gen}`
is a name's genitive in the text's language ("Mads'", "Annas").
"""

from __future__ import annotations

import functools
import string
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from babel.dates import format_date, format_datetime

from bot.core.dialogs import LANGUAGES, DialogError
from bot.core.mentions import plain
from bot.core.text import plain_spellings
from bot.core.yamlfile import read_yaml

_BABEL_LOCALE = {"da": "da_DK", "en": "en_GB"}


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def genitive(name: str, language: str) -> str:
    """A name's genitive: Danish "Annas", but "Mads'", "Lars'", "Max'", "Liz'" after an s, x
    or z; English "Anna's", "Mads's"."""
    # A mention marker (bot/core/mentions.py) ends in a delimiter: the genitive follows it.
    last = plain(name)[-1:].casefold()
    if language == "da":
        return f"{name}'" if last in ("s", "x", "z") else f"{name}s"
    return f"{name}'s"


class _Texts(string.Formatter):
    """`str.format` with one spec of its own: `{name:gen}` is the name's genitive."""

    def __init__(self, language: str) -> None:
        self.language = language

    def format_field(self, value: Any, format_spec: str) -> Any:
        if format_spec == "gen":
            return genitive(str(value), self.language)
        return super().format_field(value, format_spec)


_FORMATTERS = {language: _Texts(language) for language in LANGUAGES}


class Catalog:
    def __init__(self, texts: dict[str, dict[str, object]]) -> None:
        self._texts = texts

    @classmethod
    def load(cls, directory: Path) -> Catalog:
        texts: dict[str, dict[str, object]] = {}
        for language in LANGUAGES:
            path = directory / f"{language}.yaml"
            try:
                texts[language] = _flatten(read_yaml(path) or {})
            except (OSError, yaml.YAMLError) as exc:
                raise DialogError(f"messages/{language}.yaml: {exc}") from exc
        catalog = cls(texts)
        catalog.validate()
        return catalog

    def validate(self) -> None:
        da, en = self._texts["da"], self._texts["en"]
        problems = [f"messages: {k!r} is missing in en.yaml" for k in da.keys() - en.keys()]
        problems += [f"messages: {k!r} is missing in da.yaml" for k in en.keys() - da.keys()]
        for key in da.keys() & en.keys():
            a, b = da[key], en[key]
            if isinstance(a, str) and isinstance(b, str) and _fields(a) != _fields(b):
                problems.append(f"messages: {key!r} has other placeholders in da and en")
        if problems:
            raise DialogError("\n".join(sorted(problems)))

    def text(self, language: str, key: str, **values: object) -> str:
        template = self._texts[language][key]
        assert isinstance(template, str), key
        if not values:
            return template
        # str.format is the fast path of every message; the formatter only where a genitive is asked.
        return _FORMATTERS[language].format(template, **values) if ":gen}" in template else template.format(**values)

    def has(self, language: str, key: str) -> bool:
        return isinstance(self._texts[language].get(key), str)

    def words(self, key: str) -> set[str]:
        """A list of words a person writes (a command, `tilbage`, a weekday), in every
        language (people mix them), each also as written without æ, ø, å and é: `mode`
        and `moede` are `møde`. The catalogue lists only the real spellings."""
        found: set[str] = set()
        for language in LANGUAGES:
            value = self._texts[language].get(key, [])
            assert isinstance(value, list), key
            for word in value:
                found |= plain_spellings(word.casefold())
        return found


def format_day(moment: datetime, language: str, tz: str) -> str:
    return _day(moment.astimezone(ZoneInfo(tz)).date(), language)


@functools.lru_cache(maxsize=4096)
def _day(day: date, language: str) -> str:
    # Babel takes 30 µs a date; an overview page names thirty, mostly the same few days.
    return format_date(day, "long", locale=_BABEL_LOCALE[language])


def format_moment(moment: datetime, language: str, tz: str) -> str:
    local = moment.astimezone(ZoneInfo(tz))
    return format_datetime(
        local, "d. MMMM y 'kl.' HH:mm" if language == "da" else "d MMMM y, HH:mm", locale=_BABEL_LOCALE[language]
    )

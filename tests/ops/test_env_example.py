"""`.env.example` lists every setting, with its meaning and its default, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import Settings
from tests.ops.support import ROOT

LINE = re.compile(r"^#([A-Z][A-Z0-9_]*)=(.*)$")
# Defaults that depend on where the bot is installed: the example says so in words instead.
WHERE_INSTALLED = {"dialogs_dir"}


def entries() -> list[tuple[str, str, list[str]]]:
    """(setting, value shown, the comment lines right above it)."""
    found: list[tuple[str, str, list[str]]] = []
    comment: list[str] = []
    after_variable = False
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        match = LINE.match(line)
        if match:  # variables in a row share the comment above them (VISIT_*_END)
            found.append((match[1].lower(), match[2], comment))
            after_variable = True
        elif line.startswith("# ") and not line.startswith("# ----"):
            comment = [line] if after_variable else [*comment, line]
            after_variable = False
        else:
            comment, after_variable = [], False
    return found


def test_every_setting_is_in_the_example_once_and_nothing_else() -> None:
    names = [name for name, _, _ in entries()]
    assert len(names) == len(set(names)), "a setting is listed twice"
    assert sorted(names) == sorted(Settings.model_fields), "Settings and .env.example disagree"


def test_each_setting_is_explained() -> None:
    for name, _, comment in entries():
        assert comment, f"{name.upper()} has no comment above it saying what it means"


def test_the_values_shown_are_the_defaults() -> None:
    for name, value, _ in entries():
        default = Settings.model_fields[name].default
        if not value:
            assert default is None or name in WHERE_INSTALLED or default == "", (
                f"{name.upper()}: the example shows no value, but the default is {default!r}"
            )
            continue
        # The value as Settings reads it from the environment equals the default.
        parsed = getattr(Settings(_env_file=None, **{name: value}), name)  # type: ignore[arg-type]
        assert parsed == default, f"{name.upper()}={value} reads as {parsed!r}; the default is {default!r}"


def test_the_example_is_a_file_systemd_and_compose_read() -> None:
    """Only comments, blank lines and commented assignments: an EnvironmentFile= as it is."""
    for line in Path(ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        assert not line.strip() or line.startswith("#"), line

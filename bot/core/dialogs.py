"""Dialogs as data: the files in `dialogs/`, loaded and validated.

A dialog names its roles, its phases (each an ordered list of question keys)
and its questions (a title and, per role, the text that role is asked).
A role that has no text for a question is not asked it.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.core.yamlfile import read_yaml

LANGUAGES = ("da", "en")
# Data files in dialogs/ with a model of their own (bot/core/agenda.py: the meeting's agenda).
NOT_DIALOGS = frozenset({"meeting.yaml"})


class Texts(BaseModel):
    """One text in every language."""

    model_config = ConfigDict(extra="forbid")
    da: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def __call__(self, language: str) -> str:
        text: str = getattr(self, language)
        return text


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Texts
    ask: dict[str, Texts]
    optional: bool = False
    max_length: int = Field(default=4000, ge=1, le=4000)
    # What the answer must be: free text, a date, how often (a number of days), or a person (a mention).
    kind: Literal["text", "date", "frequency", "person"] = "text"
    # For a date: the question whose date this one must come after.
    after: str | None = None


class Phase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Texts
    questions: list[str] = Field(min_length=1)
    # Without a summary the answers are sent as soon as the last one is given.
    summary: bool = True


class Dialog(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Texts
    default_title: Texts | None = None
    roles: dict[str, Texts] = Field(min_length=1)
    phases: dict[str, Phase] = Field(min_length=1)
    questions: dict[str, Question] = Field(min_length=1)

    @field_validator("questions")
    @classmethod
    def _keys(cls, value: dict[str, Question]) -> dict[str, Question]:
        for key in value:
            if not key.replace("_", "").isalnum():
                raise ValueError(f"question key {key!r} may hold only letters, digits and _")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Dialog:
        problems: list[str] = []
        for phase_key, phase in self.phases.items():
            if len(set(phase.questions)) != len(phase.questions):
                problems.append(f"phase {phase_key!r} lists a question twice")
            for key in phase.questions:
                if key not in self.questions:
                    problems.append(f"phase {phase_key!r} names unknown question {key!r}")
        used = {key for phase in self.phases.values() for key in phase.questions}
        for key, question in self.questions.items():
            if key not in used:
                problems.append(f"question {key!r} is in no phase")
            if question.after is not None and (
                question.kind != "date" or self.questions.get(question.after, question).kind != "date"
            ):
                problems.append(f"question {key!r}: 'after' must name another date question")
            for role, texts in question.ask.items():
                if role not in self.roles:
                    problems.append(f"question {key!r} asks unknown role {role!r}")
                da, en = _fields(texts.da), _fields(texts.en)
                if da != en:
                    problems.append(
                        f"question {key!r} ({role}): placeholders differ between da {sorted(da)} and en {sorted(en)}"
                    )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def script(self, phase: str, role: str) -> list[str]:
        """The question keys `role` answers in `phase`, in order."""
        return [k for k in self.phases[phase].questions if role in self.questions[k].ask]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class DialogError(Exception):
    """A dialog file is not valid; the message says where and why."""


def load_dialog(path: Path) -> Dialog:
    try:
        data = read_yaml(path)
    except yaml.YAMLError as exc:
        raise DialogError(f"{path.name}: not valid YAML: {exc}") from exc
    try:
        dialog = Dialog.model_validate(data)
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()]
        raise DialogError(f"{path.name}:\n" + "\n".join(lines)) from exc
    if dialog.id != path.stem:
        raise DialogError(f"{path.name}: id {dialog.id!r} must match the file name {path.stem!r}")
    return dialog


def load_dialogs(directory: Path) -> dict[str, Dialog]:
    """Every `*.yaml` dialog in `directory` (the `messages/` catalogues excluded)."""
    dialogs: dict[str, Dialog] = {}
    errors: list[str] = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name in NOT_DIALOGS:
            continue
        try:
            dialog = load_dialog(path)
        except DialogError as exc:
            errors.append(str(exc))
            continue
        dialogs[dialog.id] = dialog
    if errors:
        raise DialogError("\n".join(errors))
    return dialogs

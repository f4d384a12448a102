"""The learning meeting's agenda as data (`dialogs/meeting.yaml`), loaded and validated."""

from __future__ import annotations

import string
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.core.dialogs import DialogError, Texts
from bot.core.yamlfile import read_yaml

STEP_KEYS = ("case", "questions", "learning", "round", "actions")
FILE = "meeting.yaml"
# What a step's text may name.
_PLACEHOLDERS = {"case_person"}


class Questions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    da: list[str] = Field(min_length=1)
    en: list[str] = Field(min_length=1)

    def __call__(self, language: str) -> list[str]:
        questions: list[str] = getattr(self, language)
        return questions


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str
    minutes: int | None = Field(default=None, ge=1, le=60)
    title: Texts
    text: Texts
    # The text when more than one person brings a case ("Mads og Anna præsenterer hver …"); `text` if none.
    text_many: Texts | None = None
    questions: Questions | None = None

    def body(self, language: str, *, many: bool = False) -> str:
        texts = self.text_many if many and self.text_many is not None else self.text
        return texts(language)


class Agenda(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^meeting$")
    name: Texts
    steps: list[Step]

    @model_validator(mode="after")
    def _consistent(self) -> Agenda:
        problems = []
        keys = tuple(step.key for step in self.steps)
        if keys != STEP_KEYS:
            problems.append(f"steps must be {', '.join(STEP_KEYS)} in that order, not {', '.join(keys)}")
        if sum(step.minutes is None for step in self.steps) != 1:
            problems.append("exactly one step (the round) has no minutes: it takes the rest of the meeting")
        for step in self.steps:
            for language in ("da", "en"):
                for many in (False, True):
                    names = {n for _, n, _, _ in string.Formatter().parse(step.body(language, many=many)) if n}
                    if names - _PLACEHOLDERS:
                        problems.append(
                            f"step {step.key!r} ({language}{', text_many' if many else ''}): unknown placeholder "
                            f"{sorted(names - _PLACEHOLDERS)}; only {{case_person}} is known"
                        )
            if step.questions is not None and len(step.questions.da) != len(step.questions.en):
                problems.append(
                    f"step {step.key!r}: {len(step.questions.da)} Danish and {len(step.questions.en)} English questions"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def fixed_minutes(self) -> list[int | None]:
        return [step.minutes for step in self.steps]


def load_agenda(directory: Path) -> Agenda:
    path = directory / FILE
    try:
        data = read_yaml(path)
    except (OSError, yaml.YAMLError) as exc:
        raise DialogError(f"{FILE}: {exc}") from exc
    try:
        return Agenda.model_validate(data)
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()]
        raise DialogError(f"{FILE}:\n" + "\n".join(lines)) from exc

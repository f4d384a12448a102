"""Education plans as data (`dialogs/plans/*.yaml`), loaded and validated.

A plan is what a clinical learning contract (PRODUCT.md §2.2) chooses its
competencies from: its name and its competencies, each with an optional
description. Plans are Danish documents first; the English text is optional
and falls back to the Danish.

    id: ssa_praktik2
    name: {da: Social- og sundhedsassistent – praktikperiode 2, en: …}
    competencies:
      - id: medicin
        name: {da: Medicinhåndtering, en: Medicine management}
        description: {da: Doserer og administrerer medicin …}

With no plan files at all, a competency is written as free text.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.core.dialogs import DialogError
from bot.core.yamlfile import read_yaml

DIRECTORY = "plans"
# A competency is a button: its label must fit Slack's 75 characters with a "✓ " in front.
NAME_MAX = 70
# One actions block (Slack: 25 elements), with room for the free-text and agree buttons.
COMPETENCIES_MAX = 20


class PlanText(BaseModel):
    """A text in Danish and, optionally, English."""

    model_config = ConfigDict(extra="forbid")
    da: str = Field(min_length=1)
    en: str | None = Field(default=None, min_length=1)

    def __call__(self, language: str) -> str:
        return (self.en if language == "en" else None) or self.da


class Competency(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)
    name: PlanText
    description: PlanText | None = None

    @model_validator(mode="after")
    def _fits_a_button(self) -> Competency:
        for language, text in (("da", self.name.da), ("en", self.name.en)):
            if text is not None and len(text) > NAME_MAX:
                raise ValueError(
                    f"competency {self.id!r}: the {language} name is {len(text)} characters; "
                    f"at most {NAME_MAX} fit on a button"
                )
        return self


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)
    name: PlanText
    competencies: list[Competency] = Field(min_length=1, max_length=COMPETENCIES_MAX)

    @model_validator(mode="after")
    def _unique(self) -> Plan:
        listed = Counter(c.id for c in self.competencies)
        twice = sorted(i for i, n in listed.items() if n > 1)
        if twice:
            raise ValueError(f"competency ids must be unique; listed twice: {', '.join(twice)}")
        for language, text in (("da", self.name.da), ("en", self.name.en)):
            if text is not None and len(text) > NAME_MAX:
                raise ValueError(
                    f"the plan's {language} name is {len(text)} characters; at most {NAME_MAX} fit on a button"
                )
        return self

    def competency(self, competency_id: str) -> Competency | None:
        return next((c for c in self.competencies if c.id == competency_id), None)


def load_plan(path: Path) -> Plan:
    where = f"{DIRECTORY}/{path.name}"
    try:
        data = read_yaml(path)
    except yaml.YAMLError as exc:
        raise DialogError(f"{where}: not valid YAML: {exc}") from exc
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()]
        raise DialogError(f"{where}:\n" + "\n".join(lines)) from exc
    if plan.id != path.stem:
        raise DialogError(f"{where}: id {plan.id!r} must match the file name {path.stem!r}")
    return plan


def load_plans(dialogs_dir: Path) -> dict[str, Plan]:
    """Every plan in `dialogs_dir/plans/`, by id; none when the folder is missing or empty."""
    plans: dict[str, Plan] = {}
    errors: list[str] = []
    for path in sorted((dialogs_dir / DIRECTORY).glob("*.yaml")):
        try:
            plan = load_plan(path)
        except DialogError as exc:
            errors.append(str(exc))
            continue
        plans[plan.id] = plan
    if errors:
        raise DialogError("\n".join(errors))
    return plans

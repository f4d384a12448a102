"""Forms: what a flow asks in one go (a start), described once and rendered by each platform.

A flow declares a `Form`: its fields (a person, several people, a date, a time, a choice,
a text, a channel), which are required, and their limits. Its texts are in the catalogue under
`forms.<name>.…` (`title`, `submit`, `new`, and per field `label`, `hint`), where a learning
consultant can relabel them. `view` turns a form into a `FormView` in a person's language:
the neutral shape that Slack renders as a modal, Teams as an Adaptive Card and the
playground as a form on its page. No flow builds a platform's JSON.

What is filled in comes back as text by field: a person's platform id, several ids joined
by commas, a date as YYYY-MM-DD, a time as HH:MM, a choice's value, the text itself, a
channel's platform id. A channel field's choices (the channels the bot knows) and its first
value (the channel the form was opened from) are filled in when the form is opened.
`check` finds what is wrong with it without looking anything up (a required field left
empty, a text too long, a date in the past, yourself where someone else is asked for), so
Slack can answer it at the field while the person still sees the modal; a flow's own
checks (is the person someone the bot can write to?) come after, in the inbox.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from pydantic import BaseModel

FieldKind = Literal["person", "people", "date", "time", "choice", "text", "channel"]
# A person field whose pick the platform could not turn into someone the bot can write to
# (Teams: an Azure AD user who is in no conversation or team with the bot).
UNREACHED = "!unreached"
# How a submission names its form: `form:submit` with the value `<form name>:<nonce>`.
SUBMIT = "form:submit"
# A submission's `extra` flag: its channel fields were picked from every channel the person
# sees (Slack's conversations_select), not from the channels the form offered.
ANY_CHANNEL = "any_channel"
OPEN = "form:open"
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Field:
    key: str
    kind: FieldKind
    required: bool = True
    max_length: int | None = None
    multiline: bool = False
    # A person field that may not be the one filling in the form.
    not_self: bool = False
    # A date field that may not be before today (in the person's time zone).
    not_past: bool = False
    # A choice's values; their labels are `forms.<form>.<field>.choices.<value>`.
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Form:
    # The catalogue's `forms.<name>` and the submission's value; letters and underscores.
    name: str
    fields: tuple[Field, ...]

    def field(self, key: str) -> Field | None:
        return next((f for f in self.fields if f.key == key), None)


# ---- what a platform renders --------------------------------------------------------
class Choice(BaseModel):
    value: str
    label: str


class FieldView(BaseModel):
    key: str
    kind: FieldKind
    label: str
    hint: str | None = None
    required: bool = True
    max_length: int | None = None
    multiline: bool = False
    # The first day a date field takes (YYYY-MM-DD), when it takes no past days.
    min_date: str | None = None
    choices: list[Choice] = []
    # What is filled in already (a refreshed form keeps it), and what is wrong with it.
    value: str | None = None
    error: str | None = None


class FormView(BaseModel):
    """A form in one person's language, ready to render."""

    name: str
    # Tells one opened form from another: a second submission of the same one changes nothing.
    nonce: str
    title: str
    submit: str
    cancel: str
    fields: list[FieldView]
    language: str
    # The person's today (YYYY-MM-DD), for the checks a platform makes before the inbox.
    today: str
    # Once sent: what the form shows instead of its fields (Teams refreshes the card).
    done: str | None = None

    @property
    def value(self) -> str:
        """What the submission carries: which form, which time it was opened."""
        return f"{self.name}:{self.nonce}"


Text = Callable[[str], str]  # a catalogue key -> the text in the person's language


def view(form: Form, text: Text, has: Callable[[str], bool], *, nonce: str, language: str, today: date) -> FormView:
    """The form in a person's language; `has` says whether the catalogue has a key (hints are optional)."""
    prefix = f"forms.{form.name}"
    fields = []
    for f in form.fields:
        key = f"{prefix}.{f.key}"
        fields.append(
            FieldView(
                key=f.key,
                kind=f.kind,
                label=text(f"{key}.label"),
                hint=text(f"{key}.hint") if has(f"{key}.hint") else None,
                required=f.required,
                max_length=f.max_length,
                multiline=f.multiline,
                min_date=today.isoformat() if f.not_past else None,
                choices=[Choice(value=c, label=text(f"{key}.choices.{c}")) for c in f.choices],
            )
        )
    return FormView(
        name=form.name,
        nonce=nonce,
        title=text(f"{prefix}.title"),
        submit=text(f"{prefix}.submit"),
        cancel=text("forms.cancel"),
        fields=fields,
        language=language,
        today=today.isoformat(),
    )


# ---- what was filled in ----------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """What is wrong at a field: a catalogue key (`forms.<problem>`, or the form's own
    `forms.<form>.<field>.<problem>`) and its placeholders."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)


def people(value: str) -> list[str]:
    """The ids of a people field's value, each once."""
    return list(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))


def check(form: Form, values: Mapping[str, str], *, submitter: str, today: date) -> dict[str, Problem]:
    """What is wrong with what was filled in, by field, found without looking anything up."""
    problems: dict[str, Problem] = {}
    for f in form.fields:
        value = (values.get(f.key) or "").strip()
        if not value:
            if f.required:
                problems[f.key] = Problem("required")
            continue
        if f.kind in ("person", "people"):
            picked = people(value)
            if UNREACHED in picked:
                problems[f.key] = Problem("unreached")
            elif f.kind == "person" and len(picked) > 1:
                problems[f.key] = Problem("one_person")
            elif f.not_self and submitter in picked:
                problems[f.key] = Problem("not_yourself")
        elif f.kind == "date":
            day = date_value(value)
            if day is None:
                problems[f.key] = Problem("bad_date")
            elif f.not_past and day < today:
                problems[f.key] = Problem("past_date")
        elif f.kind == "time":
            if not _TIME.match(value):
                problems[f.key] = Problem("bad_time")
        elif f.kind == "choice":
            if value not in f.choices:
                problems[f.key] = Problem("bad_choice")
        elif f.kind == "channel":
            continue  # which channels are known is the form's opening's to say (`FieldView.choices`)
        elif f.max_length is not None and len(value) > f.max_length:
            problems[f.key] = Problem("too_long", {"limit": f.max_length, "length": len(value)})
    return problems


def problem_text(form: Form, key: str, problem: Problem, text: Callable[..., str], has: Callable[[str], bool]) -> str:
    """A problem's text: the form's own for that field where it has one, else the common one."""
    own = f"forms.{form.name}.{key}.{problem.key}"
    return text(own if has(own) else f"forms.{problem.key}", **problem.values)


def filled(view_: FormView, values: Mapping[str, str], errors: Mapping[str, str]) -> FormView:
    """The form again with what was filled in and the errors at their fields (a refreshed card)."""
    return view_.model_copy(
        update={
            "fields": [
                f.model_copy(update={"value": values.get(f.key) or None, "error": errors.get(f.key)})
                for f in view_.fields
            ]
        }
    )


def date_value(value: str | None) -> date | None:
    """A date field's value as a date (None when empty or not a date)."""
    if not value or not _ISO_DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None

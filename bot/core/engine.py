"""The dialog engine: given a script, its saved state and a reply, the new
state and what to say next.

Pure: no I/O, no clock. The caller saves the returned state after every reply,
so a restart between two answers loses nothing.

    asking ──answer──▶ asking … ──last answer──▶ summary ──send──▶ sent
       ▲  tilbage                                   │ ret et svar
       └───────────────────────────────── editing ◀─┘ (then back to summary)
    any active mode ──pause──▶ paused ──fortsæt──▶ where it was
    any active mode ──afbryd──▶ confirm_cancel ──ja──▶ cancelled / nej ──▶ where it was
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

from bot.core.ids import number

Mode = Literal["asking", "summary", "choose_edit", "editing", "paused", "confirm_cancel", "sent", "cancelled"]
ACTIVE: frozenset[str] = frozenset({"asking", "summary", "choose_edit", "editing"})


@dataclass(frozen=True)
class Script:
    """The questions one role answers in one phase."""

    keys: tuple[str, ...]
    optional: frozenset[str] = frozenset()
    max_length: int = 4000
    summary: bool = True
    # Answers that must have a form (a date, a frequency): key -> (text, answers so far) -> None
    # when fine, else the catalogue key of what to tell the person.
    checks: Mapping[str, Callable[[str, dict[str, str | None]], str | None]] = field(default_factory=dict)
    # Questions answered by naming a person (a mention); the engine keeps who was named. Their
    # check refuses an answer that names no one.
    people: frozenset[str] = frozenset()


class State(BaseModel):
    mode: Mode = "asking"
    index: int = 0
    answers: dict[str, str | None] = {}
    # For `Script.people` questions: key -> the id of the person named.
    people: dict[str, str] = {}
    # Where `pause` or `afbryd` came from, to go back there.
    resume_mode: Mode | None = None
    # Questions of the phase this session does not ask (one about a supervisor the contract
    # does not have): the script is built without them.
    left_out: list[str] = []
    # What the session is about within its contract, where the role does not say it: the
    # party a leader evaluates with (a leader may lead both parties).
    about: str | None = None


# What the person wrote or pressed.
@dataclass(frozen=True)
class Answer:
    text: str
    # A person the answer names (a platform mention): (id, name). Only `Script.people` questions use it.
    mention: tuple[str, str] | None = None
    # Why the answer cannot be used, as its sender found (the person answering named
    # themselves, a picker sent back nothing): the catalogue key of what to tell them.
    problem: str | None = None


@dataclass(frozen=True)
class Word:
    """A command word or the button that stands for it."""

    word: Literal["back", "skip", "pause", "resume", "cancel", "cancel_yes", "cancel_no", "send", "edit"]


@dataclass(frozen=True)
class EditPick:
    key: str


Reply = Answer | Word | EditPick


# What to say next.
@dataclass(frozen=True)
class Ask:
    key: str
    number: int  # 1-based
    total: int
    optional: bool
    editing: bool = False
    previous: str | None = None


@dataclass(frozen=True)
class Summary:
    answers: dict[str, str | None]


@dataclass(frozen=True)
class ChooseEdit:
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Paused:
    pass


@dataclass(frozen=True)
class ConfirmCancel:
    pass


@dataclass(frozen=True)
class Sent:
    answers: dict[str, str | None]


@dataclass(frozen=True)
class Cancelled:
    pass


@dataclass(frozen=True)
class Refused:
    reason: Literal[
        "too_long",
        "empty",
        "not_optional",
        "at_first",
        "paused",
        "confirm_pending",
        "use_buttons",
        "finished",
        "unknown_choice",
        "invalid",
    ]
    details: dict[str, int] = field(default_factory=dict)
    # "invalid": the catalogue key of what is wrong with the answer.
    message: str | None = None


Say = Ask | Summary | ChooseEdit | Paused | ConfirmCancel | Sent | Cancelled | Refused


def start(
    script: Script, answers: dict[str, str | None] | None = None, people: dict[str, str] | None = None
) -> tuple[State, list[Say]]:
    """A fresh state; with earlier answers (a change request), straight to the summary."""
    if answers and script.summary and all(k in answers for k in script.keys):
        state = State(mode="summary", answers=dict(answers), people=dict(people or {}))
    else:
        state = State(answers=dict(answers or {}), people=dict(people or {}))
    return state, [current(script, state)]


# The modes a dialog button is shown in (`bot/flows/conversations.py`): pressed in another
# mode, it is from an earlier message, and does nothing.
BUTTON_MODES: dict[str, tuple[Mode, ...]] = {
    "skip": ("asking", "editing"),
    "pick": ("asking", "editing"),
    "send": ("summary",),
    "edit": ("summary",),
    "edit_pick": ("choose_edit",),
    "resume": ("paused",),
    "cancel_yes": ("confirm_cancel",),
    "cancel_no": ("confirm_cancel",),
}


def button_is_current(script: Script, state: State, button: str, key: str = "") -> bool:
    """Whether a press of a dialog button belongs to what the person is asked now: its mode,
    and for a question's own button (skip, a picker) that question."""
    if state.mode not in BUTTON_MODES.get(button, ()):
        return False
    if button in ("skip", "pick") and key:
        return script.keys[state.index] == key
    return True


def current(script: Script, state: State) -> Say:
    """What the person is being asked now (to repeat it after a refusal or a pause)."""
    if state.mode in ("asking", "editing"):
        key = script.keys[state.index]
        return Ask(
            key=key,
            number=state.index + 1,
            total=len(script.keys),
            optional=key in script.optional,
            editing=state.mode == "editing",
            previous=state.answers.get(key),
        )
    if state.mode == "summary":
        return Summary(_ordered(script, state))
    if state.mode == "choose_edit":
        return ChooseEdit(script.keys)
    if state.mode == "paused":
        return Paused()
    if state.mode == "confirm_cancel":
        return ConfirmCancel()
    if state.mode == "sent":
        return Sent(_ordered(script, state))
    return Cancelled()


def step(script: Script, state: State, reply: Reply) -> tuple[State, list[Say]]:
    s = state.model_copy(deep=True)
    mode = s.mode

    if mode in ("sent", "cancelled"):
        return s, [Refused("finished")]

    if mode == "paused":
        if reply == Word("resume"):
            s.mode, s.resume_mode = s.resume_mode or "asking", None
            return s, [current(script, s)]
        if reply == Word("cancel"):
            s.mode = "confirm_cancel"
            return s, [ConfirmCancel()]
        return s, [Refused("paused")]

    if mode == "confirm_cancel":
        if reply == Word("cancel_yes"):
            s.mode = "cancelled"
            return s, [Cancelled()]
        if reply in (Word("cancel_no"), Word("resume")):
            s.mode, s.resume_mode = s.resume_mode or "asking", None
            return s, [current(script, s)]
        return s, [Refused("confirm_pending"), ConfirmCancel()]

    # An active mode: asking, editing, summary, choose_edit.
    if reply == Word("pause"):
        s.resume_mode, s.mode = mode, "paused"
        return s, [Paused()]
    if reply == Word("cancel"):
        s.resume_mode, s.mode = mode, "confirm_cancel"
        return s, [ConfirmCancel()]
    if reply == Word("resume"):
        return s, [current(script, s)]

    if mode in ("asking", "editing"):
        return _while_asking(script, s, reply)
    if mode == "summary":
        return _at_summary(script, s, reply)
    return _choosing_edit(script, s, reply)


def _while_asking(script: Script, s: State, reply: Reply) -> tuple[State, list[Say]]:
    key = script.keys[s.index]
    if isinstance(reply, Answer):
        text = reply.text.strip()
        if reply.problem is not None:
            return s, [Refused("invalid", message=reply.problem), current(script, s)]
        if not text:
            return s, [Refused("empty"), current(script, s)]
        if len(text) > script.max_length:
            return s, [
                Refused("too_long", {"limit": script.max_length, "length": len(text)}),
                current(script, s),
            ]
        if key in script.people and reply.mention is not None:
            s.people[key], text = reply.mention
        elif key in script.checks and (problem := script.checks[key](text, s.answers)):
            return s, [Refused("invalid", message=problem), current(script, s)]
        s.answers[key] = text
        return _advance(script, s)
    if reply == Word("skip"):
        if key not in script.optional:
            return s, [Refused("not_optional"), current(script, s)]
        s.answers[key] = None
        s.people.pop(key, None)
        return _advance(script, s)
    if reply == Word("back"):
        if s.mode == "editing":
            s.mode = "summary"
            return s, [current(script, s)]
        if s.index == 0:
            return s, [Refused("at_first"), current(script, s)]
        s.index -= 1
        return s, [current(script, s)]
    if isinstance(reply, EditPick) and s.mode == "editing":
        return _choosing_edit(script, s, reply)
    return s, [Refused("use_buttons"), current(script, s)]


def _advance(script: Script, s: State) -> tuple[State, list[Say]]:
    if s.mode == "editing":
        s.mode = "summary"
        return s, [current(script, s)]
    # After going back, continue with the first question not yet answered.
    unanswered = [i for i, k in enumerate(script.keys) if k not in s.answers]
    if unanswered:
        s.index = unanswered[0]
        return s, [current(script, s)]
    if script.summary:
        s.mode = "summary"
        return s, [current(script, s)]
    s.mode = "sent"
    return s, [Sent(_ordered(script, s))]


def _at_summary(script: Script, s: State, reply: Reply) -> tuple[State, list[Say]]:
    if reply == Word("send"):
        s.mode = "sent"
        return s, [Sent(_ordered(script, s))]
    if reply == Word("edit"):
        s.mode = "choose_edit"
        return s, [ChooseEdit(script.keys)]
    if isinstance(reply, EditPick):
        return _choosing_edit(script, s, reply)
    if reply == Word("back"):
        s.mode, s.index = "asking", len(script.keys) - 1
        return s, [current(script, s)]
    return s, [Refused("use_buttons"), current(script, s)]


def _choosing_edit(script: Script, s: State, reply: Reply) -> tuple[State, list[Say]]:
    key: str | None = None
    if isinstance(reply, EditPick):
        key = reply.key
    elif isinstance(reply, Answer) and (chosen := number(reply.text.strip(), 1, len(script.keys))) is not None:
        key = script.keys[chosen - 1]
    elif reply == Word("back"):
        s.mode = "summary"
        return s, [current(script, s)]
    if key not in script.keys:
        return s, [Refused("unknown_choice"), current(script, s)]
    s.mode, s.index = "editing", script.keys.index(key)
    return s, [current(script, s)]


def _ordered(script: Script, s: State) -> dict[str, str | None]:
    return {k: s.answers.get(k) for k in script.keys}

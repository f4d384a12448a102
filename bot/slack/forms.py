"""A neutral form (bot/core/forms.py) as a Slack modal, and its `view_submission` read back.

The modal is opened with `views.open` and the trigger_id of the command or the press (it
lasts about 3 s). Its `private_metadata` carries the form, its nonce, the person's language
and their today, so the acknowledgement of a submission can answer what is wrong at the
fields (`response_action: errors`) without a database; a good submission is stored in the
inbox like every request and the modal closes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from bot.core.events import ActionIn
from bot.core.forms import ANY_CHANNEL, SUBMIT, FieldView, FormView
from bot.untrusted import as_dict, as_id, as_list, as_text

PLATFORM = "slack"
CALLBACK = SUBMIT
# The acknowledgement that keeps the modal open with texts at its fields.
ERRORS = "errors"
TITLE_MAX = 24  # a modal's title, submit and close
LABEL_MAX = 2000
HINT_MAX = 2000
TEXT_INPUT_MAX = 3000
_PICKS = ("users_select", "multi_users_select")

# (form name, values, submitter, today, language) -> the texts at the fields; None: no such form.
Check = Callable[[str, dict[str, str], str, date, str], dict[str, str] | None]


def _plain(text: str, limit: int) -> dict[str, Any]:
    text = " ".join(text.split()) or " "
    return {"type": "plain_text", "text": text if len(text) <= limit else text[: limit - 1] + "…"}


def _element(field: FieldView) -> dict[str, Any]:
    element: dict[str, Any] = {"action_id": field.key}
    value = field.value
    if field.kind == "person":
        element["type"] = "users_select"
        if value:
            element["initial_user"] = value
    elif field.kind == "people":
        element["type"] = "multi_users_select"
        if value:
            element["initial_users"] = [v for v in value.split(",") if v]
    elif field.kind == "date":
        element["type"] = "datepicker"
        if value:
            element["initial_date"] = value
    elif field.kind == "time":
        element["type"] = "timepicker"
        if value:
            element["initial_time"] = value
    elif field.kind == "channel":
        # Every public or private channel the person sees; the one the form was opened from first.
        element["type"] = "conversations_select"
        element["filter"] = {"include": ["public", "private"], "exclude_bot_users": True}
        if value:
            element["initial_conversation"] = value
            element["default_to_current_conversation"] = True
    elif field.kind == "choice":
        element["type"] = "static_select"
        element["options"] = [{"text": _plain(c.label, 75), "value": c.value} for c in field.choices]
        chosen = [o for o in element["options"] if o["value"] == value]
        if chosen:
            element["initial_option"] = chosen[0]
    else:
        element["type"] = "plain_text_input"
        element["multiline"] = field.multiline
        if field.max_length:
            element["max_length"] = min(field.max_length, TEXT_INPUT_MAX)
        if value:
            element["initial_value"] = value[:TEXT_INPUT_MAX]
    return element


def modal(view: FormView) -> dict[str, Any]:
    blocks = []
    for field in view.fields:
        block: dict[str, Any] = {
            "type": "input",
            "block_id": field.key,
            "label": _plain(field.label, LABEL_MAX),
            "optional": not field.required,
            "element": _element(field),
        }
        if field.hint:
            block["hint"] = _plain(field.hint, HINT_MAX)
        blocks.append(block)
    metadata = {"form": view.name, "nonce": view.nonce, "language": view.language, "today": view.today}
    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "title": _plain(view.title, TITLE_MAX),
        "submit": _plain(view.submit, TITLE_MAX),
        "close": _plain(view.cancel, TITLE_MAX),
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "blocks": blocks,
    }


def _metadata(body: dict[str, Any]) -> dict[str, str]:
    try:
        found = json.loads(as_text(as_dict(body.get("view")).get("private_metadata")) or "{}")
    except ValueError:
        return {}
    return {k: v for k, v in found.items() if isinstance(v, str)} if isinstance(found, dict) else {}


def _values(body: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """What was filled in, by field (the block id), and the people picked."""
    state = as_dict(as_dict(as_dict(body.get("view")).get("state")).get("values"))
    values: dict[str, str] = {}
    picked: list[str] = []
    for block_id, actions in state.items():
        for element in map(as_dict, as_dict(actions).values()):
            kind = element.get("type")
            if kind == "users_select":
                chosen = [as_id(element.get("selected_user"))]
            elif kind == "multi_users_select":
                chosen = [as_id(u) for u in as_list(element.get("selected_users"))]
            else:
                chosen = []
            ids = [c for c in chosen if c]
            if kind in _PICKS:
                values[block_id] = ",".join(ids)
                picked += ids
            elif kind == "datepicker":
                values[block_id] = as_text(element.get("selected_date"))
            elif kind == "timepicker":
                values[block_id] = as_text(element.get("selected_time"))
            elif kind == "conversations_select":
                values[block_id] = as_id(element.get("selected_conversation")) or ""
            elif kind == "static_select":
                values[block_id] = as_text(as_dict(element.get("selected_option")).get("value"))
            else:
                values[block_id] = as_text(element.get("value"))
    return values, picked


def problems(body: dict[str, Any], check: Check) -> dict[str, str] | None:
    """What the acknowledgement answers at the fields ({} when nothing); None when the
    submission is not one of our forms (nothing to store)."""
    meta = _metadata(body)
    user = as_id(as_dict(body.get("user")).get("id"))
    try:
        today = date.fromisoformat(meta.get("today", ""))
    except ValueError:
        return None
    if user is None or not meta.get("form") or not meta.get("nonce"):
        return None
    values, _ = _values(body)
    found = check(meta["form"], values, user, today, meta.get("language", ""))
    # Slack shows each text under its block; it shows them as plain text.
    return None if found is None else {key: text[:HINT_MAX] for key, text in found.items()}


def dedupe_key(body: dict[str, Any]) -> str | None:
    """A modal is submitted for good once: answered with errors it is not stored, and a good
    submission closes it. A retry of the request carries the same view id."""
    view_id = as_id(as_dict(body.get("view")).get("id"))
    return f"slack:view:{view_id}" if view_id else None


def translate(body: dict[str, Any]) -> ActionIn | None:
    """A submission as the press of the form's submit: its value names the form and the nonce."""
    user = as_id(as_dict(body.get("user")).get("id"))
    meta = _metadata(body)
    if user is None or not meta.get("form") or not meta.get("nonce"):
        return None
    values, picked = _values(body)
    return ActionIn(
        platform=PLATFORM,
        user=user,
        action=SUBMIT,
        value=f"{meta['form']}:{meta['nonce']}",
        fields=values,
        mentions=tuple(dict.fromkeys(picked)),
        trigger=as_id(body.get("trigger_id")),
        # Its channel picker offers every channel the person sees, not the form's choices.
        extra={ANY_CHANNEL: "1"},
    )

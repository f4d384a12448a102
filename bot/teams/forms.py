"""A neutral form (bot/core/forms.py) as an Adaptive Card, and the people picked in it.

The card has an input a field: a person or people are Teams' people picker (an
`Input.ChoiceSet` whose `choices.data` is a `Data.Query` on `graph.microsoft.com/users`: the
client searches the organisation's directory), a date `Input.Date`, a time `Input.Time`, a
choice an `Input.ChoiceSet`, a text `Input.Text`. It is sent with `Action.Execute`
(`form:submit`); the invoke is answered with the card again, the problems under their
fields, or with the card as sent.

The picker hands back Azure AD object ids. Before the press is stored they are turned into
Teams users the bot can write to (`pick`): someone the bot has met (they added the app, or
wrote in a team of theirs), else a member of a conversation or team the bot is in
(`GET v3/conversations/{id}/members/{aadObjectId}`). Someone it cannot find stays a pick
nobody can be written to, and the leader is told so at the field.
"""

from __future__ import annotations

import re
from typing import Any

from bot.core.forms import SUBMIT, UNREACHED, FieldView, FormView
from bot.core.text import neutralise_broadcasts
from bot.teams.render import card

PEOPLE = {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}
# Where a stored press keeps what the picks were resolved to (AAD object id -> Teams user id).
PICKED = "laeringsbot_picked"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MAX_PICKS = 20


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": neutralise_broadcasts(text), "wrap": True, **style}


def _input(field: FieldView, picked: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"id": field.key, "label": field.label, "isRequired": field.required}
    if field.error:
        element["errorMessage"] = field.error
    value = field.value
    if field.kind in ("person", "people"):
        element |= {"type": "Input.ChoiceSet", "choices": [], "choices.data": dict(PEOPLE)}
        if field.kind == "people":
            element["isMultiSelect"] = True
        if picked:  # shown again as picked: the picker knows them by their AAD object id
            element["choices"] = [{"title": name, "value": aad} for aad, name in picked]
            element["value"] = ",".join(aad for aad, _ in picked)
    elif field.kind == "date":
        element["type"] = "Input.Date"
        if field.min_date:
            element["min"] = field.min_date
        if value:
            element["value"] = value
    elif field.kind == "time":
        element["type"] = "Input.Time"
        if value:
            element["value"] = value
    elif field.kind in ("channel", "choice"):
        # A channel is one of the team channels the bot knows (a card has no channel picker).
        element |= {
            "type": "Input.ChoiceSet",
            "style": "compact",
            "choices": [{"title": c.label, "value": c.value} for c in field.choices],
        }
        if value:
            element["value"] = value
    else:
        element |= {"type": "Input.Text", "isMultiline": field.multiline}
        if field.max_length:
            element["maxLength"] = field.max_length
        if value:
            element["value"] = value
    return element


def form_card(view: FormView, picked: dict[str, list[tuple[str, str]]] | None = None) -> dict[str, Any]:
    """The form as a card. A refreshed one keeps what was filled in; the people picked are
    `picked` (field -> their AAD object ids and names), as the picker hands them back."""
    body: list[dict[str, Any]] = [_text(view.title, size="Medium", weight="Bolder")]
    if view.done:
        body.append(_text(view.done, isSubtle=True))
        return card(body, view.title)
    for field in view.fields:
        body.append(_input(field, (picked or {}).get(field.key)))
        if field.hint:
            body.append(_text(field.hint, isSubtle=True, size="Small", spacing="None"))
        if field.error:
            body.append(_text(field.error, color="Attention", spacing="None"))
    people = ",".join(f.key for f in view.fields if f.kind in ("person", "people"))
    data: dict[str, Any] = {"value": view.value}
    if people:
        data["people"] = people
    submit = {"type": "Action.Execute", "title": view.submit, "verb": SUBMIT, "data": data, "style": "positive"}
    result = card(body, view.title)
    result["actions"] = [submit]
    return result


def activity(view: FormView, picked: dict[str, list[tuple[str, str]]] | None = None) -> dict[str, Any]:
    content = form_card(view, picked)
    return {
        "type": "message",
        "summary": neutralise_broadcasts(view.title),
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": content}],
    }


# ---- the people picked --------------------------------------------------------------
def resolved(activity: dict[str, Any], raw: str) -> tuple[str, list[str]]:
    """A people field's value as Teams user ids (`UNREACHED` for a pick nobody can be written
    to), and those ids."""
    table = activity.get(PICKED) if isinstance(activity.get(PICKED), dict) else {}
    ids = []
    for aad in (v.strip() for v in raw.split(",") if v.strip()):
        user = table.get(aad) if isinstance(table, dict) else None
        ids.append(user if isinstance(user, str) and user else UNREACHED)
    return ",".join(dict.fromkeys(ids)), [i for i in ids if i != UNREACHED]

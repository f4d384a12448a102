"""Offline conformance checks against the Microsoft specs in ``tests/specs``.

* Adaptive Cards: the 1.5 JSON Schema (draft-06). The Teams-only root property
  ``msteams`` is not in it, so it is taken off before validating (``tests/specs/README.md``).
* Bot Framework: the ``definitions`` of the Bot Connector swagger
  (``botframework-channel.json``), checked with ``Draft4Validator``.
* Teams app manifest: v1.29 schema with ``Draft7Validator`` (it says draft-04 but
  uses ``const``), and its localization schema.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, Draft6Validator, Draft7Validator
from jsonschema.exceptions import best_match

from tests.support.slack_specs import SPECS

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MANIFEST_VERSION = "v1.29"


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def _card_validator() -> Draft6Validator:
    return Draft6Validator(_load(SPECS / "adaptive-cards" / "1.5.0" / "adaptive-card.json"))


@cache
def _connector_definitions() -> dict[str, Any]:
    definitions: dict[str, Any] = _load(SPECS / "botframework" / "botframework-channel.json")["definitions"]
    return definitions


@cache
def _connector_validator(definition: str) -> Draft4Validator:
    return Draft4Validator({"$ref": f"#/definitions/{definition}", "definitions": _connector_definitions()})


def _check(validator: Any, instance: Any, what: str) -> None:
    error = best_match(validator.iter_errors(instance))
    if error is not None:
        raise AssertionError(
            f"{what} is invalid at {list(error.absolute_path)}: {error.message}\n"
            f"{json.dumps(instance, ensure_ascii=False)[:1500]}"
        )


# Teams' people picker: `choices.data` on an Input.ChoiceSet. Teams renders it in 1.5 cards, but
# the 1.5 schema has no Data.Query (it came with 1.6), so like `msteams` it is checked here and
# taken off before the schema sees the card.
DATA_QUERY_KEYS = {"type", "dataset", "count", "skip"}
PEOPLE_DATASET = "graph.microsoft.com/users"


def _without_people_queries(node: Any) -> Any:
    if isinstance(node, list):
        return [_without_people_queries(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "choices.data" in node:
        query = node["choices.data"]
        assert node.get("type") == "Input.ChoiceSet", f"choices.data on a {node.get('type')}"
        assert isinstance(query, dict) and query.get("type") == "Data.Query", query
        assert query.get("dataset") == PEOPLE_DATASET and set(query) <= DATA_QUERY_KEYS, query
        node = {k: v for k, v in node.items() if k != "choices.data"}
    return {k: _without_people_queries(v) for k, v in node.items()}


def _texts(node: Any, kind: str) -> list[str]:
    """The texts of every element of `kind` (TextBlock, TextRun) in a card."""
    if isinstance(node, list):
        return [t for item in node for t in _texts(item, kind)]
    if not isinstance(node, dict):
        return []
    found = [node["text"]] if node.get("type") == kind and isinstance(node.get("text"), str) else []
    return found + [t for k, v in node.items() if k != "msteams" for t in _texts(v, kind)]


_AT = re.compile(r"<at>.*?</at>")


def assert_valid_mentions(card: dict[str, Any]) -> None:
    """`msteams` (Teams' extension, outside the schema): the width, and a mention entity for
    each `<at>…</at>` in a TextBlock (the one element that renders it; in a TextRun it is
    literal text, as a person wrote it)."""
    msteams = card.get("msteams", {})
    assert set(msteams) <= {"width", "entities"}, msteams
    entities = msteams.get("entities", [])
    blocks = _texts(card.get("body", []), "TextBlock")
    for entity in entities:
        assert set(entity) == {"type", "text", "mentioned"} and entity["type"] == "mention", entity
        assert set(entity["mentioned"]) == {"id", "name"} and entity["mentioned"]["id"], entity
        assert any(entity["text"] in t for t in blocks), f"{entity} is in no TextBlock"
    tags = {e["text"] for e in entities}
    for text in blocks:
        for tag in _AT.findall(text):
            assert tag in tags, f"{tag} has no mention entity"


def assert_valid_card(card: dict[str, Any]) -> None:
    assert card.get("type") == "AdaptiveCard" and card.get("version") == "1.5", card
    assert_valid_mentions(card)
    plain = _without_people_queries({k: v for k, v in card.items() if k != "msteams"})
    _check(_card_validator(), plain, "Adaptive Card")


def assert_valid_activity(activity: dict[str, Any]) -> None:
    """An activity the bot sends: Bot Framework's Activity, and every card in it."""
    _check(_connector_validator("Activity"), activity, "Activity")
    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == CARD_CONTENT_TYPE:
            assert_valid_card(attachment["content"])


def assert_valid_conversation_parameters(body: dict[str, Any]) -> None:
    _check(_connector_validator("ConversationParameters"), body, "ConversationParameters")


def validate_teams_manifest(manifest: dict[str, Any]) -> None:
    schema = _load(SPECS / "teams" / "manifest" / MANIFEST_VERSION / "MicrosoftTeams.schema.json")
    _check(Draft7Validator(schema), manifest, "Teams manifest")


def validate_teams_localization(strings: dict[str, Any]) -> None:
    schema = _load(SPECS / "teams" / "manifest" / MANIFEST_VERSION / "MicrosoftTeams.Localization.schema.json")
    _check(Draft7Validator(schema), strings, "Teams manifest localization")

"""Offline conformance checks against the Slack specs in ``tests/specs/slack``.

* :func:`validate_slack_manifest` validates an app manifest against Slack's own
  manifest JSON Schema (remote ``$ref`` URLs are served from the local copies).
* :func:`check_blocks` / :func:`check_message` / :func:`assert_valid_message` check
  Block Kit payloads against ``block-kit/block-kit-limits.json`` (derived from
  Slack's docs and python-slack-sdk) plus python-slack-sdk's own validators.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, ValidationError
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

__all__ = [
    "REPO_ROOT",
    "SLACK_SPECS",
    "SPECS",
    "assert_valid_message",
    "block_kit_limits",
    "check_blocks",
    "check_message",
    "check_modal",
    "validate_slack_manifest",
]

REPO_ROOT = Path(__file__).resolve().parents[2]


#: The platforms' schemas the tests check against, vendored with their licences
#: (``tests/specs/README.md`` says where each came from).
SPECS = REPO_ROOT / "tests" / "specs"
SLACK_SPECS = SPECS / "slack"


def _load_json(path: Path) -> Any:
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found; the specs are vendored in {SPECS}")
    return json.loads(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- manifest

_MANIFEST_SCHEMA_URL_PREFIX = "https://raw.githubusercontent.com/slackapi/manifest-schema/"


def _regex_as_pattern(node: Any) -> Any:
    """Copy the schema's non-standard ``regex`` keyword (background_color) into ``pattern``.

    A custom keyword cannot be added with ``validators.extend``: on ``$ref`` into a sub-schema
    declaring ``$schema`` draft-07, jsonschema switches back to the stock ``Draft7Validator``.
    """
    if isinstance(node, dict):
        out = {key: _regex_as_pattern(value) for key, value in node.items()}
        if isinstance(node.get("regex"), str) and "pattern" not in node:
            out["pattern"] = node["regex"]
        return out
    if isinstance(node, list):
        return [_regex_as_pattern(item) for item in node]
    return node


def _retrieve_manifest_schema(uri: str) -> Resource[Any]:
    """Serve ``…/manifest-schema/<ref>/schemas/<file>`` from the local copy; never the network."""
    if uri.startswith(_MANIFEST_SCHEMA_URL_PREFIX) and "/schemas/" in uri:
        local = SLACK_SPECS / "manifest" / "schemas" / uri.rsplit("/", 1)[-1]
        if local.is_file():
            return Resource.from_contents(_regex_as_pattern(_load_json(local)))
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]  # referencing's attrs classes show mypy no __init__


@cache
def _manifest_validator() -> Draft7Validator:
    schema = _load_json(SLACK_SPECS / "manifest" / "manifest.schema.json")
    registry: Registry[Any] = Registry(retrieve=_retrieve_manifest_schema)  # type: ignore[call-arg]  # referencing's attrs classes show mypy no __init__
    return Draft7Validator(schema, registry=registry)


def validate_slack_manifest(manifest: dict[str, Any]) -> None:
    """Validate a Slack app manifest; raise ``jsonschema.ValidationError`` (best match) if invalid.

    The schema's non-standard ``regex`` keyword (``display_information.background_color``)
    is enforced like ``pattern``. Scope and event names are not enumerated by the schema.
    """
    errors = [_selected_version_error(e) for e in _manifest_validator().iter_errors(manifest)]
    error: ValidationError | None = best_match(errors)
    if error is not None:
        raise error


def _selected_version_error(error: ValidationError) -> ValidationError:
    """For the top-level ``oneOf`` over manifest versions, return the error inside the branch
    whose ``_metadata`` guard (``allOf[0]``) matched, instead of an arbitrary branch's error."""
    if error.validator != "oneOf" or error.path or not error.context:
        return error
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    for subs in branches.values():
        if not any(list(sub.relative_schema_path)[1:3] == ["allOf", 0] for sub in subs):
            return best_match(subs) or error
    return error


# --------------------------------------------------------------------------- Block Kit

#: Slack docs (docs_blocks, section block): "Maximum length for the text in each item is 2000
#: characters." Not in block-kit-limits.json, nor checked by python-slack-sdk.
_SECTION_FIELD_TEXT_MAX = 2000
_TEXT_TYPES = ("plain_text", "mrkdwn")
_INTERACTIVE_ELEMENTS = {
    "button",
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "email_text_input",
    "file_input",
    "multi_static_select",
    "multi_external_select",
    "multi_users_select",
    "multi_conversations_select",
    "multi_channels_select",
    "number_input",
    "overflow",
    "plain_text_input",
    "radio_buttons",
    "rich_text_input",
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
    "timepicker",
    "url_text_input",
    "workflow_button",
}  # fmt: skip  (one name per line would be 24 lines)


@cache
def block_kit_limits() -> dict[str, Any]:
    """The parsed ``block-kit/block-kit-limits.json``."""
    limits: dict[str, Any] = _load_json(SLACK_SPECS / "block-kit" / "block-kit-limits.json")
    return limits


class _Checker:
    """Collects violations while walking one list of blocks."""

    def __init__(self) -> None:
        self.limits = block_kit_limits()
        self.violations: list[str] = []

    def add(self, where: str, problem: str) -> None:
        self.violations.append(f"{where}: {problem}")

    def max_len(self, where: str, value: Any, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(where, f"{len(value)} characters, max {limit}")

    def max_items(self, where: str, value: Any, limit: int) -> None:
        if isinstance(value, list) and len(value) > limit:
            self.add(where, f"{len(value)} items, max {limit}")

    def text(self, where: str, obj: Any, *, limit: int | None = None, plain_only: bool = False) -> None:
        """Check a composition text object (type, non-empty text, length)."""
        if not isinstance(obj, Mapping):
            self.add(where, f"must be a text object, got {type(obj).__name__}")
            return
        allowed = ("plain_text",) if plain_only else _TEXT_TYPES
        if obj.get("type") not in allowed:
            self.add(where + ".type", f"{obj.get('type')!r} not in {list(allowed)}")
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            self.add(where + ".text", "missing or empty")
        elif limit is not None:
            self.max_len(where + ".text", text, limit)

    def confirm(self, where: str, obj: Mapping[str, Any]) -> None:
        lim = self.limits["composition"]["confirm"]
        for key in ("title", "confirm", "deny"):
            if key in obj:
                self.text(f"{where}.{key}", obj[key], limit=lim[f"{key}_max"], plain_only=True)
        if "text" in obj:
            self.text(f"{where}.text", obj["text"], limit=lim["text_max"])

    def option(self, where: str, obj: Any) -> None:
        lim = self.limits["composition"]["option"]
        if not isinstance(obj, Mapping):
            self.add(where, "must be an option object")
            return
        self.text(where + ".text", obj.get("text"), limit=lim["text_max"])
        self.max_len(where + ".value", obj.get("value"), lim["value_max"])

    def element(self, where: str, el: Any) -> None:
        """Check a block element (button, select, input, image, …)."""
        if not isinstance(el, Mapping):
            self.add(where, "must be an object")
            return
        kind = el.get("type")
        el_lim = self.limits["elements"]
        if kind in _INTERACTIVE_ELEMENTS:
            action_id_max = el_lim["any_interactive"]["action_id_max"]
            self.max_len(where + ".action_id", el.get("action_id"), action_id_max)
        if "placeholder" in el:
            placeholder_max = el_lim["any_input"]["placeholder_max"]
            placeholder = el["placeholder"]
            self.text(where + ".placeholder", placeholder, limit=placeholder_max, plain_only=True)
        if isinstance(el.get("confirm"), Mapping):
            self.confirm(where + ".confirm", el["confirm"])
        if kind == "button":
            lim = el_lim["button"]
            self.text(where + ".text", el.get("text"), limit=lim["text_max"], plain_only=True)
            self.max_len(where + ".value", el.get("value"), lim["value_max"])
            self.max_len(where + ".url", el.get("url"), lim["url_max"])
            label = el.get("accessibility_label")
            self.max_len(where + ".accessibility_label", label, lim["accessibility_label_max"])
            if "style" in el and el["style"] not in lim["style_enum"]:
                self.add(where + ".style", f"{el['style']!r} not in {lim['style_enum']}")
        elif kind in ("static_select", "multi_static_select", "overflow"):
            lim = el_lim["overflow" if kind == "overflow" else "static_select"]
            self.max_items(where + ".options", el.get("options"), lim["options_max_items"])
            for i, opt in enumerate(el.get("options") or []):
                self.option(f"{where}.options[{i}]", opt)
            if "option_groups" in el:
                groups_max = lim["option_groups_max_items"]
                self.max_items(where + ".option_groups", el["option_groups"], groups_max)
                group_lim = self.limits["composition"]["option_group"]
                for i, group in enumerate(el["option_groups"] or []):
                    gw = f"{where}.option_groups[{i}]"
                    label_max, options_max = group_lim["label_max"], group_lim["options_max_items"]
                    self.text(gw + ".label", group.get("label"), limit=label_max, plain_only=True)
                    self.max_items(gw + ".options", group.get("options"), options_max)
                    for j, opt in enumerate(group.get("options") or []):
                        self.option(f"{gw}.options[{j}]", opt)
        elif kind in ("checkboxes", "radio_buttons"):
            for i, opt in enumerate(el.get("options") or []):
                self.option(f"{where}.options[{i}]", opt)
        elif kind == "plain_text_input":
            lim = el_lim["plain_text_input"]
            for key in ("min_length", "max_length"):
                low, high = lim[f"{key}_range"]
                value = el.get(key)
                if value is not None and not (isinstance(value, int) and low <= value <= high):
                    self.add(f"{where}.{key}", f"{value!r} outside [{low}, {high}]")
        elif kind == "image":
            lim = self.limits["blocks"]["image"]
            self.max_len(where + ".image_url", el.get("image_url"), lim["image_url_max"])
            self.max_len(where + ".alt_text", el.get("alt_text"), lim["alt_text_max"])
        elif kind in _TEXT_TYPES:  # text objects inside context blocks
            self.text(where, el)
        elif kind not in _INTERACTIVE_ELEMENTS:
            self.add(where + ".type", f"unknown element type {kind!r}")

    def block(self, where: str, block: Any) -> None:
        """Check one block's own limits and its children."""
        if not isinstance(block, Mapping):
            self.add(where, "must be an object")
            return
        lim = self.limits["blocks"]
        kind = block.get("type")
        self.max_len(where + ".block_id", block.get("block_id"), lim["any"]["block_id_max"])
        if kind == "section":
            if "text" not in block and not block.get("fields"):
                self.add(where, "section needs text or fields")
            if "text" in block:
                self.text(where + ".text", block["text"], limit=lim["section"]["text_max"])
            fields = block.get("fields")
            if fields is not None:
                self.max_items(where + ".fields", fields, lim["section"]["fields_max_items"])
                for i, field in enumerate(fields or []):
                    self.text(f"{where}.fields[{i}]", field, limit=_SECTION_FIELD_TEXT_MAX)
            if "accessory" in block:
                self.element(where + ".accessory", block["accessory"])
        elif kind == "header":
            header_max = lim["header"]["text_max"]
            self.text(where + ".text", block.get("text"), limit=header_max, plain_only=True)
        elif kind in ("actions", "context"):
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.add(where + ".elements", "missing or empty")
                return
            self.max_items(where + ".elements", elements, lim[kind]["elements_max_items"])
            for i, el in enumerate(elements):
                self.element(f"{where}.elements[{i}]", el)
        elif kind == "input":
            label_max, hint_max = lim["input"]["label_max"], lim["input"]["hint_max"]
            self.text(where + ".label", block.get("label"), limit=label_max, plain_only=True)
            if "hint" in block:
                self.text(where + ".hint", block["hint"], limit=hint_max, plain_only=True)
            if "element" not in block:
                self.add(where + ".element", "missing")
            else:
                self.element(where + ".element", block["element"])
        elif kind == "rich_text":
            if not isinstance(block.get("elements"), list):
                self.add(where + ".elements", "missing (rich_text needs a list of elements)")
        elif kind == "image":
            img = lim["image"]
            self.max_len(where + ".image_url", block.get("image_url"), img["image_url_max"])
            self.max_len(where + ".alt_text", block.get("alt_text"), img["alt_text_max"])
            if "title" in block:
                title_max = img["title_max"]
                self.text(where + ".title", block["title"], limit=title_max, plain_only=True)
        elif kind == "markdown":
            self.max_len(where + ".text", block.get("text"), lim["markdown"]["text_max"])
        # other types (divider, video, file, …): block_id only; python-slack-sdk checks the rest


def _sdk_violation(block: Mapping[str, Any]) -> str | None:
    """Build the block with python-slack-sdk and run its validators (recursively, via to_dict)."""
    from slack_sdk.models.blocks import Block

    logger = Block.logger
    previous = logger.disabled
    logger.disabled = True  # Block.parse warns on unknown types; we report those ourselves
    try:
        parsed = Block.parse(dict(block))
        if parsed is None:
            return "python-slack-sdk does not know this block type"
        parsed.validate_json()
        parsed.to_dict()  # to_dict() validates nested elements too
    except Exception as exc:  # any construction/validation error counts
        return f"python-slack-sdk: {type(exc).__name__}: {exc}"
    finally:
        logger.disabled = previous
    return None


def check_blocks(blocks: list[dict[str, Any]], surface: str = "message") -> list[str]:
    """Return human-readable Block Kit violations of ``blocks`` on a message, modal or home.

    Own checks read the raw dicts (python-slack-sdk silently coerces some mistakes, e.g. an
    unknown text type becomes mrkdwn). python-slack-sdk's validators are run per block too;
    their message is added only when the own checks found nothing in that block, to avoid
    reporting the same problem twice.
    """
    checker = _Checker()
    surfaces = checker.limits["surfaces"]
    if surface not in ("message", "modal", "home"):
        raise ValueError(f"unknown surface {surface!r}")
    if not isinstance(blocks, list):
        return [f"blocks: must be a list, got {type(blocks).__name__}"]
    limit = surfaces[surface]["max_blocks"]
    if len(blocks) > limit:
        checker.add("blocks", f"{len(blocks)} blocks, max {limit} on a {surface}")
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"blocks[{i}]"
        before = len(checker.violations)
        checker.block(where, block)
        if isinstance(block, Mapping):
            block_id = block.get("block_id")
            if isinstance(block_id, str):
                if block_id in seen_ids:
                    checker.add(where + ".block_id", f"duplicate block_id {block_id!r}")
                seen_ids.add(block_id)
            if len(checker.violations) == before and (problem := _sdk_violation(block)):
                checker.add(where, problem)
    return checker.violations


def check_message(args: Mapping[str, Any]) -> list[str]:
    """Return violations for a chat.postMessage / chat.update argument dict.

    ``blocks`` may be a list of dicts or a JSON string (form-encoded calls). ``text`` is
    required whenever blocks are sent (notification/accessibility fallback).
    """
    violations: list[str] = []
    text_max = block_kit_limits()["surfaces"]["message_text_truncated_after_chars"]["value"]
    text = args.get("text")
    if text is not None and not isinstance(text, str):
        violations.append(f"text: must be a string, got {type(text).__name__}")
    elif isinstance(text, str) and len(text) > text_max:
        violations.append(f"text: {len(text)} characters, Slack truncates after {text_max}")

    blocks: Any = args.get("blocks")
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except json.JSONDecodeError as exc:
            return [*violations, f"blocks: not valid JSON ({exc})"]
    has_text = isinstance(text, str) and bool(text.strip())
    if blocks is not None:
        violations.extend(check_blocks(blocks, "message"))
    if blocks and not has_text:
        violations.append("text: missing; give a fallback text whenever blocks are sent")
    elif not blocks and not has_text and not args.get("attachments"):
        violations.append("text: a message needs text, blocks or attachments")
    return violations


def assert_valid_message(args: Mapping[str, Any]) -> None:
    """Raise ``AssertionError`` listing every violation in a chat.postMessage/update payload."""
    violations = check_message(args)
    if violations:
        raise AssertionError("Slack message violates Block Kit limits:\n  - " + "\n  - ".join(violations))


def check_modal(view: Mapping[str, Any]) -> list[str]:
    """Return violations for a modal (``views.open``): its blocks on the modal surface, its title,
    submit and close texts, its private_metadata and callback_id."""
    lim = block_kit_limits()["surfaces"]["modal"]
    checker = _Checker()
    if view.get("type") != "modal":
        checker.add("type", f"{view.get('type')!r} is not 'modal'")
    checker.text("title", view.get("title"), limit=lim["title_max"], plain_only=True)
    for key in ("submit", "close"):
        if key in view:
            checker.text(key, view[key], limit=lim[f"{key}_max"], plain_only=True)
    inputs = any(b.get("type") == "input" for b in view.get("blocks") or [] if isinstance(b, Mapping))
    if inputs and "submit" not in view:
        checker.add("submit", "a modal with inputs needs a submit button")
    checker.max_len("private_metadata", view.get("private_metadata"), lim["private_metadata_max"])
    checker.max_len("callback_id", view.get("callback_id"), lim["callback_id_max"])
    blocks = view.get("blocks")
    return checker.violations + check_blocks(blocks if isinstance(blocks, list) else [], "modal")

"""The Slack app manifest conforms to Slack's schema; the Block Kit checker catches violations."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import ValidationError

from tests.support.slack_specs import (
    assert_valid_message,
    check_blocks,
    check_message,
    validate_slack_manifest,
)

MANIFEST_PATH = Path(__file__).resolve().parents[1] / "manifest" / "slack.yaml"
SOCKET_MODE_PATH = MANIFEST_PATH.with_name("slack-socket-mode.yaml")
EVENTS_URL = "https://laeringsbot.example.org/slack/events"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_manifest_validates_against_slack_schema(manifest: dict[str, Any]) -> None:
    validate_slack_manifest(manifest)


def test_manifest_content(manifest: dict[str, Any]) -> None:
    assert manifest["display_information"]["name"] == "Læringsbot"
    features = manifest["features"]
    assert features["bot_user"] == {"display_name": "laeringsbot", "always_online": True}
    assert features["app_home"]["messages_tab_enabled"] is True
    assert features["app_home"]["messages_tab_read_only_enabled"] is False
    assert features["app_home"]["home_tab_enabled"] is True  # the overview (app_home_opened)
    (command,) = features["slash_commands"]
    assert command["command"] == "/laering"
    assert command["url"] == EVENTS_URL
    assert command["should_escape"] is True
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(
        [
            "chat:write",
            "commands",
            "im:history",
            "channels:history",
            "groups:history",
            "users:read",
            "files:write",
            "im:write",
        ]
    )
    settings = manifest["settings"]
    assert settings["event_subscriptions"] == {
        "request_url": EVENTS_URL,
        "bot_events": [
            "message.im",
            "message.channels",
            "message.groups",
            "app_home_opened",
            "app_uninstalled",
            "tokens_revoked",
        ],
    }
    assert manifest["oauth_config"]["redirect_urls"] == ["https://laeringsbot.example.org/slack/oauth_redirect"]
    assert settings["interactivity"] == {"is_enabled": True, "request_url": EVENTS_URL}
    assert settings["socket_mode_enabled"] is False


def test_add_to_slack_asks_for_the_manifests_scopes(manifest: dict[str, Any]) -> None:
    from bot.slack.workspaces import SCOPES

    assert list(SCOPES) == manifest["oauth_config"]["scopes"]["bot"]


def _urls(node: Any, at: str = "") -> list[str]:
    """Where a manifest names a URL (a key `url` or `…_url`)."""
    if isinstance(node, dict):
        found = [f"{at}.{k}" for k in node if k == "url" or k.endswith("_url")]
        return found + [u for k, v in node.items() for u in _urls(v, f"{at}.{k}")]
    if isinstance(node, list):
        return [u for i, v in enumerate(node) for u in _urls(v, f"{at}[{i}]")]
    return []


def test_socket_mode_manifest_validates_against_slack_schema() -> None:
    socket_mode = yaml.safe_load(SOCKET_MODE_PATH.read_text(encoding="utf-8"))
    validate_slack_manifest(socket_mode)


def test_socket_mode_manifest_is_the_manifest_without_request_urls(manifest: dict[str, Any]) -> None:
    """manifest/slack-socket-mode.yaml: Socket Mode on, no request URL anywhere (Slack sends
    over the bot's WebSocket), and in all else manifest/slack.yaml: the same scopes, command,
    events, App Home and interactivity."""
    socket_mode = yaml.safe_load(SOCKET_MODE_PATH.read_text(encoding="utf-8"))
    assert socket_mode["settings"]["socket_mode_enabled"] is True
    assert _urls(socket_mode) == []
    assert "example.org" not in SOCKET_MODE_PATH.read_text(encoding="utf-8")
    assert _urls(manifest) == [
        ".features.slash_commands[0].url",
        ".settings.event_subscriptions.request_url",
        ".settings.interactivity.request_url",
    ]
    expected = copy.deepcopy(manifest)
    del expected["features"]["slash_commands"][0]["url"]
    del expected["settings"]["event_subscriptions"]["request_url"]
    del expected["settings"]["interactivity"]["request_url"]
    del expected["oauth_config"]["redirect_urls"]  # Socket Mode is one workspace: nothing to install from
    expected["settings"]["socket_mode_enabled"] = True
    assert socket_mode == expected
    assert socket_mode["settings"]["interactivity"] == {"is_enabled": True}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("display_information", "name"), None),  # required property removed
        (("display_information", "long_description"), "For kort."),  # minLength 175
        (("display_information", "background_color"), "blue"),  # non-standard `regex` keyword
        (("features", "slash_commands", 0, "command"), "laering"),  # must start with "/"
        (("oauth_config", "scopes", "bot", 0), "chat:write:" + "x" * 50),  # maxLength 50
        (("settings", "interactivity", "request_url"), "laeringsbot.example.org"),  # no scheme
        (("settings", "unknown_setting"), True),  # additionalProperties: false
    ],
)
def test_broken_manifest_fails(manifest: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    broken = copy.deepcopy(manifest)
    parent: Any = broken
    for key in path[:-1]:
        parent = parent[key]
    if value is None:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    with pytest.raises(ValidationError) as excinfo:
        validate_slack_manifest(broken)
    # the error points into the mutated part, not at an unrelated manifest-version branch
    assert tuple(excinfo.value.absolute_path)[: len(path) - 1] == path[:-1]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(label: str, **extra: Any) -> dict[str, Any]:
    text = {"type": "plain_text", "text": label}
    return {"type": "button", "text": text, "action_id": "ok", **extra}


VALID_BLOCKS: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "Læringskontrakt"}},
    _section("*Mål:* Bliv god til _Excel_"),
    {
        "type": "section",
        "fields": [
            {"type": "mrkdwn", "text": "*Kursus*\nExcel"},
            {"type": "plain_text", "text": "3 dage"},
        ],
    },
    {"type": "divider"},
    {
        "type": "actions",
        "block_id": "contract:42",
        "elements": [
            _button("Godkend", style="primary", value="42"),
            _button("Afvis", style="danger"),
        ],
    },
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "Svar i denne tråd"}]},
]


def test_valid_message_passes() -> None:
    args = {"channel": "D123", "text": "Læringskontrakt: Excel", "blocks": VALID_BLOCKS}
    assert check_blocks(VALID_BLOCKS) == []
    assert check_message(args) == []
    assert_valid_message(args)


@pytest.mark.parametrize(
    ("blocks", "needle"),
    [
        ([_section("x" * 3001)], "blocks[0].text.text: 3001 characters, max 3000"),
        (
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
            "blocks[0].fields: 11 items, max 10",
        ),
        (
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
            "blocks[0].fields[0].text: 2001 characters, max 2000",
        ),
        (
            [{"type": "actions", "elements": [_button("b" * 76)]}],
            "blocks[0].elements[0].text.text: 76 characters, max 75",
        ),
        ([_section("hej")] * 51, "blocks: 51 blocks, max 50 on a message"),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "*x*"}}], "blocks[0].text.type"),
        ([{"type": "actions", "elements": [_button("ok", style="green")]}], ".style"),
        ([{"type": "divider", "block_id": "b" * 256}], "blocks[0].block_id: 256 characters"),
        ([{"type": "section", "text": {"type": "markdown", "text": "x"}}], "blocks[0].text.type"),
        ([{"type": "no_such_block"}], "python-slack-sdk"),
    ],
)
def test_check_blocks_reports_violations(blocks: list[dict[str, Any]], needle: str) -> None:
    violations = check_blocks(blocks)
    assert any(needle in v for v in violations), violations


def test_modal_allows_100_blocks() -> None:
    assert check_blocks([_section("hej")] * 100, surface="modal") == []
    assert check_blocks([_section("hej")] * 101, surface="modal")


def test_check_message_requires_fallback_text_and_limits_text() -> None:
    assert any("fallback" in v for v in check_message({"channel": "D1", "blocks": VALID_BLOCKS}))
    assert check_message({"channel": "D1", "text": "x" * 40_001})
    assert check_message({"channel": "D1", "text": "x" * 40_000}) == []
    with pytest.raises(AssertionError, match="3001 characters"):
        assert_valid_message({"text": "t", "blocks": [_section("x" * 3001)]})


def slack_manifest_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MICROSOFT_", "SLACK_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "slack-manifest", *args],
        cwd=cwd,
        env=env | {"PYTHONPATH": str(MANIFEST_PATH.parents[1])},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_slack_manifest_writes_the_manifest_with_the_operators_host(manifest: dict[str, Any], tmp_path: Path) -> None:
    result = slack_manifest_cli("--host", "https://laeringsbot.aarhus.dk/", cwd=tmp_path)  # a URL is cut to its host
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "laeringsbot-slack.yaml").read_text(encoding="utf-8")
    assert "laeringsbot-slack.yaml" in result.stdout and "example.org" not in written
    assert written.startswith("# Slack app manifest for Læringsbot at laeringsbot.aarhus.dk")
    ours = yaml.safe_load(written)
    validate_slack_manifest(ours)
    url = "https://laeringsbot.aarhus.dk/slack/events"
    assert ours["features"]["slash_commands"][0]["url"] == url
    assert ours["settings"]["event_subscriptions"]["request_url"] == url
    assert ours["settings"]["interactivity"]["request_url"] == url
    # Everything else as in manifest/slack.yaml.
    expected = copy.deepcopy(manifest)
    expected["features"]["slash_commands"][0]["url"] = url
    expected["settings"]["event_subscriptions"]["request_url"] = url
    expected["settings"]["interactivity"]["request_url"] = url
    expected["oauth_config"]["redirect_urls"] = ["https://laeringsbot.aarhus.dk/slack/oauth_redirect"]
    assert ours == expected
    # To standard output, with a port.
    result = slack_manifest_cli("--host", "bot.kommune.dk:8443", "-o", "-", cwd=tmp_path)
    assert result.returncode == 0
    assert yaml.safe_load(result.stdout)["settings"]["interactivity"]["request_url"] == (
        "https://bot.kommune.dk:8443/slack/events"
    )


@pytest.mark.parametrize("host", ["http://laeringsbot.aarhus.dk", "laeringsbot aarhus", "laeringsbot.example.org"])
def test_slack_manifest_refuses_what_is_no_https_host(host: str, tmp_path: Path) -> None:
    result = slack_manifest_cli("--host", host, cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.strip(), result
    assert list(tmp_path.iterdir()) == []

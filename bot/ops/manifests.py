"""The app manifests with the operator's host in them: `laeringsbot slack-manifest --host H` and
`laeringsbot teams-package --host H`. The files in manifest/ carry the placeholder host
laeringsbot.example.org, so they stay valid against the platforms' schemas as they are.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

PLACEHOLDER = "laeringsbot.example.org"
EVENTS_PATH = "/slack/events"
REDIRECT_PATH = "/slack/oauth_redirect"
_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::\d{1,5})?$")


class ManifestError(Exception):
    pass


def manifest_dir() -> Path:
    """manifest/ of the source tree, or the one deploy/install.sh puts beside the virtual
    environment (PREFIX/manifest next to PREFIX/venv)."""
    for candidate in (Path(__file__).resolve().parents[2] / "manifest", Path(sys.prefix).parent / "manifest"):
        if (candidate / "slack.yaml").is_file():
            return candidate
    raise ManifestError("manifest/ was not found beside the source or the installation (deploy/install.sh)")


def host_of(value: str) -> str:
    """The public host name (and port) people and the platforms reach the bot at; a URL is
    cut to its host. Slack and Teams post only to HTTPS, so http:// is refused."""
    value = value.strip().rstrip("/")
    if value.startswith("http://"):
        raise ManifestError(f"{value}: Slack and Teams reach the bot only over HTTPS; give the host name")
    value = value.removeprefix("https://")
    if not _HOST.match(value) or value == PLACEHOLDER:
        raise ManifestError(f"{value!r} is not a host name (e.g. laeringsbot.kommune.dk)")
    return value


def slack_manifest(host: str, source: Path | None = None) -> str:
    """manifest/slack.yaml with every request URL on `host`, as YAML to paste into Slack."""
    host = host_of(host)
    path = (source or manifest_dir()) / "slack.yaml"
    manifest: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    url = f"https://{host}{EVENTS_PATH}"
    for command in manifest["features"].get("slash_commands", []):
        command["url"] = url
    if "redirect_urls" in manifest.get("oauth_config", {}):  # "Add to Slack" comes back here
        manifest["oauth_config"]["redirect_urls"] = [f"https://{host}{REDIRECT_PATH}"]
    settings = manifest["settings"]
    if "event_subscriptions" in settings:
        settings["event_subscriptions"]["request_url"] = url
    if "interactivity" in settings:
        settings["interactivity"]["request_url"] = url
    text = yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False, width=100)
    if PLACEHOLDER in text:
        raise ManifestError(f"{path} names {PLACEHOLDER} somewhere this command does not know")
    header = (
        f"# Slack app manifest for Læringsbot at {host}, written by `laeringsbot slack-manifest`\n"
        "# from manifest/slack.yaml. https://api.slack.com/apps -> Create New App -> From a manifest.\n"
    )
    return header + text


def teams_urls(manifest: dict[str, Any], host: str) -> dict[str, Any]:
    """The Teams manifest's developer links on `host` (the bot's endpoint is in the Azure Bot)."""
    host = host_of(host)
    developer = manifest["developer"]
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        if key in developer:
            developer[key] = developer[key].replace(f"https://{PLACEHOLDER}", f"https://{host}")
    return manifest

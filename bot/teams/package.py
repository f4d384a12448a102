"""The Teams app package an admin uploads: `manifest/teams/` with our app id and host in it, zipped.

The manifest in the repository carries a placeholder id and host, so it stays valid
against the schema; the package gets `MICROSOFT_APP_ID` (the Azure bot's app
registration) as both the app's id and the bot's id, and the operator's host in its links.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

from bot.ops.manifests import ManifestError, manifest_dir, teams_urls

FILES = ("manifest.json", "color.png", "outline.png", "en.json")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class PackageError(Exception):
    pass


def source_dir() -> Path:
    try:
        return manifest_dir() / "teams"
    except ManifestError as exc:
        raise PackageError(str(exc)) from exc


def manifest_for(app_id: str, source: Path | None = None, host: str | None = None) -> dict[str, Any]:
    source = source or source_dir()
    if not _GUID.match(app_id):
        raise PackageError(f"MICROSOFT_APP_ID must be the bot's app id, a GUID; got {app_id!r}")
    manifest: dict[str, Any] = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    manifest["id"] = app_id
    for bot in manifest.get("bots", []):
        bot["botId"] = app_id
    # Resource-specific consent (reading the replies in a learning meeting's thread without an
    # @mention) is granted to the app registration, which is the bot's.
    if "webApplicationInfo" in manifest:
        manifest["webApplicationInfo"]["id"] = app_id
    if host is not None:
        try:
            teams_urls(manifest, host)
        except ManifestError as exc:
            raise PackageError(str(exc)) from exc
    return manifest


def write(app_id: str, output: Path, source: Path | None = None, host: str | None = None) -> Path:
    """Write the zip (files at its root, as Teams wants them) and return its path."""
    source = source or source_dir()
    manifest = manifest_for(app_id, source, host)
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for name in FILES:
            if name == "manifest.json":
                package.writestr(name, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
            else:
                package.write(source / name, arcname=name)
    return output

"""The Teams app package: a manifest valid against Microsoft's schema, the icons Teams
requires, the bot's scopes and commands, and the zip `laeringsbot teams-package` writes."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from bot.core.i18n import Catalog
from tests.support.teams_specs import validate_teams_localization, validate_teams_manifest

ROOT = Path(__file__).resolve().parents[1]
MANIFEST_DIR = ROOT / "manifest" / "teams"
APP_ID = "6f1f3c2a-9d4e-4b7a-8c1d-2e3f4a5b6c7d"


def read_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    """Width, height and RGBA pixels of a non-interlaced 8-bit RGBA PNG (what Teams wants)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    idat = b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IDAT":
            idat += body
        chunks[kind] = body
        pos += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, color, interlace) == (8, 6, 0)
    raw, stride, previous = zlib.decompress(idat), width * 4, bytearray(width * 4)
    pixels: list[tuple[int, int, int, int]] = []
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - 4] if x >= 4 else 0
            up, corner = previous[x], previous[x - 4] if x >= 4 else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        pixels += [(line[i], line[i + 1], line[i + 2], line[i + 3]) for i in range(0, stride, 4)]
        previous = line
    return width, height, pixels


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads((MANIFEST_DIR / "manifest.json").read_text(encoding="utf-8"))
    return parsed


def test_manifest_and_its_english_strings_validate_against_the_v1_29_schema(manifest: dict[str, Any]) -> None:
    validate_teams_manifest(manifest)
    validate_teams_localization(json.loads((MANIFEST_DIR / "en.json").read_text(encoding="utf-8")))
    # Draft7Validator, not Draft4Validator: the schema pins manifestVersion with `const`.
    with pytest.raises(AssertionError, match="manifestVersion"):
        validate_teams_manifest(manifest | {"manifestVersion": "1.5"})


def test_the_bot_is_personal_and_team_with_the_slash_commands_words(manifest: dict[str, Any]) -> None:
    [bot] = manifest["bots"]
    assert bot["scopes"] == ["personal", "team"] and bot["isNotificationOnly"] is False
    [commands] = bot["commandLists"]
    assert commands["scopes"] == ["personal", "team"]
    catalog = Catalog.load(ROOT / "dialogs" / "messages")
    titles = [c["title"] for c in commands["commands"]]
    # Every command the bot knows that starts something or shows something (Teams shows at most 10).
    keys = (
        "commands.contract",
        "clinical.commands.clinical",
        "peer.commands.peer",
        "meeting.commands.meeting",
        "visit.commands.visit",
        "overview.commands.mine",
        "clinical.commands.folder",
        "export.commands.export",
        "commands.language",
        "commands.help",
    )
    assert len(titles) == len(keys) <= 10
    english = json.loads((MANIFEST_DIR / "en.json").read_text(encoding="utf-8"))
    for index, key in enumerate(keys):
        assert titles[index] in catalog.words(key), (titles[index], key)
        assert english[f"bots[0].commandLists[0].commands[{index}].title"] in catalog.words(key)
    assert manifest["localizationInfo"]["additionalLanguages"] == [{"languageTag": "en", "file": "en.json"}]


def test_the_icons_are_the_sizes_teams_requires_and_the_outline_is_white_on_transparent(
    manifest: dict[str, Any],
) -> None:
    width, height, pixels = read_png((MANIFEST_DIR / manifest["icons"]["color"]).read_bytes())
    assert (width, height) == (192, 192)
    assert all(p[3] == 255 for p in pixels)  # a full-colour icon fills its square
    width, height, pixels = read_png((MANIFEST_DIR / manifest["icons"]["outline"]).read_bytes())
    assert (width, height) == (32, 32)
    assert any(p[3] == 0 for p in pixels) and any(p[3] == 255 for p in pixels)
    assert all(p[:3] == (255, 255, 255) for p in pixels if p[3] > 0)


HOST = "laeringsbot.aarhus.dk"


def run_cli(*args: str, cwd: Path, app_id: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MICROSOFT_", "SLACK_"))}
    if app_id is not None:
        env["MICROSOFT_APP_ID"] = app_id
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "teams-package", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_teams_package_writes_the_zip_an_admin_uploads(tmp_path: Path) -> None:
    result = run_cli("--host", HOST, cwd=tmp_path, app_id=APP_ID)
    assert result.returncode == 0, result.stderr
    package = tmp_path / "laeringsbot-teams.zip"
    assert str(package.name) in result.stdout
    with zipfile.ZipFile(package) as archive:
        assert sorted(archive.namelist()) == ["color.png", "en.json", "manifest.json", "outline.png"]
        packaged = json.loads(archive.read("manifest.json"))
        icon = archive.read("color.png")
    validate_teams_manifest(packaged)
    assert packaged["id"] == APP_ID and packaged["bots"][0]["botId"] == APP_ID
    assert packaged["manifestVersion"] == "1.29"
    # The operator's host, with no hand editing; nothing of the placeholder is left.
    assert packaged["developer"] == {
        "name": "Læringsbot",
        "websiteUrl": f"https://{HOST}/",
        "privacyUrl": f"https://{HOST}/privatliv",
        "termsOfUseUrl": f"https://{HOST}/vilkaar",
    }
    assert "example.org" not in json.dumps(packaged)
    # Replies in a meeting's thread reach the bot without an @mention: resource-specific
    # consent for channel messages, granted to the bot's own app registration.
    assert packaged["webApplicationInfo"]["id"] == APP_ID
    assert {"name": "ChannelMessage.Read.Group", "type": "Application"} in packaged["authorization"]["permissions"][
        "resourceSpecific"
    ]
    assert read_png(icon)[:2] == (192, 192)
    # Without --host the links stay the placeholder's (the bot's endpoint is the Azure Bot's), and it says so.
    result = run_cli("--output", str(tmp_path / "placeholder.zip"), cwd=tmp_path, app_id=APP_ID)
    assert result.returncode == 0 and "give --host" in result.stderr
    with zipfile.ZipFile(tmp_path / "placeholder.zip") as archive:
        assert (
            json.loads(archive.read("manifest.json"))["developer"]["websiteUrl"] == "https://laeringsbot.example.org/"
        )
    # Elsewhere, with --output.
    result = run_cli("--host", HOST, "--output", str(tmp_path / "out" / "app.zip"), cwd=tmp_path, app_id=APP_ID)
    assert result.returncode == 0 and zipfile.is_zipfile(io.BytesIO((tmp_path / "out" / "app.zip").read_bytes()))


def test_teams_package_says_what_is_missing(tmp_path: Path) -> None:
    result = run_cli("--host", HOST, cwd=tmp_path, app_id=None)
    assert result.returncode == 2 and "MICROSOFT_APP_ID" in result.stderr
    result = run_cli("--host", HOST, cwd=tmp_path, app_id="not-a-guid")
    assert result.returncode == 2 and "GUID" in result.stderr
    for host in ("http://laeringsbot.aarhus.dk", "laeringsbot.aarhus.dk/bot", "laeringsbot.example.org"):
        result = run_cli("--host", host, cwd=tmp_path, app_id=APP_ID)
        assert result.returncode == 2 and host.removeprefix("http://") in result.stderr, (host, result.stderr)
    assert list(tmp_path.iterdir()) == []

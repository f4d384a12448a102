"""The bot as deploy/install.sh leaves it (what the Dockerfile runs): installed from a wheel, its
dialogs and manifests beside it, nothing of this checkout on its path.

The install takes half a minute, so `.ci/run` makes it once in a fresh prefix and runs this file
with LAERINGSBOT_INSTALLED set to that prefix; elsewhere it is skipped:

    PREFIX=/tmp/lb deploy/install.sh && LAERINGSBOT_INSTALLED=/tmp/lb ./dev test tests/ops/test_install.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_serve import free_port
from tests.ops.support import FOREIGN, ROOT, empty_database

PREFIX = os.environ.get("LAERINGSBOT_INSTALLED")
pytestmark = pytest.mark.skipif(not PREFIX, reason="set LAERINGSBOT_INSTALLED to a deploy/install.sh prefix")


def installed(*args: str, cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    assert PREFIX
    return subprocess.run(
        [f"{PREFIX}/venv/bin/laeringsbot", *args], cwd=cwd, env=clean(**settings), capture_output=True, text=True
    )


def clean(**settings: str) -> dict[str, str]:
    """No PYTHONPATH: the installed bot must run from its own site-packages, as in the image."""
    env = {k: v for k, v in os.environ.items() if not k.startswith((*FOREIGN, "PYTHON", "VIRTUAL_ENV"))}
    return env | {"DIALOGS_DIR": f"{PREFIX}/dialogs"} | settings


def test_the_installed_package_is_not_this_checkout(tmp_path: Path) -> None:
    where = subprocess.run(
        [f"{PREFIX}/venv/bin/python", "-c", "import bot; print(bot.__file__)"],
        cwd=tmp_path,
        env=clean(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.startswith(f"{PREFIX}/venv/") and not where.startswith(str(ROOT / "bot"))
    for folder in ("dialogs/messages", "manifest/teams"):
        assert (Path(f"{PREFIX}/{folder}")).is_dir(), folder


def test_the_installed_bot_migrates_and_serves(tmp_path: Path) -> None:
    with empty_database(tmp_path, "installed") as url:
        migrated = installed("migrate", cwd=tmp_path, DATABASE_URL=url)
        assert migrated.returncode == 0 and "Migrated the database from empty" in migrated.stdout, migrated.stderr
    # The playground: the page, its migrations and fonts are package data of the wheel.
    port = free_port()
    assert PREFIX
    process = subprocess.Popen(
        [f"{PREFIX}/venv/bin/laeringsbot", "serve"],
        cwd=tmp_path,
        env=clean(PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, "the installed bot did not start"
                time.sleep(0.2)
        assert ready.status_code == 200, ready.text
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code == 200 and "<title>Læringsbot</title>" in page.text
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=15)
    assert process.returncode == 0, output


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_the_systemd_unit_verifies_against_the_install(tmp_path: Path) -> None:
    """The unit as shipped, pointed at this prefix instead of /opt/laeringsbot: systemd finds its
    commands and every setting is one it knows."""
    assert PREFIX
    unit = tmp_path / "laeringsbot.service"
    unit.write_text((ROOT / "deploy/laeringsbot.service").read_text().replace("/opt/laeringsbot", PREFIX))
    verified = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    assert verified.returncode == 0 and not verified.stderr.strip(), verified.stderr


def test_the_installed_bot_writes_the_manifests_from_beside_it(tmp_path: Path) -> None:
    """No source tree: the manifests come from PREFIX/manifest, where deploy/install.sh put them."""
    slack = installed("slack-manifest", "--host", "laeringsbot.kommune.dk", "-o", "-", cwd=tmp_path)
    assert slack.returncode == 0, slack.stderr
    assert "request_url: https://laeringsbot.kommune.dk/slack/events" in slack.stdout
    teams = installed(
        "teams-package",
        "--host",
        "laeringsbot.kommune.dk",
        cwd=tmp_path,
        MICROSOFT_APP_ID="6f1f3c2a-9d4e-4b7a-8c1d-2e3f4a5b6c7d",
    )
    assert teams.returncode == 0, teams.stderr
    assert (tmp_path / "laeringsbot-teams.zip").is_file()

"""The install kit holds together: what the Dockerfile, compose.yaml, the Caddyfile and the
systemd unit name exists, and they run the bot the way README.md's "Deploying" says.

No image can be built here (no Docker daemon, no compose); the Dockerfile's install steps are
deploy/install.sh, which CI runs for real (tests/ops/test_install.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from tests.ops.support import ROOT

PREFIX = "/opt/laeringsbot"


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments), continuation lines joined, comments left out."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


def test_the_image_is_slim_official_python_installs_with_the_script_and_runs_as_a_user() -> None:
    steps = dockerfile()
    assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", steps[0][1]), steps[0]
    for instruction, arguments in steps:
        if instruction == "COPY":
            *sources, _ = arguments.split()
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
    runs = [a for i, a in steps if i == "RUN"]
    assert any(f"PREFIX={PREFIX} sh /src/deploy/install.sh" in run for run in runs), runs
    users = [a for i, a in steps if i == "USER"]
    assert users and users[-1] not in ("root", "0"), users
    env = " ".join(a for i, a in steps if i == "ENV")
    assert f"DIALOGS_DIR={PREFIX}/dialogs" in env and f"PATH={PREFIX}/venv/bin:" in env
    assert [a for i, a in steps if i == "CMD"] == ['["laeringsbot", "serve"]']


def test_compose_runs_two_bots_after_one_migration_behind_a_tls_proxy() -> None:
    services = compose()["services"]
    assert set(services) == {"db", "migrate", "bot", "proxy"}
    bot, migrate = services["bot"], services["migrate"]
    assert bot["deploy"]["replicas"] == 2
    assert bot["command"] == ["laeringsbot", "serve"] and migrate["command"] == ["laeringsbot", "migrate"]
    assert bot["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert bot["environment"] == migrate["environment"] and bot["image"] == migrate["image"]
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql://laeringsbot:")
    assert "/readyz" in " ".join(bot["healthcheck"]["test"])
    assert services["db"]["image"].startswith("postgres:")
    proxy = services["proxy"]
    assert proxy["image"].startswith("caddy:") and "443:443" in proxy["ports"]
    mounted = [volume.split(":")[0] for volume in proxy["volumes"]]
    assert "./deploy/Caddyfile" in mounted and (ROOT / "deploy/Caddyfile").is_file()


def test_the_proxy_sends_to_every_bot_and_keeps_the_probes_inside() -> None:
    caddyfile = (ROOT / "deploy/Caddyfile").read_text(encoding="utf-8")
    assert "{$LAERINGSBOT_HOST} {" in caddyfile
    assert re.search(r"dynamic a \{\s*name bot\s*port 3000", caddyfile)
    assert re.search(r"@inside path /metrics /readyz /livez /healthz\s*respond @inside 404", caddyfile)


@pytest.mark.skipif(not shutil.which("caddy"), reason="caddy is not installed (.ci/run installs Debian's)")
def test_caddy_accepts_the_caddyfile() -> None:
    validated = subprocess.run(
        ["caddy", "validate", "--adapter", "caddyfile", "--config", str(ROOT / "deploy/Caddyfile")],
        env=os.environ | {"LAERINGSBOT_HOST": "laeringsbot.example.org"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert validated.returncode == 0 and "Valid configuration" in validated.stdout + validated.stderr, validated.stderr


def test_the_unit_migrates_before_it_serves() -> None:
    unit: dict[str, list[str]] = {}
    for line in (ROOT / "deploy/laeringsbot.service").read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            unit.setdefault(key, []).append(value)
    assert unit["ExecStartPre"] == [f"{PREFIX}/venv/bin/laeringsbot migrate"]
    assert unit["ExecStart"] == [f"{PREFIX}/venv/bin/laeringsbot serve"]
    assert unit["User"] == ["laeringsbot"] and unit["EnvironmentFile"] == ["/etc/laeringsbot/laeringsbot.env"]
    assert f"DIALOGS_DIR={PREFIX}/dialogs" in unit["Environment"]


def test_the_install_script_is_what_the_dockerfile_and_the_unit_expect() -> None:
    script = (ROOT / "deploy/install.sh").read_text(encoding="utf-8")
    assert script.startswith("#!/bin/sh\n") and "set -eu" in script
    assert f"PREFIX=${{PREFIX:-{PREFIX}}}" in script
    assert (ROOT / "deploy/install.sh").stat().st_mode & 0o111, "deploy/install.sh is not executable"
    for folder in ("dialogs", "manifest"):
        assert f'cp -R "$SOURCE/{folder}" "$PREFIX/{folder}"' in script

"""`laeringsbot serve` as an operator meets it."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.e2e.harness import Chat


def test_serve_without_credentials_says_what_is_missing(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_"))}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "serve"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "manifest/slack.yaml"):
        assert name in result.stderr
    assert not (tmp_path / "laeringsbot.db").exists()


async def test_healthz_answers(chat: Chat) -> None:
    response = await chat.bot.http.get(f"{chat.bot.server.url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "platforms": ["slack"]}

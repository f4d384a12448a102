"""`laeringsbot serve` as an operator and a newcomer meet it: a real process."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time

import httpx

from tests.e2e.harness import Chat
from tests.fakes.slack_api import FakeSlack
from tests.support.process import BotProcess


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_without_credentials_serves_the_playground_on_sqlite(tmp_path) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "DATABASE_URL", "PLAYGROUND"))
    }
    port = free_port()
    env["PORT"] = str(port)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        page = None
        while time.monotonic() < deadline:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert page is not None and page.status_code == 200
        assert "<title>Læringsbot</title>" in page.text
        state = httpx.get(f"http://127.0.0.1:{port}/api/state?person=lise", timeout=5).json()
        assert state["texts"]["title"] == "Læringsbot – legeplads"
        assert (tmp_path / "laeringsbot.db").exists()
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=15)
    assert f"open http://127.0.0.1:{port}/ in your browser" in output
    assert "sqlite:///./laeringsbot.db" in output


async def test_healthz_answers(chat: Chat) -> None:
    assert chat.bot.server is not None
    response = await chat.bot.http.get(f"{chat.bot.server.url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "platforms": ["slack"]}


async def test_with_credentials_the_playground_is_not_served(chat: Chat) -> None:
    assert chat.bot.server is not None
    response = await chat.bot.http.get(f"{chat.bot.server.url}/api/state?person=lise")
    assert response.status_code == 404


def test_json_logs_carry_request_ids_and_the_clock_keeps_quiet(tmp_path) -> None:
    """LOG_FORMAT=json: an object a line. At the default level APScheduler's two lines at every
    tick of the clock are not heard (fontTools': tests/ops/test_logs.py)."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "DATABASE_URL", "PLAYGROUND"))
    }
    port = free_port()
    env |= {"PORT": str(port), "LOG_FORMAT": "json", "CLOCK_INTERVAL_SECONDS": "0.2", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/livez", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"
        said = httpx.post(f"{base}/api/say", json={"person": "lise", "text": "hjælp"}, headers={"X-Request-Id": "r-1"})
        assert said.status_code == 200 and said.headers["x-request-id"] == "r-1"
        time.sleep(1.0)  # five ticks of the clock
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=15)
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    access = [r for r in records if r["logger"] == "laeringsbot.access"]
    assert {"method": "POST", "path": "/api/say", "status": 200, "request_id": "r-1"}.items() <= access[0].items()
    assert all({"time", "level", "message"} <= r.keys() for r in records)
    assert not [r for r in records if r["logger"].startswith("apscheduler")], records
    assert "apscheduler" not in output


async def test_serve_asks_slack_for_its_token_at_start_and_says_ready(
    database_url: str, slack: FakeSlack, tmp_path
) -> None:
    """The real process, as a load balancer's probe meets it: ready once auth.test said yes."""
    process = BotProcess(database_url=database_url, slack=slack, workdir=tmp_path)
    try:
        await process.start()  # /healthz: the database answers
        for _ in range(100):
            ready = await process.http.get(f"{process.url}/readyz")
            if ready.status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert ready.status_code == 200, ready.text
        assert ready.json()["platforms"]["slack"] == "accepted: workspace Testteam (T1), bot user laeringsbot"
        assert len(slack.calls_of("auth.test")) == 1
        assert (await process.http.get(f"{process.url}/livez")).json() == {"status": "alive"}
    finally:
        await process.close()

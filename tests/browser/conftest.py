"""The playground in a real headless browser: `laeringsbot serve` as a process,
Chromium from Debian's packages driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from playwright.async_api import Page

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _browser_available() -> bool:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).exists()


if not _browser_available():
    if os.environ.get("REQUIRE_BROWSER"):
        raise RuntimeError(f"REQUIRE_BROWSER is set but Playwright or {CHROMIUM} is missing")
    pytest.skip(f"Playwright and {CHROMIUM} are needed for the browser tests", allow_module_level=True)


@pytest.fixture
def playground(tmp_path: Path, database_url: str) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "PLAYGROUND"))}
    env |= {"PORT": str(port), "DATABASE_URL": database_url, "PYTHONPATH": str(Path.cwd())}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "healthz", timeout=1)
                break
            except httpx.TransportError as exc:
                if time.monotonic() > deadline or process.poll() is not None:
                    output = process.stdout.read() if process.stdout else ""
                    raise RuntimeError("the playground did not start:\n" + output) from exc
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture
async def page(playground: str) -> AsyncIterator[Page]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = await browser.new_page(viewport={"width": 1200, "height": 900})
        page.set_default_timeout(10_000)
        await page.goto(playground)
        # The first render names the tabs, which moves them: a click before it can land on
        # the tab beside the one meant (the channel's click went to the direct message).
        from playwright.async_api import expect

        await expect(page.locator("#tab-channel")).not_to_be_empty()
        yield page
        await browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def have_chromium() -> bool:
    return shutil.which(CHROMIUM) is not None

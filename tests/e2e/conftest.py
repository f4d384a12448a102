from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.e2e.harness import Bot, Chat, FakeClock, TOKEN
from tests.fakes.slack_api import FakeSlack
from tests.support.server import LoopbackServer


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack(token=TOKEN)
    server = LoopbackServer(fake.app)
    fake.base_url = await server.start()
    yield fake
    await server.stop()


@pytest.fixture
async def bot(database_url: str, slack: FakeSlack) -> AsyncIterator[Bot]:
    running = Bot(database_url=database_url, slack=slack, clock=FakeClock())
    await running.start()
    yield running
    await running.stop()
    await running.http.aclose()


@pytest.fixture
def chat(bot: Bot) -> Iterator[Chat]:
    c = Chat(bot)
    c.person("ULISE", "Lise", locale="da-DK")
    c.person("UMADS", "Mads", locale="da-DK")
    c.person("USOFIE", "Sofie", locale="en-GB", tz="Europe/London")
    c.person("UANNA", "Anna", locale="da-DK")
    yield c
    # Whatever a test made the bot send must be within Slack's published limits.
    c.check_payloads()

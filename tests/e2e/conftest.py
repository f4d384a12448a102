from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bot.app import create_app
from bot.settings import Settings
from tests.e2e.harness import TOKEN, Bot, Chat, FakeClock
from tests.e2e.teams_harness import TeamsBot, TeamsChat
from tests.fakes.slack_api import FakeSlack
from tests.fakes.teams_api import FakeTeams
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
def chat(slack_chat: Chat) -> Chat:
    return slack_chat


@pytest.fixture
def slack_chat(bot: Bot) -> Iterator[Chat]:
    c = Chat(bot)
    c.person("ULISE", "Lise", locale="da-DK")
    c.person("UMADS", "Mads", locale="da-DK")
    c.person("USOFIE", "Sofie", locale="en-GB", tz="Europe/London")
    c.person("UANNA", "Anna", locale="da-DK")
    yield c
    # Whatever a test made the bot send must be within Slack's published limits.
    c.check_payloads()


@pytest.fixture
async def teams() -> AsyncIterator[FakeTeams]:
    fake = FakeTeams()
    server = LoopbackServer(fake.app)
    fake.base_url = await server.start()
    yield fake
    await server.stop()


@pytest.fixture
async def teams_bot(database_url: str, teams: FakeTeams) -> AsyncIterator[TeamsBot]:
    running = TeamsBot(database_url=database_url, teams=teams, clock=FakeClock())
    await running.start()
    yield running
    await running.stop()
    await running.http.aclose()


@pytest.fixture
async def teams_chat(teams_bot: TeamsBot) -> AsyncIterator[TeamsChat]:
    c = TeamsChat(teams_bot)
    for handle, name, locale, tz in (
        ("ULISE", "Lise", "da-DK", "Europe/Copenhagen"),
        ("UMADS", "Mads", "da-DK", "Europe/Copenhagen"),
        ("USOFIE", "Sofie", "en-GB", "Europe/London"),
        ("UANNA", "Anna", "da-DK", "Europe/Copenhagen"),
    ):
        c.person(handle, name, locale=locale, tz=tz)
        await c.install(handle)
    await c.settle()
    c.read = {handle: len(c.texts(handle)) for handle in ("ULISE", "UMADS", "USOFIE", "UANNA")}
    yield c
    # Whatever a test made the bot send must be valid against Microsoft's schemas.
    c.check_payloads()


@pytest.fixture(params=["slack", "teams"])
def any_chat(request: pytest.FixtureRequest) -> Chat | TeamsChat:
    """The same scenario on Slack and on Teams, through the same driver interface."""
    chat: Chat | TeamsChat = request.getfixturevalue(f"{request.param}_chat")
    return chat


@pytest.fixture
async def http(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The playground's page API over HTTP: the real app with `playground=True`, on loopback."""
    server = LoopbackServer(
        create_app(Settings(_env_file=None, database_url=database_url, playground=True, clock_interval_seconds=3600))
    )
    url = await server.start()
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            yield client
    finally:
        await server.stop()

"""/livez, /readyz and /metrics, and the access log, over HTTP on loopback, as an operator's
probes and Prometheus meet them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from bot.app import create_app
from bot.settings import Settings
from bot.storage.db import _driver_url
from tests.e2e.harness import SECRET, TOKEN, Chat
from tests.fakes.slack_api import FakeSlack
from tests.fakes.teams_api import APP_ID, APP_PASSWORD, TENANT_ID, FakeTeams
from tests.support.server import LoopbackServer

LISE, MADS = "ULISE", "UMADS"


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    """The app as `serve` builds it (credentials asked at start), on loopback."""
    server = LoopbackServer(create_app(settings, check_credentials=True))
    url = await server.start()
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            yield url, http
    finally:
        await server.stop()


def slack_settings(database_url: str, slack: FakeSlack, token: str = TOKEN) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        slack_bot_token=token,
        slack_signing_secret=SECRET,
        slack_api_url=slack.api_url,
        clock_interval_seconds=3600,
    )


async def until(http: httpx.AsyncClient, path: str, done: Callable[[httpx.Response], bool]) -> httpx.Response:
    for _ in range(100):
        response = await http.get(path)
        if done(response):
            return response
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path}: {response.status_code} {response.text}")


async def test_ready_once_slack_accepted_the_token(database_url: str, slack: FakeSlack) -> None:
    async with serving(slack_settings(database_url, slack)) as (_, http):
        assert (await http.get("/livez")).json() == {"status": "alive"}
        ready = await until(http, "/readyz", lambda r: r.status_code == 200)
    body = ready.json()
    assert body["status"] == "ready" and body["database"] == "ok"
    assert body["schema"].startswith("at head")
    assert body["platforms"]["slack"].startswith("accepted: workspace")
    assert len(slack.calls_of("auth.test")) == 1


async def test_not_ready_while_slack_is_away_then_ready(database_url: str, slack: FakeSlack) -> None:
    slack.fail_next("auth.test", 503, times=1)
    async with serving(slack_settings(database_url, slack)) as (_, http):
        waiting = await until(http, "/readyz", lambda r: "unknown: Slack answered 503" in r.text)
        assert waiting.status_code == 503 and waiting.json()["status"] == "not ready"
        assert (await http.get("/livez")).status_code == 200  # alive all the while: not to be restarted
        await until(http, "/readyz", lambda r: r.status_code == 200)  # asked again after a second
    assert len(slack.calls_of("auth.test", include_failed=True)) == 2


async def test_a_refused_token_is_not_ready(database_url: str, slack: FakeSlack) -> None:
    async with serving(slack_settings(database_url, slack, token="xoxb-revoked")) as (_, http):
        refused = await until(http, "/readyz", lambda r: "refused" in r.text)
        await asyncio.sleep(1.2)  # a refusal is final: not asked again
    assert refused.status_code == 503
    assert refused.json()["platforms"]["slack"] == "refused: Slack refused the bot token: invalid_auth"
    assert len(slack.calls_of("auth.test", include_failed=True)) == 1


@pytest.mark.parametrize("password", [APP_PASSWORD, "wrong"])
async def test_teams_credentials_are_a_token_from_the_tenant(database_url: str, teams: FakeTeams, password) -> None:
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        microsoft_app_id=APP_ID,
        microsoft_app_password=password,
        microsoft_app_tenant_id=TENANT_ID,
        teams_openid_metadata_url=teams.metadata_url,
        teams_token_url=teams.token_url,
        clock_interval_seconds=3600,
    )
    async with serving(settings) as (_, http):
        answer = await until(http, "/readyz", lambda r: "unknown" not in r.text)
    verdict = answer.json()["platforms"]["teams"]
    if password == APP_PASSWORD:
        assert answer.status_code == 200 and verdict.startswith("accepted: a Bot Framework token")
    else:
        assert answer.status_code == 503 and verdict.startswith("refused: the token endpoint refused")
    assert teams.calls_of("token", include_failed=True)[0].path == f"/login/{TENANT_ID}/oauth2/v2.0/token"


async def test_not_ready_on_a_schema_behind_this_version(database_url: str, slack: FakeSlack) -> None:
    engine = create_engine(_driver_url(database_url, asynchronous=False))
    with engine.begin() as conn:  # as if the last migration had not run
        [head] = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        conn.execute(text("UPDATE alembic_version SET version_num = '0006'"))
    try:
        async with serving(slack_settings(database_url, slack)) as (_, http):
            answer = await until(http, "/readyz", lambda r: "accepted" in r.text)
    finally:  # on PostgreSQL the next test of this process gets the same schema, emptied but not migrated
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        engine.dispose()
    assert answer.status_code == 503
    assert answer.json()["schema"].startswith("behind (database: 0006;")


async def test_an_app_not_built_by_serve_says_its_credentials_were_not_checked(chat: Chat) -> None:
    assert chat.bot.server is not None
    answer = await chat.bot.http.get(f"{chat.bot.server.url}/readyz")
    assert answer.status_code == 503
    assert answer.json()["platforms"] == {"slack": "unknown: not checked by this server"}
    assert chat.slack.calls_of("auth.test", include_failed=True) == []


def samples(page: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Prometheus' text format read back by its own parser: (name, labels) -> value."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(page)
        for s in family.samples
    }


async def test_metrics_count_sends_rate_limits_backlog_events_and_dialogs(chat: Chat) -> None:
    assert chat.bot.server is not None
    url = f"{chat.bot.server.url}/metrics"
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.settle()

    page = await chat.bot.http.get(url)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain; version=")
    first = samples(page.text)
    sent = first[("laeringsbot_outbox_sends_total", (("outcome", "sent"), ("platform", "slack")))]
    assert sent >= 4  # Lise's start and first question, Mads' invitation and first question
    assert first[("laeringsbot_inbox_event_seconds_count", ())] == 1  # the command, arrival to done
    assert first[("laeringsbot_inbox_event_seconds_sum", ())] < 5
    assert first[("laeringsbot_pending_rows", (("queue", "inbox"),))] == 0
    assert first[("laeringsbot_pending_rows", (("queue", "outbox"),))] == 0
    assert first[("laeringsbot_oldest_pending_seconds", (("queue", "outbox"),))] == 0
    assert first[("laeringsbot_open_dialogs", (("flow", "elearning"), ("status", "active")))] == 2

    # Slack rate-limits Mads' DM for a long while; the answer's next question waits in the outbox.
    chat.slack.fail_next("chat.postMessage", 429, retry_after=3600)
    await chat.say(MADS, "Viden om demenstyper")
    await chat.settle()
    chat.bot.clock.advance(minutes=10)
    second = samples((await chat.bot.http.get(url)).text)
    assert second[("laeringsbot_rate_limited_total", (("platform", "slack"),))] == 1
    assert second[("laeringsbot_outbox_sends_total", (("outcome", "retry"), ("platform", "slack")))] == 1
    assert second[("laeringsbot_pending_rows", (("queue", "outbox"),))] == 1
    assert 600 <= second[("laeringsbot_oldest_pending_seconds", (("queue", "outbox"),))] < 700
    assert second[("laeringsbot_inbox_event_seconds_count", ())] == 2

    chat.bot.clock.advance(hours=1)
    await chat.settle()
    await chat.expect(MADS, "Spørgsmål 2 af 3")
    third = samples((await chat.bot.http.get(url)).text)
    assert third[("laeringsbot_pending_rows", (("queue", "outbox"),))] == 0
    assert third[("laeringsbot_outbox_sends_total", (("outcome", "sent"), ("platform", "slack")))] == sent + 1


async def test_the_access_log_has_method_path_status_and_time_never_content(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    assert chat.bot.server is not None
    with caplog.at_level(logging.DEBUG, logger="laeringsbot.access"):
        response = await chat.command(LISE, "kontrakt <@UMADS|mads> Hemmelig Titel", **{"X-Request-Id": "req-42"})
        await chat.bot.http.get(f"{chat.bot.server.url}/files/some-signed-token")
    assert response.headers["x-request-id"] == "req-42"
    lines = [r for r in caplog.records if r.name == "laeringsbot.access"]
    command = next(r for r in lines if getattr(r, "request_id", None) == "req-42")
    assert command.getMessage().startswith("POST /slack/events 200 ")
    assert (command.method, command.path, command.status) == ("POST", "/slack/events", 200)  # type: ignore[attr-defined]
    assert command.duration_ms >= 0  # type: ignore[attr-defined]
    download = lines[-1]
    assert download.getMessage().startswith("GET /files/{token} ")  # the link's token is a key: not logged
    logged = "\n".join(r.getMessage() + str(r.__dict__) for r in lines)
    assert "Hemmelig" not in logged and "some-signed-token" not in logged and "kontrakt" not in logged

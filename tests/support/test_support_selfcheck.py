"""Self-checks for the test helpers: loopback server, FakeSlack and Slack request signing."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from urllib.parse import parse_qs

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tests.fakes import slack_signing
from tests.fakes.slack_api import FakeSlack
from tests.support.server import LoopbackServer, serve

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Hej* Lise"}}]


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    fake.add_user("U1", "lise", real_name="Lise Hansen")
    async with serve(fake.app) as server:
        fake.base_url = server.url
        yield fake


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=fake.api_url)


async def test_loopback_server_runs_lifespan_and_serves() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    async def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse("hej")

    server = LoopbackServer(Starlette(routes=[Route("/", hello)], lifespan=lifespan))
    url = await server.start()
    assert url == server.url and url.startswith("http://127.0.0.1:") and server.port > 0
    assert events == ["startup"]
    async with httpx.AsyncClient() as http:
        assert (await http.get(url + "/")).text == "hej"
    await server.stop()
    assert events == ["startup", "shutdown"]


async def test_loopback_server_reports_failed_startup() -> None:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        raise RuntimeError("boom")
        yield

    with pytest.raises(RuntimeError, match="failed to start"):
        await LoopbackServer(Starlette(lifespan=lifespan)).start()


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_post_message_json_and_form(fake: FakeSlack, client: AsyncWebClient) -> None:
    first = await client.chat_postMessage(channel="U1", text="Hej", blocks=BLOCKS)
    assert first["channel"] == "D1"
    assert first["message"]["blocks"] == BLOCKS
    # Form encoding carries blocks as a JSON string; the fake must hand them back as a list.
    form = {"channel": "D1", "text": "Hej", "blocks": json.dumps(BLOCKS)}
    second = await client.api_call("chat.postMessage", data=form)
    assert float(second["ts"]) > float(first["ts"])

    assert [p["blocks"] for p in fake.posts("U1")] == [BLOCKS, BLOCKS]
    assert fake.posts("D1") == fake.posts() and fake.posts("C9") == []
    assert fake.calls[0].headers["authorization"] == "Bearer xoxb-test"
    assert fake.calls[1].headers["content-type"] == "application/x-www-form-urlencoded"

    updated = await client.chat_update(channel="D1", ts=first["ts"], text="Opdateret")
    assert updated["text"] == "Opdateret"
    with pytest.raises(SlackApiError) as not_dm_id:
        await client.chat_update(channel="U1", ts=first["ts"], text="x")
    assert not_dm_id.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as no_text:
        await client.chat_postMessage(channel="U1", text="")
    assert no_text.value.response["error"] == "no_text"


async def test_users_info_open_and_auth(fake: FakeSlack, client: AsyncWebClient) -> None:
    info = await client.users_info(user="U1", include_locale=True)
    assert info["user"]["locale"] == "da-DK"
    assert info["user"]["tz"] == "Europe/Copenhagen" and info["user"]["tz_offset"] in (3600, 7200)
    assert info["user"]["profile"]["real_name"] == "Lise Hansen"
    assert "locale" not in (await client.users_info(user="U1"))["user"]
    with pytest.raises(SlackApiError) as unknown:
        await client.users_info(user="U404")
    assert unknown.value.response["error"] == "user_not_found"

    assert (await client.conversations_open(users="U1"))["channel"]["id"] == "D1"
    assert (await client.auth_test())["user_id"] == "UBOT"
    with pytest.raises(SlackApiError) as unknown_method:
        await client.api_call("reactions.add", json={"name": "tada"})
    assert unknown_method.value.response["error"] == "unknown_method"
    assert fake.calls[-1].method == "reactions.add" and fake.calls[-1].failed

    async with httpx.AsyncClient() as http:
        response = await http.post(fake.api_url + "auth.test")
    assert response.json() == {"ok": False, "error": "not_authed"}


async def test_rate_limit_is_retried(fake: FakeSlack, client: AsyncWebClient) -> None:
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    fake.fail_next("chat.postMessage", status=429, retry_after=0)

    response = await client.chat_postMessage(channel="C1", text="Hej")

    assert response["ok"]
    calls = await fake.wait_for_calls(2, "chat.postMessage")
    assert [(c.failed, c.status) for c in calls] == [(True, 429), (False, 200)]
    assert len(fake.posts("C1")) == 1


async def test_server_error_and_timeout_injection(fake: FakeSlack) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=fake.api_url, timeout=1)
    fake.fail_next("auth.test", status=503)
    with pytest.raises(SlackApiError) as unavailable:
        await client.auth_test()
    assert unavailable.value.response.status_code == 503

    fake.fail_next("auth.test", timeout=3)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await client.auth_test()
    assert time.monotonic() - started < 2.5
    hung_up = await fake.wait_for(lambda f: f.calls[-1] if f.calls[-1].status == 499 else None)
    assert hung_up.failed


async def test_messages_to_and_wait_for(fake: FakeSlack, client: AsyncWebClient) -> None:
    await client.chat_postMessage(channel="U1", text="dm")
    await client.chat_postEphemeral(channel="C1", user="U1", text="kun til dig")
    await client.chat_postMessage(channel="C1", text="til kanalen")
    url = fake.response_url("tok1", user="U1")
    webhook = await AsyncWebhookClient(url).send(text="svar", replace_original=True)
    assert (webhook.status_code, webhook.body) == (200, "ok")

    assert [m["text"] for m in fake.messages_to("U1")] == ["dm", "kun til dig", "svar"]
    assert await fake.wait_for(lambda f: len(f.messages_to("U1")) == 3)
    with pytest.raises(AssertionError, match=r"chat\.postMessage"):
        await fake.wait_for(lambda f: len(f.calls) > 10, timeout=0.1)
    fake.clear()
    assert fake.calls == []


@pytest.mark.parametrize(
    "make_body",
    [
        lambda: slack_signing.slash_command_body(text="hjælp"),
        lambda: slack_signing.event_body(slack_signing.dm_message_event("U1", "hej")),
        lambda: slack_signing.block_actions_body(
            "U1", "answer", "ja", message_ts="1700000000.000100", channel_id="D1", response_url="http://x/"
        ),
    ],
)
def test_signature_verifies_with_slack_sdk(make_body: Callable[[], str]) -> None:
    body = make_body()
    headers = slack_signing.sign(body, "s3cret")
    verifier = SignatureVerifier("s3cret")
    assert verifier.is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)
    assert not verifier.is_valid_request(body + "x", headers)


def test_bodies_have_slack_shape() -> None:
    command = parse_qs(slack_signing.slash_command_body(text="hjælp mig"))
    assert command["command"] == ["/laering"] and command["text"] == ["hjælp mig"]
    assert command["trigger_id"] != parse_qs(slack_signing.slash_command_body())["trigger_id"]

    envelope = json.loads(slack_signing.event_body(slack_signing.dm_message_event("U1", "hej")))
    assert envelope["type"] == "event_callback" and envelope["event_id"].startswith("Ev")
    assert envelope["event"]["channel"] == "D1" and envelope["event"]["channel_type"] == "im"

    body = slack_signing.block_actions_body(
        "U1", "answer", "ja", message_ts="1.2", channel_id="D1", response_url="http://x/"
    )
    payload = json.loads(parse_qs(body)["payload"][0])
    assert payload["type"] == "block_actions" and payload["actions"][0]["value"] == "ja"
    assert payload["container"]["message_ts"] == "1.2"

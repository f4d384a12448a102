"""The Bot Connector client against httpx.MockTransport: tokens, URLs, retries, and what gives up how."""

from __future__ import annotations

import json

import httpx
import pytest

from bot.teams.connector import SCOPE, AppToken, Connector, ConnectorError

SERVICE = "https://smba.trafficmanager.net/emea/"
TOKEN_URL = "https://login.example/tenant/oauth2/v2.0/token"


class Microsoft:
    """Answers the token endpoint, and the connector with whatever the test queued."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: list[httpx.Response | Exception] = []
        self.tokens = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if str(request.url) == TOKEN_URL:
            self.tokens += 1
            return httpx.Response(
                200, json={"token_type": "Bearer", "expires_in": 3600, "access_token": f"token-{self.tokens}"}
            )
        if self.answers:
            answer = self.answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        return httpx.Response(201, json={"id": "1:1"})

    def connector_calls(self) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url) != TOKEN_URL]


@pytest.fixture
def microsoft() -> Microsoft:
    return Microsoft()


@pytest.fixture
def clock() -> list[float]:
    return [1000.0]


@pytest.fixture
def connector(microsoft: Microsoft, clock: list[float]) -> Connector:
    http = httpx.AsyncClient(transport=httpx.MockTransport(microsoft))
    token = AppToken(http, TOKEN_URL, "app-id", "secret", clock=lambda: clock[0])
    return Connector(http, token)


def error(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": "m"}}, headers=headers)


async def test_urls_keep_the_service_path_and_quote_ids_and_one_token_serves_many(
    connector: Connector, microsoft: Microsoft, clock: list[float]
) -> None:
    activity = {"type": "message", "text": "hej"}
    assert await connector.send(SERVICE, "a:1xyz;messageid=1", activity) == "1:1"
    microsoft.answers.append(httpx.Response(200, json={"id": "1:7"}))
    await connector.update(SERVICE, "a:1xyz", "1:7", activity)
    first, second = microsoft.connector_calls()
    assert str(first.url) == "https://smba.trafficmanager.net/emea/v3/conversations/a%3A1xyz%3Bmessageid%3D1/activities"
    assert (second.method, str(second.url)) == (
        "PUT",
        "https://smba.trafficmanager.net/emea/v3/conversations/a%3A1xyz/activities/1%3A7",
    )
    assert json.loads(second.content) == {"type": "message", "text": "hej", "id": "1:7"}
    assert first.headers["Authorization"] == "Bearer token-1"
    token_request = microsoft.requests[0]
    assert dict(httpx.QueryParams(token_request.content.decode())) == {
        "grant_type": "client_credentials",
        "client_id": "app-id",
        "client_secret": "secret",
        "scope": SCOPE,
    }
    assert microsoft.tokens == 1
    # Renewed five minutes before it expires.
    clock[0] += 3600 - 301
    await connector.send(SERVICE, "a:1xyz", activity)
    assert microsoft.tokens == 1
    clock[0] += 2
    await connector.send(SERVICE, "a:1xyz", activity)
    assert microsoft.tokens == 2


async def test_a_1_to_1_conversation_is_created_in_the_tenant(connector: Connector, microsoft: Microsoft) -> None:
    microsoft.answers.append(httpx.Response(201, json={"id": "a:1new"}))
    assert await connector.create_conversation(SERVICE, bot_id="28:app", user_id="29:ole", tenant_id="t") == "a:1new"
    body = json.loads(microsoft.connector_calls()[0].content)
    assert body == {
        "bot": {"id": "28:app"},
        "members": [{"id": "29:ole"}],
        "isGroup": False,
        "tenantId": "t",
        "channelData": {"tenant": {"id": "t"}},
    }
    assert str(microsoft.connector_calls()[0].url) == "https://smba.trafficmanager.net/emea/v3/conversations"


@pytest.mark.parametrize("status", [412, 429, 500, 502, 503, 504])
async def test_passing_errors_are_temporary_and_left_to_the_outbox(
    connector: Connector, microsoft: Microsoft, status: int
) -> None:
    """Nothing sleeps inside a call: the outbox waits, for this conversation only."""
    microsoft.answers.append(error(status, "Busy"))
    with pytest.raises(ConnectorError) as caught:
        await connector.send(SERVICE, "a:1", {"type": "message"})
    assert caught.value.temporary and caught.value.status == status
    assert len(microsoft.connector_calls()) == 1
    # A 5xx may have been carried out; a 429 or 412 was not.
    assert caught.value.uncertain == (status >= 500)


async def test_retry_after_is_handed_to_the_outbox_long_values_included(
    connector: Connector, microsoft: Microsoft
) -> None:
    for header, expected in (("2", 2.0), ("120", 120.0)):
        microsoft.answers.append(error(429, "TooManyRequests", {"Retry-After": header}))
        with pytest.raises(ConnectorError) as caught:
            await connector.send(SERVICE, "a:1", {"type": "message"})
        assert caught.value.temporary and caught.value.retry_after == expected
    microsoft.answers.append(error(429, "TooManyRequests"))
    with pytest.raises(ConnectorError) as caught:
        await connector.send(SERVICE, "a:1", {"type": "message"})
    assert caught.value.retry_after is None  # the outbox's own backoff


async def test_what_fails_is_temporary_and_what_is_refused_is_not(connector: Connector, microsoft: Microsoft) -> None:
    microsoft.answers.append(httpx.ReadTimeout("slow"))
    with pytest.raises(ConnectorError) as caught:
        await connector.send(SERVICE, "a:1", {"type": "message"})
    assert caught.value.temporary and caught.value.uncertain  # it may have arrived
    microsoft.answers.append(httpx.ConnectError("refused"))
    with pytest.raises(ConnectorError) as caught:
        await connector.send(SERVICE, "a:1", {"type": "message"})
    assert caught.value.temporary and not caught.value.uncertain  # it never got there

    for status, code in ((403, "BotNotInConversationRoster"), (404, "ConversationNotFound"), (400, "BadArgument")):
        calls = len(microsoft.connector_calls())
        microsoft.answers.append(error(status, code))
        with pytest.raises(ConnectorError) as caught:
            await connector.send(SERVICE, "a:1", {"type": "message"})
        assert not caught.value.temporary and caught.value.code == code
        assert len(microsoft.connector_calls()) == calls + 1  # not retried


async def test_a_refused_token_is_renewed_once(connector: Connector, microsoft: Microsoft) -> None:
    microsoft.answers.append(error(401, "Unauthorized"))
    await connector.send(SERVICE, "a:1", {"type": "message"})
    assert microsoft.tokens == 2
    assert [c.headers["Authorization"] for c in microsoft.connector_calls()] == ["Bearer token-1", "Bearer token-2"]
    microsoft.answers += [error(401, "Unauthorized")] * 2
    with pytest.raises(ConnectorError) as caught:
        await connector.send(SERVICE, "a:1", {"type": "message"})
    assert caught.value.temporary  # wrong credentials: keep the message until an operator fixes them


async def test_a_failing_token_endpoint_is_temporary() -> None:
    calls: list[httpx.Request] = []

    def down(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(401, json={"error": "invalid_client"})

    http = httpx.AsyncClient(transport=httpx.MockTransport(down))
    connector = Connector(http, AppToken(http, TOKEN_URL, "app", "wrong"))
    with pytest.raises(ConnectorError) as caught:
        await connector.send(SERVICE, "a:1", {"type": "message"})
    assert caught.value.temporary and caught.value.status == 401
    assert len(calls) == 1  # wrong credentials are not hammered

"""The Bot Connector REST API (v3) through httpx.

An app token comes from `TEAMS_TOKEN_URL` by client credentials and is cached
until shortly before it expires. Activities are sent, updated and 1:1
conversations created at the `serviceUrl` Teams gave us, path included
(`https://smba.trafficmanager.net/emea/`). A call is made once (and once more
with a fresh token when the connector refuses the old one): 429, 412, 5xx and
timeouts are a `ConnectorError` that says whether trying later may help, after
how long (`Retry-After`), and whether the call may have taken effect. The
outbox waits for that in the one conversation it concerns; nothing here sleeps.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from bot.workers.platform import retry_after

log = logging.getLogger(__name__)

SCOPE = "https://api.botframework.com/.default"
TOKEN_EARLY = 300.0  # renew this many seconds before the token expires
RETRY_STATUSES = frozenset({412, 429, 500, 502, 503, 504})
# A member look-up is made while Teams waits for the answer to a press (bot/teams/picks.py).
MEMBER_TIMEOUT = 3.0
# Answers after which the call may still have been carried out.
UNCERTAIN_STATUSES = frozenset({500, 502, 503, 504})


class ConnectorError(Exception):
    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        temporary: bool = False,
        retry_after: float | None = None,
        uncertain: bool = False,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.temporary = status, code, temporary
        self.retry_after, self.uncertain = retry_after, uncertain


class AppToken:
    """The bot's own access token for the Bot Connector (client credentials)."""

    def __init__(
        self, http: httpx.AsyncClient, url: str, app_id: str, password: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.http, self.url, self.app_id, self.password, self.clock = http, url, app_id, password, clock
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        if self._token and self.clock() < self._expires - TOKEN_EARLY:
            return self._token
        async with self._lock:
            if self._token and self.clock() < self._expires - TOKEN_EARLY:
                return self._token
            try:
                response = await self.http.post(
                    self.url,
                    data={
                        "grant_type": "client_credentials",
                        "client_id": self.app_id,
                        "client_secret": self.password,
                        "scope": SCOPE,
                    },
                )
            except httpx.HTTPError as exc:
                raise ConnectorError(f"token endpoint unreachable: {exc!r}", temporary=True) from exc
            if response.status_code != 200:
                # Wrong credentials included: keep the messages until an operator fixes them.
                raise ConnectorError(
                    f"token endpoint answered {response.status_code}: {response.text[:200]}",
                    status=response.status_code,
                    temporary=True,
                )
            body = response.json()
            self._token = body["access_token"]
            self._expires = self.clock() + float(body.get("expires_in", 3600))
            return self._token

    def forget(self) -> None:
        self._token = None


def _path(part: str) -> str:
    return quote(part, safe="")


def _error(response: httpx.Response) -> tuple[str | None, str]:
    try:
        error = response.json().get("error") or {}
        return error.get("code"), error.get("message") or response.text[:200]
    except (ValueError, AttributeError):
        return None, response.text[:200]


class Connector:
    def __init__(self, http: httpx.AsyncClient, token: AppToken) -> None:
        self.http, self.token = http, token

    @staticmethod
    def url(service_url: str, *parts: str) -> str:
        """`serviceUrl` keeps its path: https://smba.trafficmanager.net/emea/ + v3/conversations/…"""
        return service_url.rstrip("/") + "/v3/conversations" + "".join("/" + _path(p) for p in parts)

    async def send(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> str:
        body = await self._call("POST", self.url(service_url, conversation_id, "activities"), activity)
        return str(body.get("id") or "")

    async def update(self, service_url: str, conversation_id: str, activity_id: str, activity: dict[str, Any]) -> None:
        await self._call(
            "PUT", self.url(service_url, conversation_id, "activities", activity_id), {**activity, "id": activity_id}
        )

    async def create_conversation(self, service_url: str, *, bot_id: str, user_id: str, tenant_id: str | None) -> str:
        """The 1:1 conversation with a person (Teams gives the existing one if there is one)."""
        body: dict[str, Any] = {"bot": {"id": bot_id}, "members": [{"id": user_id}], "isGroup": False}
        if tenant_id:
            body |= {"tenantId": tenant_id, "channelData": {"tenant": {"id": tenant_id}}}
        answer = await self._call("POST", self.url(service_url), body)
        if not answer.get("id"):
            raise ConnectorError("no conversation id in the answer", status=200)
        return str(answer["id"])

    async def member(self, service_url: str, conversation_id: str, member_id: str) -> dict[str, Any]:
        """A member of a conversation or team, by their Teams user id or Azure AD object id:
        the account the bot can address (`id` "29:…", `name`, `aadObjectId`). Someone who is
        not a member there is a ConnectorError (404, not temporary)."""
        url = self.url(service_url, conversation_id, "members", member_id)
        return await self._call("GET", url, None, timeout=MEMBER_TIMEOUT)

    async def channels(self, service_url: str, team_id: str) -> list[dict[str, Any]]:
        """A team's channels (`GET v3/teams/{teamId}/conversations`): each `id` and `name`; the
        General channel, whose id is the team's, has no name."""
        url = service_url.rstrip("/") + "/v3/teams/" + _path(team_id) + "/conversations"
        body = await self._call("GET", url, None, timeout=MEMBER_TIMEOUT)
        found = body.get("conversations")
        return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []

    async def _call(
        self, method: str, url: str, body: dict[str, Any] | None, *, timeout: float | None = None
    ) -> dict[str, Any]:
        for renewed in (False, True):
            try:
                headers = {"Authorization": f"Bearer {await self.token.get()}"}
                extra: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
                response = await self.http.request(method, url, json=body, headers=headers, **extra)
            except httpx.ConnectError as exc:  # it never got there
                raise ConnectorError(f"{method} {url}: {exc!r}", temporary=True) from exc
            except httpx.TransportError as exc:  # timeouts included: it may have got there
                raise ConnectorError(f"{method} {url}: {exc!r}", temporary=True, uncertain=True) from exc
            if response.status_code < 300:
                try:
                    return response.json() if response.content else {}
                except ValueError:
                    return {}
            if response.status_code == 401 and not renewed:
                self.token.forget()  # revoked or rotated: once more with a fresh token
                continue
            code, message = _error(response)
            raise ConnectorError(
                f"{method} {url}: {response.status_code} {code or ''} {message}",
                status=response.status_code,
                code=code,
                temporary=response.status_code in RETRY_STATUSES or response.status_code == 401,
                retry_after=retry_after(response.headers.get("Retry-After")),
                uncertain=response.status_code in UNCERTAIN_STATUSES,
            )
        raise AssertionError("unreachable")

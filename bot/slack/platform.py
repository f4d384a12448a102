"""Slack's side of the Platform protocol: people from users.info, and sending
outbox rows through the Web API at `SLACK_API_URL`."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.core.events import Incoming, Profile
from bot.core.messages import Message
from bot.slack import inbound
from bot.slack.render import render
from bot.storage.models import OutboxMessage
from bot.workers.platform import Delivered, PermanentFailure, TemporaryFailure

log = logging.getLogger(__name__)
TEMPORARY_ERRORS = {"ratelimited", "fatal_error", "internal_error", "service_unavailable",
                    "request_timeout", "team_added_to_org"}


def web_client(token: str, api_url: str) -> AsyncWebClient:
    client = AsyncWebClient(token=token, base_url=api_url if api_url.endswith("/") else api_url + "/",
                            timeout=10)
    # slack_sdk retries only connection errors by default; also honour 429 Retry-After and 5xx.
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    client.retry_handlers.append(AsyncServerErrorRetryHandler(max_retry_count=2))
    return client


class SlackPlatform:
    name = inbound.PLATFORM

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def open(self) -> None:
        # One connection pool for every call; without it slack_sdk opens a session per call.
        self.client.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def close(self) -> None:
        if self.client.session is not None:
            await self.client.session.close()
            self.client.session = None

    def translate(self, kind: str, payload: dict[str, Any]) -> Incoming | None:
        return inbound.translate(kind, payload)

    async def profile(self, external_id: str) -> Profile | None:
        try:
            response = await self.client.users_info(user=external_id, include_locale=True)
        except SlackApiError as exc:
            if exc.response.get("error") in ("user_not_found", "users_not_found"):
                return None
            raise
        user = response["user"]
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
        return Profile(external_id=external_id, display_name=name or external_id, locale=user.get("locale"),
                       timezone=user.get("tz"), is_bot=bool(user.get("is_bot")), team_id=user.get("team_id"))

    async def deliver(self, row: OutboxMessage, original: OutboxMessage | None) -> Delivered:
        posted = original.id if original is not None else row.id
        parts = render(Message.model_validate(row.payload), posted)
        try:
            if row.kind == "respond":
                return await self._respond(row, parts)
            if row.kind == "update":
                if original is None or not original.sent_channel or not original.sent_ts:
                    raise PermanentFailure("the message to update is unknown")
                await self.client.chat_update(channel=original.sent_channel, ts=original.sent_ts, **parts[-1])
                return Delivered(original.sent_channel, original.sent_ts)
            last: dict[str, Any] = {}
            if row.kind == "reply":  # into the thread of an earlier channel post
                if original is None or not original.sent_channel or not original.sent_ts:
                    raise PermanentFailure("the message to reply to is unknown")
                for part in parts:
                    last = (await self.client.chat_postMessage(channel=original.sent_channel,
                                                               thread_ts=original.sent_ts, **part)).data  # type: ignore[assignment]
                return Delivered(last.get("channel"), last.get("ts"))
            for part in parts:
                last = (await self.client.chat_postMessage(channel=row.channel, **part)).data  # type: ignore[assignment]
            return Delivered(last.get("channel"), last.get("ts"))
        except SlackApiError as exc:
            error = exc.response.get("error", "")
            if exc.response.status_code >= 500 or exc.response.status_code == 429 or error in TEMPORARY_ERRORS:
                raise TemporaryFailure(f"slack {exc.response.status_code} {error}") from exc
            raise PermanentFailure(f"slack {error}") from exc
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise TemporaryFailure(f"slack unreachable: {exc!r}") from exc

    async def _respond(self, row: OutboxMessage, parts: list[dict[str, Any]]) -> Delivered:
        assert row.response_url
        webhook = AsyncWebhookClient(row.response_url, timeout=10, session=self.client.session)
        for part in parts:
            response = await webhook.send(response_type="ephemeral", replace_original=False, **part)
            if response.status_code == 429 or response.status_code >= 500:
                raise TemporaryFailure(f"response_url {response.status_code}")
            if response.status_code >= 400:
                # The response_url has expired (30 minutes, 5 uses): say it in the DM instead.
                log.info("response_url refused (%s); posting to the DM", response.status_code)
                if row.channel is None:
                    raise PermanentFailure(f"response_url {response.status_code}")
                posted = await self.client.chat_postMessage(channel=row.channel, **part)
                return Delivered(posted.get("channel"), posted.get("ts"))
        return Delivered()


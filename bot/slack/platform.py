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
from bot.slack.render import escape, home_view, render
from bot.storage.models import OutboxMessage
from bot.workers.platform import Delivered, OutgoingFile, PermanentFailure, TemporaryFailure

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



def failure(exc: Exception) -> TemporaryFailure | PermanentFailure:
    """What a failed Web API call means for the outbox: try again later, or give up."""
    if isinstance(exc, SlackApiError):
        error = exc.response.get("error", "")
        if exc.response.status_code >= 500 or exc.response.status_code == 429 or error in TEMPORARY_ERRORS:
            return TemporaryFailure(f"slack {exc.response.status_code} {error}")
        return PermanentFailure(f"slack {error}")
    return TemporaryFailure(f"slack unreachable: {exc!r}")

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
            if row.kind == "home":  # the person's App Home tab
                await self.client.views_publish(user_id=row.channel or "",
                                                view=home_view(Message.model_validate(row.payload), posted))
                return Delivered()
            if row.kind in ("respond", "replace"):
                return await self._respond(row, parts, replace=row.kind == "replace")
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
        except (SlackApiError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise failure(exc) from exc

    async def deliver_file(self, row: OutboxMessage, file: OutgoingFile) -> Delivered:
        """Slack's upload: reserve an upload URL, POST the bytes there, then share the file in the DM.

        Until the last step nothing is shared, so a failure anywhere is retried from the
        start; an upload left unfinished by a failure is never shown to anyone.
        """
        caption = Message.model_validate(row.payload).text
        try:
            channel = row.channel or ""
            if not channel.startswith("D"):  # a user id: the DM's id is needed to share into it
                opened = await self.client.conversations_open(users=channel)
                channel = opened["channel"]["id"]
            reserved = await self.client.files_getUploadURLExternal(filename=file.name, length=len(file.data))
            status = await self._upload(reserved["upload_url"], file.data)
            if status == 429 or status >= 500:
                raise TemporaryFailure(f"slack upload {status}")
            if status != 200:
                raise PermanentFailure(f"slack upload refused: {status}")
            await self.client.files_completeUploadExternal(
                files=[{"id": reserved["file_id"], "title": file.title or file.name}],
                channel_id=channel, initial_comment=escape(caption))
            return Delivered(channel, reserved["file_id"])
        except (SlackApiError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise failure(exc) from exc

    async def _upload(self, url: str, data: bytes) -> int:
        async def post(session: aiohttp.ClientSession) -> int:
            async with session.post(url, data=data, headers={"Content-Type": "application/octet-stream"},
                                    timeout=aiohttp.ClientTimeout(total=30)) as response:
                return response.status

        if self.client.session is not None:
            return await post(self.client.session)
        async with aiohttp.ClientSession() as session:
            return await post(session)

    async def _respond(self, row: OutboxMessage, parts: list[dict[str, Any]], replace: bool = False) -> Delivered:
        """A reply only the person sees; `replace` puts it in place of the message pressed."""
        assert row.response_url
        webhook = AsyncWebhookClient(row.response_url, timeout=10, session=self.client.session)
        for index, part in enumerate(parts):
            response = await webhook.send(response_type="ephemeral", replace_original=replace and index == 0,
                                          **part)
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


"""Slack's side of the Platform protocol: people from users.info, and sending
outbox rows through the Web API at `SLACK_API_URL`.

Every post carries its outbox row's id in its message metadata, so a post whose
answer never came back (a crash, a timeout) is looked for in the conversation's
history before it is sent again. Calls that post are made once: the outbox owns
retries, and a 429's `Retry-After` is handed to it rather than slept out here.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.core.events import Incoming, Profile
from bot.core.forms import FormView
from bot.core.messages import Message
from bot.slack import forms, inbound
from bot.slack.render import escape, home_view, render
from bot.storage.models import OutboxMessage
from bot.workers.pace import Limit, Window
from bot.workers.platform import Delivered, OutgoingFile, PermanentFailure, TemporaryFailure, retry_after

log = logging.getLogger(__name__)
TEMPORARY_ERRORS = {
    "ratelimited",
    "fatal_error",
    "internal_error",
    "service_unavailable",
    "request_timeout",
    "team_added_to_org",
}

# views.open's answers when the trigger_id is too old or used: the form cannot open any more.
STALE_TRIGGER = {"expired_trigger_id", "invalid_trigger_id", "exchanged_trigger_id"}

# The metadata every post carries: which outbox row (and which part of it) it is.
METADATA_EVENT = "laeringsbot_outbox"
HISTORY_PAGE = 200
HISTORY_PAGES = 5


def web_client(token: str, api_url: str, *, retry_connection_errors: bool = False) -> AsyncWebClient:
    """A Web API client. The one that posts retries nothing (a dropped connection may have
    posted: the outbox looks before it sends again); the one that reads may retry a
    dropped connection once, slack_sdk's default."""
    return AsyncWebClient(
        token=token,
        base_url=api_url if api_url.endswith("/") else api_url + "/",
        timeout=10,
        retry_handlers=None if retry_connection_errors else [],
    )


def _retry_after(exc: SlackApiError) -> float | None:
    headers = {k.lower(): v for k, v in (exc.response.headers or {}).items()}
    return retry_after(headers.get("retry-after"))


def failure(exc: Exception) -> TemporaryFailure | PermanentFailure:
    """What a failed Web API call means for the outbox: try again later, or give up."""
    if isinstance(exc, SlackApiError):
        error = exc.response.get("error", "")
        status = exc.response.status_code
        if status >= 500 or status == 429 or error in TEMPORARY_ERRORS:
            # A 5xx may have been carried out; a rate limit was not.
            return TemporaryFailure(
                f"slack {status} {error}",
                retry_after=_retry_after(exc),
                uncertain=status >= 500 or error not in ("ratelimited",),
                status=status,
            )
        return PermanentFailure(f"slack {error}")
    # Refused before anything was sent: it never got there. Otherwise (a timeout, a dropped
    # connection) it may have.
    never_sent = isinstance(exc, aiohttp.ClientConnectorError)
    return TemporaryFailure(f"slack unreachable: {exc!r}", uncertain=not never_sent)


def metadata(row_id: int | None, part: int) -> dict[str, Any]:
    return {"event_type": METADATA_EVENT, "event_payload": {"outbox_id": row_id, "part": part}}


# chat.postMessage: "1 per second per channel; short bursts >1 allowed" (Slack's rate limits
# page). Kept as at most six posts in any 6.6 s of one channel: a burst of six (a DM's
# answer, side-by-side and overview can come at once), then about one a second, with a tenth
# to spare for the network's jitter.
CHANNEL_POSTS = (Window(6, 6.6),)
POSTS = ("post", "reply")  # the kinds that are a chat.postMessage

# The other methods' tiers, "per API method per workspace per app" (Slack's rate limits
# page): Tier 3 "50+ per minute", Tier 4 "100+ per minute", both with bursts welcome. Kept
# as that many in any minute, so a burst goes at once and the rest waits for the minute.
TIER_3 = (Window(50, 60.0),)
TIER_4 = (Window(100, 60.0),)
# The methods each kind of row calls, with their tiers (the method's page on api.slack.com).
METHODS: dict[str, tuple[tuple[str, tuple[Window, ...]], ...]] = {
    "update": (("chat.update", TIER_3),),
    "home": (("views.publish", TIER_4),),
    "form": (("views.open", TIER_4),),
    "file": (("files.getUploadURLExternal", TIER_4), ("files.completeUploadExternal", TIER_4)),
}


def limits_of(row: OutboxMessage, original: OutboxMessage | None, workspace_rate: float) -> list[Limit]:
    """What sending a row counts against, its own target first (a 429 holds that one):
    a post its channel, and its workspace where a cap is set (Slack keeps a workspace-wide
    limit it does not publish: SLACK_WORKSPACE_POSTS_PER_SECOND); any other call its method's
    tier in the workspace. A reply through a response_url counts against neither."""
    team = row.team_id or (original.team_id if original is not None else None) or ""
    if row.kind not in POSTS:
        limits: list[Limit] = [(f"slack:{team}:{method}", tier) for method, tier in METHODS.get(row.kind, ())]
        if row.kind == "file" and not (row.channel or "").startswith("D"):  # the DM is opened first
            limits.append((f"slack:{team}:conversations.open", TIER_3))
        return limits
    channel = original.sent_channel if row.kind == "reply" and original is not None else row.channel
    limits = [(f"slack:{team}:{channel}", CHANNEL_POSTS)]
    if workspace_rate > 0:
        limits.append((f"slack:{team}", (Window(max(1, round(workspace_rate)), 1.0),)))
    return limits


class SlackPlatform:
    name = inbound.PLATFORM

    def __init__(
        self, client: AsyncWebClient, reader: AsyncWebClient | None = None, *, workspace_rate: float = 0.0
    ) -> None:
        self.client = client
        self.reader = reader or client
        self.workspace_rate = workspace_rate
        # Parts of a row that an earlier, cut-off attempt had posted (found by delivered_before).
        self._posted_parts: dict[int, set[int]] = {}

    async def open(self) -> None:
        # One connection pool for every call; without it slack_sdk opens a session per call.
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self.client.session = self.reader.session = session

    async def close(self) -> None:
        if self.client.session is not None:
            await self.client.session.close()
            self.client.session = self.reader.session = None

    def translate(self, kind: str, payload: dict[str, Any]) -> Incoming | None:
        return inbound.translate(kind, payload)

    def limits(self, row: OutboxMessage, original: OutboxMessage | None) -> list[Limit]:
        return limits_of(row, original, self.workspace_rate)

    def lane(self, kind: str, payload: dict[str, Any]) -> str:
        """A person's requests in order (DM, commands, presses); a channel thread's replies in order."""
        event = payload.get("event") if kind == "event" else None
        if isinstance(event, dict):
            if event.get("channel_type") != "im" and event.get("thread_ts"):
                return f"thread:{event.get('channel')}:{event.get('thread_ts')}"
            return f"user:{event.get('user')}"
        user = payload.get("user_id") if kind == "command" else payload.get("user")
        return f"user:{user.get('id') if isinstance(user, dict) else user}"

    async def profile(self, external_id: str) -> Profile | None:
        try:
            response = await self.reader.users_info(user=external_id, include_locale=True)
        except SlackApiError as exc:
            if exc.response.get("error") in ("user_not_found", "users_not_found"):
                return None
            # Whatever else keeps Slack from answering, the request waits until it does.
            raise TemporaryFailure(
                f"slack users.info: {exc.response.get('error')}",
                retry_after=_retry_after(exc),
                status=exc.response.status_code,
            ) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise TemporaryFailure(f"slack unreachable: {exc!r}") from exc
        user = response["user"]
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
        return Profile(
            external_id=external_id,
            display_name=name or external_id,
            locale=user.get("locale"),
            timezone=user.get("tz"),
            is_bot=bool(user.get("is_bot")),
            team_id=user.get("team_id"),
        )

    async def deliver(self, row: OutboxMessage, original: OutboxMessage | None) -> Delivered:
        if row.kind == "form":  # a form: a modal opened with the trigger_id (bot/slack/forms.py)
            try:
                return await self._form(row)
            except (TimeoutError, SlackApiError, aiohttp.ClientError) as exc:
                raise failure(exc) from exc
        posted = original.id if original is not None else row.id
        parts = render(Message.model_validate(row.payload), posted, row.team_id)
        done = self._posted_parts.pop(row.id or 0, set())
        try:
            if row.kind == "home":  # the person's App Home tab
                await self.client.views_publish(
                    user_id=row.channel or "", view=home_view(Message.model_validate(row.payload), posted, row.team_id)
                )
                return Delivered()
            if row.kind in ("respond", "replace"):
                return await self._respond(row, parts, replace=row.kind == "replace")
            if row.kind == "update":
                if original is None or not original.sent_channel or not original.sent_ts:
                    raise PermanentFailure("the message to update is unknown")
                await self.client.chat_update(channel=original.sent_channel, ts=original.sent_ts, **parts[-1])
                return Delivered(original.sent_channel, original.sent_ts)
            where: dict[str, Any] = {"channel": row.channel}
            if row.kind == "reply":  # into the thread of an earlier channel post
                if original is None or not original.sent_channel or not original.sent_ts:
                    raise PermanentFailure("the message to reply to is unknown")
                where = {"channel": original.sent_channel, "thread_ts": original.sent_ts}
            last: dict[str, Any] = {}
            for index, part in enumerate(parts):
                if index not in done:  # parts an earlier, cut-off attempt posted are not posted again
                    response = await self.client.chat_postMessage(**where, metadata=metadata(row.id, index), **part)
                    # JSON, always: only file downloads answer bytes.
                    last = response.data if isinstance(response.data, dict) else {}
            return Delivered(last.get("channel") or where["channel"], last.get("ts"))
        except (TimeoutError, SlackApiError, aiohttp.ClientError) as exc:
            raise failure(exc) from exc

    async def _form(self, row: OutboxMessage) -> Delivered:
        """Open the modal while its trigger_id lasts; otherwise, or for a form already closed
        (a submission the inbox refused), say the row's fallback in the DM."""
        shown = FormView.model_validate(row.payload["form"])
        if shown.done:
            return Delivered()  # sent: the modal closed with the acknowledgement
        if row.response_url and not any(f.error for f in shown.fields):
            try:
                await self.client.views_open(trigger_id=row.response_url, view=forms.modal(shown))
                return Delivered()
            except SlackApiError as exc:
                if exc.response.get("error") not in STALE_TRIGGER:
                    raise
                log.info("outbox %s: the trigger ran out (%s); said in the DM", row.id, exc.response.get("error"))
        if not row.payload.get("fallback"):
            return Delivered()
        last: dict[str, Any] = {}
        for index, part in enumerate(render(Message.model_validate(row.payload["fallback"]), row.id, row.team_id)):
            response = await self.client.chat_postMessage(
                channel=row.channel or "", metadata=metadata(row.id, index), **part
            )
            last = response.data if isinstance(response.data, dict) else {}
        return Delivered(last.get("channel") or row.channel, last.get("ts"))

    async def delivered_before(self, row: OutboxMessage, original: OutboxMessage | None) -> Delivered | None:
        """Look for the row's posts in the conversation (their metadata names the row).

        Posts and thread replies can be found; an update or the App Home is simply done
        again (the same content twice is the same message); a private reply through a
        response_url and a file share cannot be looked for, and are sent again.
        """
        if row.kind not in ("post", "reply") or row.id is None:
            return None
        try:
            if row.kind == "reply":
                if original is None or not original.sent_channel or not original.sent_ts:
                    return None
                channel = original.sent_channel
                found = await self._find(
                    row.id, self.reader.conversations_replies, channel=channel, ts=original.sent_ts
                )
            else:
                channel = row.channel or ""
                if channel.startswith(("U", "W")):  # a DM named by the person: its D… id has the history
                    channel = (await self.reader.conversations_open(users=channel))["channel"]["id"]
                found = await self._find(row.id, self.reader.conversations_history, channel=channel)
        except (TimeoutError, SlackApiError, aiohttp.ClientError) as exc:
            # Cannot tell now: try later, still as a send that may have happened.
            cause = failure(exc)
            raise TemporaryFailure(
                f"looking for outbox {row.id}: {cause}",
                uncertain=True,
                retry_after=getattr(cause, "retry_after", None),
                status=getattr(cause, "status", None),
            ) from exc
        if not found:
            return None
        parts = len(render(Message.model_validate(row.payload)))
        if len(found) >= parts:
            return Delivered(channel, found[max(found)])
        self._posted_parts[row.id] = set(found)  # deliver() posts only the rest
        return None

    async def _find(self, row_id: int, method: Any, **args: Any) -> dict[int, str]:
        """The parts of the row found in a conversation's recent messages, with their ts."""
        found: dict[int, str] = {}
        cursor = None
        for _ in range(HISTORY_PAGES):
            page = await method(
                include_all_metadata=True, limit=HISTORY_PAGE, **args, **({"cursor": cursor} if cursor else {})
            )
            for message in page.get("messages") or []:
                meta = message.get("metadata") or {}
                payload = meta.get("event_payload") or {}
                if meta.get("event_type") == METADATA_EVENT and payload.get("outbox_id") == row_id:
                    found[int(payload.get("part") or 0)] = str(message.get("ts"))
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return found

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
                channel_id=channel,
                initial_comment=escape(caption),
            )
            return Delivered(channel, reserved["file_id"])
        except (TimeoutError, SlackApiError, aiohttp.ClientError) as exc:
            raise failure(exc) from exc

    async def _upload(self, url: str, data: bytes) -> int:
        async def post(session: aiohttp.ClientSession) -> int:
            async with session.post(
                url,
                data=data,
                headers={"Content-Type": "application/octet-stream"},
                timeout=aiohttp.ClientTimeout(total=30),
            ) as response:
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
            response = await webhook.send(response_type="ephemeral", replace_original=replace and index == 0, **part)
            if response.status_code == 429 or response.status_code >= 500:
                raise TemporaryFailure(f"response_url {response.status_code}")
            if response.status_code >= 400:
                # The response_url has expired (30 minutes, 5 uses): say it in the DM instead.
                log.info("response_url refused (%s); posting to the DM", response.status_code)
                if row.channel is None:
                    raise PermanentFailure(f"response_url {response.status_code}")
                posted = await self.client.chat_postMessage(
                    channel=row.channel, metadata=metadata(row.id, index), **part
                )
                return Delivered(posted.get("channel"), posted.get("ts"))
        return Delivered()

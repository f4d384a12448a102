"""Are the platform credentials accepted? Slack's `auth.test` with the bot token, a Bot Framework
token for the Teams app (client credentials). `serve` asks at start, in the background (the
bot takes requests meanwhile: they are stored, whatever the platform says), and `/readyz`
reports the answer; `laeringsbot check-config` asks once and prints it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

import aiohttp
import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings

log = logging.getLogger(__name__)
ACCEPTED, REFUSED, UNKNOWN = "accepted", "refused", "unknown"
RETRY_MOST = 60.0  # seconds between asks while a platform does not answer


@dataclass(frozen=True)
class Verdict:
    outcome: str  # accepted | refused | unknown (no answer: unreachable, 5xx, 429)
    detail: str

    @property
    def ok(self) -> bool:
        return self.outcome == ACCEPTED


async def slack(token: str, api_url: str) -> Verdict:
    client = AsyncWebClient(
        token=token, base_url=api_url if api_url.endswith("/") else api_url + "/", timeout=10, retry_handlers=[]
    )
    try:
        answer = await client.auth_test()
    except SlackApiError as exc:
        status, error = exc.response.status_code, exc.response.get("error")
        if status == 429 or status >= 500:
            return Verdict(UNKNOWN, f"Slack answered {status} {error or ''}".strip())
        return Verdict(REFUSED, f"Slack refused the bot token: {error}")
    except (TimeoutError, aiohttp.ClientError) as exc:
        return Verdict(UNKNOWN, f"Slack is unreachable: {exc!r}")
    return Verdict(ACCEPTED, f"workspace {answer.get('team')} ({answer.get('team_id')}), bot user {answer.get('user')}")


async def teams(settings: Settings) -> Verdict:
    from bot.teams.adapter import token_url
    from bot.teams.connector import AppToken, ConnectorError

    assert settings.microsoft_app_id and settings.microsoft_app_password
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as http:
        token = AppToken(http, token_url(settings), settings.microsoft_app_id, settings.microsoft_app_password)
        try:
            await token.get()
        except ConnectorError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                return Verdict(REFUSED, f"the token endpoint refused the app id and password: {exc}")
            return Verdict(UNKNOWN, str(exc))
    return Verdict(ACCEPTED, f"a Bot Framework token for app {settings.microsoft_app_id}")


async def check(settings: Settings, platform: str) -> Verdict:
    if platform == "slack":
        assert settings.slack_bot_token
        return await slack(settings.slack_bot_token, settings.slack_api_url)
    if platform == "teams":
        return await teams(settings)
    return Verdict(ACCEPTED, "needs no credentials")


class Credentials:
    """What each platform said of its credentials since the start (for /readyz)."""

    def __init__(self, settings: Settings, platforms: list[str], *, check: bool) -> None:
        self.settings = settings
        waiting = Verdict(UNKNOWN, "not asked yet") if check else Verdict(UNKNOWN, "not checked by this server")
        self.verdicts = {name: waiting for name in platforms}
        self._check = check
        self._task: asyncio.Task[None] | None = None

    @property
    def accepted(self) -> bool:
        return all(v.ok for v in self.verdicts.values())

    def start(self) -> None:
        if self._check and self.verdicts:
            self._task = asyncio.create_task(self._ask_until_answered(), name="credentials")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _ask_until_answered(self) -> None:
        wait = 1.0
        while True:
            for name, verdict in list(self.verdicts.items()):
                if verdict.outcome == UNKNOWN:
                    try:
                        verdict = await check(self.settings, name)
                    except Exception as exc:  # a check must not end the checking
                        verdict = Verdict(UNKNOWN, f"the check failed: {exc!r}")
                    self.verdicts[name] = verdict
                    if verdict.outcome == REFUSED:
                        log.error("%s credentials: %s (fix them and restart; not ready)", name, verdict.detail)
                    elif verdict.ok:
                        log.info("%s credentials accepted: %s", name, verdict.detail)
                    else:
                        log.warning("%s credentials not confirmed yet: %s", name, verdict.detail)
            if all(v.outcome != UNKNOWN for v in self.verdicts.values()):
                return
            await asyncio.sleep(wait)
            wait = min(wait * 2, RETRY_MOST)

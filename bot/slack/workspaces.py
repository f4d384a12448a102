"""Slack in many workspaces: the "Add to Slack" install, each workspace's bot token, and
sending with the token of the workspace a message belongs to.

With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (and the signing secret) but no
SLACK_BOT_TOKEN, each workspace installs the app through Slack's OAuth v2 flow, run by
slack-bolt's own `AsyncOAuthFlow`: `GET /slack/install` shows the "Add to Slack" page (from
the message catalogue, in the browser's language) and `GET /slack/oauth_redirect` takes
Slack's code and state back, exchanges the code (`oauth.v2.access`) and stores the
installation (bot/storage/workspaces.py). Requests are then authorized from the stored
tokens, with no Web API call on the request path, and `app_uninstalled` / `tokens_revoked`
delete them (Bolt's own token revocation listeners).

A person belongs to the workspace the bot met them through (`Person.team_id`); the inbox
reads people of the request's workspace only, so a mention of someone in another
workspace names no one. Every outbox row carries its team (`OutboxMessage.team_id`) and is
sent with that workspace's token; once the app is uninstalled there, its rows are not sent
but kept, failed, with the reason (`laeringsbot outbox list`, `retry` after a reinstall).
"""

from __future__ import annotations

import dataclasses
import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request, to_starlette_response
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_callback_options import AsyncFailureArgs, AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.core.events import Profile
from bot.core.i18n import Catalog
from bot.settings import Settings
from bot.slack.platform import SlackPlatform, web_client
from bot.storage.db import Database
from bot.storage.models import MeetingSeries, OutboxMessage, Person
from bot.storage.workspaces import InstallationStore, StateStore, Workspaces
from bot.untrusted import as_dict, as_id
from bot.workers.platform import Delivered, OutgoingFile, PermanentFailure

log = logging.getLogger(__name__)

INSTALL_PATH, REDIRECT_PATH = "/slack/install", "/slack/oauth_redirect"
# What "Add to Slack" asks for: the bot scopes of manifest/slack.yaml (tests/test_slack_manifest.py).
SCOPES = (
    "chat:write",
    "commands",
    "im:history",
    "channels:history",
    "groups:history",
    "users:read",
    "files:write",
    "im:write",
)
STATE_SECONDS = 600  # how long an "Add to Slack" press may take to come back (Bolt's default)


def team_of(kind: str, payload: dict[str, Any]) -> str | None:
    """The workspace a stored request came from: `team_id` of a command or an event, `team.id`
    of a press."""
    return as_id(payload.get("team_id")) or as_id(as_dict(payload.get("team")).get("id"))


# ---- requests: authorized from the stored tokens ----------------------------------------
class WorkspaceAuthorize(AsyncAuthorize):
    """The workspace's bot token from the database: no `auth.test` on the request path. A
    request of a workspace without an installation is refused (Bolt tells the person)."""

    def __init__(self, workspaces: Workspaces) -> None:
        self.workspaces = workspaces

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        found = await self.workspaces.find(team_id)
        if found is None:
            log.warning("slack: a request from workspace %s, where the app is not installed", team_id)
            return None
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            bot_token=found.bot_token,
            bot_user_id=found.bot_user_id,
        )


# ---- the install pages ----------------------------------------------------------------------
def page_language(request: AsyncBoltRequest, default: str) -> str:
    """Danish or English, as the browser prefers (Accept-Language), else the bot's language."""
    header = request.headers.get("accept-language") or [""]
    ranked = []
    for index, part in enumerate(header[0].split(",")):
        tag, _, weight = part.strip().partition(";q=")
        try:
            q = float(weight) if weight else 1.0
        except ValueError:
            q = 0.0
        ranked.append((-q, index, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        for language in ("da", "en"):
            if tag == language or tag.startswith(language + "-"):
                return language
    return default


def page(language: str, title: str, *paragraphs: str, link: tuple[str, str] | None = None) -> str:
    """A small page of plain text and, when there is one, a link that looks like a button."""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    if link is not None:
        url, label = link
        body += f'<p><a class="button" href="{html.escape(url, quote=True)}">{html.escape(label)}</a></p>'
    return (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5}"
        ".button{display:inline-block;padding:.7rem 1.2rem;border-radius:.4rem;background:#4a154b;color:#fff;"
        "text-decoration:none;font-weight:600}"
        f"</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


class InstallFlow(AsyncOAuthFlow):
    """Bolt's OAuth flow with the bot's own pages, in the browser's language."""

    def __init__(self, *, catalog: Catalog, default_language: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.catalog, self.default_language = catalog, default_language
        self.success_handler, self.failure_handler = self._done, self._failed

    def _t(self, language: str, key: str, **values: object) -> str:
        return self.catalog.text(language, f"slack_install.{key}", **values)

    async def build_install_page_html(self, url: str, request: AsyncBoltRequest) -> str:
        lang = page_language(request, self.default_language)
        return page(
            lang,
            self._t(lang, "title"),
            self._t(lang, "lead"),
            self._t(lang, "how"),
            link=(url, self._t(lang, "button")),
        )

    async def _done(self, args: AsyncSuccessArgs) -> BoltResponse:
        lang = page_language(args.request, self.default_language)
        team = args.installation.team_name or args.installation.team_id or ""
        log.info("slack: installed in workspace %s", args.installation.team_id)
        text = page(lang, self._t(lang, "done_title"), self._t(lang, "done", team=team))
        return BoltResponse(status=200, body=text, headers=self._forget_state())

    async def _failed(self, args: AsyncFailureArgs) -> BoltResponse:
        lang = page_language(args.request, self.default_language)
        log.info("slack: an installation failed: %s", args.reason)
        if args.reason in ("invalid_state", "invalid_browser"):
            why = self._t(lang, "failed_state")
        else:
            why = self._t(lang, "failed_other", reason=args.reason)
        text = page(lang, self._t(lang, "failed_title"), why, link=(INSTALL_PATH, self._t(lang, "again")))
        return BoltResponse(status=args.suggested_status_code, body=text, headers=self._forget_state())

    def _forget_state(self) -> dict[str, Any]:
        return {
            "Content-Type": "text/html; charset=utf-8",
            "Set-Cookie": [self.settings.state_utils.build_set_cookie_for_deletion()],
        }


def install_flow(
    *,
    client_id: str,
    client_secret: str,
    api_url: str,
    public_url: str | None,
    store: InstallationStore,
    state_store: Any,
    catalog: Catalog,
    default_language: str,
) -> InstallFlow:
    settings = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(SCOPES),
        user_scopes=[],
        # Behind a proxy the bot cannot tell its own address; PUBLIC_URL says it. Without it Slack
        # sends the browser to the app's one configured redirect URL.
        redirect_uri=f"{public_url.rstrip('/')}{REDIRECT_PATH}" if public_url else None,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=store,
        installation_store_bot_only=True,
        state_store=state_store,
        state_expiration_seconds=STATE_SECONDS,
        logger=log,
    )
    client = AsyncWebClient(base_url=api_url if api_url.endswith("/") else api_url + "/", timeout=10)
    return InstallFlow(catalog=catalog, default_language=default_language, client=client, settings=settings, logger=log)


@dataclass(frozen=True)
class Install:
    """What many workspaces add to the Bolt app and the routes: the installation store, the
    authorization from it, and the OAuth flow."""

    workspaces: Workspaces
    authorize: WorkspaceAuthorize
    flow: InstallFlow

    def bolt_options(self) -> dict[str, Any]:
        # The flow's settings given too, so Bolt builds no default OAuth settings of its own from
        # SLACK_CLIENT_ID in the environment (with file stores in the home directory).
        return {
            "authorize": self.authorize,
            "installation_store": self.workspaces.store,
            "oauth_flow": self.flow,
            "oauth_settings": self.flow.settings,
        }

    def routes(self) -> list[Route]:
        async def install(request: Request) -> Response:
            return to_starlette_response(await self.flow.handle_installation(to_async_bolt_request(request, b"")))

        async def redirect(request: Request) -> Response:
            return to_starlette_response(await self.flow.handle_callback(to_async_bolt_request(request, b"")))

        return [Route(INSTALL_PATH, install, methods=["GET"]), Route(REDIRECT_PATH, redirect, methods=["GET"])]


def install(settings: Settings, db: Database, catalog: Catalog, now: Callable[[], datetime]) -> Install:
    assert settings.slack_client_id and settings.slack_client_secret
    store = InstallationStore(settings.slack_client_id, db.engine)
    workspaces = Workspaces(store)
    flow = install_flow(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        api_url=settings.slack_api_url,
        public_url=settings.public_url,
        store=store,
        state_store=StateStore(db.engine, now, timedelta(seconds=STATE_SECONDS)),
        catalog=catalog,
        default_language=settings.bot_language,
    )
    return Install(workspaces, WorkspaceAuthorize(workspaces), flow)


# ---- sending: each workspace's token ----------------------------------------------------------
class SlackWorkspaces(SlackPlatform):
    """The Slack platform of many workspaces: what a request says and which lane it takes as
    in one workspace; people read, and rows sent, with their workspace's token."""

    def __init__(self, workspaces: Workspaces, db: Database, api_url: str, *, workspace_rate: float = 0.0) -> None:
        super().__init__(AsyncWebClient(base_url=api_url, timeout=10), workspace_rate=workspace_rate)
        self.workspaces, self.db, self.api_url = workspaces, db, api_url
        self._session: aiohttp.ClientSession | None = None
        self._by_token: dict[str, SlackPlatform] = {}

    async def open(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self.client.session = self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = self.client.session = None

    def workspace_of(self, kind: str, payload: dict[str, Any]) -> str | None:
        """The inbox's hook: which workspace a stored request is from."""
        return team_of(kind, payload)

    def _with_token(self, token: str) -> SlackPlatform:
        platform = self._by_token.get(token)
        if platform is None:
            platform = SlackPlatform(
                web_client(token, self.api_url), web_client(token, self.api_url, retry_connection_errors=True)
            )
            platform.client.session = platform.reader.session = self._session
            self._by_token[token] = platform
        return platform

    async def _installed(self, team_id: str | None) -> SlackPlatform | None:
        found = await self.workspaces.find(team_id)
        return self._with_token(found.bot_token) if found is not None else None

    async def profile(self, external_id: str) -> Profile | None:
        """Without a workspace no one is known (the inbox asks `profile_in`)."""
        return None

    async def profile_in(self, workspace: str, external_id: str) -> Profile | None:
        """The person as their workspace shows them; they belong to it from now on."""
        platform = await self._installed(workspace)
        if platform is None:
            return None  # uninstalled meanwhile: no one there can be reached
        profile = await platform.profile(external_id)
        return dataclasses.replace(profile, team_id=workspace) if profile is not None else None

    async def _team(self, row: OutboxMessage, original: OutboxMessage | None) -> str | None:
        """The row's workspace: its own, else its post's, else its person's or its channel's."""
        if row.team_id or (original is not None and original.team_id):
            return row.team_id or (original.team_id if original is not None else None)
        async with self.db.transaction() as s:
            if row.person_id is not None:
                return (await s.exec(select(Person.team_id).where(Person.id == row.person_id))).first()
            channel = original.sent_channel if original is not None else row.channel
            return (
                await s.exec(
                    select(MeetingSeries.team_id).where(
                        MeetingSeries.platform == self.name,
                        MeetingSeries.channel == (channel or ""),
                        col(MeetingSeries.team_id).is_not(None),
                    )
                )
            ).first()

    async def _sender(self, row: OutboxMessage, original: OutboxMessage | None) -> SlackPlatform:
        team = await self._team(row, original)
        platform = await self._installed(team)
        if platform is None:
            raise PermanentFailure(f"slack workspace {team}: the app is not installed there (uninstalled?)")
        return platform

    async def deliver(self, row: OutboxMessage, original: OutboxMessage | None) -> Delivered:
        return await (await self._sender(row, original)).deliver(row, original)

    async def deliver_file(self, row: OutboxMessage, file: OutgoingFile) -> Delivered:
        return await (await self._sender(row, None)).deliver_file(row, file)

    async def delivered_before(self, row: OutboxMessage, original: OutboxMessage | None) -> Delivered | None:
        return await (await self._sender(row, original)).delivered_before(row, original)

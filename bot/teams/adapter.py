"""The Teams adapter assembled: one HTTP client, the signing keys, the Bot
Connector, the platform for the workers, and the `/api/messages` route."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
from starlette.routing import Route

from bot.settings import Settings
from bot.teams import inbound
from bot.teams.auth import KeySet, TokenVerifier
from bot.teams.connector import AppToken, Connector
from bot.teams.invokes import OpenInvokes
from bot.teams.listeners import MessagesEndpoint
from bot.teams.platform import TeamsPlatform
from bot.teams.references import References

if TYPE_CHECKING:
    from bot.host import Host

MULTI_TENANT_AUTHORITY = "/botframework.com/"


def token_url(settings: Settings) -> str:
    """Single-tenant bots (the only kind Azure creates now) get their token from their own tenant."""
    url = settings.teams_token_url
    if settings.microsoft_app_tenant_id and MULTI_TENANT_AUTHORITY in url:
        url = url.replace(MULTI_TENANT_AUTHORITY, f"/{settings.microsoft_app_tenant_id}/")
    return url


def mount(runtime: Host, settings: Settings) -> Route:
    """Register the Teams platform with the workers; return the route Teams posts to."""
    assert settings.microsoft_app_id and settings.microsoft_app_password
    http = httpx.AsyncClient(timeout=httpx.Timeout(10.0))
    runtime.on_stop.append(http.aclose)
    catalog = runtime.texts.catalog
    references = References(runtime.db, runtime.now)
    invokes = OpenInvokes()
    connector = Connector(
        http, AppToken(http, token_url(settings), settings.microsoft_app_id, settings.microsoft_app_password)
    )
    commands = inbound.Commands(
        shapes=runtime.router.shapes(catalog.words), greeting=runtime.router.greeting(catalog.words)
    )
    platform = TeamsPlatform(connector, references, invokes, commands, settings.microsoft_app_id)
    runtime.platforms[platform.name] = platform
    endpoint = MessagesEndpoint(
        verifier=TokenVerifier(
            KeySet(http, settings.teams_openid_metadata_url, runtime.now), settings.microsoft_app_id
        ),
        references=references,
        store=runtime.inbox.store,
        invokes=invokes,
        db=runtime.db,
        catalog=catalog,
        language=settings.bot_language,
        connector=connector,
    )
    return Route("/api/messages", endpoint.handle, methods=["POST"])

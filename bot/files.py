"""Files the bot gives people: signed download links, the route that serves them, and clean-up.

A link is `<PUBLIC_URL>/files/<key>.<expiry>.<signature>`: the stored file's random
key, the moment the link ends (Unix seconds), and an HMAC-SHA256 of both under
the link key (`FILE_LINK_SECRET`, or a random key the bot keeps in the database
so links survive restarts). A tampered link is refused (403); an expired one,
or one whose file is gone, is not found (404). Expired files are deleted by
the clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from sqlalchemy import delete, literal
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.models import BotSecret, OutboxMessage, StoredFile

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from bot.host import Host

log = logging.getLogger(__name__)
SECRET_NAME = "file_links"
PATH = "/files/"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FileLinks:
    """Signs and checks download links."""

    def __init__(self, secret: str, base: str) -> None:
        self._key = secret.encode()
        self.base = base.rstrip("/")

    def _signature(self, key: str, expires: int) -> str:
        return _b64(hmac.new(self._key, f"{key}.{expires}".encode(), hashlib.sha256).digest())

    def token(self, key: str, expires_at: datetime) -> str:
        expires = int(expires_at.timestamp())
        return f"{key}.{expires}.{self._signature(key, expires)}"

    def url(self, key: str, expires_at: datetime) -> str:
        return f"{self.base}{PATH}{self.token(key, expires_at)}"

    def check(self, token: str, now: datetime) -> tuple[str | None, int]:
        """The file key of a valid link; else None and the HTTP status to answer."""
        key, _, rest = token.partition(".")
        expires, _, signature = rest.partition(".")
        if not (key and expires.isdigit() and signature):
            return None, 404
        if not hmac.compare_digest(signature, self._signature(key, int(expires))):
            return None, 403
        if int(expires) <= now.timestamp():
            return None, 404
        return key, 200


async def link_secret(db: Database, settings: Settings) -> str:
    """The setting, or the bot's own key, made once and kept in the database."""
    if settings.file_link_secret:
        return settings.file_link_secret
    async with db.transaction() as s:
        found = await s.get(BotSecret, SECRET_NAME)
        if found is not None:
            return found.value
    try:
        async with db.transaction() as s:
            s.add(BotSecret(name=SECRET_NAME, value=secrets.token_urlsafe(48)))
    except IntegrityError:
        pass  # another instance made it first: use theirs
    async with db.transaction() as s:
        found = await s.get(BotSecret, SECRET_NAME)
        assert found is not None
        return found.value


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    """Delete the files whose time is up (their links have ended with them).

    A file still waiting in the outbox (the platform has been away) is kept: it is
    sent late rather than never, and its time starts again when it goes out.
    """
    waiting = select(OutboxMessage.id).where(
        OutboxMessage.dedupe_key == literal("file:") + StoredFile.key,
        col(OutboxMessage.status).in_(("pending", "sending")),
    )
    result = await (await session.connection()).execute(
        delete(StoredFile).where(col(StoredFile.expires_at) <= now, ~waiting.exists())
    )
    return result.rowcount or 0


def route(runtime: Host) -> Route:
    """`GET /files/<token>`: the file of a valid, unexpired link."""

    async def download(request: Request) -> Response:
        links = runtime.outbox.links
        if links is None:
            return PlainTextResponse("Not found", status_code=404)
        now = runtime.now()
        key, status = links.check(request.path_params["token"], now)
        if key is None:
            return PlainTextResponse("Forbidden" if status == 403 else "Not found", status_code=status)
        async with runtime.db.transaction() as s:
            stored = (await s.exec(select(StoredFile).where(StoredFile.key == key))).first()
        if stored is None or stored.expires_at <= now:
            return PlainTextResponse("Not found", status_code=404)
        ascii_name = stored.name.encode("ascii", "replace").decode().replace('"', "")
        return Response(
            stored.data,
            media_type=stored.mime,
            headers={
                "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(stored.name)}",
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return Route(PATH + "{token}", download, methods=["GET"])

"""Who may post activities to `/api/messages`: the Bot Framework's signed tokens.

The channel (Teams) sends `Authorization: Bearer <JWT>`, signed with a key from
the Bot Framework's OpenID metadata (`TEAMS_OPENID_METADATA_URL` → `jwks_uri`).
Checked here, with PyJWT: the RS256 signature, the issuer, the audience (our
app id), expiry and not-before with five minutes of clock skew; then, against
the activity, that the signing key endorses the activity's `channelId` and that
the token's `serviceurl` claim is the activity's `serviceUrl` (so a token
cannot send the bot's replies somewhere else).

Keys are cached, refreshed daily, and refreshed at once when a token names a
key id the cache does not know (at most once per `REFRESH_MIN_INTERVAL`, so
made-up key ids cannot make the bot hammer the metadata endpoint).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import jwt

log = logging.getLogger(__name__)

ISSUER = "https://api.botframework.com"
ALGORITHMS = ["RS256"]
LEEWAY = timedelta(minutes=5)
KEYS_MAX_AGE = timedelta(hours=24)
REFRESH_MIN_INTERVAL = timedelta(minutes=5)


class Unauthorized(Exception):
    """The request does not come from the Bot Framework for this bot: 401."""


class KeysUnavailable(Exception):
    """No signing keys could be fetched, so nothing can be verified now: 503."""


@dataclass(frozen=True)
class SigningKey:
    key: jwt.PyJWK
    endorsements: frozenset[str]


class KeySet:
    """The Bot Framework's signing keys, fetched with httpx and cached by key id."""

    def __init__(self, http: httpx.AsyncClient, metadata_url: str, now: Callable[[], datetime]) -> None:
        self.http, self.metadata_url, self.now = http, metadata_url, now
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at: datetime | None = None
        self._lock = asyncio.Lock()

    async def get(self, kid: str) -> SigningKey:
        if self._fetched_at is None or self.now() - self._fetched_at >= KEYS_MAX_AGE:
            await self._refresh(KEYS_MAX_AGE)
        if kid not in self._keys:
            await self._refresh(REFRESH_MIN_INTERVAL)  # rotated keys appear here first
        key = self._keys.get(kid)
        if key is None:
            raise Unauthorized(f"unknown signing key {kid!r}")
        return key

    async def _refresh(self, older_than: timedelta) -> None:
        async with self._lock:
            # Whoever waited for the lock may find the work done. With no keys at all, always try.
            if self._keys and self._fetched_at is not None and self.now() - self._fetched_at < older_than:
                return
            try:
                keys = await self._fetch()
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                log.warning("Bot Framework signing keys could not be fetched: %r", exc)
                if not self._keys:
                    raise KeysUnavailable(str(exc)) from exc
                # Keep the keys we have, and try again in a few minutes rather than tomorrow.
                self._fetched_at = self.now() - KEYS_MAX_AGE + REFRESH_MIN_INTERVAL
                return
            self._keys, self._fetched_at = keys, self.now()

    async def _fetch(self) -> dict[str, SigningKey]:
        metadata = (await self.http.get(self.metadata_url)).raise_for_status().json()
        jwks = (await self.http.get(metadata["jwks_uri"])).raise_for_status().json()
        keys: dict[str, SigningKey] = {}
        for entry in jwks.get("keys", []):
            try:
                keys[entry["kid"]] = SigningKey(jwt.PyJWK(entry), frozenset(entry.get("endorsements") or ()))
            except (jwt.PyJWTError, KeyError, TypeError, ValueError):
                continue  # a key type we cannot use
        return keys


@dataclass(frozen=True)
class Verified:
    """A token whose signature and claims are good; `check` binds it to an activity."""

    claims: dict[str, Any]
    endorsements: frozenset[str]

    def check(self, activity: dict[str, Any]) -> None:
        channel = activity.get("channelId")
        if not isinstance(channel, str) or channel not in self.endorsements:
            raise Unauthorized(f"the signing key does not endorse channel {channel!r}")
        claimed = self.claims.get("serviceurl", self.claims.get("serviceUrl"))
        if not claimed or claimed != activity.get("serviceUrl"):
            raise Unauthorized("the token's serviceurl is not the activity's serviceUrl")


class TokenVerifier:
    def __init__(self, keys: KeySet, app_id: str) -> None:
        self.keys, self.app_id = keys, app_id

    async def verify(self, authorization: str | None) -> Verified:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("no bearer token")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"not a token: {exc}") from exc
        if header.get("alg") not in ALGORITHMS or not isinstance(header.get("kid"), str):
            raise Unauthorized(f"unexpected token header {header!r}")
        key = await self.keys.get(header["kid"])
        try:
            claims = jwt.decode(
                token,
                key.key.key,
                algorithms=ALGORITHMS,
                audience=self.app_id,
                issuer=ISSUER,
                leeway=LEEWAY,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"token refused: {exc}") from exc
        return Verified(claims, key.endorsements)

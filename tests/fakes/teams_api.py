"""A recording stand-in for Microsoft's side of a Teams bot, as one Starlette app.

* the Bot Framework's OpenID metadata and its signing keys (RSA keys made here,
  with ``endorsements`` like the real ones), and a helper that signs inbound
  tokens with them, or with anything a forger would try;
* the Entra ID token endpoint (client credentials);
* the Bot Connector REST API v3 at a ``serviceUrl`` with a path
  (``…/emea/``), like Teams' own: create a 1:1 conversation, send an activity,
  update an activity. Only people who have the app installed can be reached;
  others get Teams' 403 ``BotNotInConversationRoster``.

It remembers every call (``calls``) and the conversations' current activities,
and answers with faults on demand (``fail_next``). Builders make the activities
Teams would send the bot (a personal message with mentions, a card press, an
install).

Usage::

    fake = FakeTeams()
    async with serve(fake.app) as server:
        fake.base_url = server.url
"""

from __future__ import annotations

import asyncio
import base64
import collections
import itertools
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qsl

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

T = TypeVar("T")

APP_ID = "6f1f3c2a-9d4e-4b7a-8c1d-2e3f4a5b6c7d"
APP_PASSWORD = "test-app-password"
TENANT_ID = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
BOT_ID = f"28:{APP_ID}"
BOT_NAME = "Læringsbot"
ISSUER = "https://api.botframework.com"
CHANNEL_ID = "msteams"
SCOPE = "https://api.botframework.com/.default"


@cache
def _rsa(name: str) -> rsa.RSAPrivateKey:
    """One RSA key per name for the whole test run (making one takes a while)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# The Bot Connector's published limits per bot per conversation (its hour's 1,800 left out).
_CONVERSATION_LIMITS = ((7, 1.0), (8, 2.0), (60, 30.0))


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey
    endorsements: tuple[str, ...] = (CHANNEL_ID, "webchat")

    def jwk(self) -> dict[str, Any]:
        numbers = self.private.public_key().public_numbers()
        return {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": _b64(numbers.n),
            "e": _b64(numbers.e),
            "endorsements": list(self.endorsements),
        }


@dataclass
class Call:
    """One request the fake answered. ``op``: metadata | keys | token | create_conversation | send | update."""

    op: str
    method: str
    path: str
    body: Any
    headers: dict[str, str]
    status: int = 200
    failed: bool = False
    response: Any = None
    at: float = field(default_factory=time.time)  # when it came (bench/_fake_teams.py's stats)


@dataclass
class FakeUser:
    id: str
    name: str
    locale: str
    timezone: str
    aad_object_id: str
    installed: bool
    conversation_id: str


@dataclass
class Sent:
    """An activity in a conversation, as it stands (updates replace ``activity``)."""

    seq: int
    conversation_id: str
    id: str
    activity: dict[str, Any]


@dataclass
class _Fault:
    status: int | None
    retry_after: int | None
    timeout: float | None
    remaining: int


@dataclass
class Shown:
    """Something Teams showed a person, in order: a posted activity, or the answer to their press."""

    seq: int
    user: str
    kind: str  # post | answer
    payload: dict[str, Any]


class FakeTeams:
    def __init__(self) -> None:
        self.base_url: str | None = None
        self.keys: list[SigningKey] = [SigningKey("key-1", _rsa("key-1"))]
        self.calls: list[Call] = []
        self.users: dict[str, FakeUser] = {}
        self.sent: dict[tuple[str, str], Sent] = {}
        self.shown: list[Shown] = []
        # Channel conversations of a team that has the app ("19:…@thread.tacv2").
        self.channels: set[str] = set()
        # A channel's name, as `GET v3/teams/{id}/conversations` tells it (none: the General channel).
        self.channel_names: dict[str, str] = {}
        # Who is in each team (by its team id, which is its General channel's id): user ids.
        self.team_members: dict[str, set[str]] = {}
        self._faults: dict[str, list[_Fault]] = {}
        # Sends and updates answered, per conversation, when the published limits are kept.
        self._limited: dict[str, list[float]] | None = None
        self._tenant_rate = 0.0  # sends and updates a second in the tenant, when limited (0: no limit)
        self._tenant_moments: collections.deque[float] = collections.deque()
        self._tokens: dict[str, float] = {}
        self._seq = itertools.count(1)
        self.app = Starlette(
            routes=[
                Route("/botframework/v1/.well-known/openidconfiguration", self._metadata, methods=["GET"]),
                Route("/botframework/v1/keys", self._keys, methods=["GET"]),
                Route("/login/{tenant}/oauth2/v2.0/token", self._token, methods=["POST"]),
                Route("/emea/v3/conversations", self._create_conversation, methods=["POST"]),
                Route("/emea/v3/conversations/{conversation}/activities", self._send, methods=["POST"]),
                Route("/emea/v3/conversations/{conversation}/activities/{activity}", self._update, methods=["PUT"]),
                Route("/emea/v3/conversations/{conversation}/members/{member}", self._member, methods=["GET"]),
                Route("/emea/v3/teams/{team}/conversations", self._team_channels, methods=["GET"]),
            ]
        )

    # ---- where things are ---------------------------------------------------------------
    @property
    def service_url(self) -> str:
        return f"{self._base()}/emea/"

    @property
    def metadata_url(self) -> str:
        return f"{self._base()}/botframework/v1/.well-known/openidconfiguration"

    @property
    def token_url(self) -> str:
        return f"{self._base()}/login/botframework.com/oauth2/v2.0/token"

    def _base(self) -> str:
        if self.base_url is None:
            raise RuntimeError("set FakeTeams.base_url to the server URL first")
        return self.base_url

    # ---- set-up ---------------------------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        name: str,
        locale: str = "da-DK",
        timezone: str = "Europe/Copenhagen",
        *,
        installed: bool = True,
    ) -> FakeUser:
        user = FakeUser(
            id=user_id,
            name=name,
            locale=locale,
            timezone=timezone,
            aad_object_id=str(uuid.uuid5(uuid.NAMESPACE_OID, user_id)),
            installed=installed,
            conversation_id=f"a:1{user_id.split(':')[-1]}personal",
        )
        self.users[user_id] = user
        return user

    def rotate_key(self, kid: str = "key-2") -> SigningKey:
        """Microsoft publishes a new signing key (and keeps the old one a while)."""
        key = SigningKey(kid, _rsa(kid))
        self.keys.append(key)
        return key

    def fail_next(
        self,
        op: str,
        status: int | None = None,
        *,
        retry_after: int | None = None,
        times: int = 1,
        timeout: float | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``op`` answer ``status`` (429 with ``Retry-After``), or hang."""
        if status is None and timeout is None:
            status = 429
        self._faults.setdefault(op, []).append(_Fault(status, retry_after, timeout, times))

    def enforce_limits(self, tenant_rate: float = 0) -> None:
        """Answer sends and updates with 429 (`Retry-After: 1`) beyond the Bot Connector's
        published limits per conversation: 7 in a second, 8 in 2 s, 60 in 30 s; and, with
        `tenant_rate`, beyond that many a second in the tenant (published: 50)."""
        self._limited = {}
        self._tenant_rate = tenant_rate

    def _over_limit(self, call: Call, conversation_id: str) -> Response | None:
        if self._limited is None:
            return None
        now = time.monotonic()
        moments = self._limited.setdefault(conversation_id, [])
        moments[:] = [m for m in moments if m > now - 30.0]
        tenant = self._tenant_moments
        while tenant and tenant[0] <= now - 1.0:
            tenant.popleft()
        if any(sum(1 for m in moments if m > now - seconds) >= calls for calls, seconds in _CONVERSATION_LIMITS) or (
            self._tenant_rate and len(tenant) >= self._tenant_rate
        ):
            return self._answer(
                call, 429, {"error": {"code": "TooManyRequests", "message": "over the limit"}}, {"Retry-After": "1"}
            )
        moments.append(now)
        tenant.append(now)
        return None

    def clear(self) -> None:
        """Forget recorded calls and pending faults; users, conversations and what was shown stay."""
        self.calls.clear()
        self._faults.clear()

    # ---- inbound tokens ---------------------------------------------------------------------
    def token(
        self,
        activity: dict[str, Any] | None = None,
        *,
        audience: str = APP_ID,
        issuer: str = ISSUER,
        expires_in: int = 3600,
        issued_ago: int = 0,
        kid: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        serviceurl: str | bool | None = True,
        algorithm: str = "RS256",
    ) -> str:
        """A token as the Bot Framework signs it for an activity; every argument is something to forge."""
        now = int(time.time()) - issued_ago
        claims: dict[str, Any] = {"iss": issuer, "aud": audience, "iat": now, "nbf": now, "exp": now + expires_in}
        if serviceurl is True:
            claims["serviceurl"] = (activity or {}).get("serviceUrl", self.service_url)
        elif isinstance(serviceurl, str):
            claims["serviceurl"] = serviceurl
        signing = self.keys[0]
        if algorithm == "none":
            # "" is PyJWT's typed way to say no key (it reads "" as None for "none").
            return jwt.encode(claims, "", algorithm="none", headers={"kid": kid or signing.kid})
        if algorithm == "HS256":
            return jwt.encode(
                claims, "a-shared-secret-guess-" * 2, algorithm="HS256", headers={"kid": kid or signing.kid}
            )
        return jwt.encode(claims, key or signing.private, algorithm=algorithm, headers={"kid": kid or signing.kid})

    # ---- activities Teams sends the bot -------------------------------------------------------
    def _activity(self, type_: str, user_id: str, conversation: dict[str, Any], **fields: Any) -> dict[str, Any]:
        user = self.users[user_id]
        return {
            "type": type_,
            "id": fields.pop("id", None) or f"f:{secrets.token_hex(8)}",
            "timestamp": "2026-11-22T09:00:00.000Z",
            "serviceUrl": self.service_url,
            "channelId": CHANNEL_ID,
            "from": {"id": user.id, "name": user.name, "aadObjectId": user.aad_object_id},
            "conversation": conversation,
            "recipient": {"id": BOT_ID, "name": BOT_NAME},
            "channelData": {"tenant": {"id": TENANT_ID}},
            **fields,
        }

    def personal_conversation(self, user_id: str) -> dict[str, Any]:
        return {"id": self.users[user_id].conversation_id, "conversationType": "personal", "tenantId": TENANT_ID}

    def message(
        self,
        user_id: str,
        text: str,
        *,
        mentions: Sequence[tuple[str, str]] = (),
        conversation: dict[str, Any] | None = None,
        id: str | None = None,
    ) -> dict[str, Any]:
        """What a person writes; ``mentions`` are (user id, name) pairs whose ``<at>name</at>`` is in ``text``."""
        user = self.users[user_id]
        entities: list[dict[str, Any]] = [
            {"type": "clientInfo", "locale": user.locale, "country": "DK", "platform": "Web", "timezone": user.timezone}
        ]
        for mentioned, name in mentions:
            entities.append(
                {"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": mentioned, "name": name}}
            )
        return self._activity(
            "message",
            user_id,
            conversation or self.personal_conversation(user_id),
            id=id,
            text=text,
            textFormat="plain",
            locale=user.locale,
            localTimezone=user.timezone,
            entities=entities,
        )

    def press(
        self, user_id: str, conversation_id: str, reply_to: str, verb: str, data: Any, *, id: str | None = None
    ) -> dict[str, Any]:
        """An ``Action.Execute`` press: the ``adaptiveCard/action`` invoke."""
        in_channel = conversation_id.split(";messageid=")[0] in self.channels
        conversation = {
            "id": conversation_id,
            "conversationType": "channel" if in_channel else "personal",
            "tenantId": TENANT_ID,
        }
        return self._activity(
            "invoke",
            user_id,
            conversation,
            id=id,
            name="adaptiveCard/action",
            replyToId=reply_to,
            locale=self.users[user_id].locale,
            value={"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"},
        )

    # ---- channels ----------------------------------------------------------------------------
    def add_channel(self, conversation_id: str, name: str | None = None) -> None:
        """A channel of a team that has the app installed; in this fake each channel is its own
        team (its id the team's). Teams sends no channel name with a post: the bot asks for it."""
        self.channels.add(conversation_id)
        if name is not None:
            self.channel_names[conversation_id] = name

    def channel_message(
        self,
        user_id: str,
        channel: str,
        text: str,
        *,
        mentions: Sequence[tuple[str, str]] = (),
        reply_to: str | None = None,
        id: str | None = None,
    ) -> dict[str, Any]:
        """A post in a channel (its conversation id names itself as the thread), or a reply in a thread."""
        activity_id = id or f"1{next(self._seq):012d}"
        conversation = {
            "id": f"{channel};messageid={reply_to or activity_id}",
            "conversationType": "channel",
            "isGroup": True,
            "tenantId": TENANT_ID,
        }
        activity = self.message(user_id, text, mentions=mentions, conversation=conversation, id=activity_id)
        activity["channelData"] = {"tenant": {"id": TENANT_ID}, "team": {"id": channel}, "channel": {"id": channel}}
        if reply_to:
            activity["replyToId"] = reply_to
        return activity

    def channel_activities(self, channel: str) -> list[Sent]:
        """What the bot posted in the channel and its threads, in order."""
        return sorted(
            (s for s in self.sent.values() if s.conversation_id.split(";messageid=")[0] == channel), key=lambda s: s.seq
        )

    def installation(self, user_id: str, action: str = "add") -> dict[str, Any]:
        return self._activity(
            "installationUpdate",
            user_id,
            self.personal_conversation(user_id),
            action=action,
            locale=self.users[user_id].locale,
        )

    def conversation_update(self, user_id: str) -> dict[str, Any]:
        """The personal chat begins: Teams adds the bot to it."""
        return self._activity(
            "conversationUpdate",
            user_id,
            self.personal_conversation(user_id),
            membersAdded=[{"id": BOT_ID}],
            locale=self.users[user_id].locale,
        )

    # ---- reading ---------------------------------------------------------------------------------
    def calls_of(self, op: str, *, include_failed: bool = False) -> list[Call]:
        return [c for c in self.calls if c.op == op and (include_failed or not c.failed)]

    def conversation_of(self, user_id: str) -> str:
        return self.users[user_id].conversation_id

    def activities_in(self, conversation_id: str) -> list[Sent]:
        return sorted((s for s in self.sent.values() if s.conversation_id == conversation_id), key=lambda s: s.seq)

    def record_answer(self, user_id: str, answer: dict[str, Any]) -> None:
        """What Teams showed the presser from the bot's answer to a press."""
        self.shown.append(Shown(next(self._seq), user_id, "answer", answer))

    def shown_to(self, user_id: str) -> list[Shown]:
        return [s for s in self.shown if s.user == user_id]

    async def wait_for(self, predicate: Callable[[FakeTeams], T | Literal[False] | None], timeout: float = 5.0) -> T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate(self)
            if result:
                return result
            if loop.time() >= deadline:
                raise AssertionError(f"condition not met within {timeout}s; {self.dump()}")
            await asyncio.sleep(0.02)

    def dump(self, last: int = 20) -> str:
        shown = self.calls[-last:]
        lines = [f"{len(self.calls)} call(s) recorded, last {len(shown)}:"]
        for c in shown:
            flag = f" [FAILED {c.status}]" if c.failed else ""
            body = json.dumps(c.body, ensure_ascii=False, default=str)
            lines.append(f"  {c.op} {c.method} {c.path}{flag} {body[:300]}")
        return "\n".join(lines)

    # ---- HTTP -----------------------------------------------------------------------------------
    async def _start(self, op: str, request: Request) -> tuple[Call, Response | None]:
        raw = await request.body()
        content_type = request.headers.get("content-type", "")
        if "json" in content_type and raw:
            body: Any = json.loads(raw)
        elif raw:
            body = dict(parse_qsl(raw.decode(), keep_blank_values=True))
        else:
            body = None
        call = Call(op, request.method, request.url.path, body, dict(request.headers))
        return call, await self._fault(call, request)

    def _answer(self, call: Call, status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
        call.status, call.failed, call.response = status, status >= 400, body
        self.calls.append(call)
        if body is None:
            return Response(status_code=status, headers=headers)
        return JSONResponse(body, status_code=status, headers=headers)

    def _error(self, call: Call, status: int, code: str, message: str) -> Response:
        return self._answer(call, status, {"error": {"code": code, "message": message}})

    async def _fault(self, call: Call, request: Request) -> Response | None:
        faults = self._faults.get(call.op)
        if not faults:
            return None
        fault = faults[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            faults.pop(0)
        if fault.timeout is not None:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + fault.timeout
            while loop.time() < deadline:
                if await request.is_disconnected():
                    return self._answer(call, 499)
                await asyncio.sleep(0.02)
            if fault.status is None:
                return None
        status = fault.status or 429
        headers = {"Retry-After": str(fault.retry_after)} if status == 429 and fault.retry_after is not None else {}
        codes = {429: "TooManyRequests", 412: "PreconditionFailed", 502: "BadGateway", 503: "ServiceUnavailable"}
        call.status, call.failed = status, True
        call.response = {"error": {"code": codes.get(status, "ServiceError"), "message": "injected"}}
        self.calls.append(call)
        return JSONResponse(call.response, status_code=status, headers=headers)

    async def _metadata(self, request: Request) -> Response:
        call, fault = await self._start("metadata", request)
        return fault or self._answer(
            call,
            200,
            {
                "issuer": ISSUER,
                "authorization_endpoint": "https://invalid.botframework.com",
                "jwks_uri": f"{self._base()}/botframework/v1/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            },
        )

    async def _keys(self, request: Request) -> Response:
        call, fault = await self._start("keys", request)
        return fault or self._answer(call, 200, {"keys": [k.jwk() for k in self.keys]})

    async def _token(self, request: Request) -> Response:
        call, fault = await self._start("token", request)
        if fault:
            return fault
        form = call.body or {}
        if request.path_params["tenant"] not in (TENANT_ID, "botframework.com"):
            return self._error(call, 400, "invalid_request", "unknown tenant")
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_id") != APP_ID
            or form.get("client_secret") != APP_PASSWORD
            or form.get("scope") != SCOPE
        ):
            return self._error(call, 401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        token = secrets.token_urlsafe(24)
        self._tokens[token] = time.time() + 3600
        return self._answer(
            call, 200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}
        )

    def _authorised(self, call: Call) -> bool:
        scheme, _, token = call.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and self._tokens.get(token, 0) > time.time()

    def expire_tokens(self) -> None:
        self._tokens.clear()

    async def _create_conversation(self, request: Request) -> Response:
        call, fault = await self._start("create_conversation", request)
        if fault:
            return fault
        if not self._authorised(call):
            return self._error(call, 401, "Unauthorized", "Authorization has been denied for this request.")
        body = call.body or {}
        members = body.get("members") or []
        if (body.get("bot") or {}).get("id") != BOT_ID or len(members) != 1:
            return self._error(call, 400, "BadArgument", "bot and exactly one member are required")
        if body.get("tenantId") != TENANT_ID:
            return self._error(call, 400, "BadArgument", "tenant id is required")
        user = self.users.get(members[0].get("id"))
        if user is None or not user.installed:
            return self._error(
                call, 403, "BotNotInConversationRoster", "The bot is not part of the conversation roster."
            )
        return self._answer(call, 201, {"id": user.conversation_id})

    def _conversation_error(self, call: Call, conversation_id: str) -> Response | None:
        if not self._authorised(call):
            return self._error(call, 401, "Unauthorized", "Authorization has been denied for this request.")
        if conversation_id.split(";messageid=")[0] in self.channels:
            return None
        owner = next((u for u in self.users.values() if u.conversation_id == conversation_id), None)
        if owner is None:
            return self._error(call, 404, "ConversationNotFound", "Conversation not found.")
        if not owner.installed:
            return self._error(
                call, 403, "BotNotInConversationRoster", "The bot is not part of the conversation roster."
            )
        return None

    async def _send(self, request: Request) -> Response:
        call, fault = await self._start("send", request)
        if fault:
            return fault
        conversation_id = request.path_params["conversation"]
        if (error := self._conversation_error(call, conversation_id)) is not None:
            return error
        if (limited := self._over_limit(call, conversation_id)) is not None:
            return limited
        if not isinstance(call.body, dict) or call.body.get("type") != "message":
            return self._error(call, 400, "BadArgument", "an activity of type message is required")
        activity_id = f"1:{next(self._seq)}"
        sent = Sent(next(self._seq), conversation_id, activity_id, call.body)
        self.sent[(conversation_id, activity_id)] = sent
        owner = next((u.id for u in self.users.values() if u.conversation_id == conversation_id), None)
        if owner is not None:  # a channel's posts are read with channel_activities
            self.shown.append(Shown(sent.seq, owner, "post", call.body))
        return self._answer(call, 201, {"id": activity_id})

    async def _member(self, request: Request) -> Response:
        """GET a member of a conversation or team, by Teams user id or Azure AD object id: the
        personal chat's one person, or anyone in the team (`team_members`)."""
        call, fault = await self._start("member", request)
        if fault:
            return fault
        if not self._authorised(call):
            return self._error(call, 401, "Unauthorized", "Authorization has been denied for this request.")
        conversation_id, wanted = request.path_params["conversation"], request.path_params["member"]
        team = conversation_id.split(";messageid=")[0]
        if team in self.team_members:
            members = [self.users[u] for u in self.team_members[team] if u in self.users]
        else:
            owner = next((u for u in self.users.values() if u.conversation_id == conversation_id), None)
            if owner is None:
                return self._error(call, 404, "ConversationNotFound", "Conversation not found.")
            members = [owner]
        found = next((u for u in members if wanted in (u.id, u.aad_object_id)), None)
        if found is None:
            return self._error(
                call, 404, "MemberNotFoundInConversation", "The member was not found in the conversation."
            )
        return self._answer(
            call,
            200,
            {
                "id": found.id,
                "name": found.name,
                "aadObjectId": found.aad_object_id,
                "tenantId": TENANT_ID,
                "userRole": "user",
            },
        )

    async def _team_channels(self, request: Request) -> Response:
        """GET a team's channels (ConversationList): id and name, no name for the General channel."""
        call, fault = await self._start("team_channels", request)
        if fault:
            return fault
        if not self._authorised(call):
            return self._error(call, 401, "Unauthorized", "Authorization has been denied for this request.")
        team = request.path_params["team"]
        if team not in self.channels:
            return self._error(call, 404, "NotFound", "Team not found.")
        conversation: dict[str, Any] = {"id": team}
        if team in self.channel_names:
            conversation["name"] = self.channel_names[team]
        return self._answer(call, 200, {"conversations": [conversation]})

    async def _update(self, request: Request) -> Response:
        call, fault = await self._start("update", request)
        if fault:
            return fault
        conversation_id, activity_id = request.path_params["conversation"], request.path_params["activity"]
        if (error := self._conversation_error(call, conversation_id)) is not None:
            return error
        if (limited := self._over_limit(call, conversation_id)) is not None:
            return limited
        sent = self.sent.get((conversation_id, activity_id)) or next(
            (
                s
                for (c, i), s in self.sent.items()
                if i == activity_id and c.split(";messageid=")[0] == conversation_id.split(";messageid=")[0]
            ),
            None,
        )
        if sent is None:
            return self._error(call, 404, "ActivityNotFound", "Activity not found.")
        sent.activity = call.body
        return self._answer(call, 200, {"id": activity_id})


def card_of(activity: dict[str, Any]) -> dict[str, Any] | None:
    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
            card: dict[str, Any] = attachment["content"]
            return card
    return None


_AT = re.compile(r"<at>(.*?)</at>")
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def card_text(card: dict[str, Any]) -> str:
    """Everything a person reads on a card: its texts (bold as *bold*), and its buttons as [label]."""
    lines: list[str] = []

    def walk(elements: list[dict[str, Any]]) -> None:
        for element in elements:
            kind = element.get("type")
            if kind == "RichTextBlock":
                lines.append(
                    "".join(
                        f"*{r['text']}*" if r.get("weight") == "Bolder" and r["text"].strip() else r["text"]
                        for r in element.get("inlines", [])
                    )
                )
            elif kind == "TextBlock":  # Markdown: a mention shows as the name, **bold** as *bold*
                text = _AT.sub(r"\1", element.get("text", "")).replace("**", "*")
                lines.append(_MD_ESCAPE.sub(r"\1", text))
            elif kind in ("Container", "Column"):
                walk(element.get("items", []))
            elif kind == "ColumnSet":
                walk(element.get("columns", []))
            elif kind == "ActionSet":
                lines.extend(f"[{a.get('title', '')}]" for a in element.get("actions", []))

    walk(card.get("body", []))
    lines.extend(f"[{a.get('title', '')}]" for a in card.get("actions", []))
    return "\n".join(lines)


def buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = list(card.get("actions", []))

    def walk(elements: list[dict[str, Any]]) -> None:
        for element in elements:
            if element.get("type") == "ActionSet":
                found.extend(element.get("actions", []))
            walk(element.get("items", []) + element.get("columns", []))

    walk(card.get("body", []))
    return found

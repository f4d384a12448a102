"""A recording stand-in for the Slack Web API (and response_url webhooks), as a Starlette app.

Modelled on slack-bolt's own mock Web API server: it checks the bearer token, answers
with Slack-shaped JSON and remembers every call so tests can assert on what the bot sent.

Usage::

    fake = FakeSlack()
    fake.add_user("U1", "lise")
    async with serve(fake.app) as server:
        fake.base_url = server.url
        client = AsyncWebClient(token="xoxb-test", base_url=fake.api_url)
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

T = TypeVar("T")

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
BOT_NAME = "laeringsbot"
APP_ID = "A1"
TEAM_ID = "T1"
TEAM_NAME = "Testteam"
TEAM_URL = "https://testteam.slack.com/"

# Fields Slack documents as "a JSON-based array ..., presented as a URL-encoded string".
_JSON_FIELDS = frozenset({"blocks", "attachments", "metadata", "view", "unfurls"})
_MAX_BLOCKS = 50
_MAX_HOME_BLOCKS = 100
_MAX_TEXT = 40_000
_RESPONSE_URL = "response_url"
# The upload URL that files.getUploadURLExternal hands out (fail_next("upload_url", 500) to fail it).
_UPLOAD_URL = "upload_url"
_FAULT_ERRORS = {429: "ratelimited", 500: "fatal_error", 503: "service_unavailable"}


_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")


def dm_channel_id(user_id: str) -> str:
    """The fake's DM channel for a user: ``U123`` -> ``D123``; anything else is returned unchanged."""
    return "D" + user_id[1:] if user_id.startswith("U") else user_id


def _same_conversation(a: str, b: str) -> bool:
    return dm_channel_id(a) == dm_channel_id(b)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in {"1", "true"}


@dataclass
class Call:
    """One request the fake received, recorded when answered.

    ``failed`` is set for injected faults and for ``ok: false`` / non-200 answers;
    ``headers`` keys are lower-case; ``path`` is the request path.
    """

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    failed: bool = False
    status: int = 200
    response: Any = None
    path: str = ""
    # When it was answered (the wall clock, so another process can compare).
    at: float = field(default_factory=time.time)


@dataclass
class UploadedFile:
    """A file through Slack's upload steps: reserved, its bytes uploaded, then shared (completed)."""

    id: str
    filename: str
    length: int
    data: bytes | None = None
    title: str | None = None
    channel: str | None = None
    initial_comment: str | None = None
    completions: int = 0


@dataclass
class _Fault:
    status: int | None
    retry_after: int | None
    timeout: float | None
    error: str | None
    remaining: int
    # The call takes effect first and only its answer fails: what a crash or a lost
    # connection after Slack accepted a post looks like to the bot.
    after_effect: bool = False


@dataclass
class _User:
    id: str
    name: str
    locale: str
    tz: str
    real_name: str
    display_name: str
    is_bot: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    team: str = TEAM_ID  # the workspace they are in

    def as_slack(self, *, include_locale: bool) -> dict[str, Any]:
        now = datetime.now(ZoneInfo(self.tz))
        offset = now.utcoffset()
        user: dict[str, Any] = {
            "id": self.id,
            "team_id": self.team,
            "name": self.name,
            "deleted": False,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": now.tzname(),
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": {
                "real_name": self.real_name,
                "real_name_normalized": self.real_name,
                "display_name": self.display_name,
                "display_name_normalized": self.display_name,
                "team": self.team,
            },
            "is_admin": False,
            "is_owner": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1700000000,
        }
        # Real Slack omits the locale unless asked, so a bot that forgets include_locale fails here too.
        if include_locale:
            user["locale"] = self.locale
        user.update(self.extra)
        return user


class _Bucket:
    def __init__(self, size: float, rate: float) -> None:
        self.size, self.rate, self.tokens, self.at = size, rate, size, time.monotonic()

    def refill(self) -> float:
        now = time.monotonic()
        self.tokens, self.at = min(self.size, self.tokens + (now - self.at) * self.rate), now
        return self.tokens


class _Limits:
    """Slack's posting limits as buckets; the count of posts each refused (`refused`)."""

    def __init__(self, channel_burst: int, channel_rate: float, workspace_rate: float) -> None:
        self.channel_burst, self.channel_rate = channel_burst, channel_rate
        self.workspace = _Bucket(workspace_rate, workspace_rate) if workspace_rate else None
        self.channels: dict[str, _Bucket] = {}
        self.refused = 0

    def take(self, channel: str) -> bool:
        bucket = self.channels.setdefault(channel, _Bucket(self.channel_burst, self.channel_rate))
        buckets = [bucket, *([self.workspace] if self.workspace is not None else [])]
        if any(b.refill() < 1 for b in buckets):
            self.refused += 1
            return False
        for b in buckets:
            b.tokens -= 1
        return True


class _Tiers:
    """The other methods' limits, per method and workspace: at most `calls` in any `seconds`
    on `clock` (the bot's, so a test can move past a minute); the count each refused."""

    def __init__(self, tiers: dict[str, tuple[int, float]], clock: Callable[[], float]) -> None:
        self.tiers, self.clock = tiers, clock
        self.made: dict[tuple[str, str], list[float]] = {}
        self.refused = 0

    def wait(self, method: str, team: str) -> float:
        """0 when the call may be made (and it is counted), else the seconds until it may."""
        if method not in self.tiers:
            return 0.0
        calls, seconds = self.tiers[method]
        now = self.clock()
        made = self.made.setdefault((method, team), [])
        made[:] = [m for m in made if m > now - seconds]
        if len(made) >= calls:
            self.refused += 1
            return made[-calls] + seconds - now
        made.append(now)
        return 0.0


class FakeSlack:
    """Recording fake of the Slack Web API. Serve ``.app``, then set ``.base_url``.

    State worth asserting on: ``calls`` (every request, in answer order), ``users``
    (the users.info registry) and ``messages`` (live bot messages keyed by ``(channel, ts)``).
    """

    def __init__(self, *, token: str | None = None) -> None:
        """``token``: if given, only this exact bot token is accepted (else any ``xoxb-...``)."""
        self.token = token
        self.calls: list[Call] = []
        self.base_url: str | None = None
        self.users: dict[str, _User] = {}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        # The App Home each user sees now (views.publish), keyed by user id.
        self.homes: dict[str, dict[str, Any]] = {}
        # Modals opened (views.open), in order, as Slack holds them (with their view id).
        self.views: list[dict[str, Any]] = []
        # A trigger_id opens one modal, within about 3 s: name one here to have it run out.
        self.expired_triggers: set[str] = set()
        self._used_triggers: set[str] = set()
        self._faults: dict[str, list[_Fault]] = {}
        self._limits: _Limits | None = None
        self._tiers: _Tiers | None = None
        # Many workspaces (add_workspace): each bot token's workspace, the codes Slack gives a
        # browser back after "Allow", the app's credentials, and the workspace of the call answered.
        self.workspaces: dict[str, str] = {}
        self.team_names: dict[str, str] = {TEAM_ID: TEAM_NAME}
        self.revoked: set[str] = set()
        self._codes: dict[str, str] = {}
        self.client_id, self.client_secret = "1111.2222", "test-client-secret"
        self._team = TEAM_ID
        self._response_url_users: dict[str, str] = {}
        self._ts_counter = itertools.count(1)
        self._token_counter = itertools.count(1)
        # Files by id, through files.getUploadURLExternal, the upload URL and files.completeUploadExternal.
        self.files: dict[str, UploadedFile] = {}
        self._file_counter = itertools.count(1)
        self.add_user(BOT_USER_ID, BOT_NAME, locale="en-US", is_bot=True)
        self.app = Starlette(
            routes=[
                Route("/api/{method}", self._api, methods=["GET", "POST"]),
                Route("/response_url/{token}", self._response_url, methods=["POST"]),
                Route("/upload/{file_id}", self._upload, methods=["POST"]),
            ]
        )

    # ---- set-up -------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """Base URL to hand to ``AsyncWebClient(base_url=...)``."""
        return f"{self._require_base_url()}/api/"

    def add_user(
        self,
        user_id: str,
        name: str,
        locale: str = "da-DK",
        tz: str = "Europe/Copenhagen",
        *,
        real_name: str | None = None,
        display_name: str | None = None,
        is_bot: bool = False,
        team: str = TEAM_ID,
        **extra: Any,
    ) -> None:
        """Register a user for ``users.info``; ``extra`` is merged into the returned user object."""
        self.users[user_id] = _User(
            id=user_id,
            name=name,
            locale=locale,
            tz=tz,
            real_name=real_name if real_name is not None else name.title(),
            display_name=display_name if display_name is not None else name,
            is_bot=is_bot,
            extra=extra,
            team=team,
        )

    # ---- many workspaces -----------------------------------------------------------------

    def shown(self, text: str) -> str:
        """Text with its mentions read as a Slack client reads them: `<@U…>` is the person's
        name today (an unknown id stays `<@U…>`). The client puts an "@" before the name; the
        tests read the name alone, as on Teams, so one assertion serves both platforms."""

        def name(match: re.Match[str]) -> str:
            user = self.users.get(match.group(1))
            return (user.display_name or user.real_name) if user else match.group(0)

        return _USER_MENTION.sub(name, text)

    def add_workspace(self, team_id: str, name: str) -> str:
        """A workspace the app can be installed in; returns the bot token an install there gets."""
        token = f"xoxb-{team_id}-{secrets.token_hex(6)}"
        self.team_names[team_id] = name
        self.workspaces[token] = team_id
        return token

    def authorization_code(self, team_id: str, installer: str = "UADMIN") -> str:
        """What Slack hands the browser back on the redirect after someone pressed "Allow"."""
        code = f"code-{secrets.token_hex(8)}"
        self._codes[code] = f"{team_id}:{installer}"
        return code

    def uninstall(self, team_id: str) -> None:
        """The workspace removed the app: its tokens stop working."""
        self.revoked |= {token for token, team in self.workspaces.items() if team == team_id}

    def tokens_of(self, team_id: str) -> set[str]:
        return {token for token, team in self.workspaces.items() if team == team_id}

    def _oauth_v2_access(self, call: Call) -> dict[str, Any]:
        """The code exchanged for the workspace's bot token, once, by the app's id and secret."""
        scheme, _, encoded = call.headers.get("authorization", "").partition(" ")
        given = base64.b64decode(encoded).decode() if scheme.lower() == "basic" else ""
        given = given or f"{call.args.get('client_id')}:{call.args.get('client_secret')}"
        if given != f"{self.client_id}:{self.client_secret}":
            return {"ok": False, "error": "invalid_client_id"}
        grant = self._codes.pop(str(call.args.get("code", "")), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        team_id, installer = grant.split(":")
        token = next(t for t, team in self.workspaces.items() if team == team_id and t not in self.revoked)
        return {
            "ok": True,
            "app_id": APP_ID,
            "authed_user": {"id": installer},
            "scope": "chat:write,commands,im:history,channels:history,groups:history,users:read,files:write,im:write",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": BOT_USER_ID,
            "team": {"id": team_id, "name": self.team_names[team_id]},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def response_url(self, token: str | None = None, *, user: str | None = None) -> str:
        """A response_url pointing at this fake; ``user`` ties its messages to ``messages_to(user)``."""
        token = token or f"rt{next(self._token_counter)}"
        if user is not None:
            self._response_url_users[token] = user
        return f"{self._require_base_url()}/response_url/{token}"

    def fail_next(
        self,
        method: str,
        status: int | None = None,
        *,
        retry_after: int | None = 1,
        times: int = 1,
        timeout: float | None = None,
        error: str | None = None,
        after_effect: bool = False,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (or ``"response_url"``) misbehave.

        - ``status=429`` (the default without ``timeout``): HTTP 429, ``Retry-After: retry_after``.
        - ``status=500``/``503``/...: that status with an ``{"ok": false, "error": ...}`` body.
        - ``timeout=s``: hold the answer ``s`` seconds. If the client hangs up meanwhile, the call is
          recorded as failed and has no effect; otherwise it is answered normally (or with
          ``status``, if given).
        - ``after_effect=True``: the call does what it asks (a post is posted) and then is
          answered with the fault, as when the answer is lost on its way back.
        """
        if status is None and timeout is None:
            status = 429
        self._faults.setdefault(method, []).append(
            _Fault(
                status=status,
                retry_after=retry_after,
                timeout=timeout,
                error=error,
                remaining=times,
                after_effect=after_effect,
            )
        )

    def enforce_limits(
        self,
        *,
        channel_burst: int = 6,
        channel_rate: float = 1.0,
        workspace_rate: float = 0,
        tiers: dict[str, tuple[int, float]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Answer chat.postMessage with 429 (`Retry-After: 1`) beyond Slack's published limits:
        about one post a second per channel with short bursts (a bucket of `channel_burst`
        refilled at `channel_rate`), and, where `workspace_rate` is set, that many a second in
        the workspace (a bucket as large as one second's). `tiers`: other methods' limits, as
        (calls, seconds) per method and workspace on `clock`, answered beyond with 429 and the
        seconds until a call may be made as `Retry-After`."""
        self._limits = _Limits(channel_burst, channel_rate, workspace_rate)
        self._tiers = _Tiers(tiers, clock) if tiers else None

    def clear(self) -> None:
        """Forget recorded calls and pending faults; users and posted messages stay."""
        self.calls.clear()
        self._faults.clear()

    # ---- assertions ---------------------------------------------------------------------

    def calls_of(self, method: str, *, include_failed: bool = False) -> list[Call]:
        """Recorded calls of one method, in order."""
        return [c for c in self.calls if c.method == method and (include_failed or not c.failed)]

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Args of successful chat.postMessage calls; ``U123`` and ``D123`` count as the same DM."""
        return [
            c.args
            for c in self.calls_of("chat.postMessage")
            if channel is None or _same_conversation(str(c.args.get("channel", "")), channel)
        ]

    def files_to(self, user_id: str) -> list[UploadedFile]:
        """Files shared into the user's DM (completed uploads), in the order they were shared."""
        return [
            f
            for f in self.files.values()
            if f.completions and f.channel is not None and _same_conversation(f.channel, user_id)
        ]

    def messages_to(self, user_id: str) -> list[dict[str, Any]]:
        """Args of everything the user would see: DM posts, ephemerals and their response_url replies."""
        return [c.args for c in self.calls if not c.failed and self._seen_by(c, user_id)]

    def _seen_by(self, call: Call, user_id: str) -> bool:
        if call.method == "chat.postMessage":
            return _same_conversation(str(call.args.get("channel", "")), user_id)
        if call.method == "chat.postEphemeral":
            return call.args.get("user") == user_id
        if call.method == _RESPONSE_URL:
            return self._response_url_users.get(call.path.rsplit("/", 1)[-1]) == user_id
        return False

    async def wait_for(self, predicate: Callable[[FakeSlack], T | Literal[False] | None], timeout: float = 5.0) -> T:
        """Poll every 20 ms until ``predicate(self)`` is truthy and return its value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate(self)
            if result:
                return result
            if loop.time() >= deadline:
                raise AssertionError(f"condition not met within {timeout}s; {self.dump()}")
            await asyncio.sleep(0.02)

    async def wait_for_calls(self, n: int, method: str | None = None, timeout: float = 5.0) -> list[Call]:
        """Wait until at least ``n`` calls (of ``method``, failed ones included) were recorded."""

        def matching(fake: FakeSlack) -> list[Call]:
            found = [c for c in fake.calls if method is None or c.method == method]
            return found if len(found) >= n else []

        return await self.wait_for(matching, timeout)

    def dump(self, last: int = 20) -> str:
        """The most recent calls, one per line, for assertion messages."""
        shown = self.calls[-last:]
        lines = [f"{len(self.calls)} call(s) recorded, last {len(shown)}:"]
        for c in shown:
            flag = f" [FAILED {c.status}]" if c.failed else ""
            args = json.dumps(c.args, ensure_ascii=False, default=str)
            lines.append(f"  {c.method}{flag} {args[:300]}{'...' if len(args) > 300 else ''}")
        return "\n".join(lines)

    # ---- HTTP ---------------------------------------------------------------------------

    async def _api(self, request: Request) -> Response:
        call = await self._start_call(request.path_params["method"], request)
        fault_response = await self._apply_fault(call, request)
        if fault_response is not None:
            return fault_response

        if call.method == "oauth.v2.access":  # the app's credentials, not a bot token
            body = self._oauth_v2_access(call)
            self._record(call, failed=not body["ok"], status=200, response=body)
            return JSONResponse(body)
        auth_error = self._check_auth(call.headers.get("authorization", ""))
        if (
            not auth_error
            and call.method == "chat.postMessage"
            and self._limits is not None
            and not self._limits.take(str(call.args.get("channel")))
        ):
            body = {"ok": False, "error": "ratelimited"}
            self._record(call, failed=True, status=429, response=body)
            return JSONResponse(body, status_code=429, headers={"Retry-After": "1"})
        if not auth_error and self._tiers is not None and (wait := self._tiers.wait(call.method, self._team)) > 0:
            body = {"ok": False, "error": "ratelimited"}
            self._record(call, failed=True, status=429, response=body)
            return JSONResponse(body, status_code=429, headers={"Retry-After": str(max(1, round(wait)))})
        body = {"ok": False, "error": auth_error} if auth_error else self._dispatch(call.method, call.args)
        self._record(call, failed=not body["ok"], status=200, response=body)
        return JSONResponse(body)

    async def _response_url(self, request: Request) -> Response:
        call = await self._start_call(_RESPONSE_URL, request)
        fault_response = await self._apply_fault(call, request)
        if fault_response is not None:
            return fault_response

        if not any(k in call.args for k in ("text", "blocks", "attachments", "delete_original")):
            self._record(call, failed=True, status=400, response="no_text")
            return PlainTextResponse("no_text", status_code=400)
        self._record(call, failed=False, status=200, response="ok")
        return PlainTextResponse("ok")

    async def _upload(self, request: Request) -> Response:
        """The upload URL: the file's bytes, raw or as a multipart form's ``file`` field."""
        file_id = request.path_params["file_id"]
        if self.base_url is None:
            self.base_url = str(request.base_url).rstrip("/")
        call = Call(_UPLOAD_URL, {"file_id": file_id}, dict(request.headers), path=request.url.path)
        fault_response = await self._apply_fault(call, request)
        if fault_response is not None:
            return fault_response
        upload = self.files.get(file_id)
        if upload is None:
            self._record(call, failed=True, status=404, response="not found")
            return PlainTextResponse("Not found", status_code=404)
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form()
            part = form.get("file") or form.get("filename")
            data = await part.read() if isinstance(part, UploadFile) else str(part or "").encode()
        else:
            data = await request.body()
        upload.data = data
        call.args["length"] = len(data)
        self._record(call, failed=False, status=200, response=f"OK - {len(data)}")
        return PlainTextResponse(f"OK - {len(data)}")

    async def _start_call(self, method: str, request: Request) -> Call:
        if self.base_url is None:
            self.base_url = str(request.base_url).rstrip("/")
        args = await _read_args(request)
        return Call(method, args, dict(request.headers), path=request.url.path)

    def _record(self, call: Call, *, failed: bool, status: int, response: Any) -> None:
        # Recorded when answered rather than when received, so a delayed call lands
        # where its effect becomes visible.
        call.failed, call.status, call.response, call.at = failed, status, response, time.time()
        self.calls.append(call)

    async def _apply_fault(self, call: Call, request: Request) -> Response | None:
        """Answer for an injected fault, or None to handle the call normally."""
        faults = self._faults.get(call.method)
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
                    self._record(call, failed=True, status=499, response=None)
                    return Response(status_code=499)
                await asyncio.sleep(0.02)
            if fault.status is None:
                return None

        effect = fault.after_effect and call.method in self._methods()
        if effect:
            self._dispatch(call.method, call.args)
        status = fault.status or 429
        error = fault.error or _FAULT_ERRORS.get(status, "internal_error")
        body = {"ok": False, "error": error}
        headers: dict[str, str] = {}
        if status == 429 and fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        # A call that took effect is recorded as done (people see the post), with the status sent back.
        self._record(call, failed=not effect, status=status, response=body)
        return JSONResponse(body, status_code=status, headers=headers)

    def _check_auth(self, authorization: str) -> str | None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return "not_authed"
        if token in self.revoked:
            return "token_revoked"
        if token in self.workspaces:
            self._team = self.workspaces[token]
            return None
        if not token.startswith("xoxb-") or (self.token is not None and token != self.token) or self.workspaces:
            return "invalid_auth"
        self._team = TEAM_ID
        return None

    def _require_base_url(self) -> str:
        if self.base_url is None:
            raise RuntimeError("set FakeSlack.base_url to the server URL first")
        return self.base_url

    # ---- Web API methods ----------------------------------------------------------------

    def _methods(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "users.info": self._users_info,
            "views.publish": self._views_publish,
            "views.open": self._views_open,
        }

    def _dispatch(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        handler = self._methods().get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        return handler(args)

    def _next_ts(self) -> str:
        micros = next(self._ts_counter) * 100
        return f"{1700000000 + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": TEAM_URL,
            "team": self.team_names.get(self._team, TEAM_NAME),
            "user": BOT_NAME,
            "team_id": self._team,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if error := _content_error(args, text_required=True):
            return {"ok": False, "error": error}
        channel = dm_channel_id(str(channel))
        ts = self._next_ts()
        message = self._bot_message(args, ts)
        self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = args.get("channel"), args.get("ts")
        missing = [name for name, value in (("channel", channel), ("ts", ts)) if not value]
        if missing:
            return _invalid_arguments(missing)
        # Slack's docs: for DMs chat.update needs the D... id, a user id is rejected.
        if str(channel).startswith(("U", "W")):
            return {"ok": False, "error": "channel_not_found"}
        if error := _content_error(args, text_required=False):
            return {"ok": False, "error": error}
        message = self.messages.get((str(channel), str(ts)))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in args:
                message[key] = args[key]
        return {"ok": True, "channel": channel, "ts": ts, "text": message.get("text", ""), "message": message}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        missing = [name for name in ("channel", "user") if not args.get(name)]
        if missing:
            return _invalid_arguments(missing)
        if error := _content_error(args, text_required=True):
            return {"ok": False, "error": error}
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel", "")), str(args.get("ts", ""))
        if not channel or channel.startswith(("U", "W")):
            return {"ok": False, "error": "channel_not_found"}
        if self.messages.pop((channel, ts), None) is None:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel, "ts": ts}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = [u.strip() for u in str(args.get("users", "")).split(",") if u.strip()]
        if not users:
            if channel := args.get("channel"):
                return {"ok": True, "channel": {"id": channel}}
            return {"ok": False, "error": "users_list_not_supplied"}
        channel_id = dm_channel_id(users[0]) if len(users) == 1 else "G" + "".join(u[1:] for u in users)
        return {"ok": True, "channel": {"id": channel_id}}

    def _history(self, args: dict[str, Any], keep: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Messages of a conversation, newest first, as Slack pages them (``oldest``, ``limit``);
        ``metadata`` only with ``include_all_metadata``, as Slack does."""
        channel = str(args.get("channel") or "")
        if not channel or channel.startswith(("U", "W")):
            return {"ok": False, "error": "channel_not_found"}
        oldest = float(args.get("oldest") or 0)
        limit = int(args.get("limit") or 100)
        found = [m for (c, ts), m in self.messages.items() if c == channel and float(ts) > oldest and keep(m)]
        found.sort(key=lambda m: float(m["ts"]), reverse=True)
        with_metadata = _truthy(args.get("include_all_metadata"))
        shown = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in found[:limit]]
        return {"ok": True, "messages": shown, "has_more": len(found) > limit}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """A conversation's top-level messages (replies in threads are not in it)."""
        return self._history(args, lambda m: not m.get("thread_ts") or m["thread_ts"] == m["ts"])

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """A thread: its root and its replies."""
        root = str(args.get("ts") or "")
        if not root:
            return _invalid_arguments(["ts"])
        return self._history(args, lambda m: m["ts"] == root or m.get("thread_ts") == root)

    def _files_get_upload_url_external(self, args: dict[str, Any]) -> dict[str, Any]:
        missing = [name for name in ("filename", "length") if not args.get(name)]
        if missing:
            return _invalid_arguments(missing)
        try:
            length = int(args["length"])
        except (TypeError, ValueError):
            return {"ok": False, "error": "invalid_arguments"}
        if length <= 0:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._file_counter):09d}"
        self.files[file_id] = UploadedFile(file_id, str(args["filename"]), length)
        return {"ok": True, "upload_url": f"{self._require_base_url()}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files")
        if not files:
            return _invalid_arguments(["files"])
        if isinstance(files, str):
            try:
                files = json.loads(files)
            except json.JSONDecodeError:
                return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(files, list) or not all(isinstance(f, dict) and f.get("id") for f in files):
            return {"ok": False, "error": "invalid_arguments"}
        channel = args.get("channel_id")
        # As chat.update: a DM is named by its D... id; a user id is no channel.
        if channel is not None and (not channel or str(channel).startswith(("U", "W"))):
            return {"ok": False, "error": "channel_not_found"}
        if args.get("thread_ts") and not channel:
            return {"ok": False, "error": "invalid_arguments"}
        uploads = []
        for item in files:
            upload = self.files.get(str(item["id"]))
            # Only what was reserved and whose bytes arrived, all of them, can be completed.
            if upload is None or upload.data is None or len(upload.data) != upload.length:
                return {"ok": False, "error": "file_not_found"}
            uploads.append((upload, item))
        for upload, item in uploads:
            upload.title = item.get("title") or upload.filename
            upload.channel, upload.initial_comment = channel, args.get("initial_comment")
            upload.completions += 1
        return {
            "ok": True,
            "files": [{"id": u.id, "name": u.filename, "title": u.title, "size": u.length} for u, _ in uploads],
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user", "")))
        if user is None or (user.team != self._team and not user.is_bot):  # a workspace knows its own
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user.as_slack(include_locale=_truthy(args.get("include_locale")))}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        """The App Home tab: a `home` view of at most 100 blocks; `hash` guards against races."""
        user_id, view = str(args.get("user_id") or ""), args.get("view")
        missing = [name for name, value in (("user_id", user_id), ("view", view)) if not value]
        if missing:
            return _invalid_arguments(missing)
        if user_id not in self.users:
            return {"ok": False, "error": "user_not_found"}
        if not isinstance(view, dict) or view.get("type") != "home":
            return {"ok": False, "error": "invalid_arguments"}
        blocks = view.get("blocks")
        if (
            not isinstance(blocks, list)
            or len(blocks) > _MAX_HOME_BLOCKS
            or not all(isinstance(b, dict) and b.get("type") for b in blocks)
        ):
            return {"ok": False, "error": "invalid_blocks"}
        previous = self.homes.get(user_id)
        if args.get("hash") and (previous is None or args["hash"] != previous["hash"]):
            return {"ok": False, "error": "hash_conflict"}
        published = {
            **view,
            "id": previous["id"] if previous else f"V{user_id}",
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "state": {"values": {}},
            "hash": f"{1700000000 + next(self._ts_counter)}.{next(self._token_counter)}",
        }
        self.homes[user_id] = published
        return {"ok": True, "view": published}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        """A modal: opened once per trigger_id, while the trigger lasts; at most 100 blocks."""
        trigger, view = str(args.get("trigger_id") or ""), args.get("view")
        missing = [name for name, value in (("trigger_id", trigger), ("view", view)) if not value]
        if missing:
            return _invalid_arguments(missing)
        if trigger in self.expired_triggers:
            return {"ok": False, "error": "expired_trigger_id"}
        if trigger in self._used_triggers:
            return {"ok": False, "error": "exchanged_trigger_id"}
        if not isinstance(view, dict) or view.get("type") != "modal":
            return {"ok": False, "error": "invalid_arguments"}
        blocks = view.get("blocks")
        if (
            not isinstance(blocks, list)
            or len(blocks) > _MAX_HOME_BLOCKS
            or not all(isinstance(b, dict) and b.get("type") for b in blocks)
        ):
            return {"ok": False, "error": "invalid_blocks"}
        self._used_triggers.add(trigger)
        view_id = f"VM{len(self.views) + 1:04d}"
        opened = {
            **view,
            "id": view_id,
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "state": {"values": {}},
            "hash": f"{1700000000 + next(self._ts_counter)}.{next(self._token_counter)}",
            "root_view_id": view_id,
            "previous_view_id": None,
        }
        self.views.append(opened)
        return {"ok": True, "view": opened}

    def _bot_message(self, args: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "text": args.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "attachments", "metadata", "thread_ts"):
            if key in args:
                message[key] = args[key]
        return message


def _invalid_arguments(missing: list[str]) -> dict[str, Any]:
    return {
        "ok": False,
        "error": "invalid_arguments",
        "response_metadata": {"messages": [f"[ERROR] missing required field: {name}" for name in missing]},
    }


def _content_error(args: dict[str, Any], *, text_required: bool) -> str | None:
    """The error Slack would give for the message content, if any."""
    blocks = args.get("blocks")
    if blocks is not None and (
        not isinstance(blocks, list)
        or len(blocks) > _MAX_BLOCKS
        or not all(isinstance(b, dict) and b.get("type") for b in blocks)
    ):
        return "invalid_blocks"
    if len(str(args.get("text", ""))) > _MAX_TEXT:
        return "msg_too_long"
    if text_required and not (args.get("text") or blocks or args.get("attachments")):
        return "no_text"
    return None


async def _read_args(request: Request) -> dict[str, Any]:
    """Query string plus JSON or urlencoded body, with JSON-string fields decoded."""
    args: dict[str, Any] = dict(request.query_params)
    raw = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if raw:
        if content_type == "application/json":
            body = json.loads(raw)
            args.update(body if isinstance(body, dict) else {"_body": body})
        else:
            args.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    for key in _JSON_FIELDS & args.keys():
        value = args[key]
        if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
            # Not JSON: left as a string, so validation reports invalid_blocks, like Slack.
            with contextlib.suppress(json.JSONDecodeError):
                args[key] = json.loads(value)
    return args

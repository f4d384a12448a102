"""Logging: plain lines or JSON (`LOG_FORMAT=json`), each with the request or event it belongs to,
and an access log that carries no message content.

Which request or event a line belongs to is kept in context variables: the access log's
middleware sets the request id (the `X-Request-Id` a proxy sent, else a new one, and answers
with it), and the workers set the inbox or outbox row they are working on. asyncio gives every
task its own copy of the context, so a lane's id stays with the lane.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

REQUEST: ContextVar[str | None] = ContextVar("request_id", default=None)
EVENT: ContextVar[str | None] = ContextVar("event_id", default=None)
ACCESS = logging.getLogger("laeringsbot.access")
PLAIN = "%(asctime)s %(levelname)s %(name)s%(ids)s: %(message)s"
# Loggers that are chatty at INFO without telling an operator anything (issue 16, point 22):
# APScheduler says "Running job … executed successfully" at every tick of the clock, fontTools
# one line per font table subset on every PDF copy, httpx one per request to Teams (with the
# conversation's URL), Alembic one per migration step (`migrate` prints what it did).
QUIET = ("apscheduler", "fontTools", "alembic", "httpx", "httpcore")
# Probes and scrapes come every few seconds: their access lines are DEBUG.
PROBES = frozenset({"/livez", "/readyz", "/healthz", "/metrics"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _Ids(logging.Filter):
    """Puts the request and event ids on every record (`record.request_id`, `record.event_id`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request_id", None) or REQUEST.get()
        event = getattr(record, "event_id", None) or EVENT.get()
        ids = [f"{k}={v}" for k, v in (("request", request), ("event", event)) if v]
        # LogRecord declares no such attributes: they go where `extra=` puts its own.
        record.__dict__.update(request_id=request, event_id=event, ids=f" [{' '.join(ids)}]" if ids else "")
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the ids, and an access line's fields."""

    FIELDS = ("request_id", "event_id", "method", "path", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in self.FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(log_format: str, level: str = "INFO") -> None:
    """The process's logging, once at start (bot/cli.py). Like logging.basicConfig, it leaves a
    logging that is set up already alone (the CLI called inside a test run, under pytest's)."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.addFilter(_Ids())
        handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(PLAIN))
        root.addHandler(handler)
        root.setLevel(level.upper())
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def route_path(scope: Scope) -> str:
    """The path as the route declares it (`/files/{token}`): a download link's token is a key and
    stays out of the logs. An unmatched path is shown as it came, cut short."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str) and path:
        return path
    return str(scope.get("path", ""))[:100]


class AccessLog:
    """ASGI middleware: one line per HTTP request (method, path, status, duration), never a body,
    a query string or a header's value; the request id for every line the request logs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope.get("headers", []) if k == b"x-request-id"), b"")
        request_id = given.decode("latin-1")[:64] if given.isascii() and given else uuid.uuid4().hex[:16]
        token = REQUEST.set(request_id)
        started = time.perf_counter()
        status = 500  # what the client gets when the app raised before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            took = round((time.perf_counter() - started) * 1000, 1)
            path = route_path(scope)
            ACCESS.log(
                logging.DEBUG if path in PROBES else logging.INFO,
                "%s %s %s %.1f ms",
                scope.get("method"),
                path,
                status,
                took,
                extra={
                    "method": scope.get("method"),
                    "path": path,
                    "status": status,
                    "duration_ms": took,
                    "request_id": request_id,
                },
            )
            REQUEST.reset(token)

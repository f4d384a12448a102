"""`GET /livez`, `/readyz` and `/metrics`.

- `/livez`: the process answers. A load balancer or an orchestrator restarts it when not.
- `/readyz`: the database answers, its schema is at this version's head (or ahead of it, see
  bot/storage/schema.py), and every platform's credentials were accepted at start. 503 with
  the reasons otherwise; an orchestrator sends it no traffic then.
- `/metrics`: bot/ops/metrics.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.ops.credentials import Credentials
from bot.ops.metrics import CONTENT_TYPE, Metrics
from bot.storage import schema
from bot.storage.db import Database


class Probed(Protocol):
    """What the probes read of the running bot (bot.app.Runtime, which nothing here imports)."""

    db: Database
    metrics: Metrics
    credentials: Credentials
    now: Callable[[], datetime]


async def livez(request: Request) -> JSONResponse:
    return JSONResponse({"status": "alive"})


async def readyz(request: Request) -> JSONResponse:
    runtime: Probed = request.app.state.runtime
    body: dict[str, Any] = {}
    ready = True
    try:
        async with runtime.db.transaction() as s:
            state = await (await s.connection()).run_sync(schema.state_of)
        body["database"] = "ok"
        body["schema"] = state.describe()
        ready = not state.behind
    except Exception as exc:  # the database is away: say so, do not crash
        body["database"] = f"error: {str(exc)[:200]}"
        ready = False
    body["platforms"] = {
        name: f"{verdict.outcome}: {verdict.detail}" for name, verdict in runtime.credentials.verdicts.items()
    }
    ready = ready and runtime.credentials.accepted
    body = {"status": "ready" if ready else "not ready"} | body
    return JSONResponse(body, status_code=200 if ready else 503)


async def metrics(request: Request) -> Response:
    runtime: Probed = request.app.state.runtime
    try:
        text = await runtime.metrics.render(runtime.db, runtime.now())
    except Exception as exc:  # without the database there are no gauges: a scrape that fails says so
        return Response(f"database error: {str(exc)[:200]}\n", status_code=503, media_type="text/plain")
    return Response(text, media_type=CONTENT_TYPE)


def routes() -> list[Route]:
    return [
        Route("/livez", livez, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]

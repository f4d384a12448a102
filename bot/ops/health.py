"""`GET /livez`, `/readyz` and `/metrics`.

- `/livez`: the process answers. A load balancer or an orchestrator restarts it when not.
- `/readyz`: the database answers, its schema is at this version's head (or ahead of it, see
  bot/storage/schema.py), and every platform's credentials were accepted at start. 503 with
  the reasons otherwise; an orchestrator sends it no traffic then.
- `/metrics`: bot/ops/metrics.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.ops.metrics import CONTENT_TYPE
from bot.storage import schema

if TYPE_CHECKING:
    from bot.app import Runtime


async def livez(request: Request) -> JSONResponse:
    return JSONResponse({"status": "alive"})


async def readyz(request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
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
    runtime: Runtime = request.app.state.runtime
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

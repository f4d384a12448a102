"""One Slack app under uvicorn (1 worker, log level warning) for bench/ack.py.

    python bench/_serve.py bot    # the real bot: bot.app.create_app(Settings()) from env vars,
                                  # like `laeringsbot serve` (the DB is migrated by the caller)
    python bench/_serve.py bot X.py  # the same, after running X.py (an experiment's patch)
    python bench/_serve.py bare   # a bare slack-bolt AsyncApp that only acknowledges

Both read BOT_HOST, PORT, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL.

With BENCH_FORK_SERVER=1 (bench/crash.py's restarts), `bot` imports the bot's
modules once and then reads lines `start <log file>` on stdin: each forks a new
bot process (answering its pid on stdout), which builds the app and serves as
above, writing to that log. A restart after a crash without the import time.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402

from bot.settings import Settings  # noqa: E402


def bot_app(settings: Settings):
    from bot.app import create_app

    return create_app(settings)


def bare_app(settings: Settings):
    """Same signing secret, same mode as ours (process_before_response=True), same
    listener shapes (a `message` event listener, an action listener), no work."""
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
    from slack_bolt.async_app import AsyncAck, AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from bot.slack.listeners import ACTION_PATTERN

    api_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    client = AsyncWebClient(token=settings.slack_bot_token, base_url=api_url, timeout=10)
    bolt = AsyncApp(signing_secret=settings.slack_signing_secret, client=client, process_before_response=True)

    @bolt.event("message")
    async def message(body: dict) -> None:
        pass

    @bolt.action(ACTION_PATTERN)
    async def action(ack: AsyncAck) -> None:
        await ack()

    handler = AsyncSlackRequestHandler(bolt)

    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[Route("/slack/events", slack_events, methods=["POST"]), Route("/healthz", healthz, methods=["GET"])]
    )


def fork_server() -> None:
    """Import once, then fork a bot process per `start LOG` line; returns only in a child."""
    import contextlib
    import ctypes
    import importlib
    import signal

    # Modules only: no app, thread, loop or connection exists before a fork.
    for module in (
        "bot.app",
        "bot.slack.listeners",
        "bot.slack.platform",
        "slack_bolt.adapter.starlette.async_handler",
    ):
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the children
    for line in sys.stdin:
        command, _, log = line.strip().partition(" ")
        if command != "start" or not log:
            continue
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            with contextlib.suppress(Exception):  # die with the fork server (Linux)
                ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
            out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(out, 1)
            os.dup2(out, 2)
            os.close(out)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.close(null)
            sys.stdin = open(os.devnull)  # noqa: SIM115  (stdin for the rest of the process)
            return
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()
    sys.exit(0)  # stdin closed: the benchmark is done


def main() -> None:
    import logging

    # Warnings and errors of the app (not only uvicorn's) reach the log, with their level.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    which = sys.argv[1] if len(sys.argv) > 1 else "bot"
    if which == "bot" and os.environ.get("BENCH_FORK_SERVER"):
        fork_server()
    settings = Settings(_env_file=None)
    if which == "bot" and len(sys.argv) > 2:
        # An experiment: a Python file whose top level patches the bot before it is built.
        import runpy

        runpy.run_path(sys.argv[2])
    app = bot_app(settings) if which == "bot" else bare_app(settings)
    uvicorn.run(app, host=settings.bot_host, port=settings.port, log_level="warning", workers=1)


if __name__ == "__main__":
    main()

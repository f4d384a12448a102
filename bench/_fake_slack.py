"""The recording FakeSlack as its own process, for bench/ack.py.

Registers users U0000..U00nn (leaders and employees) and serves the fake on
127.0.0.1:<port> until terminated. GET /bench/stats gives call counts.

    python bench/_fake_slack.py --port 8123 --users 50 --token xoxb-bench
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from tests.fakes.slack_api import FakeSlack  # noqa: E402


def user_id(index: int) -> str:
    return f"U{index:04d}"


def user_name(index: int) -> str:
    return f"user{index:02d}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--token", default=None)
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="hold every Web API answer this long, like a round trip to slack.com",
    )
    parser.add_argument(
        "--limits",
        action="store_true",
        help="answer chat.postMessage with 429 beyond Slack's limits: 1/s per channel, bursts of 6",
    )
    parser.add_argument("--workspace-rate", type=float, default=0, help="with --limits: posts a second per workspace")
    args = parser.parse_args()

    fake = FakeSlack(token=args.token)
    if args.limits:
        fake.enforce_limits(workspace_rate=args.workspace_rate)
    fake.base_url = f"http://127.0.0.1:{args.port}"
    for i in range(args.users):
        fake.add_user(user_id(i), user_name(i), locale="da-DK", tz="Europe/Copenhagen")

    async def stats(request: Request) -> JSONResponse:
        posted = [c for c in fake.calls if c.method == "chat.postMessage" and not c.failed]
        posts = Counter(str(c.args.get("channel")) for c in posted)
        return JSONResponse(
            {
                "calls": len(fake.calls),
                "failed": sum(c.failed for c in fake.calls),
                "post_channels": len(posts),
                "posted_twice": sum(n > 1 for n in posts.values()),
                "by_method": dict(Counter(c.method for c in fake.calls if not c.failed)),
                "rate_limited": sum(c.status == 429 for c in fake.calls),
                "first_post_at": min((c.at for c in posted), default=None),
                "last_post_at": max((c.at for c in posted), default=None),
            }
        )

    fake.app.router.routes.append(Route("/bench/stats", stats, methods=["GET"]))
    app = fake.app
    if args.latency_ms > 0:
        app = with_latency(fake.app, args.latency_ms / 1000)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


def with_latency(app, seconds: float, prefix: str = "/api/"):
    """The stand-in answering after a network round trip, for the paths under `prefix`
    (not /bench/stats)."""

    async def delayed(scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(prefix):
            await asyncio.sleep(seconds)
        await app(scope, receive, send)

    return delayed


if __name__ == "__main__":
    main()

"""The recording FakeTeams (tests/fakes/teams_api.py) as its own process, for bench/reminders.py.

Knows channels 19:c00000@thread.tacv2 … of one team that has the app and serves the fake
(the Bot Connector, its token endpoint and OpenID metadata) on 127.0.0.1:<port> until
terminated. GET /bench/stats gives call counts, as bench/_fake_slack.py's does.

    python bench/_fake_teams.py --port 8124 --channels 2000 [--latency-ms 80] [--limits --tenant-rate 50]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402
from _fake_slack import with_latency  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from tests.fakes.teams_api import FakeTeams  # noqa: E402


def channel_id(n: int) -> str:
    return f"19:c{n:05d}@thread.tacv2"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--channels", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--limits", action="store_true", help="answer 429 beyond the published limits per conversation")
    parser.add_argument("--tenant-rate", type=float, default=0, help="with --limits: sends a second per tenant")
    args = parser.parse_args()

    fake = FakeTeams()
    if args.limits:
        fake.enforce_limits(tenant_rate=args.tenant_rate)
    fake.base_url = f"http://127.0.0.1:{args.port}"
    fake.channels.update(channel_id(n) for n in range(args.channels))

    async def stats(request: Request) -> JSONResponse:
        sends = [c for c in fake.calls if c.op == "send" and c.status == 201]
        posts = Counter(c.path.split("/")[4] for c in sends)  # /emea/v3/conversations/<id>/activities
        return JSONResponse(
            {
                "calls": len(fake.calls),
                "failed": sum(c.status >= 500 for c in fake.calls),
                "post_channels": len(posts),
                "posted_twice": sum(n > 1 for n in posts.values()),
                "by_method": {"chat.postMessage": len(sends)},
                "rate_limited": sum(c.status == 429 for c in fake.calls),
                "first_post_at": min((c.at for c in sends), default=None),
                "last_post_at": max((c.at for c in sends), default=None),
            }
        )

    fake.app.router.routes.append(Route("/bench/stats", stats, methods=["GET"]))
    app = fake.app
    if args.latency_ms > 0:
        app = with_latency(fake.app, args.latency_ms / 1000, prefix="/emea/")
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()

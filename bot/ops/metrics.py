"""The bot's metrics, in Prometheus' text format on `GET /metrics`.

Counters and the histogram count what this instance did (sum them over instances); the
gauges are read from the database at each scrape, so every instance reports the same
backlog (take the max, not the sum). Each app has a registry of its own: the tests run
many apps in one process, and prometheus-client's global registry refuses a second copy.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import func
from sqlmodel import col, select

from bot.storage.db import Database
from bot.storage.models import DialogSession, InboxEvent, OutboxMessage

CONTENT_TYPE = CONTENT_TYPE_LATEST
OPEN_DIALOGS = ("queued", "active")  # bot/flows/conversations.py's OPEN
UNSENT = ("pending", "sending")  # bot/workers/outbox.py's UNSENT


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.sends = Counter(
            "laeringsbot_outbox_sends",
            "Attempts to send an outbox row, by platform and outcome: sent; found (an interrupted "
            "send had arrived after all); retry (a temporary failure); failed (refused for good); "
            "paced (put off to keep the platform's published limits)",
            ["platform", "outcome"],
            registry=registry,
        )
        self.rate_limits = Counter(
            "laeringsbot_rate_limited",
            "429 answers from a platform (sends and profile look-ups)",
            ["platform"],
            registry=registry,
        )
        self.event_seconds = Histogram(
            "laeringsbot_inbox_event_seconds",
            "From a request's arrival (its inbox row) to done (processed, its messages in the outbox)",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800),
            registry=registry,
        )
        self.pending = Gauge(
            "laeringsbot_pending_rows",
            "Rows not yet done: inbox requests pending, outbox messages pending or being sent",
            ["queue"],
            registry=registry,
        )
        self.oldest = Gauge(
            "laeringsbot_oldest_pending_seconds",
            "Age of the oldest row not yet done (0 when there is none)",
            ["queue"],
            registry=registry,
        )
        self.dialogs = Gauge(
            "laeringsbot_open_dialogs",
            "Dialogs under way (a person answering a flow's questions), by flow and status",
            ["flow", "status"],
            registry=registry,
        )

    # ---- the workers' hooks ---------------------------------------------------------
    def sent(self, platform: str, outcome: str) -> None:
        self.sends.labels(platform=platform, outcome=outcome).inc()

    def failure(self, platform: str, exc: Exception) -> None:
        """A platform's temporary failure: counted when it was a 429."""
        if getattr(exc, "status", None) == 429:
            self.rate_limits.labels(platform=platform).inc()

    def event_done(self, seconds: float) -> None:
        self.event_seconds.observe(max(0.0, seconds))

    # ---- a scrape ----------------------------------------------------------------------
    async def render(self, db: Database, now: datetime) -> bytes:
        async with db.transaction() as s:
            inbox = (
                await s.exec(
                    select(func.count(), func.min(InboxEvent.received_at)).where(InboxEvent.status == "pending")
                )
            ).one()
            outbox = (
                await s.exec(
                    select(func.count(), func.min(OutboxMessage.created_at)).where(
                        col(OutboxMessage.status).in_(UNSENT)
                    )
                )
            ).one()
            dialogs = (
                await s.exec(
                    select(DialogSession.flow, DialogSession.status, func.count())
                    .where(col(DialogSession.status).in_(OPEN_DIALOGS))
                    .group_by(col(DialogSession.flow), col(DialogSession.status))
                )
            ).all()
        for queue, (count, oldest) in (("inbox", inbox), ("outbox", outbox)):
            self.pending.labels(queue=queue).set(count)
            self.oldest.labels(queue=queue).set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        self.dialogs.clear()  # a flow with none open any more is not reported with its last count
        for flow, status, count in dialogs:
            self.dialogs.labels(flow=flow, status=status).set(count)
        return generate_latest(self.registry)

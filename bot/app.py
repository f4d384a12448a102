"""The ASGI app: wires settings, database, flows, platforms and workers.

Everything is built here at start-up and passed in; nothing at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from bot.core.agenda import load_agenda
from bot.core.dialogs import load_dialogs
from bot.core.i18n import Catalog
from bot.core.plans import load_plans
from bot.files import FileLinks, link_secret, route as files_route
from bot.flows.context import Context, Round, Texts
from bot.flows.overview_store import before_commit
from bot.flows.router import Router
from bot.ops import health
from bot.ops.credentials import Credentials
from bot.ops.logs import AccessLog
from bot.ops.metrics import Metrics
from bot.settings import Settings
from bot.storage.db import Database
from bot.workers.clock import Clock
from bot.workers.inbox import Inbox
from bot.workers.lanes import Leases
from bot.workers.outbox import Outbox, collect_outbox_lanes
from bot.workers.platform import Platform

log = logging.getLogger(__name__)
# Rounds of due work one clock tick does at most (each a transaction; see `Runtime.due`),
# and the time a round's work may take before it commits and lets others at the database.
# On SQLite everything waits for it, the acknowledgements too; on PostgreSQL only the other
# flow transactions do (`Database.serialize`), and each round costs more there.
DUE_ROUNDS = 2_000
ROUND_SHARE = 0.010  # seconds, SQLite
ROUND_SHARE_SHARED = 0.050  # seconds, PostgreSQL


def real_now() -> datetime:
    return datetime.now(UTC)


def load_texts(settings: Settings) -> Texts:
    return Texts(
        dialogs=load_dialogs(settings.dialogs_dir),
        catalog=Catalog.load(settings.dialogs_dir / "messages"),
        agenda=load_agenda(settings.dialogs_dir),
        plans=load_plans(settings.dialogs_dir),
    )


class Runtime:
    """One running bot: its database, flows, platforms and workers."""

    def __init__(self, settings: Settings, now: Callable[[], datetime] = real_now) -> None:
        self.settings, self.now = settings, now
        self.texts = load_texts(settings)
        self.db = Database(settings.database_url)
        self.router = Router()
        self.platforms: dict[str, Platform] = {}
        self.metrics = Metrics()
        # Whether the platforms accepted their credentials (/readyz); `create_app` says which to ask.
        self.credentials = Credentials(settings, [], check=False)
        # One set of leases for the inbox's and the outbox's lanes, renewed while this instance lives.
        self.leases = Leases(self.db)
        self.outbox = Outbox(
            self.db,
            self.platforms,
            now,
            self.leases,
            lanes=settings.outbox_lanes,
            metrics=self.metrics,
            paced=settings.outbox_pace,
        )
        self.inbox = Inbox(
            self.db,
            settings,
            self.texts,
            self.router,
            self.platforms,
            now,
            outbox=self.outbox,
            leases=self.leases,
            metrics=self.metrics,
        )
        self.clock = Clock(self.due, settings.clock_interval_seconds)
        # Every transaction writes the overview's places of the contracts it changed.
        self.db.before_commit.append(before_commit(self.router.overview_store, self.context))
        self._tasks: list[asyncio.Task[None]] = []
        # What platforms need opened at the start and closed at the end (their HTTP clients).
        self.on_start: list[Callable[[], Awaitable[None]]] = []
        self.on_stop: list[Callable[[], Awaitable[None]]] = []

    def context(self, session: AsyncSession) -> Context:
        """A context for work of the bot's own in this transaction (no round)."""
        return Context(db=session, now=self.now(), settings=self.settings, texts=self.texts)

    @contextlib.asynccontextmanager
    async def _flow_write(self) -> AsyncIterator[AsyncSession]:
        """A transaction that writes the flows' state, one at a time with the flows' own."""
        async with self.db.flow_transaction() as s:
            await self.db.serialize(s)
            yield s

    async def store_overview(self) -> None:
        """Fill the overview's table once, for a database from before it (`OverviewStore.rebuild`)."""
        started = time.monotonic()
        if read := await self.router.overview_store.rebuild(self._flow_write, self.context):
            log.info("overview: %d contracts placed in %.1f s", read, time.monotonic() - started)

    async def due(self) -> None:
        """What the clock does: due flow work, in rounds of a transaction each, until a round
        writes nothing to send and leaves nothing over. A part stops when the round has used
        its share of time (ROUND_SHARE, `Context.spent`), so no round holds the database for
        long: an acknowledgement waits for about a share and the item under way, while the
        retention deletes 20,000 contracts or 2,000 reminders are built (bench/daily.py).
        After a round that left work, only the parts with work left are asked (each idle
        part's look costs a statement or more a round). The workers send each round's
        messages while the next is built: reminders due at 09:00 go out from the first round."""
        left: tuple[Any, ...] | None = None  # the parts to ask (None: all)
        for _ in range(DUE_ROUNDS):
            async with self.db.flow_transaction() as s:
                await self.db.serialize(s)
                share = ROUND_SHARE if self.db.sqlite else ROUND_SHARE_SHARED
                round_ = Round(ends=time.monotonic() + share, parts=left)
                ctx = Context(db=s, now=self.now(), settings=self.settings, texts=self.texts, round=round_)
                with collect_outbox_lanes(await s.connection()) as written:
                    await self.router.due(ctx)
                    await s.flush()
                taken = await self.outbox.take(s, written.lanes) if written.lanes else []
                claims = await self.outbox.claim(s, taken)
            self.outbox.hint(taken, claims)
            if round_.unfinished:
                left = tuple(round_.unfinished)
            elif written.lanes:
                left = None  # what was sent may have made more due: everyone once more
            else:
                return
            await asyncio.sleep(0)  # what came in meanwhile goes first

    async def tick(self) -> None:
        """The clock's work and then everything it caused, to the end (the tests' and the
        playground's "move the clock")."""
        await self.due()
        await self.inbox.process_pending()
        await self.outbox.send_due()

    async def start(self) -> None:
        # Before the clock and the workers: the collection holds the event loop for a moment.
        self.settle_heap()
        # Download links are signed with a key that outlives the process.
        self.outbox.links = FileLinks(await link_secret(self.db, self.settings), self.settings.link_base)
        await self.store_overview()
        for open_ in self.on_start:
            await open_()
        self.leases.start()
        # Whatever a previous run left is taken up by the dispatchers at once (a dead
        # instance's lanes once their leases run out).
        self._tasks = [
            asyncio.create_task(self.inbox.run(), name="inbox"),
            asyncio.create_task(self.outbox.run(), name="outbox"),
        ]
        self.clock.start()
        self.credentials.start()

    @staticmethod
    def settle_heap() -> None:
        """What start-up built (modules, catalogues, dialogs, the mappers) lives as long as the
        process: freeze it out of the garbage collector's full collections, which otherwise walk
        all of it each time a large request fills the young generations (an overview of
        thousands of contracts spent about 45 % of its time so; bench/overview.py). Once per
        process: a process that starts several (the tests) would keep each one's objects."""
        if gc.get_freeze_count():
            return
        gc.collect()
        gc.freeze()

    async def stop(self) -> None:
        """A graceful stop: no new work; what is under way finishes (bounded), the lanes are
        handed back for another instance or the next start, then the connections close."""
        await self.clock.stop()
        await self.credentials.stop()
        await self.inbox.stop()
        await self.outbox.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.leases.stop()
        for close in self.on_stop:
            await close()
        await self.db.dispose()


def create_app(
    settings: Settings, now: Callable[[], datetime] = real_now, *, check_credentials: bool = False
) -> Starlette:
    """The app. `check_credentials`: ask each platform at start whether it accepts the credentials
    (`serve` does; /readyz reports it). Without it /readyz says they were not checked."""
    playground_clock = None
    if settings.serves_playground:
        from bot.playground.clock import OffsetClock

        now = playground_clock = OffsetClock(now)
    runtime = Runtime(settings, now)
    routes: list[BaseRoute] = [Route("/healthz", healthz, methods=["GET"]), *health.routes(), files_route(runtime)]
    runtime.credentials = Credentials(
        settings,
        [name for name, on in (("slack", settings.slack_bot_token), ("teams", settings.teams_configured)) if on],
        check=check_credentials,
    )
    socket_mode = None
    if settings.slack_bot_token:
        from bot.slack.listeners import build_bolt_app
        from bot.slack.platform import SlackPlatform, web_client
        from bot.slack.verify import SlackEvents

        client = web_client(settings.slack_bot_token, settings.slack_api_url)
        reader = web_client(settings.slack_bot_token, settings.slack_api_url, retry_connection_errors=True)
        slack = runtime.platforms["slack"] = SlackPlatform(
            client, reader, workspace_rate=settings.slack_workspace_posts_per_second
        )
        runtime.router.overview.homes.add(slack.name)  # the App Home shows the overview
        runtime.on_start.append(slack.open)
        runtime.on_stop.append(slack.close)
        bolt = build_bolt_app(
            token=settings.slack_bot_token,
            client=reader,
            store=runtime.inbox.store,
            check=runtime.router.forms.checker(runtime.texts.catalog, "slack"),
        )
        if settings.slack_signing_secret:
            # The signature is checked on the raw bytes before anything parses them.
            routes.append(
                Route("/slack/events", SlackEvents(bolt, settings.slack_signing_secret).handle, methods=["POST"])
            )
        if settings.slack_app_token:
            from bot.slack.socket_mode import SocketMode

            # Connected in the lifespan, inside the running loop (bot/slack/socket_mode.py).
            socket_mode = SocketMode(bolt, settings.slack_app_token)
    elif settings.slack_workspaces:
        mount_slack_workspaces(runtime, settings, routes)

    if settings.teams_configured:
        from bot.teams.adapter import mount

        routes.append(mount(runtime, settings))

    if playground_clock is not None:
        from bot.playground.platform import PlaygroundPlatform
        from bot.playground.routes import routes as playground_routes

        platform = PlaygroundPlatform(settings.bot_language)
        runtime.platforms[platform.name] = platform
        routes += playground_routes(runtime, platform, playground_clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        if socket_mode is not None:
            await socket_mode.start()
        try:
            yield
        finally:
            if socket_mode is not None:
                await socket_mode.stop()
            await runtime.stop()

    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(AccessLog)])
    app.state.runtime = runtime
    return app


def mount_slack_workspaces(runtime: Runtime, settings: Settings, routes: list[BaseRoute]) -> None:
    """Slack in many workspaces (bot/slack/workspaces.py): POST /slack/events for all of them,
    GET /slack/install and /slack/oauth_redirect to install the app in one more."""
    from bot.slack.listeners import build_bolt_app
    from bot.slack.verify import SlackEvents
    from bot.slack.workspaces import SlackWorkspaces, install

    assert settings.slack_signing_secret
    kit = install(settings, runtime.db, runtime.texts.catalog, runtime.now)
    slack = runtime.platforms["slack"] = SlackWorkspaces(
        kit.workspaces, runtime.db, settings.slack_api_url, workspace_rate=settings.slack_workspace_posts_per_second
    )
    runtime.router.overview.homes.add(slack.name)  # the App Home shows the overview
    runtime.on_start.append(slack.open)
    runtime.on_stop.append(slack.close)
    bolt = build_bolt_app(
        token=None,
        client=slack.client,
        store=runtime.inbox.store,
        check=runtime.router.forms.checker(runtime.texts.catalog, "slack"),
        install=kit,
    )
    routes.append(Route("/slack/events", SlackEvents(bolt, settings.slack_signing_secret).handle, methods=["POST"]))
    routes += kit.routes()


async def healthz(request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    try:
        async with runtime.db.transaction() as s:
            await s.connection()
        return JSONResponse({"status": "ok", "platforms": sorted(runtime.platforms)})
    except Exception as exc:  # the database is away: say so, do not crash
        return JSONResponse({"status": "error", "error": str(exc)[:200]}, status_code=503)

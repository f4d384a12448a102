"""End to end: from a DM answer to the bot's next post, 50 users at once, through HTTP only.

    .venv/bin/python bench/e2e.py [--users 50] [--duration 20] [--answers N] [--bare-duration 10]
                                  [--think S] [--database-url URL] [--no-pin] [--keep] [--bot-patch FILE]

`--think S` makes each user take 0.5-1.5 x S seconds to write the next answer after the
bot's post (default 0: at once, the stress test of the issue); with people's pace the
latencies are the bot's service time rather than its queue.

Prints, for the bot: answers handled end to end per second, answer -> next post
p50/p99/max, acknowledgement p50/p99 (and CPU of bot and load generator); for
the bare slack-bolt app under the same load generator: ack req/s, p50/p99; the
ratio bot e2e rate / bare ack rate; whether the targets hold (answer -> next
post p99 <= 250 ms, e2e rate >= 40 % of the bare ack rate, ack p99 < 50 ms);
then the posts per user and the doubles (the same text posted twice in a row
to one person without an answer in between). Exit status 1 when a correctness
check fails (an answer not acknowledged, an answer without a next post, a
double, an error in the bot's log); the targets only report. About 45 s with
the defaults on 2 cores.

What runs, all on 127.0.0.1:
  - this process: a FakeSlack (tests/fakes/slack_api.py, subclassed to note
    the moment each post reaches it) under uvicorn, and the load generator
    (aiohttp), one coroutine per user, in one event loop;
  - the real bot (bench/_serve.py bot, uvicorn 1 worker) on a temp SQLite file
    migrated with bot.storage.db.upgrade (or, with --database-url
    postgresql://..., a fresh schema of that database, dropped afterwards);
  - then the bare slack-bolt AsyncApp that only acknowledges (bench/_serve.py
    bare), driven by the same closed-loop load generator.

The bot is measured from outside only (signed HTTP requests in, Web API calls
out), so this works whatever the inbox/outbox engine inside looks like.

Set-up (as bench/ack.py): half the users (leaders) each start a learning
contract with one of the other half (`/laering kontrakt <@U…|…> Kursus`); the
run waits until everyone has been asked question 1. Then a warm-up answer
each, then the timed phase: every user at once sends a signed DM `message.im`
event_callback (unique event_id) with its next answer (bench/ack.py's
Users.next_text: three answers reach the summary, then "tilbage" reopens the
last question, and so on), waits until the FakeSlack has received the bot's
next chat.postMessage / chat.update / response_url to that user, and only
then sends the next one; for --duration seconds or --answers per user,
whichever ends first (an answer whose next post does not come within
ANSWER_TIMEOUT_S is given up and counted).
  - ack latency: from sending the answer to its HTTP 200;
  - answer -> next post: from sending the answer to the moment the FakeSlack
    answered the bot's next delivery to that person;
  - e2e rate: answers whose next post arrived, per second of the phase.

The bare app gets the same closed loop without the wait for a post (each user
sends its next request when the previous 200 arrives), for --bare-duration.

With 2+ cores (and not --no-pin) the server under test is pinned to CPU 0 and
this process (load generator + FakeSlack) to CPU 1, like bench/ack.py.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import ack  # noqa: E402  (bench/ack.py: also puts the repository root on sys.path)
import aiohttp  # noqa: E402
import uvicorn  # noqa: E402
from ack import (  # noqa: E402
    JSON,
    SECRET,
    TOKEN,
    Child,
    Users,
    command_load,
    cpu_seconds,
    free_port,
    signed,
    spawn,
    user_id,
    user_name,
    wait_ready,
)

from bot.storage.db import upgrade  # noqa: E402
from tests.fakes import slack_signing as signing  # noqa: E402
from tests.fakes.slack_api import Call, FakeSlack, dm_channel_id  # noqa: E402

POST_P99_TARGET_MS = 250.0
E2E_SHARE_TARGET = 0.40  # bot answers end to end per second, as a share of the bare app's ack req/s
ACK_P99_TARGET_MS = 50.0
ANSWER_TIMEOUT_S = 10.0  # an answer whose next post takes longer is given up (and counted)
SETUP_TIMEOUT_S = 60.0
RUN_DEADLINE_S = 300.0
DELIVERIES = ("chat.postMessage", "chat.update", "response_url")


# ---- the FakeSlack, in this process -------------------------------------------------------


def message_text(args: dict[str, Any]) -> str:
    """What a person reads in a message: its blocks' texts (buttons in brackets), or its text."""
    parts: list[str] = []
    for block in args.get("blocks") or []:
        if not isinstance(block, dict):
            continue
        if isinstance(block.get("text"), dict):
            parts.append(str(block["text"].get("text", "")))
        for f in block.get("fields") or []:
            parts.append(str(f.get("text", "")) if isinstance(f, dict) else str(f))
        for element in block.get("elements") or []:
            if not isinstance(element, dict):
                continue
            if isinstance(element.get("text"), dict):
                parts.append("[" + str(element["text"].get("text", "")) + "]")
            elif isinstance(element.get("text"), str):
                parts.append(element["text"])
    return "\n".join(parts) if parts else str(args.get("text", ""))


def outbox_id(args: dict[str, Any]) -> int | None:
    """The outbox row id the bot put in the message's metadata, if it did."""
    meta = args.get("metadata")
    if isinstance(meta, dict):
        payload = meta.get("event_payload")
        if isinstance(payload, dict) and payload.get("outbox_id") is not None:
            with contextlib.suppress(TypeError, ValueError):
                return int(payload["outbox_id"])
    return None


@dataclass
class Delivery:
    """One message the bot delivered to a person, as the FakeSlack answered it."""

    t: float  # time.perf_counter() when the fake answered
    method: str
    text: str
    outbox_id: int | None
    args: dict[str, Any] = field(repr=False, default_factory=dict)


class WatchedSlack(FakeSlack):
    """The recording FakeSlack, also keeping each person's deliveries with their arrival time
    and waking whoever waits for that person's next one."""

    def __init__(self, **kwargs: Any) -> None:
        if not callable(getattr(FakeSlack, "_record", None)):  # the hook below would never run
            raise RuntimeError(
                "tests/fakes/slack_api.FakeSlack has no _record(call, ...) any more: "
                "update WatchedSlack in bench/e2e.py"
            )
        super().__init__(**kwargs)
        self.deliveries: dict[str, list[Delivery]] = defaultdict(list)
        self._arrived: dict[str, asyncio.Event] = {}

    def user_of(self, call: Call) -> str | None:
        if call.method == "response_url":
            return self._response_url_users.get(call.path.rsplit("/", 1)[-1])
        channel = str(call.args.get("channel") or "")
        if channel[:1] in ("D", "U"):  # a DM: D123 is U123's (the fake's rule), or the user id itself
            return "U" + channel[1:]
        return None

    def _record(self, call: Call, *, failed: bool, status: int, response: Any) -> None:
        super()._record(call, failed=failed, status=status, response=response)
        if failed or call.method not in DELIVERIES:
            return
        user = self.user_of(call)
        if user is None:
            return
        self.deliveries[user].append(
            Delivery(time.perf_counter(), call.method, message_text(call.args), outbox_id(call.args), call.args)
        )
        event = self._arrived.get(user)
        if event is not None:
            event.set()

    async def wait_delivery(self, user: str, index: int, timeout: float) -> Delivery | None:
        """The user's delivery number `index` (0-based), waiting for it at most `timeout` s."""
        event = self._arrived.setdefault(user, asyncio.Event())
        deadline = time.perf_counter() + timeout
        got = self.deliveries[user]
        while len(got) <= index:
            event.clear()
            left = deadline - time.perf_counter()
            if left <= 0:
                return None
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(event.wait(), left)
        return got[index]

    async def wait_matching(
        self, user: str, start: int, fragments: tuple[str, ...], timeout: float
    ) -> tuple[int, Delivery] | None:
        """The first delivery to `user` from index `start` on whose text holds every fragment."""
        deadline = time.perf_counter() + timeout
        index = start
        while True:
            d = await self.wait_delivery(user, index, deadline - time.perf_counter())
            if d is None:
                return None
            if all(f in d.text for f in fragments):
                return index, d
            index += 1


class _Server(uvicorn.Server):
    def capture_signals(self):  # our own SIGTERM handler stays in charge
        return contextlib.nullcontext()


@contextlib.asynccontextmanager
async def serve_here(app, port: int):
    """Serve an ASGI app under uvicorn in this event loop, until the block ends."""
    server = _Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 10
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the FakeSlack server stopped at start")
        if time.monotonic() > deadline:
            raise RuntimeError("the FakeSlack server did not start within 10 s")
        await asyncio.sleep(0.02)
    try:
        yield server
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)


def start_fake(n_users: int, port: int, ids=user_id) -> WatchedSlack:
    fake = WatchedSlack(token=TOKEN)
    fake.base_url = f"http://127.0.0.1:{port}"
    for i in range(n_users):
        fake.add_user(ids(i), user_name(i), locale="da-DK", tz="Europe/Copenhagen")
    return fake


# ---- the database -------------------------------------------------------------------------


def fresh_database(url: str | None, tmp: Path, tag: str) -> tuple[str, Callable[[], None]]:
    """A migrated database for one run and a function that removes it: a temp SQLite file, or a
    fresh schema of the given PostgreSQL database (like tests/conftest.py's _postgres_schema_url)."""
    if not url or url.startswith("sqlite"):
        path = tmp / "bench.db"
        db_url = url or f"sqlite:///{path}"
        upgrade(db_url)
        return db_url, lambda: None
    from sqlalchemy import create_engine, text

    schema = f"lb_bench_{tag}_{os.getpid()}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    db_url = f"{url}{separator}options=-csearch_path%3D{schema}"
    upgrade(db_url)

    def drop() -> None:
        with contextlib.suppress(Exception), engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()

    return db_url, drop


def log_problems(*logs: Path) -> tuple[list[str], list[str]]:
    """Error lines and distinct warnings in the servers' logs."""
    errors: list[str] = []
    warnings: set[str] = set()
    for log in logs:
        with contextlib.suppress(OSError):
            for line in log.read_text(errors="replace").splitlines():
                if line.startswith(("ERROR", "CRITICAL", "Traceback")):
                    errors.append(line)
                elif line.startswith("WARNING"):
                    warnings.add(line)
    return errors, sorted(warnings)


# ---- the closed-loop load -----------------------------------------------------------------


def pct(xs: list[float], q: float) -> float:
    """Nearest-rank percentile, in ms."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(q * len(s)) - 1))] * 1000


@dataclass
class Phase:
    label: str
    acks: list[float] = field(default_factory=list)  # seconds to the HTTP 200
    statuses: Counter = field(default_factory=Counter)
    to_post: list[float] = field(default_factory=list)  # seconds from the answer to the next post
    no_post: int = 0  # answers whose next post did not come
    sent_at: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    wall: float = 0.0
    server_cpu: float = float("nan")
    client_cpu: float = float("nan")

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def ack_rate(self) -> float:
        return self.sent / self.wall if self.wall else 0.0

    @property
    def e2e_rate(self) -> float:
        return len(self.to_post) / self.wall if self.wall else 0.0


def dm_request(i: int, text: str, event_id: str) -> ack.Request:
    uid = user_id(i)
    body = signing.event_body(signing.dm_message_event(uid, text, channel=dm_channel_id(uid)), event_id=event_id)
    return signed(body, JSON)


async def closed_loop(
    http: aiohttp.ClientSession,
    url: str,
    n: int,
    users: Users,
    tag: str,
    label: str,
    duration: float,
    per_user: int | None,
    fake: WatchedSlack | None,
    server: Child | None = None,
    think: float = 0.0,
) -> Phase:
    """Every user at once: send its next answer, wait for the 200 (and, with `fake`, for the
    bot's next delivery to that user), then the next; until `duration` or `per_user` answers."""
    phase = Phase(label)
    target = url + "/slack/events"

    async def one(i: int) -> None:
        uid = user_id(i)
        k = 0
        if think:  # people do not all answer in the same millisecond: start them spread out
            await asyncio.sleep(think * random.random())
        while time.perf_counter() < stop_at and (per_user is None or k < per_user):
            body, headers = dm_request(i, users.next_text(i), f"Ev{tag}{i:04d}{k:07d}")
            k += 1
            mark = len(fake.deliveries[uid]) if fake else 0
            t0 = time.perf_counter()
            try:
                async with http.post(target, data=body, headers=headers) as r:
                    await r.read()
                    status = r.status
            except (TimeoutError, aiohttp.ClientError) as exc:
                status = f"error:{type(exc).__name__}"
            phase.acks.append(time.perf_counter() - t0)
            phase.statuses[status] += 1
            phase.sent_at[uid].append(t0)
            if fake is None or status != 200:
                continue
            d = await fake.wait_delivery(uid, mark, ANSWER_TIMEOUT_S)
            if d is None:
                phase.no_post += 1
            else:
                phase.to_post.append(d.t - t0)
            if think:  # reading the question and writing the answer, 0.5-1.5 times `think`
                await asyncio.sleep(think * (0.5 + random.random()))

    # No collector pauses in this process while it measures (as bench/ack.py).
    gc.collect()
    gc.freeze()
    gc.disable()
    server_cpu0 = cpu_seconds(server.proc.pid) if server else float("nan")
    client_cpu0 = time.process_time()
    t0 = time.perf_counter()
    stop_at = t0 + duration
    try:
        await asyncio.gather(*(one(i) for i in range(n)))
    finally:
        phase.wall = time.perf_counter() - t0
        gc.enable()
        gc.unfreeze()
    if server:
        phase.server_cpu = (cpu_seconds(server.proc.pid) - server_cpu0) / phase.wall
    phase.client_cpu = (time.process_time() - client_cpu0) / phase.wall
    return phase


def doubles(fake: WatchedSlack, inputs: dict[str, list[float]], since: float = 0.0) -> tuple[int, list[str]]:
    """Deliveries whose text equals the person's previous delivery with no input of theirs in
    between (a question posted twice in a row); with examples."""
    count, examples = 0, []
    for uid, got in fake.deliveries.items():
        marks = inputs.get(uid, [])
        previous: Delivery | None = None
        for d in got:
            if d.t < since:
                previous = d
                continue
            if previous is not None and d.text == previous.text:
                between = any(previous.t <= t <= d.t for t in marks)  # did the person answer in between?
                if not between:
                    count += 1
                    if len(examples) < 3:
                        examples.append(f"{uid}: {d.text[:80]!r}")
            previous = d
    return count, examples


# ---- the run ------------------------------------------------------------------------------


async def main_async(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    cores = os.cpu_count() or 1
    pin = not args.no_pin and cores >= 2 and hasattr(os, "sched_setaffinity")
    server_cpus = {0} if pin else None
    if pin:
        os.sched_setaffinity(0, {1})
    n = args.users
    tmp = Path(tempfile.mkdtemp(prefix="laeringsbot-e2e-"))
    children: list[Child] = []
    drop_db = lambda: None  # noqa: E731
    connector = aiohttp.TCPConnector(limit=0)
    http = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=15))
    fake_port = free_port()
    fake = start_fake(n, fake_port)
    try:
        async with serve_here(fake.app, fake_port):
            database_url, drop_db = fresh_database(args.database_url, tmp, "e2e")
            env = {
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": fake.base_url + "/api/",
                # Its simulated people answer in milliseconds: the pace of a real DM is not what it measures.
                "OUTBOX_PACE": "false",
                "BOT_HOST": "127.0.0.1",
                "DATABASE_URL": database_url,
            }

            # ---- the bot ----------------------------------------------------------------
            port = free_port()
            patch = [str(Path(args.bot_patch).resolve())] if args.bot_patch else []
            bot = spawn(
                "bot", [str(BENCH / "_serve.py"), "bot", *patch], env | {"PORT": str(port)}, port, tmp, server_cpus
            )
            children.append(bot)
            await wait_ready(http, bot, "/healthz")

            for i in range(n // 2):  # the set-up commands' response_urls belong to their leaders
                fake.response_url(f"setup{i}", user=user_id(i))
            t_setup = time.perf_counter()
            setup = await ack.run_load(http, bot.url, command_load(n, fake.base_url), "set-up")
            if setup.ok != setup.sent:
                raise RuntimeError(f"set-up commands not acknowledged: {setup.statuses}\n{bot.tail()}")
            asked = await asyncio.gather(
                *(fake.wait_matching(user_id(i), 0, ("Spørgsmål 1 af 3",), SETUP_TIMEOUT_S) for i in range(n))
            )
            missing = [user_id(i) for i, a in enumerate(asked) if a is None]
            if missing:
                raise RuntimeError(f"not asked question 1 within {SETUP_TIMEOUT_S:.0f} s: {missing[:10]}\n{bot.tail()}")
            setup_s = time.perf_counter() - t_setup

            users = Users(n)
            warm = await closed_loop(http, bot.url, n, users, "W", "warm-up", 30, 1, fake)
            measured_from = time.perf_counter()
            ours = await closed_loop(
                http, bot.url, n, users, "E", "bot", args.duration, args.answers, fake, bot, think=args.think
            )
            await asyncio.sleep(0.5)  # late extra posts still count as doubles
            bot.stop()
            children.remove(bot)

            # ---- the bare app -----------------------------------------------------------
            port = free_port()
            bare = spawn("bare", [str(BENCH / "_serve.py"), "bare"], env | {"PORT": str(port)}, port, tmp, server_cpus)
            children.append(bare)
            await wait_ready(http, bare, "/healthz")
            bare_users = Users(n)
            await closed_loop(http, bare.url, n, bare_users, "BW", "warm-up", 5, 20, None)
            base = await closed_loop(http, bare.url, n, bare_users, "B", "bare", args.bare_duration, None, None, bare)
            bare.stop()
            children.remove(bare)

        inputs: dict[str, list[float]] = defaultdict(list)
        for phase in (warm, ours):
            for uid, ts in phase.sent_at.items():
                inputs[uid] += ts
        ok = report(args, pin, setup_s, warm, ours, base, fake, inputs, measured_from, bot, bare)
        kept = f"; kept {tmp}" if args.keep else ""
        print(f"\nrun time {time.perf_counter() - started:.0f} s{kept}")
        return 0 if ok else 1
    finally:
        await http.close()
        for child in reversed(children):
            child.stop()
        drop_db()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def report(
    args,
    pin: bool,
    setup_s: float,
    warm: Phase,
    ours: Phase,
    base: Phase,
    fake: WatchedSlack,
    inputs: dict[str, list[float]],
    measured_from: float,
    bot: Child,
    bare: Child,
) -> bool:
    n = args.users
    db = "PostgreSQL" if args.database_url and args.database_url.startswith("postgres") else "SQLite"
    bound = f"{args.duration:.0f} s" + (f" or {args.answers} answers per user" if args.answers else "")
    if args.think:
        bound += f", each taking {args.think:g} s (0.5-1.5x) to answer"
    print(
        f"\nEnd to end, {n} users ({n // 2} contracts) answering in their DMs for {bound}; {db}, uvicorn 1 "
        f"worker; {os.cpu_count()} cores, "
        f"{'server on CPU 0, load + FakeSlack on CPU 1' if pin else 'no CPU pinning'}"
    )
    if args.bot_patch:
        print(f"  EXPERIMENT: bot patched by {args.bot_patch}")
    print(f"  set-up: {n // 2} contracts started and everyone asked question 1 in {setup_s:.1f} s")

    print(
        f"\n{'':6}{'answers':>8}{'200':>6}{'e2e/s':>8}{'post p50':>10}{'post p99':>10}{'post max':>10}"
        f"{'ack p50':>9}{'ack p99':>9}{'ack max':>9}{'cpu bot':>9}{'cpu load':>10}"
    )
    print(
        f"{'bot':6}{ours.sent:8d}{ours.ok:6d}{ours.e2e_rate:8.0f}{pct(ours.to_post, 0.5):10.1f}"
        f"{pct(ours.to_post, 0.99):10.1f}{pct(ours.to_post, 1):10.1f}{pct(ours.acks, 0.5):9.1f}"
        f"{pct(ours.acks, 0.99):9.1f}{pct(ours.acks, 1):9.1f}{ours.server_cpu:9.0%}{ours.client_cpu:10.0%}"
    )
    print(
        f"\n{'':6}{'sent':>8}{'200':>6}{'req/s':>8}{'ack p50':>10}{'ack p99':>10}{'ack max':>10}{'cpu app':>9}"
        f"{'cpu load':>10}"
    )
    print(
        f"{'bare':6}{base.sent:8d}{base.ok:6d}{base.ack_rate:8.0f}{pct(base.acks, 0.5):10.1f}"
        f"{pct(base.acks, 0.99):10.1f}{pct(base.acks, 1):10.1f}{base.server_cpu:9.0%}{base.client_cpu:10.0%}"
    )

    ratio = ours.e2e_rate / base.ack_rate if base.ack_rate else float("nan")
    post_ok = pct(ours.to_post, 0.99) <= POST_P99_TARGET_MS
    rate_ok = ratio >= E2E_SHARE_TARGET
    ack_ok = pct(ours.acks, 0.99) < ACK_P99_TARGET_MS
    print(f"\nbot e2e rate / bare ack rate: {ratio:.2f}x ({ours.e2e_rate:.0f} / {base.ack_rate:.0f} per s)")
    print(
        f"  answer -> next post p99 <= {POST_P99_TARGET_MS:.0f} ms: {'PASS' if post_ok else 'FAIL'} "
        f"({pct(ours.to_post, 0.99):.0f} ms)"
    )
    print(f"  e2e rate >= {E2E_SHARE_TARGET:.0%} of bare ack rate: {'PASS' if rate_ok else 'FAIL'} ({ratio:.0%})")
    print(f"  ack p99 < {ACK_P99_TARGET_MS:.0f} ms: {'PASS' if ack_ok else 'FAIL'} ({pct(ours.acks, 0.99):.1f} ms)")
    print(f"targets {'HOLD' if post_ok and rate_ok and ack_ok else 'DO NOT HOLD'}")

    # ---- posts and doubles ----------------------------------------------------------------
    per_user = [sum(d.t >= measured_from for d in fake.deliveries.get(user_id(i), [])) for i in range(n)]
    answers_per_user = [len(ours.sent_at.get(user_id(i), [])) for i in range(n)]
    total_posts = sum(per_user)
    by_method = Counter(d.method for i in range(n) for d in fake.deliveries.get(user_id(i), []) if d.t >= measured_from)
    extra = total_posts - len(ours.to_post)
    dup, examples = doubles(fake, inputs, since=measured_from)
    with_ids = [
        d.outbox_id
        for got in fake.deliveries.values()
        for d in got
        if d.outbox_id is not None and d.method == "chat.postMessage"
    ]
    id_dups = sum(c - 1 for c in Counter(with_ids).values() if c > 1)
    errors, warnings = log_problems(bot.log, bare.log)
    mismatched = sum(p != a for p, a in zip(per_user, answers_per_user, strict=True))
    print(
        f"\nposts to the users in the timed phase: {total_posts} ({dict(by_method)}), per user "
        f"min {min(per_user)} / mean {statistics.fmean(per_user):.1f} / max {max(per_user)}; "
        f"answers per user min {min(answers_per_user)} / max {max(answers_per_user)}; "
        f"users with posts != answers: {mismatched}"
    )
    checks = [
        (
            f"every answer acknowledged 200: {ours.ok}/{ours.sent} (warm-up {warm.ok}/{warm.sent}); "
            f"bare {base.ok}/{base.sent}",
            ours.ok == ours.sent and warm.ok == warm.sent and base.ok == base.sent,
            f"bot {dict(ours.statuses)}, bare {dict(base.statuses)}",
        ),
        (
            f"every answer followed by a post within {ANSWER_TIMEOUT_S:.0f} s: {ours.no_post + warm.no_post} not",
            ours.no_post + warm.no_post == 0,
            "",
        ),
        (f"posts beyond the first after an answer: {extra}", extra == 0, ""),
        (f"doubles (same text twice in a row to one person, no answer between): {dup}", dup == 0, "; ".join(examples)),
        (
            f"posts carrying an outbox id in metadata: {len(with_ids)}; the same id posted twice: {id_dups}",
            id_dups == 0,
            "",
        ),
        (f"bot log: {len(errors)} error lines, {len(warnings)} warnings", not errors, "\n" + "\n".join(errors[-10:])),
    ]
    ok = True
    for text, passed, detail in checks:
        ok = ok and passed
        print(f"  {'ok  ' if passed else 'FAIL'} {text}{(' — ' + detail) if detail and not passed else ''}")
    for line in warnings[:10]:
        print(f"       warning: {line}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent simulated users (even)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of timed answers for the bot")
    parser.add_argument("--answers", type=int, default=None, help="at most this many timed answers per user")
    parser.add_argument("--bare-duration", type=float, default=10.0, help="seconds of load for the bare app")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds each user takes to answer after the "
        "bot's post (0.5-1.5 times this; default 0: the next answer at once, a stress test)",
    )
    parser.add_argument(
        "--database-url",
        help="postgresql://host:port/db to run the bot on a fresh schema there (default: a temp SQLite file)",
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to CPUs")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (SQLite file, process logs)")
    parser.add_argument(
        "--bot-patch", metavar="FILE", help="experiment: a Python file run in the bot process before the app is built"
    )
    args = parser.parse_args()
    if args.users < 2 or args.users % 2:
        parser.error("--users must be an even number >= 2 (half leaders, half employees)")
    if not 0 < args.duration <= 120 or not 0 < args.bare_duration <= 120:
        parser.error("--duration and --bare-duration must be in (0, 120] seconds")

    def on_term(signum, frame):  # run the finally blocks: stop the child processes
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        return asyncio.run(asyncio.wait_for(main_async(args), RUN_DEADLINE_S))
    except TimeoutError:
        print(f"bench did not finish within {RUN_DEADLINE_S:.0f} s", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; child processes stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

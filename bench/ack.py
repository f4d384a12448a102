"""How fast does the bot acknowledge Slack? DM answers and button presses, 50 users.

    .venv/bin/python bench/ack.py [--users 50] [--requests 2000] [--no-pin] [--keep]
                                  [--bot-patch FILE]

Prints a table (req/s, p50/p99/mean/max latency, CPU of server and load
generator), the ratios to the bare app and whether the targets hold (p99 under
100 ms; at least half the bare app's req/s), then the database checks. Exit
status 1 when a correctness check fails (targets only report). `--bot-patch`
runs a Python file in the bot process before the app is built, to try a fix
without changing bot/. About 45 s with the defaults on 2 cores.

What runs, each in its own process, all on 127.0.0.1:
  - a FakeSlack (bench/_fake_slack.py) that answers the bot's Web API and
    response_url calls, with users U0000..U00nn registered;
  - the real bot (bench/_serve.py bot: bot.app.create_app(Settings()) under
    uvicorn, 1 worker, log level warning) on a temp SQLite file migrated with
    bot.storage.db.upgrade; then, for comparison, a bare slack-bolt AsyncApp
    that only acknowledges (bench/_serve.py bare), same mode
    (process_before_response=True), same load;
  - this process: the load generator (aiohttp), one coroutine per user.

Set-up for the bot: half the users (leaders) each start a learning contract
with one of the other half (`/laering kontrakt <@U…|…> Kursus`), so all users
are in an active dialog and their DMs are real answers ("tilbage" now and then
keeps them answering once they reach the summary).

Load: `--requests` signed DM `message.im` event_callbacks (unique event_id),
then `--requests` signed `block_actions` presses (`dialog:resume` on a session
that does not exist: acknowledged and stored the same way, answered "stale
button" via response_url). Each user sends its share one after another; all
users at once. Latency = time to the HTTP 200. The bot processes every inbox
row after acknowledging, in the same process: that background work is part of
what is measured, as in production.

Afterwards the SQLite file is read directly: every DM event stored exactly once
(also after re-sending a sample as Slack retries), nothing failed.

With 2+ cores (and not --no-pin) the server under test is pinned to CPU 0 and
the load generator and FakeSlack to CPU 1, like the baseline in
../shared/ENGINEERING.md (beside the repo) ("load from a second core").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bot.storage.db import upgrade  # noqa: E402
from tests.fakes import slack_signing as signing  # noqa: E402
from tests.fakes.slack_api import dm_channel_id  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
P99_TARGET_MS = 100.0
THROUGHPUT_TARGET = 0.5  # at least this share of the bare app's req/s
RUN_DEADLINE_S = 300.0  # hard bound on the whole run
DRAIN_TIMEOUT_S = 90.0
STARTUP_TIMEOUT_S = 30.0
RETRY_SAMPLE = 100  # DM events re-sent as Slack retries after the timed phase


def user_id(i: int) -> str:
    return f"U{i:04d}"


def user_name(i: int) -> str:
    return f"user{i:02d}"


# ---- processes ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _child_setup(cpus: set[int] | None):
    def setup() -> None:
        with contextlib.suppress(Exception):  # die with the parent (Linux)
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if cpus:
            os.sched_setaffinity(0, cpus)

    return setup


@dataclass
class Child:
    name: str
    proc: subprocess.Popen
    log: Path
    url: str

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def spawn(name: str, args: list[str], env: dict[str, str], port: int, tmp: Path, cpus: set[int] | None) -> Child:
    log = tmp / f"{name}.log"
    full_env = os.environ | env | {"PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, *args],
            env=full_env,
            cwd=str(tmp),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_child_setup(cpus),
        )
    return Child(name, proc, log, f"http://127.0.0.1:{port}")


async def wait_ready(http: aiohttp.ClientSession, child: Child, path: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        if child.proc.poll() is not None:
            raise RuntimeError(f"{child.name} exited with {child.proc.returncode}:\n{child.tail()}")
        with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
            async with http.get(child.url + path, timeout=aiohttp.ClientTimeout(total=2)) as r:
                if r.status == 200:
                    return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{child.name} not ready after {STARTUP_TIMEOUT_S}s:\n{child.tail()}")
        await asyncio.sleep(0.1)


# ---- requests -----------------------------------------------------------------------------

Request = tuple[bytes, dict[str, str]]

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def signed(body: str, content_type: str, extra: dict[str, str] | None = None) -> Request:
    return body.encode(), signing.sign(body, SECRET, content_type=content_type) | (extra or {})


class Users:
    """Per user: what they say next, so the dialog keeps getting real answers."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.said = Counter[int]()

    def next_text(self, i: int) -> str:
        k = self.said[i]
        self.said[i] += 1
        # Three answers reach the summary; from there "tilbage" (back) re-opens the last
        # question and the next answer replaces it, and so on.
        if k >= 3 and (k - 3) % 2 == 0:
            return "tilbage"
        return f"Svar {k + 1} fra {user_name(i)}: mere tid til e-læring og sparring med en kollega"


@dataclass
class Load:
    """Requests per user, in the order each user sends them."""

    per_user: list[list[Request]]
    dm_bodies: list[str] = field(default_factory=list)  # for the retry check

    @property
    def total(self) -> int:
        return sum(len(r) for r in self.per_user)


def dm_load(users: Users, total: int, tag: str) -> Load:
    per_user: list[list[Request]] = [[] for _ in range(users.n)]
    bodies: list[str] = []
    for j in range(total):
        i = j % users.n
        event = signing.dm_message_event(user_id(i), users.next_text(i), channel=dm_channel_id(user_id(i)))
        body = signing.event_body(event, event_id=f"Ev{tag}{j:07d}")
        per_user[i].append(signed(body, JSON))
        bodies.append(body)
    return Load(per_user, bodies)


def press_load(n_users: int, total: int, fake_url: str, tag: str) -> Load:
    per_user: list[list[Request]] = [[] for _ in range(n_users)]
    for j in range(total):
        i = j % n_users
        body = signing.block_actions_body(
            user_id(i),
            "dialog:resume",
            "99999999",  # no such session: a stale button
            message_ts=f"1700000000.{tag}{j:06d}",
            channel_id=dm_channel_id(user_id(i)),
            response_url=f"{fake_url}/response_url/{tag}{j}",
            user_name=user_name(i),
        )
        per_user[i].append(signed(body, FORM))
    return Load(per_user)


def command_load(n_users: int, fake_url: str) -> Load:
    """Leaders 0..n/2-1 each start a contract with employee i + n/2."""
    half = n_users // 2
    per_user: list[list[Request]] = [[] for _ in range(n_users)]
    for i in range(half):
        e = i + half
        body = signing.slash_command_body(
            text=f"kontrakt <@{user_id(e)}|{user_name(e)}> Kursus",
            user_id=user_id(i),
            user_name=user_name(i),
            channel_id=dm_channel_id(user_id(i)),
            response_url=f"{fake_url}/response_url/setup{i}",
        )
        per_user[i].append(signed(body, FORM))
    return Load(per_user)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


@dataclass
class Result:
    label: str
    latencies: list[float]
    statuses: Counter
    wall: float
    server_cpu: float = float("nan")  # share of one core the server used during the phase
    client_cpu: float = float("nan")  # the same for this load generator

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def rps(self) -> float:
        return self.sent / self.wall if self.wall else 0.0

    def pct(self, q: float) -> float:
        xs = sorted(self.latencies)
        if not xs:
            return float("nan")
        return xs[min(len(xs) - 1, max(0, round(q * len(xs)) - 1))] * 1000

    @property
    def mean(self) -> float:
        return statistics.fmean(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def max(self) -> float:
        return max(self.latencies) * 1000 if self.latencies else float("nan")


async def run_load(
    http: aiohttp.ClientSession, url: str, load: Load, label: str, server: Child | None = None
) -> Result:
    latencies: list[float] = []
    statuses: Counter = Counter()
    target = url + "/slack/events"

    async def user(requests: list[Request]) -> None:
        for body, headers in requests:
            t0 = time.perf_counter()
            try:
                async with http.post(target, data=body, headers=headers) as r:
                    await r.read()
                    status = r.status
            except (TimeoutError, aiohttp.ClientError) as exc:
                status = f"error:{type(exc).__name__}"
            latencies.append(time.perf_counter() - t0)
            statuses[status] += 1

    # No collector pauses in the load generator while it measures (its prebuilt requests are
    # many objects; a full collection stalls every request in flight).
    gc.collect()
    gc.freeze()
    gc.disable()
    server_cpu0 = cpu_seconds(server.proc.pid) if server else float("nan")
    client_cpu0 = time.process_time()
    t0 = time.perf_counter()
    try:
        await asyncio.gather(*(user(r) for r in load.per_user if r))
    finally:
        wall = time.perf_counter() - t0
        gc.enable()
        gc.unfreeze()
    result = Result(label, latencies, statuses, wall)
    if server:
        result.server_cpu = (cpu_seconds(server.proc.pid) - server_cpu0) / wall
    result.client_cpu = (time.process_time() - client_cpu0) / wall
    return result


# ---- the database -------------------------------------------------------------------------


def query(db_path: Path, sql: str, *params: object) -> list[tuple]:
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def backlog(db_path: Path) -> tuple[int, int]:
    inbox = query(db_path, "select count(*) from inboxevent where status = 'pending'")[0][0]
    outbox = query(db_path, "select count(*) from outboxmessage where status in ('pending', 'sending')")[0][0]
    return inbox, outbox


async def drain(db_path: Path, timeout: float, bot: Child) -> tuple[float, tuple[int, int]]:
    """Wait until the bot has processed its inbox and sent its outbox; seconds taken."""
    t0 = time.perf_counter()
    while True:
        left = backlog(db_path)
        if left == (0, 0) or time.perf_counter() - t0 > timeout:
            return time.perf_counter() - t0, left
        if bot.proc.poll() is not None:
            raise RuntimeError(f"bot exited with {bot.proc.returncode}:\n{bot.tail()}")
        await asyncio.sleep(0.1)


# ---- the run ------------------------------------------------------------------------------


async def measure(
    http: aiohttp.ClientSession, server: Child, app: str, dms: Load, presses: Load, after_each=None
) -> list[Result]:
    results = []
    for kind, load in (("DM answer", dms), ("button", presses)):
        results.append(await run_load(http, server.url, load, f"{app} {kind}", server))
        if after_each is not None:
            await after_each(kind)
    return results


async def main_async(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    cores = os.cpu_count() or 1
    pin = not args.no_pin and cores >= 2 and hasattr(os, "sched_setaffinity")
    server_cpus = {0} if pin else None
    load_cpus = {1} if pin else None
    if pin:
        os.sched_setaffinity(0, load_cpus)
    n = args.users
    children: list[Child] = []
    tmp = Path(tempfile.mkdtemp(prefix="laeringsbot-bench-"))
    db_path = tmp / "bench.db"
    database_url = f"sqlite:///{db_path}"
    notes: list[str] = [f"EXPERIMENT: bot patched by {args.bot_patch}"] if args.bot_patch else []

    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    http = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=15))
    try:
        fake_port = free_port()
        fake = spawn(
            "fake-slack",
            [str(BENCH / "_fake_slack.py"), "--port", str(fake_port), "--users", str(n), "--token", TOKEN],
            {},
            fake_port,
            tmp,
            load_cpus,
        )
        children.append(fake)
        await wait_ready(http, fake, "/bench/stats")
        env = {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.url + "/api/",
            # Its simulated people answer in milliseconds: the pace of a real DM is not what it measures.
            "OUTBOX_PACE": "false",
            "BOT_HOST": "127.0.0.1",
            "DATABASE_URL": database_url,
        }

        # ---- the bare Bolt app --------------------------------------------------------
        port = free_port()
        bare = spawn("bare", [str(BENCH / "_serve.py"), "bare"], env | {"PORT": str(port)}, port, tmp, server_cpus)
        children.append(bare)
        await wait_ready(http, bare, "/healthz")
        warm_users = Users(n)
        await run_load(http, bare.url, press_load(n, n, fake.url, "wb"), "warm-up")
        await run_load(http, bare.url, dm_load(warm_users, n, "wb"), "warm-up")
        bare_results = await measure(
            http, bare, "bare", dm_load(warm_users, args.requests, "B"), press_load(n, args.requests, fake.url, "B")
        )
        bare.stop()
        children.remove(bare)

        # ---- the bot --------------------------------------------------------------------
        upgrade(database_url)
        port = free_port()
        patch = [str(Path(args.bot_patch).resolve())] if args.bot_patch else []
        bot = spawn("bot", [str(BENCH / "_serve.py"), "bot", *patch], env | {"PORT": str(port)}, port, tmp, server_cpus)
        children.append(bot)
        await wait_ready(http, bot, "/healthz")

        setup = await run_load(http, bot.url, command_load(n, fake.url), "set-up")
        if setup.ok != setup.sent:
            raise RuntimeError(f"set-up commands not acknowledged: {setup.statuses}\n{bot.tail()}")
        took, _left = await drain(db_path, DRAIN_TIMEOUT_S, bot)
        active = query(db_path, "select count(distinct person_id) from dialogsession where status = 'active'")[0][0]
        notes.append(
            f"set-up: {n // 2} contracts started, processed in {took:.1f} s; users in an active dialog: {active}/{n}"
        )
        if active < n:
            notes.append("WARNING: not every user is in an active dialog; DMs are not all real answers")

        users = Users(n)
        warm = [
            await run_load(http, bot.url, press_load(n, n, fake.url, "wp"), "warm-up"),
            await run_load(http, bot.url, dm_load(users, n, "wp"), "warm-up"),
        ]
        await drain(db_path, DRAIN_TIMEOUT_S, bot)
        dms = dm_load(users, args.requests, "P")
        presses = press_load(n, args.requests, fake.url, "P")
        drains: dict[str, tuple[float, tuple[int, int]]] = {}

        async def after_each(kind: str) -> None:
            # Let the background processing finish, so each kind is measured on its own.
            drains[kind] = await drain(db_path, DRAIN_TIMEOUT_S, bot)

        bot_results = await measure(http, bot, "bot", dms, presses, after_each)

        # Slack retries: the same events again, with the retry headers, must not be stored twice.
        sample = dms.dm_bodies[:: max(1, len(dms.dm_bodies) // RETRY_SAMPLE)][:RETRY_SAMPLE]
        retries = Load(
            [[signed(b, JSON, {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}) for b in sample]]
        )
        retried = await run_load(http, bot.url, retries, "retries")
        retry_drain = await drain(db_path, DRAIN_TIMEOUT_S, bot)
        async with http.get(fake.url + "/bench/stats") as r:
            fake_stats = await r.json()
        bot.stop()
        children.remove(bot)

        # ---- report ---------------------------------------------------------------------
        print_report(args, pin, bare_results, bot_results, drains, notes)
        ok = check_db(db_path, warm, bot_results, retried, retry_drain, fake_stats, bot.log.read_text(errors="replace"))
        ok = ok and all(r.ok == r.sent for r in bare_results)
        kept = f"; kept {tmp}" if args.keep else ""
        print(f"\nrun time {time.perf_counter() - started:.0f} s{kept}")
        return 0 if ok else 1
    finally:
        await http.close()
        for child in reversed(children):
            child.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def print_report(
    args,
    pin: bool,
    bare: list[Result],
    ours: list[Result],
    drains: dict[str, tuple[float, tuple[int, int]]],
    notes: list[str],
) -> None:
    print(
        f"\nAcknowledgement latency, {args.users} concurrent users, {args.requests} requests per kind, "
        f"SQLite, uvicorn 1 worker; {os.cpu_count()} cores, "
        f"{'server on CPU 0, load + FakeSlack on CPU 1' if pin else 'no CPU pinning'}"
    )
    for note in notes:
        print("  " + note)
    header = (
        f"{'':18}{'sent':>6}{'200':>6}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'mean ms':>9}{'max ms':>8}"
        f"{'cpu server':>12}{'cpu load':>10}"
    )
    print("\n" + header)
    for r in [*bare, *ours]:
        print(
            f"{r.label:18}{r.sent:6d}{r.ok:6d}{r.rps:8.0f}{r.pct(0.50):8.1f}{r.pct(0.99):8.1f}"
            f"{r.mean:9.1f}{r.max:8.1f}{r.server_cpu:12.0%}{r.client_cpu:10.0%}"
        )
    print()
    for b, o in zip(bare, ours, strict=True):
        kind = o.label.split(" ", 1)[1]
        p99_ok = o.pct(0.99) < P99_TARGET_MS
        tp_ratio = o.rps / b.rps if b.rps else float("nan")
        tp_ok = tp_ratio >= THROUGHPUT_TARGET
        print(
            f"{kind:10} p99 bot/bare {o.pct(0.99) / b.pct(0.99):5.2f}x   req/s bot/bare {tp_ratio:5.2f}x   "
            f"p99 < {P99_TARGET_MS:.0f} ms: {'PASS' if p99_ok else 'FAIL'}   "
            f"req/s >= {THROUGHPUT_TARGET:.0%} of bare: {'PASS' if tp_ok else 'FAIL'}"
        )
    held = all(
        o.pct(0.99) < P99_TARGET_MS and o.rps >= THROUGHPUT_TARGET * b.rps for b, o in zip(bare, ours, strict=True)
    )
    print(f"targets {'HOLD' if held else 'DO NOT HOLD'}")
    print()
    for kind, (took, left) in drains.items():
        r = next(r for r in ours if r.label.endswith(kind))
        extra = (
            f", {r.sent / (r.wall + took):.0f} rows/s overall"
            if left == (0, 0)
            else f" (NOT drained: inbox {left[0]}, outbox {left[1]} left)"
        )
        print(
            f"{kind:10} the bot was still processing (inbox -> flows -> outbox -> FakeSlack) "
            f"{took:.1f} s after the last ack{extra}"
        )


def check_db(
    db_path: Path,
    warm: list[Result],
    ours: list[Result],
    retried: Result,
    retry_drain: tuple[float, tuple[int, int]],
    fake_stats: dict,
    bot_log: str,
) -> bool:
    events_sent = warm[1].sent + ours[0].sent
    presses_sent = warm[0].sent + ours[1].sent
    rows = dict(query(db_path, "select kind, count(*) from inboxevent group by kind"))
    distinct_events = query(db_path, "select count(distinct dedupe_key) from inboxevent where kind = 'event'")[0][0]
    by_status = dict(query(db_path, "select status, count(*) from inboxevent group by status"))
    retried_rows = query(db_path, "select count(*) from inboxevent where attempts > 0 or error is not null")[0][0]
    outbox = dict(query(db_path, "select status, count(*) from outboxmessage group by status"))
    lines = bot_log.splitlines()
    errors = [x for x in lines if x.startswith(("ERROR", "CRITICAL", "Traceback"))]
    warnings = sorted({x for x in lines if x.startswith("WARNING")})
    all_acked = all(r.ok == r.sent for r in [*warm, *ours, retried])
    checks = [
        (
            "every request answered 200 (incl. retries)",
            all_acked,
            "; ".join(f"{r.label}: {dict(r.statuses)}" for r in [*warm, *ours, retried] if r.ok != r.sent),
        ),
        (
            f"DM events stored exactly once: {rows.get('event', 0)} rows for {events_sent} sent "
            f"(+{retried.sent} retries re-sent)",
            rows.get("event", 0) == events_sent == distinct_events,
            "",
        ),
        (
            f"button presses stored: {rows.get('action', 0)} rows for {presses_sent} sent",
            rows.get("action", 0) == presses_sent,
            "",
        ),
        (
            f"inbox rows by status {by_status}; rows retried or with an error: {retried_rows}",
            set(by_status) == {"done"} and retried_rows == 0,
            "",
        ),
        (f"outbox rows by status {outbox}", "failed" not in outbox and not (set(outbox) - {"sent"}), ""),
        (
            f"FakeSlack saw {fake_stats['calls']} calls, {fake_stats['failed']} failed: {fake_stats['by_method']}",
            fake_stats["failed"] == 0,
            "",
        ),
        (f"bot log: {len(errors)} error lines, {len(warnings)} warnings", not errors, "\n" + "\n".join(errors[-15:])),
    ]
    print("\nAfter the run (SQLite read directly):")
    ok = True
    for text, passed, detail in checks:
        ok = ok and passed
        print(f"  {'ok  ' if passed else 'FAIL'} {text}{(' — ' + detail) if detail and not passed else ''}")
    for line in warnings:
        print(f"       bot warning: {line}")
    if retry_drain[1] != (0, 0):
        print(f"  note: backlog left at the end: inbox {retry_drain[1][0]}, outbox {retry_drain[1][1]}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent simulated users (even)")
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per kind (DM, button)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to CPUs")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (SQLite file, process logs)")
    parser.add_argument(
        "--bot-patch",
        metavar="FILE",
        help="experiment: a Python file run in the bot "
        "process before the app is built (e.g. to try a fix without changing bot/)",
    )
    args = parser.parse_args()
    if args.users < 2 or args.users % 2:
        parser.error("--users must be an even number >= 2 (half leaders, half employees)")

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

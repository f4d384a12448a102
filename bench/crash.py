"""Crashes: `kill -9` the bot at random moments while people walk through learning contracts.

    .venv/bin/python bench/crash.py [--users 10] [--kills 100] [--max-seconds 240] [--max-up 1.5]
                                    [--database-url postgresql://127.0.0.1:5432/test] [--seed N]
                                    [--stall-timeout 150] [--drain 120] [--late-grace 60]
                                    [--cold-restarts] [--keep] [--bot-patch FILE]

Prints what the crashes cost the people: answers lost (acknowledged with 200,
but their effect never appears), posts doubled (the same outbox message
delivered twice: by the outbox id in the message metadata when the bot puts
one there, and by identical texts delivered twice to one person), and the wait
for the bot's next post after an answer across the restarts: p50, p99 and the
worst stall; the same for button presses and the start command. Exit status 1
when an answer was lost or a post doubled (or a round never finished), 0
otherwise. 2½ to 4 minutes with the defaults on 2 cores; bounded by
--max-seconds for the kills, then --drain for the rounds in progress (with the
bot left running), then, only if a step was left unanswered, --late-grace.

What runs, all on 127.0.0.1:
  - this process: a FakeSlack (tests/fakes/slack_api.py, as bench/e2e.py's
    WatchedSlack) under uvicorn, and the people, one coroutine each (aiohttp);
    it outlives every bot process, as Slack would;
  - the real bot (bench/_serve.py bot, uvicorn 1 worker), on a temp SQLite
    file migrated with bot.storage.db.upgrade, or with --database-url
    postgresql://... on a fresh schema of that database (dropped afterwards);
    killed with SIGKILL and started again on the same database and port,
    --kills times. Most kills come at a random moment up to --max-up seconds
    after the bot answers /healthz; about one in seven during its start-up.
    A restart forks a fresh process from a fork server that imported the
    bot's modules once (bench/_serve.py, BENCH_FORK_SERVER; importing takes
    about 3 s here, which would make 100 kills last ~6 min): the new process
    builds the app, starts its workers on what the killed one left, and
    listens. --cold-restarts starts a new interpreter each time instead.

The people: --users / 2 pairs of leader and employee, each pair walking the
e-learning contract over and over, with new people each round (as in
tests/e2e/test_elearning_contract.py): the leader writes `/laering kontrakt
<@U…|…> Kursus`; both are asked question 1 and answer the three questions one
at a time, each waiting for the next question (or the summary) before
answering; both press Send under their summary (block_actions built from the
posted message's blocks, with its block_id); the leader presses Godkend under
the side-by-side overview; both are told it is approved. New rounds start
until the kills are done; a step that gets no answer from the bot within
--stall-timeout seconds leaves that round stuck.

When a request is not answered 200 (connection refused while the bot is down,
cut off by a kill, or no answer in 3 s), the person's side sends it again
after RETRY_DELAY_S, until it is:
  - a DM answer as Slack retries an event: the same body and event_id, signed
    anew, with X-Slack-Retry-Num (1, 2, …) and X-Slack-Retry-Reason. Real Slack
    stops after 3 retries; this goes on, and counts the answers that needed
    more than 3;
  - a button press as a person presses again: a new request (new trigger_id);
  - the start command: the same request again (a person would retype it; the
    same trigger_id keeps a retried start from making a second contract).

Checks at the end, per round and person:
  - answer lost: acknowledged, but the dialog never moved on to the next
    question / summary (a step left unanswered after --stall-timeout gets up
    to --late-grace seconds more at the end, with the bot left running), or
    the overview the leader approves (both people's answers side by side)
    lacks its text;
  - post doubled: a chat.postMessage with the same metadata outbox_id as an
    earlier one; and, whatever the metadata, the same text posted to one
    person twice in one round (every text in a round differs), or a
    response_url answered twice with the same text. A chat.update with the
    same text to the same message again is counted apart (people see no
    difference) and does not fail the run;
  - wait: from the first attempt to send an answer (or press, or the command)
    until the FakeSlack answered the bot's post it led to (the next question,
    the summary, "Tak – dine svar er sendt", "Du har godkendt").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import aiohttp  # noqa: E402
from ack import FORM, JSON, ROOT, SECRET, TOKEN, Child, _child_setup, free_port, signed, spawn  # noqa: E402
from e2e import WatchedSlack, fresh_database, log_problems, pct, serve_here  # noqa: E402

from tests.fakes import slack_signing as signing  # noqa: E402
from tests.fakes.slack_api import dm_channel_id  # noqa: E402

RETRY_DELAY_S = 0.25
SLACK_TIMEOUT_S = 3.0  # Slack retries an event it got no 200 for within 3 s
SLACK_MAX_RETRIES = 3
STARTUP_TIMEOUT_S = 60.0
DURING_STARTUP = 1 / 7  # share of kills aimed at the start-up (before /healthz answers)

LEADER_QUESTION = "Spørgsmål {k} af 3"
SUMMARY = "Intet sendes, før du trykker"
SENT = "Tak – dine svar er sendt"
OVERVIEW = "begge sendt jeres svar"
APPROVED_LEADER = "Du har godkendt læringskontrakten"
APPROVED_EMPLOYEE = "har godkendt jeres læringskontrakt"


# ---- the bot, killed and restarted --------------------------------------------------------


class BotProcess:
    """The bot as one process after another, on the same port and database.

    Default: a fork server (bench/_serve.py with BENCH_FORK_SERVER=1) has imported the bot
    once; each start forks a fresh process from it that builds the app, starts its workers
    on what the killed one left, and listens. --cold-restarts: a new interpreter each time."""

    def __init__(self, env: dict[str, str], tmp: Path, patch: list[str], fork: bool) -> None:
        self.port = free_port()
        self.env = env | {"PORT": str(self.port)}
        self.tmp, self.patch, self.fork = tmp, patch, fork
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: subprocess.Popen | None = None  # the fork server
        self.child: Child | None = None  # cold restarts
        self.pid: int | None = None  # the bot process now
        self.log: Path | None = None
        self.logs: list[Path] = []
        self.starts = 0
        self.up = asyncio.Event()  # set while the current process answers /healthz
        self.start_times: list[float] = []  # seconds from (re)start to /healthz, per process
        self.started_at = 0.0

    async def start(self) -> None:
        self.up.clear()
        self.log = self.tmp / f"bot-{self.starts:03d}.log"
        self.logs.append(self.log)
        self.starts += 1
        self.started_at = time.perf_counter()
        if not self.fork:
            self.child = spawn(
                self.log.stem, [str(BENCH / "_serve.py"), "bot", *self.patch], self.env, self.port, self.tmp, None
            )
            self.pid = self.child.proc.pid
            return
        if self.server is None:
            env = os.environ | self.env | {"PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "BENCH_FORK_SERVER": "1"}
            with open(self.tmp / "fork-server.log", "wb") as err:
                self.server = subprocess.Popen(
                    [sys.executable, str(BENCH / "_serve.py"), "bot", *self.patch],
                    env=env,
                    cwd=str(self.tmp),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=err,
                    text=True,
                    preexec_fn=_child_setup(None),
                )
        assert self.server.stdin is not None and self.server.stdout is not None
        self.server.stdin.write(f"start {self.log}\n")
        self.server.stdin.flush()
        line = await asyncio.wait_for(asyncio.to_thread(self.server.stdout.readline), STARTUP_TIMEOUT_S)
        if not line.strip():
            raise RuntimeError(f"the fork server stopped: {(self.tmp / 'fork-server.log').read_text()[-2000:]}")
        self.pid = int(line)

    def alive(self) -> bool:
        if self.pid is None:
            return False
        if not self.fork:
            return self.child is not None and self.child.proc.poll() is None
        try:
            os.kill(self.pid, 0)  # the fork server's children are reaped at once: gone means gone
            return True
        except ProcessLookupError:
            return False

    def tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:]) if self.log else ""
        except OSError:
            return ""

    async def kill(self) -> None:
        """SIGKILL the bot process now (ours, by its pid) and wait until it is gone."""
        self.up.clear()
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        if self.child is not None:
            self.child.proc.wait(10)
        deadline = time.perf_counter() + 10
        while self.alive() and time.perf_counter() < deadline:
            await asyncio.sleep(0.005)
        self.pid = None

    async def stop(self) -> None:
        """SIGTERM the bot process and wait for it, then end the fork server."""
        self.up.clear()
        if self.pid is not None and self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            deadline = time.perf_counter() + 10
            while self.alive() and time.perf_counter() < deadline:
                await asyncio.sleep(0.02)
            if self.alive():
                await self.kill()
        if self.child is not None:
            self.child.stop()
        if self.server is not None and self.server.poll() is None:
            with contextlib.suppress(Exception):
                self.server.stdin.close()  # it exits when its stdin ends
            try:
                self.server.wait(5)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(5)

    async def wait_up(self, http: aiohttp.ClientSession, timeout: float = STARTUP_TIMEOUT_S) -> None:
        """Until the current process answers /healthz; an exit we did not cause is an error."""
        deadline = time.perf_counter() + timeout
        while True:
            if not self.alive():
                raise RuntimeError(f"bot exited by itself:\n{self.tail()}")
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                async with http.get(self.url + "/healthz", timeout=aiohttp.ClientTimeout(total=1)) as r:
                    if r.status == 200:
                        self.start_times.append(time.perf_counter() - self.started_at)
                        self.up.set()
                        return
            if time.perf_counter() > deadline:
                raise RuntimeError(f"bot not up after {timeout:.0f} s:\n{self.tail()}")
            await asyncio.sleep(0.02)


async def killer(
    http: aiohttp.ClientSession,
    bot: BotProcess,
    args: argparse.Namespace,
    rng: random.Random,
    stop_at: float,
    record: dict,
) -> None:
    """`--kills` times: wait for a random moment, SIGKILL the bot, start it again."""
    for _ in range(args.kills):
        if time.perf_counter() >= stop_at:
            break
        if rng.random() < DURING_STARTUP and bot.start_times:
            # Somewhere in the start-up, judged by how long the last ones took.
            await asyncio.sleep(rng.uniform(0.0, statistics.median(bot.start_times)))
            if not bot.up.is_set():
                record["during_startup"] += 1
            else:
                record["while_up"] += 1
        else:
            await bot.wait_up(http)
            await asyncio.sleep(rng.uniform(0.0, args.max_up))
            record["while_up"] += 1
        await bot.kill()
        record["kills"] += 1
        await bot.start()
    await bot.wait_up(http)


# ---- the people ---------------------------------------------------------------------------


@dataclass
class Sent:
    """One thing a person sent: when first tried, how many tries, and what it led to."""

    kind: str  # "answer", "press", "command"
    who: str
    text: str
    t0: float
    tries: int = 0
    acked: bool = False
    waited: float | None = None  # seconds from t0 to the post it led to; None if it never came
    failure: str | None = None  # why the last try was not answered 200


@dataclass
class Round:
    number: int
    leader: str
    employee: str
    answers: dict[str, list[Sent]] = field(default_factory=lambda: defaultdict(list))
    stuck: str | None = None
    done: bool = False
    overview: str | None = None


@dataclass
class Stats:
    sent: list[Sent] = field(default_factory=list)
    rounds: list[Round] = field(default_factory=list)
    http_outcomes: Counter = field(default_factory=Counter)


class Stuck(Exception):
    pass


class People:
    def __init__(
        self,
        http: aiohttp.ClientSession,
        bot: BotProcess,
        fake: WatchedSlack,
        stats: Stats,
        args: argparse.Namespace,
        hard_stop: float,
    ) -> None:
        self.http, self.bot, self.fake, self.stats, self.args = http, bot, fake, stats, args
        self.hard_stop = hard_stop
        self.new_rounds = True
        # Steps the bot did not answer within --stall-timeout: (what was sent, who, from, fragments).
        self.unanswered: list[tuple[Sent | None, str, int, tuple[str, ...]]] = []
        self._round = 0
        self._event = 0

    async def _post(self, body: bytes, headers: dict[str, str]) -> str | None:
        """None when answered 200, else Slack's name for the failure (its X-Slack-Retry-Reason)."""
        try:
            async with self.http.post(
                self.bot.url + "/slack/events",
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=SLACK_TIMEOUT_S),
            ) as r:
                await r.read()
                self.stats.http_outcomes[r.status] += 1
                return None if r.status == 200 else "http_error"
        except TimeoutError:
            self.stats.http_outcomes["timeout"] += 1
            return "http_timeout"
        except (aiohttp.ClientError, OSError) as exc:
            self.stats.http_outcomes[type(exc).__name__] += 1
            return "connection_failed" if isinstance(exc, aiohttp.ClientConnectorError) else "http_error"

    async def _until_acked(self, item: Sent, build) -> None:
        """Send `build(try_number)` until it is answered 200 (bounded by the run's hard stop), or
        until `build` says there is nothing left to send."""
        while True:
            request = build(item.tries)
            if request is None:  # nothing left to send: the earlier try took effect after all
                return
            body, headers = request
            item.tries += 1
            item.failure = await self._post(body, headers)
            if item.failure is None:
                item.acked = True
                return
            if time.perf_counter() > self.hard_stop:
                raise Stuck(f"{item.kind} {item.text[:30]!r} of {item.who} never acknowledged")
            await asyncio.sleep(RETRY_DELAY_S)

    async def _expect(self, item: Sent | None, who: str, start: int, *fragments: str) -> tuple[int, str]:
        """The first post to `who` from index `start` holding every fragment; its wait goes to `item`."""
        timeout = min(self.args.stall_timeout, max(0.0, self.hard_stop - time.perf_counter()))
        found = await self.fake.wait_matching(who, start, fragments, timeout)
        if found is None:
            self.unanswered.append((item, who, start, fragments))
            raise Stuck(f"{who} waited {timeout:.0f} s for {fragments[0]!r}")
        index, delivery = found
        if item is not None:
            item.waited = delivery.t - item.t0
        return index, delivery.text

    async def command(self, rnd: Round) -> None:
        body = signing.slash_command_body(
            text=f"kontrakt <@{rnd.employee}|{self.name(rnd.employee)}> Kursus",
            user_id=rnd.leader,
            user_name=self.name(rnd.leader),
            channel_id=dm_channel_id(rnd.leader),
            response_url=self.fake.response_url(user=rnd.leader),
        )
        item = self._sent("command", rnd.leader, "kontrakt")
        await self._until_acked(item, lambda _n: signed(body, FORM))  # the same request again
        await self._expect(item, rnd.leader, 0, LEADER_QUESTION.format(k=1))

    async def answer(self, rnd: Round, who: str, k: int) -> None:
        self._event += 1
        text = f"R{rnd.number} {self.name(who)} svar {k}"
        event = signing.dm_message_event(who, text, channel=dm_channel_id(who))
        body = signing.event_body(event, event_id=f"EvCrash{self._event:07d}")

        def build(n: int):
            if not n:
                return signed(body, JSON)
            return signed(
                body,
                JSON,
                {
                    "X-Slack-Retry-Num": str(n),  # the same body, signed anew
                    "X-Slack-Retry-Reason": item.failure or "http_error",
                },
            )

        item = self._sent("answer", who, text)
        rnd.answers[who].append(item)
        mark = len(self.fake.deliveries[who])
        await self._until_acked(item, build)
        await self._expect(item, who, mark, LEADER_QUESTION.format(k=k + 1) if k < 3 else SUMMARY)

    async def press(self, who: str, label: str, expect: str) -> None:
        mark = len(self.fake.deliveries[who])
        item = self._sent("press", who, label)

        def build(n: int):
            found = self.button(who, label)
            if found is None and n:
                return None  # a press that was not answered 200 was still carried out
            if found is None:
                raise Stuck(f"no live {label!r} button for {who}")
            message, element, block_id = found
            return signed(
                signing.block_actions_body(
                    who,
                    element["action_id"],
                    element.get("value", ""),
                    message_ts=message["ts"],
                    channel_id=dm_channel_id(who),
                    response_url=self.fake.response_url(user=who),
                    block_id=block_id,
                    user_name=self.name(who),
                ),
                FORM,
            )  # a new press each time

        await self._until_acked(item, build)
        await self._expect(item, who, mark, expect)

    def button(self, who: str, label: str):
        """The newest message in the person's DM with a live button of that label."""
        channel = dm_channel_id(who)
        for (c, _ts), message in reversed(list(self.fake.messages.items())):
            if c != channel:
                continue
            for block in message.get("blocks") or []:
                for element in block.get("elements", []) if block.get("type") == "actions" else []:
                    if element.get("text", {}).get("text") == label:
                        return message, element, block.get("block_id", "b")
        return None

    async def late_answers(self, grace: float) -> list[str]:
        """For the steps left unanswered: wait up to `grace` s more for their post; what came late
        gets its wait (so it counts in the stall figures), what never came stays unanswered."""
        deadline = time.perf_counter() + grace
        late = []
        for item, who, start, fragments in self.unanswered:
            found = await self.fake.wait_matching(who, start, fragments, max(0.0, deadline - time.perf_counter()))
            if found is not None and item is not None:
                item.waited = found[1].t - item.t0
                late.append(f"{item.kind} {item.text!r} of {who} answered after {item.waited:.0f} s")
            elif found is not None:
                late.append(f"{fragments[0]!r} to {who} came late")
        return late

    def _sent(self, kind: str, who: str, text: str) -> Sent:
        item = Sent(kind, who, text, time.perf_counter())
        self.stats.sent.append(item)
        return item

    @staticmethod
    def name(uid: str) -> str:
        return "p" + uid[1:].lower()

    async def pair(self, p: int) -> None:
        while self.new_rounds and time.perf_counter() < self.hard_stop:
            self._round += 1
            r = self._round
            leader, employee = f"UL{r:03d}X{p:02d}", f"UE{r:03d}X{p:02d}"
            for uid in (leader, employee):
                self.fake.add_user(uid, self.name(uid), locale="da-DK", tz="Europe/Copenhagen")
            rnd = Round(r, leader, employee)
            self.stats.rounds.append(rnd)
            try:
                await self.walk(rnd)
                rnd.done = True
            except Stuck as exc:
                rnd.stuck = str(exc)

    async def walk(self, rnd: Round) -> None:
        await self.command(rnd)
        await self._expect(None, rnd.employee, 0, LEADER_QUESTION.format(k=1))

        async def person(who: str) -> None:
            for k in (1, 2, 3):
                await self.answer(rnd, who, k)
            await self.press(who, "Send", SENT)

        await asyncio.gather(person(rnd.leader), person(rnd.employee))
        _, overview = await self._expect(None, rnd.leader, 0, OVERVIEW, "[Godkend]")
        rnd.overview = overview
        await self.press(rnd.leader, "Godkend", APPROVED_LEADER)
        await self._expect(None, rnd.employee, 0, APPROVED_EMPLOYEE)


# ---- the checks ---------------------------------------------------------------------------


def lost_answers(stats: Stats) -> list[str]:
    lost = []
    for rnd in stats.rounds:
        for who, items in rnd.answers.items():
            for item in items:
                if not item.acked:
                    continue
                if item.waited is None:
                    lost.append(f"round {rnd.number} {who}: {item.text!r} acknowledged, the dialog never moved on")
                elif rnd.overview is not None and item.text not in rnd.overview:
                    lost.append(f"round {rnd.number} {who}: {item.text!r} missing from the overview")
    return lost


def doubled_posts(fake: WatchedSlack) -> tuple[dict[str, int], int | None, list[str]]:
    """Doubles by text (per method) and by metadata outbox id (None when no post carries one)."""
    by_text: Counter = Counter()
    examples: list[str] = []
    ids: Counter = Counter()
    for who, got in fake.deliveries.items():
        seen: Counter = Counter()  # (method, [message or reply URL], text) -> times
        for d in got:
            if d.outbox_id is not None and d.method == "chat.postMessage":
                ids[d.outbox_id] += 1
            if d.method == "chat.postMessage":
                key = (d.method, d.text)
            elif d.method == "chat.update":
                key = (d.method, str(d.args.get("ts")), d.text)
            else:  # response_url: the same reply URL answered twice alike
                key = (d.method, str(d.args.get("_path", "")), d.text)
            seen[key] += 1
            if seen[key] > 1:
                by_text[d.method] += 1
                if len(examples) < 5 and d.method != "chat.update":
                    examples.append(f"{who} {d.method}: {d.text[:70]!r}")
    id_doubles = sum(n - 1 for n in ids.values() if n > 1) if ids else None
    return dict(by_text), id_doubles, examples


class PathNotingSlack(WatchedSlack):
    """WatchedSlack that also keeps a response_url call's path with its delivery (for doubles)."""

    def _record(self, call, *, failed, status, response):
        if call.method == "response_url":
            call.args = dict(call.args) | {"_path": call.path}
        super()._record(call, failed=failed, status=status, response=response)


# ---- the run ------------------------------------------------------------------------------


async def main_async(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="laeringsbot-crash-"))
    drop_db = lambda: None  # noqa: E731
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=10))
    fake_port = free_port()
    fake = PathNotingSlack(token=TOKEN)
    fake.base_url = f"http://127.0.0.1:{fake_port}"
    bot: BotProcess | None = None
    record: dict = Counter()
    stats = Stats()
    try:
        async with serve_here(fake.app, fake_port):
            database_url, drop_db = fresh_database(args.database_url, tmp, "crash")
            env = {
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": fake.base_url + "/api/",
                # Its simulated people answer in milliseconds: the pace of a real DM is not what it measures.
                "OUTBOX_PACE": "false",
                "BOT_HOST": "127.0.0.1",
                "DATABASE_URL": database_url,
            }
            patch = [str(Path(args.bot_patch).resolve())] if args.bot_patch else []
            bot = BotProcess(env, tmp, patch, fork=not args.cold_restarts)
            await bot.start()
            await bot.wait_up(http)

            t0 = time.perf_counter()
            kills_end = t0 + args.max_seconds
            hard_stop = kills_end + args.drain
            people = People(http, bot, fake, stats, args, hard_stop)
            pairs = [asyncio.create_task(people.pair(p)) for p in range(args.users // 2)]
            await killer(http, bot, args, rng, kills_end, record)
            kill_phase = time.perf_counter() - t0
            people.new_rounds = False  # the rounds under way finish, with the bot left running
            await asyncio.gather(*pairs)
            late = await people.late_answers(args.late_grace)
            drain_phase = time.perf_counter() - t0 - kill_phase
            await asyncio.sleep(1.0)  # late doubles still count
            await bot.stop()

        ok = report(args, stats, fake, bot, record, kill_phase, drain_phase, database_url, late)
        kept = f"; kept {tmp}" if args.keep else ""
        print(f"\nrun time {time.perf_counter() - started:.0f} s{kept}")
        return 0 if ok else 1
    finally:
        await http.close()
        if bot is not None:
            with contextlib.suppress(Exception):
                await bot.stop()
        drop_db()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def waits_line(label: str, items: list[Sent]) -> str:
    waits = [i.waited for i in items if i.waited is not None]
    never = sum(i.waited is None for i in items)
    if not waits:
        return f"  {label:9} n=0"
    return (
        f"  {label:9} n={len(waits):4d}  p50 {pct(waits, 0.5):8.0f} ms  p99 {pct(waits, 0.99):8.0f} ms  "
        f"max {pct(waits, 1):8.0f} ms  over 5 s: {sum(w > 5 for w in waits):3d}"
        + (f"  (+{never} never answered)" if never else "")
    )


def report(
    args,
    stats: Stats,
    fake: WatchedSlack,
    bot: BotProcess,
    record: Counter,
    kill_phase: float,
    drain_phase: float,
    database_url: str,
    late: list[str],
) -> bool:
    db = "PostgreSQL (fresh schema)" if database_url.startswith("postgres") else "SQLite"
    rounds = stats.rounds
    done = [r for r in rounds if r.done]
    stuck = [r for r in rounds if r.stuck]
    answers = [s for s in stats.sent if s.kind == "answer"]
    presses = [s for s in stats.sent if s.kind == "press"]
    commands = [s for s in stats.sent if s.kind == "command"]
    retried = [s for s in answers if s.tries > 1]
    beyond_slack = [s for s in answers if s.tries - 1 > SLACK_MAX_RETRIES]
    lost = lost_answers(stats)
    by_text, by_id, examples = doubled_posts(fake)
    errors, warnings = log_problems(*bot.logs)
    starts = bot.start_times

    print(f"\nCrash benchmark: {args.users} people ({args.users // 2} pairs at a time), {db}, seed {args.seed}")
    print(
        f"  {record['kills']} kills -9 in {kill_phase:.0f} s ({record['during_startup']} during start-up, "
        f"{record['while_up']} while up, up to {args.max_up:.1f} s after /healthz), bot started {bot.starts} "
        f"times; start-up to /healthz p50 {statistics.median(starts):.2f} s, max {max(starts):.2f} s; "
        f"then {drain_phase:.0f} s for the rounds under way"
    )
    print(f"  rounds: {len(rounds)} started, {len(done)} finished (approved), {len(stuck)} stuck")
    for r in stuck[:5]:
        print(f"    round {r.number} stuck: {r.stuck}")
    for line in late[:5]:
        print(f"    ... then, with the bot left running: {line}")
    print(f"  requests: {dict(stats.http_outcomes)}")
    print(
        f"  answers: {len(answers)} sent, {sum(a.acked for a in answers)} acknowledged; {len(retried)} needed "
        f"retries ({sum(a.tries - 1 for a in answers)} retries in all), {len(beyond_slack)} more than "
        f"Slack's {SLACK_MAX_RETRIES}; presses pressed again: {sum(p.tries > 1 for p in presses)}; "
        f"commands sent again: {sum(c.tries > 1 for c in commands)}"
    )

    print("\nWait for the bot's next post (from the first try; across restarts):")
    print(waits_line("answer", answers))
    print(waits_line("press", presses))
    print(waits_line("command", commands))
    worst = max((a for a in answers if a.waited is not None), key=lambda a: a.waited, default=None)

    print("\nCrash safety:")
    id_text = "n/a (no post carries a metadata outbox_id)" if by_id is None else str(by_id)
    updates = by_text.pop("chat.update", 0)
    checks = [
        (f"answers lost: {len(lost)}", not lost, "; ".join(lost[:5])),
        (f"posts doubled, same metadata outbox_id: {id_text}", not by_id, ""),
        (
            f"posts doubled, same text to one person: {sum(by_text.values())} {by_text or ''}",
            not by_text,
            "; ".join(examples),
        ),
        (f"updates applied again (same text to the same message; looks the same to people): {updates}", True, ""),
        (f"rounds stuck: {len(stuck)}", not stuck, ""),
        (
            f"worst stall after an answer: {worst.waited:.1f} s ({worst.who}, {worst.text!r})"
            if worst
            else "worst stall: no answer was answered",
            True,
            "",
        ),
        (f"bot logs: {len(errors)} error lines, {len(warnings)} distinct warnings", True, ""),
    ]
    ok = True
    for text, passed, detail in checks:
        ok = ok and passed
        print(f"  {'ok  ' if passed else 'FAIL'} {text}{(' — ' + detail) if detail and not passed else ''}")
    for line in errors[:5]:
        print(f"       error: {line[:160]}")
    for line in warnings[:8]:
        print(f"       warning: {line[:160]}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10, help="people at a time (even: leader + employee pairs)")
    parser.add_argument("--kills", type=int, default=100, help="how many times to kill -9 the bot")
    parser.add_argument("--max-seconds", type=float, default=240.0, help="time bound of the killing phase")
    parser.add_argument(
        "--max-up",
        type=float,
        default=1.5,
        help="a kill comes at a random moment up to this many seconds after the bot is up",
    )
    parser.add_argument(
        "--drain", type=float, default=120.0, help="seconds the rounds under way get to finish after the last kill"
    )
    parser.add_argument(
        "--stall-timeout",
        type=float,
        default=150.0,
        help="a step without the bot's answer for this long leaves its round stuck",
    )
    parser.add_argument(
        "--cold-restarts",
        action="store_true",
        help="restart as a new interpreter each time (import time included) instead of "
        "forking a fresh process from a fork server that has imported the bot",
    )
    parser.add_argument(
        "--late-grace",
        type=float,
        default=60.0,
        help="at the end, seconds more to wait for the posts of stuck steps (only if any)",
    )
    parser.add_argument(
        "--database-url", help="postgresql://host:port/db: run on a fresh schema there (default: a temp SQLite file)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the kill moments")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (database, bot logs)")
    parser.add_argument(
        "--bot-patch", metavar="FILE", help="experiment: a Python file run in each bot process before the app is built"
    )
    args = parser.parse_args()
    if args.users < 2 or args.users % 2:
        parser.error("--users must be an even number >= 2")
    if (
        not 0 < args.max_seconds <= 900
        or not 0 < args.drain <= 300
        or args.kills < 0
        or not 0 <= args.late_grace <= 300
    ):
        parser.error("--max-seconds in (0, 900], --drain in (0, 300], --late-grace in [0, 300], --kills >= 0")

    def on_term(signum, frame):  # run the finally blocks: stop the bot
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    deadline = args.max_seconds + args.drain + args.late_grace + 120
    try:
        return asyncio.run(asyncio.wait_for(main_async(args), deadline))
    except TimeoutError:
        print(f"bench did not finish within {deadline:.0f} s", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; bot stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

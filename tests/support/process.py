"""The real bot as a child process (`python -m bot.cli serve`), to kill and restart.

The Slack stand-in runs in the test's own event loop on loopback; the bot reaches it
through SLACK_API_URL, exactly as it reaches Slack in production. Nothing of the bot
runs in the test process, so "waiting for the bot" means polling the stand-in for what
a person would see.

    process = BotProcess(database_url=url, slack=fake, workdir=tmp_path)
    await process.start()          # returns once GET /healthz answers 200
    await process.kill9()          # SIGKILL: no shutdown code runs
    code, seconds = await process.term()
    process.log                    # stdout and stderr of every run, for assertion messages

Every child gets PR_SET_PDEATHSIG (it dies with the test process) and `close()`
kills what is still running; fixtures call it in their finalizers.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from tests.e2e.harness import SECRET, TOKEN, Chat, message_text
from tests.fakes import slack_signing as signing
from tests.fakes.slack_api import Call, FakeSlack, dm_channel_id

if TYPE_CHECKING:
    from tests.support.balancer import HAProxy

ROOT = Path(__file__).resolve().parent.parent.parent
# TEST_BOT_SOURCE=/some/checkout runs that checkout's bot/ (e.g. `git archive HEAD bot dialogs`
# unpacked somewhere) instead of this one's: the same tests against another version of the bot.
SOURCE_VARIABLE = "TEST_BOT_SOURCE"
STARTUP_TIMEOUT = 30.0
# The metadata the bot puts on its posts, naming the outbox row and the part of it.
OUTBOX_EVENT = "laeringsbot_outbox"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent(parent: int) -> Callable[[], None]:
    def setup() -> None:
        with contextlib.suppress(Exception):  # Linux: SIGKILL the child when this process goes
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return setup


class BotProcess:
    """One `laeringsbot serve` process against a FakeSlack, restartable on the same database."""

    def __init__(
        self,
        *,
        database_url: str,
        slack: FakeSlack,
        workdir: Path,
        name: str = "bot",
        clock_interval: float = 1.0,
        env: dict[str, str] | None = None,
    ) -> None:
        self.database_url, self.slack, self.name = database_url, slack, name
        self.workdir = workdir / name
        self.workdir.mkdir(parents=True, exist_ok=True)  # its cwd: no .env of the checkout is read
        self.log_path = self.workdir / "bot.log"
        self.clock_interval = clock_interval
        self.extra_env = env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready = False
        self.starts = 0
        self.http = httpx.AsyncClient(timeout=10)

    # ---- life ------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(
                (
                    "SLACK_",
                    "MICROSOFT_",
                    "TEAMS_",
                    "DATABASE_URL",
                    "PLAYGROUND",
                    "PORT",
                    "BOT_",
                    "CLOCK_",
                    "PUBLIC_URL",
                    "ADMIN_USER_IDS",
                    "OUTBOX_",
                )
            )
        }
        return (
            env
            | {
                "DATABASE_URL": self.database_url,
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": self.slack.api_url,
                "BOT_HOST": "127.0.0.1",
                "PORT": str(self.port),
                "CLOCK_INTERVAL_SECONDS": str(self.clock_interval),
                "PYTHONPATH": os.environ.get(SOURCE_VARIABLE) or str(ROOT),
                "PYTHONUNBUFFERED": "1",
            }
            | self.extra_env
        )

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    async def start(self, timeout: float = STARTUP_TIMEOUT) -> float:
        """Start the process and wait for GET /healthz 200; returns the seconds it took."""
        assert not self.alive, f"{self.name} is already running"
        self.starts += 1
        started = time.monotonic()
        with open(self.log_path, "ab") as out:
            out.write(f"\n===== {self.name}: start {self.starts} on port {self.port} =====\n".encode())
            out.flush()
            # Popen from this (the main) thread: PR_SET_PDEATHSIG fires when the forking thread ends.
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve"],
                cwd=self.workdir,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent(os.getpid()),
            )
        deadline = started + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode} while starting:\n{self.tail()}")
            with contextlib.suppress(httpx.TransportError):
                response = await self.http.get(f"{self.url}/healthz", timeout=2)
                if response.status_code == 200:
                    break
            if time.monotonic() > deadline:
                await self.kill9()
                raise AssertionError(f"{self.name} did not answer /healthz within {timeout}s:\n{self.tail()}")
            await asyncio.sleep(0.05)
        self.ready = True
        return time.monotonic() - started

    async def kill9(self) -> None:
        """SIGKILL, as a crash or an OOM kill: no shutdown code runs. Waits until it is gone."""
        self.ready = False
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGKILL)
        await self._wait(10.0)
        self._note(f"killed -9 (exit {self.proc.returncode})")

    async def term(self, timeout: float = 15.0) -> tuple[int | None, float]:
        """SIGTERM, as a deploy or a scale-down does; waits up to `timeout` seconds.

        Returns (exit code, seconds it took); (None, timeout) when it had to be killed.
        """
        self.ready = False
        assert self.proc is not None
        started = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        code = await self._wait(timeout)
        took = time.monotonic() - started
        if code is None:
            await self.kill9()
        self._note(f"SIGTERM: exit {code} after {took:.2f}s")
        return code, took

    async def _wait(self, timeout: float) -> int | None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.02)
        return self.proc.returncode

    async def close(self) -> None:
        """For finalizers: kill whatever still runs, close the HTTP client."""
        if self.alive:
            await self.kill9()
        await self.http.aclose()

    def local_ports(self) -> set[int]:
        """The local TCP ports of the process's open sockets (Linux /proc): which connections are its."""
        if not self.alive:
            return set()
        assert self.proc is not None
        inodes = set()
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{self.proc.pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        inodes.add(target[len("socket:[") : -1])
        ports = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with contextlib.suppress(OSError):
                for line in Path(table).read_text().splitlines()[1:]:
                    fields = line.split()
                    if len(fields) > 9 and fields[9] in inodes:
                        ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        return ports

    def _note(self, line: str) -> None:
        with open(self.log_path, "a", encoding="utf-8") as out:
            out.write(f"===== {self.name}: {line} =====\n")

    # ---- log -------------------------------------------------------------------------
    @property
    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def tail(self, lines: int = 40) -> str:
        """The log's last lines, without the clock's once-a-second chatter."""
        kept = [line for line in self.log.splitlines() if " apscheduler." not in line]
        return "\n".join(kept[-lines:])

    # ---- requests (what harness.Bot.post does) ---------------------------------------
    async def post(
        self,
        body: str,
        *,
        content_type: str,
        headers: dict[str, str] | None = None,
        signed: bool = True,
        timestamp: int | None = None,
    ) -> httpx.Response:
        assert self.ready, f"{self.name} is not running"
        all_headers = signing.request_headers(
            body, SECRET, content_type, extra=headers, signed=signed, timestamp=timestamp
        )
        return await self.http.post(f"{self.url}/slack/events", content=body, headers=all_headers)


class Alternating:
    """Several processes behind one "load balancer": requests go to the running ones in turn."""

    def __init__(self, *processes: BotProcess) -> None:
        self.processes = list(processes)
        self.slack = processes[0].slack
        self._turn = 0

    def running(self) -> list[BotProcess]:
        return [p for p in self.processes if p.ready and p.alive]

    async def post(self, body: str, **kwargs: Any) -> httpx.Response:
        running = self.running()
        assert running, "no instance is running"
        process = running[self._turn % len(running)]
        self._turn += 1
        return await process.post(body, **kwargs)

    def tail(self, lines: int = 25) -> str:
        return "\n".join(p.tail(lines) for p in self.processes)

    def holder(self, client_port: int) -> BotProcess | None:
        """The process whose connection this is (a call's client port, from FaultedCalls)."""
        return next((p for p in self.processes if client_port in p.local_ports()), None)


class FaultedCalls:
    """For each call that met an injected fault: its method and the caller's port, in order.

    With several processes, `Alternating.holder(port)` says which one is waiting on the call.
    """

    def __init__(self, slack: FakeSlack) -> None:
        self.calls: list[tuple[str, int]] = []
        original = slack._apply_fault

        async def apply_fault(call: Call, request: Any) -> Any:
            if slack._faults.get(call.method) and request.client is not None:
                self.calls.append((call.method, request.client.port))
            return await original(call, request)

        slack._apply_fault = apply_fault  # type: ignore[method-assign]  # wraps this instance's hook


class PostLog:
    """Every chat.postMessage that took effect in the stand-in, in order.

    Also the ones answered with an error after they took effect (`fail_next(...,
    after_effect=True)`): the person saw those, though the bot was told otherwise.
    """

    def __init__(self, slack: FakeSlack) -> None:
        self.posts: list[dict[str, Any]] = []
        self._ids: set[int] = set()
        original = slack._chat_post_message

        def post_message(args: dict[str, Any]) -> dict[str, Any]:
            answer = original(args)
            if answer.get("ok"):
                self.posts.append(args)
                self._ids.add(id(args))
            return answer

        # FakeSlack looks its methods up on the instance for every call.
        slack._chat_post_message = post_message  # type: ignore[method-assign]  # wraps this instance's hook

    def took_effect(self, call: Call) -> bool:
        return id(call.args) in self._ids

    def duplicates(self) -> list[str]:
        """Posts made more than once: the same (outbox_id, part), or the same text in the same conversation."""
        by_row: Counter[tuple[Any, Any]] = Counter()
        by_text: Counter[tuple[str, str]] = Counter()
        for args in self.posts:
            metadata = args.get("metadata")
            if isinstance(metadata, dict) and metadata.get("event_type") == OUTBOX_EVENT:
                payload = metadata.get("event_payload") or {}
                by_row[(payload.get("outbox_id"), payload.get("part"))] += 1
            by_text[(dm_channel_id(str(args.get("channel", ""))), message_text(args))] += 1
        found = [f"outbox row {row} part {part} posted {n} times" for (row, part), n in by_row.items() if n > 1]
        found += [f"posted {n} times to {channel}: {text[:100]!r}" for (channel, text), n in by_text.items() if n > 1]
        return found

    def with_metadata(self) -> int:
        return sum(
            isinstance(a.get("metadata"), dict) and a["metadata"].get("event_type") == OUTBOX_EVENT for a in self.posts
        )


class ProcessChat(Chat):
    """harness.Chat over bot processes: no runtime to drain, so it reads what reached Slack."""

    def __init__(self, bot: BotProcess | Alternating | HAProxy) -> None:
        super().__init__(bot)  # type: ignore[arg-type]  # a bot process has what Chat uses of harness.Bot
        self.post_log = PostLog(self.slack)

    def texts(self, user: str) -> list[str]:
        """What the person sees, in order: also posts Slack took but answered with an error."""
        return [
            message_text(c.args, self.slack.shown)
            for c in self.slack.calls
            if (not c.failed or self.post_log.took_effect(c)) and self.slack._seen_by(c, user)
        ]

    async def settle(self, quiet: float = 0.7, timeout: float = 15.0) -> None:
        """Wait until the stand-in has heard nothing from the bot for `quiet` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        seen, since = len(self.slack.calls), loop.time()
        while loop.time() < deadline:
            await asyncio.sleep(0.05)
            if len(self.slack.calls) != seen:
                seen, since = len(self.slack.calls), loop.time()
            elif loop.time() - since >= quiet:
                return

    def assert_nothing_twice(self, where: str = "") -> None:
        duplicates = self.post_log.duplicates()
        assert not duplicates, f"{where}: a post was made twice:\n  " + "\n  ".join(duplicates)

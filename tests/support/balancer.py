"""HAProxy from Debian's packages in front of bot processes, on loopback: a real load balancer,
as an operator runs several instances (`compose.yaml`).

    balancer = HAProxy([first, second], workdir=tmp_path)
    await balancer.start()      # once both backends pass the health check
    await balancer.post(body, content_type=...)   # a signed Slack request, through it

It checks each instance's GET /healthz every 200 ms and takes one that fails out of the
rotation; a request whose instance refuses the connection or dies before answering is sent
to the other (`retry-on`, `redispatch`), as a load balancer with retries does. Such a retry
may be a request the dead instance had stored already: the inbox's dedupe makes it harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.e2e.harness import SECRET
from tests.fakes import slack_signing as signing
from tests.support.process import BotProcess, _die_with_parent, free_port

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"

CONFIG = """\
global
    maxconn 512

defaults
    mode http
    timeout connect 500ms
    timeout client 10s
    # Slack waits 3 s for the acknowledgement; the bot answers in milliseconds.
    timeout server 3s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout
    option http-buffer-request

frontend slack
    bind 127.0.0.1:{port}
    default_backend bots

backend bots
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 200ms fastinter 100ms downinter 200ms fall 1 rise 2
{servers}
"""


def available() -> bool:
    return Path(HAPROXY).exists()


class HAProxy:
    """One haproxy process in front of `processes`; the same interface as `Alternating`."""

    def __init__(self, processes: list[BotProcess], workdir: Path) -> None:
        self.processes = processes
        self.slack = processes[0].slack
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = workdir / "haproxy.cfg"
        self.log_path = workdir / "haproxy.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.http = httpx.AsyncClient(timeout=10)
        # Every answer the balancer gave: (status, seconds).
        self.answers: list[tuple[int, float]] = []

    async def start(self, timeout: float = 15.0) -> None:
        servers = "\n".join(f"    server {p.name} 127.0.0.1:{p.port} check" for p in self.processes)
        self.config.write_text(CONFIG.format(port=self.port, servers=servers))
        check = subprocess.run([HAPROXY, "-c", "-f", str(self.config)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(
                [HAPROXY, "-db", "-f", str(self.config)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent(os.getpid()),
            )
        deadline = time.monotonic() + timeout
        while not await self._all_up():
            assert self.proc.poll() is None, f"haproxy exited with {self.proc.returncode}:\n{self.tail()}"
            assert time.monotonic() < deadline, f"haproxy's backends did not come up:\n{self.tail()}"
            await asyncio.sleep(0.1)

    async def _all_up(self) -> bool:
        """The balancer answers health checks, and `rise 2` at 200 ms has had time to put
        every server in the rotation."""
        with contextlib.suppress(httpx.TransportError):
            for _ in range(2 * len(self.processes)):
                if (await self.http.get(f"{self.url}/healthz", timeout=1)).status_code != 200:
                    return False
            await asyncio.sleep(0.5)
            return True
        return False

    async def post(
        self,
        body: str,
        *,
        content_type: str,
        headers: dict[str, str] | None = None,
        signed: bool = True,
        timestamp: int | None = None,
    ) -> httpx.Response:
        all_headers = signing.request_headers(
            body, SECRET, content_type, extra=headers, signed=signed, timestamp=timestamp
        )
        started = time.monotonic()
        response = await self.http.post(f"{self.url}/slack/events", content=body, headers=all_headers)
        self.answers.append((response.status_code, time.monotonic() - started))
        return response

    def tail(self, lines: int = 25) -> str:
        log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join([*log.splitlines()[-10:], *(p.tail(lines) for p in self.processes)])

    def holder(self, client_port: int) -> BotProcess | None:
        return next((p for p in self.processes if client_port in p.local_ports()), None)

    async def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(5)
        await self.http.aclose()

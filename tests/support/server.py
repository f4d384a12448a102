"""Serve an ASGI app with uvicorn on a free loopback port inside the running event loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Generator
from typing import Any, Literal

import uvicorn

_STARTUP_TIMEOUT = 10.0
_GRACEFUL_TIMEOUT = 10.0
_FORCED_TIMEOUT = 5.0


class _InProcessServer(uvicorn.Server):
    """uvicorn server that leaves signal handling to pytest.

    uvicorn.Server.serve() otherwise swaps in its own SIGINT/SIGTERM handlers,
    which would make Ctrl-C stop the test server instead of the test run.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


Lifespan = Literal["auto", "on", "off"]  # uvicorn's


class LoopbackServer:
    """One ASGI app served on http://127.0.0.1:<free port> as a task of the current loop."""

    def __init__(self, app: Any, *, lifespan: Lifespan = "on") -> None:
        self.app = app
        self.lifespan = lifespan
        self._server: _InProcessServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._sock: socket.socket | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """Base URL without trailing slash, e.g. ``http://127.0.0.1:54321``."""
        if self._url is None:
            raise RuntimeError("LoopbackServer is not started")
        return self._url

    @property
    def port(self) -> int:
        """The port the OS picked."""
        return int(self.url.rsplit(":", 1)[1])

    async def start(self) -> str:
        """Start serving and return the base URL once uvicorn reports it has started."""
        if self._task is not None:
            raise RuntimeError("LoopbackServer already started")
        # Binding ourselves to port 0 avoids the race of "find a free port, then bind it".
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._sock = sock
        config = uvicorn.Config(
            self.app,
            lifespan=self.lifespan,
            log_level="warning",
            # No dictConfig: keeps the global logging setup (and pytest's capture) untouched.
            log_config=None,
            access_log=False,
            # Lets uvicorn cancel hung requests itself, so the lifespan shutdown still runs.
            timeout_graceful_shutdown=int(_GRACEFUL_TIMEOUT / 2),
        )
        self._server = _InProcessServer(config)
        self._task = asyncio.create_task(self._run(self._server, sock), name=f"uvicorn:{self.app!r}")

        deadline = asyncio.get_running_loop().time() + _STARTUP_TIMEOUT
        while not self._server.started:
            if self._task.done():
                sock.close()
                self._task.result()  # surfaces the startup error
                raise RuntimeError("uvicorn exited before it started")
            if asyncio.get_running_loop().time() > deadline:
                await self._abort()
                raise TimeoutError(f"uvicorn did not start within {_STARTUP_TIMEOUT}s")
            await asyncio.sleep(0.01)

        host, port = sock.getsockname()[:2]
        self._url = f"http://{host}:{port}"
        return self._url

    async def stop(self) -> None:
        """Shut down gracefully (including ASGI lifespan shutdown); force after ~10 s."""
        server, task = self._server, self._task
        if server is None or task is None:
            return
        server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(task), _GRACEFUL_TIMEOUT)
        except TimeoutError:
            await self._abort()
        finally:
            if self._sock is not None:
                self._sock.close()
            self._server = self._task = self._sock = None

    async def _abort(self) -> None:
        """Skip the graceful path; cancel the task if even force_exit does not end it."""
        assert self._server is not None and self._task is not None
        self._server.should_exit = True
        self._server.force_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._task), _FORCED_TIMEOUT)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @staticmethod
    async def _run(server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            await server.serve(sockets=[sock])
        except SystemExit as exc:
            # uvicorn calls sys.exit() when lifespan startup fails; a SystemExit escaping
            # a task would tear down the whole event loop (and the test session).
            raise RuntimeError(f"uvicorn failed to start (exit code {exc.code})") from exc

    async def __aenter__(self) -> LoopbackServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


@contextlib.asynccontextmanager
async def serve(app: Any, *, lifespan: Lifespan = "on") -> AsyncIterator[LoopbackServer]:
    """``async with serve(app) as server:`` — started on entry, stopped on exit."""
    server = LoopbackServer(app, lifespan=lifespan)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()

"""Run an aiohttp application as a real HTTP server on 127.0.0.1 in a background thread.

The fakes of Zoho and Slack are real servers so the bot's HTTP code (httpx, slack_sdk's aiohttp
client) is exercised exactly as in production. Running them in their own thread and event loop lets
synchronous tests, async tests, the benchmark and a subprocess bot all talk to them alike.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Self

from aiohttp import web


class ThreadedServer:
    """An aiohttp app served on an ephemeral 127.0.0.1 port until `stop()`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port: int = 0

    def build_app(self) -> web.Application:
        """Subclasses return the application to serve."""
        raise NotImplementedError

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def start(self) -> Self:
        ready: Future[int] = Future()
        self._loop = asyncio.new_event_loop()

        async def serve() -> None:
            app = self.build_app()
            self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self._host, self._port, backlog=1024)
            await site.start()
            server = site._server
            assert server is not None
            ready.set_result(server.sockets[0].getsockname()[1])

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(serve())
            except BaseException as exc:  # surface start-up failures to the caller
                ready.set_exception(exc)
                return
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name=type(self).__name__, daemon=True)
        self._thread.start()
        self.port = ready.result(timeout=10)
        return self

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run `fn` on the server's loop (for state shared with handlers) and return its result."""
        assert self._loop is not None

        async def wrapper() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(wrapper(), self._loop).result(timeout=10)

    def stop(self) -> None:
        if self._loop is None:
            return
        loop = self._loop
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        loop.close()
        self._loop = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""Serving the bot: HTTP (uvicorn + Starlette) on $PORT, or Socket Mode when SLACK_APP_TOKEN is set.

`POST /slack/events` takes slash commands and interactivity payloads (Bolt checks the signature and
answers 401 to a bad one); `GET /healthz` answers 200 for Heroku and load balancers, with the pid of the
worker that answered (bot/workers.py may run several behind one port).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import uvicorn
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot import messages
from bot.audit import configure_logging
from bot.background import Background
from bot.config import ConfigError, Settings, load_settings
from bot.limits import ByteBudget
from bot.memory import return_freed_memory
from bot.slack.app import create_app, pooled_session
from bot.slack.socket_connect import OneLine, TokenRefused, open_socket_url, until_stopped
from bot.workers import inherited_socket, worker_number
from bot.zoho import ZohoClient

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # a slash command is a few hundred bytes; interactivity payloads a few KB


def create_web_app(bolt: AsyncApp, background: Background, zoho: ZohoClient, grace: float) -> Starlette:
    handler = AsyncSlackRequestHandler(bolt)

    async def events(request: Request) -> Response:
        length = request.headers.get("content-length", "")
        if length and (not length.isdigit() or int(length) > MAX_BODY):
            return PlainTextResponse("request body too large", status_code=413)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return PlainTextResponse("request body too large", status_code=413)
        request._body = bytes(body)  # Bolt's adapter reads request.body(); hand it what we read
        try:
            return await handler.handle(request)
        except Exception as exc:  # noqa: BLE001 - Bolt parses payloads before routing; malformed ones raise
            log.warning("rejected a malformed request to /slack/events (%s)", type(exc).__name__)
            return PlainTextResponse("malformed request body", status_code=400)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok" if background.accepting else "stopping", "in_flight": len(background),
                             "pid": os.getpid()})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with pooled_session(bolt):
            yield
            cancelled = await background.drain(grace)
            if cancelled:
                log.warning("shutdown: %d command(s) could not finish; their requesters were told", cancelled)
        await zoho.aclose()

    return Starlette(
        routes=[Route("/slack/events", events, methods=["POST"]), Route("/healthz", healthz, methods=["GET"])],
        lifespan=lifespan,
    )


def _http(settings: Settings, bolt: AsyncApp, background: Background, zoho: ZohoClient) -> None:
    web = create_web_app(bolt, background, zoho, settings.access.shutdown_grace)
    config = uvicorn.Config(
        web, host="0.0.0.0", port=settings.slack.port, log_level="warning", access_log=False,  # noqa: S104
        timeout_graceful_shutdown=3, lifespan="on", backlog=2048,
    )
    inherited = inherited_socket()
    if inherited is None:
        log.info("crmphoto listening on port %d (HTTP mode)", settings.slack.port)
    else:
        log.info("crmphoto worker %s (pid %d) serving port %d", worker_number(), os.getpid(), settings.slack.port)
    with _stop_signals_noted():
        uvicorn.Server(config).run(sockets=None if inherited is None else [inherited])


@contextlib.contextmanager
def _stop_signals_noted() -> Iterator[None]:
    """After its graceful stop uvicorn re-raises SIGINT/SIGTERM with the handlers it found; make those quiet.

    Python's own SIGINT handler would turn the re-raised Ctrl-C into a KeyboardInterrupt traceback, and
    the default SIGTERM action would kill the process after a clean stop; this way both exit with status 0.
    """
    originals = {sig: signal.signal(sig, _note_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in originals.items():
            signal.signal(sig, handler)


def _note_stop(signum: int, _frame: object) -> None:
    log.info("stopped on %s", signal.Signals(signum).name)


async def _socket_mode(settings: Settings, bolt: AsyncApp, background: Background, zoho: ZohoClient) -> int:
    assert settings.slack.app_token is not None
    app_token = settings.slack.app_token.reveal()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    status = 0
    async with pooled_session(bolt):
        try:
            url = await open_socket_url(bolt.client, app_token, stop)
        except TokenRefused as exc:
            print(messages.app_token_refused(exc.error), file=sys.stderr)
            url, status = None, 2
        if url is not None:
            handler = socket_handler(bolt, app_token)
            handler.client.wss_uri = url  # slack_sdk connects to this one instead of asking again
            connected, _ = await until_stopped(stop, handler.connect_async())
            if connected:
                worker = f" as worker {worker_number()} (pid {os.getpid()})" if worker_number() else ""
                log.info("crmphoto connected (Socket Mode)%s", worker)
                await stop.wait()
                await handler.disconnect_async()
            await background.drain(settings.access.shutdown_grace)
            await handler.close_async()
    await zoho.aclose()
    return status


def socket_handler(bolt: AsyncApp, app_token: str) -> AsyncSocketModeHandler:
    """Bolt's Socket Mode handler, logging through a logger that keeps slack_sdk's failures to one line each.

    slack_sdk's connect and reconnect loops log every failure with a full traceback, every ping interval.
    Must be called inside the running event loop (the client starts its message processor at once).
    """
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    logger = logging.getLogger("crmphoto.socket_mode.sdk")
    if not any(isinstance(f, OneLine) for f in logger.filters):
        logger.addFilter(OneLine())
    return AsyncSocketModeHandler(bolt, app_token, logger=logger)


def serve(note: str | None = None) -> int:
    """Serve in this process (alone, or as one of bot.workers' workers) until SIGTERM or SIGINT.

    `note` is logged once after logging is set up (why WEB_CONCURRENCY was not followed). Exit status: 0 after
    a requested stop, 2 when the configuration or Slack's answer to the app token means it can never work
    without an admin's fix.
    """
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    configure_logging()
    if note:
        log.info(note)
    if not return_freed_memory():
        log.info("not glibc: resident memory may stay above PHOTO_MEMORY_MB after bursts of big photos")
    # Bolt would read the token from the environment again and warn that our client overrides it.
    os.environ.pop("SLACK_BOT_TOKEN", None)
    zoho = ZohoClient(settings.zoho, photo_bytes=ByteBudget(settings.access.photo_memory_mb * 1024 * 1024))
    background = Background()
    bolt = create_app(settings, zoho, background)
    if settings.slack.socket_mode:
        return asyncio.run(_socket_mode(settings, bolt, background, zoho))
    _http(settings, bolt, background, zoho)
    return 0

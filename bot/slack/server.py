"""Serving the bot: HTTP (uvicorn + Starlette) on $PORT, or Socket Mode when SLACK_APP_TOKEN is set.

`POST /slack/events` takes slash commands and interactivity payloads (Bolt checks the signature and
answers 401 to a bad one); `GET /healthz` answers 200 for Heroku and load balancers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator

import uvicorn
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.audit import configure_logging
from bot.background import Background
from bot.config import ConfigError, Settings, load_settings
from bot.limits import ByteBudget
from bot.slack.app import create_app, pooled_session
from bot.zoho import ZohoClient

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
        return JSONResponse({"status": "ok" if background.accepting else "stopping", "in_flight": len(background)})

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
    log.info("crmphoto listening on port %d (HTTP mode)", settings.slack.port)
    uvicorn.Server(config).run()


async def _socket_mode(settings: Settings, bolt: AsyncApp, background: Background, zoho: ZohoClient) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    assert settings.slack.app_token is not None
    handler = AsyncSocketModeHandler(bolt, settings.slack.app_token.reveal())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with pooled_session(bolt):
        await handler.connect_async()
        log.info("crmphoto connected (Socket Mode)")
        await stop.wait()
        await handler.disconnect_async()
        await background.drain(settings.access.shutdown_grace)
        await handler.close_async()
    await zoho.aclose()


def serve() -> int:
    """`python -m bot`: check the configuration, then serve until SIGTERM."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    configure_logging()
    # Bolt would read the token from the environment again and warn that our client overrides it.
    os.environ.pop("SLACK_BOT_TOKEN", None)
    zoho = ZohoClient(settings.zoho, photo_bytes=ByteBudget(settings.access.photo_memory_mb * 1024 * 1024))
    background = Background()
    bolt = create_app(settings, zoho, background)
    if settings.slack.socket_mode:
        asyncio.run(_socket_mode(settings, bolt, background, zoho))
    else:
        _http(settings, bolt, background, zoho)
    return 0

"""The Bolt app: signature checks on, the Slack Web API client, and the listeners."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp

from bot.access import DailyBudget, Gate
from bot.background import Background
from bot.config import Settings
from bot.slack import listeners
from bot.slack.client import build_client
from bot.slack.directory import SlackDirectory
from bot.zoho import ZohoClient

log = logging.getLogger(__name__)

SLACK_TIMEOUT = 10  # seconds for each Slack Web API call


@asynccontextmanager
async def pooled_session(bolt: AsyncApp) -> AsyncIterator[None]:
    """One pooled aiohttp session for every Slack call while serving.

    Without it slack_sdk opens a new session, and a new TLS connection, for each of the three upload steps.
    It must be created inside the running event loop, so the server opens it at start-up.
    """
    session = aiohttp.ClientSession()
    bolt.client.session = session
    try:
        yield
    finally:
        bolt.client.session = None
        await session.close()


async def reject_malformed(error: Exception) -> BoltResponse:
    """Bolt raises on some malformed payloads (e.g. block_actions without actions): a clean 400, not a 500."""
    log.warning("rejected a request Bolt could not process (%s)", type(error).__name__)
    return BoltResponse(status=400, body="malformed request")


def create_app(
    settings: Settings, zoho: ZohoClient, background: Background, deadline: float = listeners.COMMAND_DEADLINE
) -> AsyncApp:
    """An AsyncApp whose listeners run on the event loop next to the async Zoho client."""
    slack = settings.slack
    client = build_client(slack.bot_token.reveal(), slack.api_url, SLACK_TIMEOUT)
    app = AsyncApp(
        client=client,
        signing_secret=slack.signing_secret.reveal() if slack.signing_secret else "",
        request_verification_enabled=not slack.socket_mode,
        process_before_response=True,  # our listener acks, hands work to Background, and returns
    )
    services = listeners.Services(
        zoho=zoho,
        background=background,
        gate=Gate(settings.access),
        budget=DailyBudget(settings.access.daily_zoho_budget),
        directory=SlackDirectory(client),
        deadline=deadline,
    )
    app.error(reject_malformed)
    listeners.register(app, services)
    return app

"""The Bolt app: signature checks on, the Slack Web API client, and the listeners."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.authorization.async_single_team_authorization import AsyncSingleTeamAuthorization

from bot.access import Gate
from bot.alerts import Alerts, ChannelSink, LogSink
from bot.background import Background
from bot.config import Settings
from bot.limits import Budget, DailyBudget, RateLimiter, SlidingWindowLimiter
from bot.pipeline import Pipeline, Timing
from bot.shared import SharedStore, namespace
from bot.shared.clicks import Clicks, MemoryClicks, SharedClicks
from bot.shared.limits import SharedBudget, SharedRateLimiter
from bot.shared.marks import SharedMarks
from bot.shared.sharing import SharedSharingCache
from bot.slack import listeners
from bot.slack.client import build_client
from bot.slack.directory import MemorySharingCache, SlackDirectory
from bot.slack.unfurl import Unfurler
from bot.zoho import ZohoClient

log = logging.getLogger(__name__)

SLACK_TIMEOUT = 10  # seconds for each Slack Web API call


@asynccontextmanager
async def pooled_session(bolt: AsyncApp) -> AsyncIterator[None]:
    """One pooled aiohttp session for every Slack call while serving.

    Without it slack_sdk opens a new session, and a new TLS connection, for each of the three upload steps.
    It must be created inside the running event loop, so the server opens it at start-up.
    """
    # A session set on the client brings its own timeout (slack_sdk then ignores the client's): without one,
    # a hung call would wait aiohttp's default 5 minutes and the timeout retries would never start.
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SLACK_TIMEOUT))
    bolt.client.session = session
    await warm_authorization(bolt)
    try:
        yield
    finally:
        bolt.client.session = None
        await session.close()


async def warm_authorization(bolt: AsyncApp) -> None:
    """Ask Slack who the bot is once at start-up, before the first burst of commands.

    Bolt's single-team authorization calls auth.test on the first request and caches the answer, but without
    sharing one call: a fresh worker (after every deploy and daily restart) hit by a burst made one auth.test per
    request and its acks waited for them (docs/performance.md, issue 11). If Slack does not answer now, Bolt asks
    on the first request as before.
    """
    for middleware in getattr(bolt, "_async_middleware_list", ()):
        if isinstance(middleware, AsyncSingleTeamAuthorization) and middleware.auth_test_result is None:
            try:
                middleware.auth_test_result = await bolt.client.auth_test()
            except Exception as exc:  # noqa: BLE001 - Bolt will ask again when the first request comes
                log.warning("slack: auth.test at start-up failed (%s); Bolt will ask on the first request",
                            type(exc).__name__)


async def reject_malformed(error: Exception) -> BoltResponse:
    """Bolt raises on some malformed payloads (e.g. block_actions without actions): a clean 400, not a 500."""
    log.warning("rejected a request Bolt could not process (%s)", type(error).__name__)
    return BoltResponse(status=400, body="malformed request")


def create_app(
    settings: Settings, zoho: ZohoClient, background: Background, timing: Timing | None = None
) -> AsyncApp:
    """An AsyncApp whose listeners run on the event loop next to the async Zoho client."""
    return assemble(settings, zoho, background, timing).app


@dataclass(frozen=True)
class Assembled:
    """The app and the directory its listeners ask who someone is: the demo tells that directory at once when its
    stand-in user's Slack language changes, where real Slack users wait out the cache's ten minutes."""

    app: AsyncApp
    directory: SlackDirectory


def assemble(
    settings: Settings, zoho: ZohoClient, background: Background, timing: Timing | None = None
) -> Assembled:
    """The AsyncApp of `create_app`, with its directory."""
    slack = settings.slack
    client = build_client(slack.bot_token.reveal(), slack.api_url, SLACK_TIMEOUT)
    app = AsyncApp(
        client=client,
        signing_secret=slack.signing_secret.reveal() if slack.signing_secret else "",
        request_verification_enabled=not slack.socket_mode,
        process_before_response=True,  # our listener acks, hands work to Background, and returns
    )
    access = settings.access
    sink = ChannelSink(client, access.admin_channel_id) if access.admin_channel_id else LogSink()
    budget: Budget = DailyBudget(access.daily_zoho_budget)
    limiter: RateLimiter = SlidingWindowLimiter(access.user_rate_per_minute)
    marks = None
    sharing = None
    clicks: Clicks = MemoryClicks()
    if settings.redis_url is not None:
        store = SharedStore(settings.redis_url.reveal(), namespace=namespace(settings.zoho, settings.redis_key_prefix),
                            max_connections=settings.redis_max_connections)
        zoho.share(store)
        budget = SharedBudget(store, DailyBudget(access.daily_zoho_budget))
        limiter = SharedRateLimiter(store, SlidingWindowLimiter(access.user_rate_per_minute))
        marks = SharedMarks(store)
        sharing = SharedSharingCache(store, MemorySharingCache())
        clicks = SharedClicks(store)
        log.info("shared state: Redis (token, module list, limits, budget, alert marks, Zoho concurrency, share "
                 "clicks, conversations' sharing), keys under %s", store.namespace)
    directory = SlackDirectory(client, sharing=sharing)
    pipeline = Pipeline(
        zoho,
        Gate(access, zoho.users),
        budget,
        limiter,
        directory,
        timing=timing,
        max_in_flight=access.max_in_flight,
        accepting=lambda: background.accepting,
        search_modules=access.search_modules,
        default_locale=settings.default_locale,
        alerts=Alerts(sink, lambda work: background.spawn(work, name="admin-alert"), marks),
    )
    app.error(reject_malformed)
    listeners.register(app, pipeline, background, Unfurler(client, locale=settings.default_locale), directory, clicks)
    return Assembled(app, directory)

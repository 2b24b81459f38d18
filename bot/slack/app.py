"""The Bolt app: signature checks on, the Slack Web API client, and the listeners."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.background import Background
from bot.config import SlackSettings
from bot.slack import listeners
from bot.zoho import ZohoClient

SLACK_TIMEOUT = 10  # seconds for each Slack Web API call


def create_app(settings: SlackSettings, zoho: ZohoClient, background: Background) -> AsyncApp:
    """An AsyncApp whose listeners run on the event loop next to the async Zoho client."""
    client = AsyncWebClient(token=settings.bot_token.reveal(), base_url=settings.api_url, timeout=SLACK_TIMEOUT)
    app = AsyncApp(
        client=client,
        signing_secret=settings.signing_secret.reveal() if settings.signing_secret else "",
        request_verification_enabled=not settings.socket_mode,
        process_before_response=True,  # our listener acks, hands work to Background, and returns
        url_verification_enabled=True,
    )
    listeners.register(app, zoho, background)
    return app

"""The one Slack Web API client the bot uses, with per-call retries (see bot.slack.retry)."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import retry


def build_client(token: str, base_url: str, timeout: float) -> AsyncWebClient:
    """An AsyncWebClient whose every call, including each step of files_upload_v2, is retried on its own.

    `timeout` bounds each HTTP attempt when slack_sdk opens its own session; a session set on the client
    later (`client.session`) brings its own timeout instead.
    """
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,  # type: ignore[arg-type]  # slack_sdk annotates int; aiohttp takes float seconds
        retry_handlers=retry.handlers(),
    )

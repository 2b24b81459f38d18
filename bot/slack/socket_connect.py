"""Opening the Socket Mode connection with our own retry loop, so a stop signal or a refused token ends it.

slack_sdk's Socket Mode client (`connect()` in `slack_sdk.socket_mode.aiohttp`) retries a failed
`apps.connections.open` forever, every ping interval, logging a full traceback each time, and nothing
short of SIGKILL interrupts it. Here we call `apps.connections.open` ourselves through the same Web API
client, back off 1, 2, 4 … 30 s with one log line per failure, give up at once when Slack refuses the
token, and race every wait against the stop event. Only then is the WebSocket URL handed to slack_sdk.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("crmphoto.socket_mode")

T = TypeVar("T")

# apps.connections.open errors that no retry can cure: the token itself is wrong, revoked or lacks its scope
# (Slack's apps.connections.open reference and its list of errors common to every Web API method).
REFUSED = frozenset({
    "invalid_auth", "not_authed", "not_allowed_token_type", "token_revoked", "token_expired",
    "account_inactive", "missing_scope",
})


class TokenRefused(Exception):
    """Slack refused the app-level token: retrying cannot help, an admin must replace it."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass(frozen=True)
class Backoff:
    """Growing, capped delays between attempts: first, first*factor, … up to cap."""

    first: float = 1.0
    factor: float = 2.0
    cap: float = 30.0

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * self.factor, self.cap)


async def until_stopped(stop: asyncio.Event, work: Awaitable[T]) -> tuple[bool, T | None]:
    """Run `work` unless `stop` is set first; then cancel it. Returns (finished, result)."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if task.done():
        return True, task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return False, None


def _describe(exc: Exception) -> tuple[str, float]:
    """One line about a failed attempt, and the least delay Slack asked for (Retry-After on 429)."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        retry_after = exc.response.headers.get("Retry-After", "") if status == 429 else ""
        wait = float(retry_after) if retry_after.isdigit() else 0.0
        return f"Slack answered HTTP {status} ({error or 'no error code'})", wait
    detail = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}{': ' + detail if detail else ''}", 0.0


async def open_socket_url(
    client: AsyncWebClient, app_token: str, stop: asyncio.Event, backoff: Backoff = Backoff()
) -> str | None:
    """A fresh WebSocket URL from `apps.connections.open`, retrying until it works or `stop` is set (None).

    Raises TokenRefused when Slack says the token itself is bad.
    """
    delays = backoff.delays()
    attempt = 0
    while not stop.is_set():
        attempt += 1
        try:
            finished, response = await until_stopped(stop, client.apps_connections_open(app_token=app_token))
        except SlackApiError as exc:
            if isinstance(exc.response.data, dict) and exc.response.get("error") in REFUSED:
                raise TokenRefused(str(exc.response["error"])) from None
            problem, least = _describe(exc)
        except Exception as exc:  # noqa: BLE001 - unreachable, timed out, 5xx, garbled: all worth another try
            problem, least = _describe(exc)
        else:
            if not finished or response is None:
                return None
            return str(response["url"])
        delay = max(next(delays), least)
        log.warning("Socket Mode: connecting to Slack failed (attempt %d: %s); retrying in %.0fs",
                    attempt, problem, delay)
        await until_stopped(stop, asyncio.sleep(delay))
    return None


class OneLine(logging.Filter):
    """Drops the traceback from slack_sdk's Socket Mode log records: one line per failure is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True

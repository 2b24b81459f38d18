"""Per-call retries for every Slack call, as slack_sdk retry handlers on the one AsyncWebClient.

slack_sdk runs `client.retry_handlers` around each single HTTP request in `_request_with_session`: every Web
API method and also, inside `files_upload_v2`, the POST of the bytes to the upload URL (`_upload_file` goes
through the same function with the same handlers). So a retry repeats one call, never the three-step upload.

The built-in handlers fall short, so we use our own (all subclasses of `AsyncRetryHandler`):
  * `RateLimitRetry` instead of `AsyncRateLimitErrorRetryHandler`, which sleeps the whole `Retry-After`
    however long: we wait only when the wait fits the command's deadline (`bot.deadline`), or is at most
    `RETRY_AFTER_CAP` outside any deadline; otherwise the call gives up at once and raises `ratelimited`.
  * `ServerErrorRetry` instead of `AsyncServerErrorRetryHandler`, which retries only 500 and 503: we retry
    500, 502, 503 and 504 twice after a short backoff, within the deadline.
  * `ConnectionRetry` instead of `AsyncConnectionErrorRetryHandler`, which does not retry timeouts: we retry
    timeouts and every aiohttp connection error, within the deadline.
A 5xx, a timeout or a dropped connection leaves it unknown whether Slack acted, so those are repeated only for
calls that are harmless to repeat (`REPEATABLE`); a refused connection or a 429 means nothing happened, so any
call may be repeated. `AttemptLog` records every attempt so the caller can tell what happened afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot import deadline

log = logging.getLogger(__name__)

MAX_RETRIES = 2  # per call, whatever the reasons
RETRY_AFTER_CAP = 5.0  # the longest Retry-After worth waiting for outside any deadline
BACKOFF = (0.25, 0.5)  # before the first and the second retry after a server or connection error
SERVER_ERRORS = frozenset({500, 502, 503, 504})
UPLOAD_URL = "upload URL"  # how the POST of the bytes is named here (its URL holds a one-time key: never logged)
# Calls whose repetition is harmless when the first try's outcome is unknown. A repeated
# files.completeUploadExternal for the same file cannot share it twice (Slack: "This method can only be
# called once"); bot.slack.upload treats its refusal after an unknown outcome as done. chat.* is not here:
# a message whose answer was lost may already be posted.
REPEATABLE = frozenset(
    {
        UPLOAD_URL,
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
        "conversations.join",
        "conversations.open",
        "users.info",
        "usergroups.users.list",
        "auth.test",
    }
)


def call_name(url: str) -> str:
    """The Web API method of a request URL, or UPLOAD_URL for the upload URL (the only other place we POST)."""
    base, sep, method = url.partition("/api/")
    return method.split("?", 1)[0] if sep and base else UPLOAD_URL


@dataclass(frozen=True)
class Attempt:
    """One HTTP attempt of one call: its status, or the exception that ended it."""

    call: str
    status: int | None
    error: type[BaseException] | None

    @property
    def outcome_unknown(self) -> bool:
        """Whether Slack may have acted although we got no usable answer."""
        if self.error is not None:
            return not issubclass(self.error, aiohttp.ClientConnectorError)
        return self.status in SERVER_ERRORS


@dataclass
class AttemptLog:
    """The attempts made inside one `recording()` block, in order."""

    attempts: list[Attempt] = field(default_factory=list)

    def of(self, call: str) -> list[Attempt]:
        return [a for a in self.attempts if a.call == call]

    def last_status(self, call: str) -> int | None:
        """The HTTP status of the last attempt of `call` that got an answer."""
        statuses = [a.status for a in self.of(call) if a.status is not None]
        return statuses[-1] if statuses else None

    def outcome_unknown(self, call: str) -> bool:
        """Whether some attempt of `call` may have done its work without us hearing about it."""
        return any(a.outcome_unknown for a in self.of(call))


_log: ContextVar[AttemptLog | None] = ContextVar("crmphoto_slack_attempts", default=None)


@contextmanager
def recording() -> Iterator[AttemptLog]:
    """Record every attempt of the Slack calls made in this block (in this task)."""
    attempts = AttemptLog()
    token = _log.set(attempts)
    try:
        yield attempts
    finally:
        _log.reset(token)


def _fits(delay: float) -> bool:
    if deadline.remaining() is None:
        return delay <= RETRY_AFTER_CAP
    return deadline.fits(delay)


def _retry_after(response: HttpResponse) -> float | None:
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            raw = str(values[0]).strip()
            return float(raw) if raw.isdigit() else None
    return None


class AttemptRecorder(AsyncRetryHandler):
    """Never retries: it sees every attempt first and notes it in the current `recording()`, if any."""

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        attempts = _log.get()
        if attempts is not None:
            status = response.status_code if response is not None and error is None else None
            attempts.attempts.append(Attempt(call_name(request.url), status, type(error) if error else None))
        return False


class _Retry(AsyncRetryHandler):
    """Common part: at most MAX_RETRIES per call, a wait that fits the deadline, a log line."""

    reason = ""

    def __init__(self) -> None:
        super().__init__(max_retry_count=MAX_RETRIES)

    def delay(self, state: RetryState, response: HttpResponse | None) -> float:
        return BACKOFF[min(state.current_attempt, len(BACKOFF) - 1)]

    def wants(self, call: str, response: HttpResponse | None, error: Exception | None) -> bool:
        raise NotImplementedError

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        call = call_name(request.url)
        if not self.wants(call, response, error):
            return False
        wait = self.delay(state, response)
        if not _fits(wait):
            log.info("slack %s: %s; a retry in %.1fs would not fit the deadline, giving up", call, self.reason, wait)
            return False
        return True

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        wait = self.delay(state, response)
        log.info("slack %s: %s; retrying in %.2fs", call_name(request.url), self.reason, wait)
        state.next_attempt_requested = True
        await asyncio.sleep(wait)
        state.increment_current_attempt()


class RateLimitRetry(_Retry):
    """HTTP 429: wait Slack's Retry-After (1 s when absent or unreadable) only if that fits."""

    reason = "rate limited"

    def wants(self, call: str, response: HttpResponse | None, error: Exception | None) -> bool:
        return error is None and response is not None and response.status_code == 429

    def delay(self, state: RetryState, response: HttpResponse | None) -> float:
        retry_after = _retry_after(response) if response is not None else None
        return 1.0 if retry_after is None else retry_after


class ServerErrorRetry(_Retry):
    """HTTP 500, 502, 503, 504 from a call that is harmless to repeat."""

    reason = "server error"

    def wants(self, call: str, response: HttpResponse | None, error: Exception | None) -> bool:
        return (
            error is None and response is not None and response.status_code in SERVER_ERRORS and call in REPEATABLE
        )


class ConnectionRetry(_Retry):
    """Timeouts and connection errors: any call when it never connected, else only a call harmless to repeat."""

    reason = "connection error or timeout"

    def wants(self, call: str, response: HttpResponse | None, error: Exception | None) -> bool:
        if isinstance(error, aiohttp.ClientConnectorError):
            return True
        return isinstance(error, TimeoutError | aiohttp.ClientConnectionError) and call in REPEATABLE


def handlers() -> list[AsyncRetryHandler]:
    """The handlers for `AsyncWebClient.retry_handlers`, the recorder first so it sees every attempt."""
    return [AttemptRecorder(), RateLimitRetry(), ServerErrorRetry(), ConnectionRetry()]

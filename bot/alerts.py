"""Tell the admin when something only an admin can fix is failing, once an hour, and when it is fixed.

A revoked Zoho token or a missing Slack scope fails every command until someone acts; the people who
meet it can only pass the message on. So each such failure is posted once to ADMIN_CHANNEL_ID (or,
without it, written to the log as one line): what broke, since when, how many commands it has affected,
and the fix (the catalogue's own words). The same failure is not repeated within an hour; the next
success of the same kind of operation posts one "resolved" line, also when it comes from a process that
started after the failure (a restart once the admin fixed a config var) and the marks are in Redis.

Alerting never delays or fails a command: `outcome()` only counts, and any post runs as a tracked task
whose errors are logged. The marks ("failing since", "posted at") sit behind `AlertMarks` so a shared
store (Redis) can hold them when several processes run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from bot import messages
from bot.codes import Code

log = logging.getLogger(__name__)

REPEAT_AFTER = 3600.0  # seconds before the same failure is posted again

# Failures only an admin can fix, each with the kind of operation whose next success means it is fixed.
ADMIN_FAILURES: dict[Code, str] = {
    Code.INVALID_CLIENT: "zoho",  # wrong client id/secret, or the wrong data centre (ZOHO_DC)
    Code.INVALID_REFRESH_TOKEN: "zoho",
    Code.INVALID_TOKEN: "zoho",  # still refused after one refresh: wrong data centre or revoked
    Code.AUTHENTICATION_FAILURE: "zoho",
    Code.OAUTH_SCOPE_MISMATCH: "zoho",
    Code.TOKEN_THROTTLED: "zoho",
    Code.SEARCH_NOT_ENABLED: "search",
    Code.BUDGET_EXHAUSTED: "budget",
    Code.MISSING_SCOPE: "slack",
    Code.FILE_UPLOADS_DISABLED: "slack",
}
# What a successful outcome proves works again.
PROVEN_BY: dict[Code, frozenset[str]] = {
    Code.OK: frozenset({"zoho", "budget", "slack"}),
    Code.CHOICES: frozenset({"zoho", "budget", "search"}),
}


@dataclass(frozen=True)
class Failing:
    """An open failure: since when (wall-clock seconds), how many commands so far, and when last posted."""

    since: float
    count: int
    posted_at: float | None = None


class AlertMarks(Protocol):
    """Where open failures are remembered; each call is one atomic step (an in-memory dict, or Redis)."""

    async def failed(self, key: str, now: float, repeat_after: float) -> tuple[Failing, bool]:
        """Count one more failure; (the failure, whether this caller should post it now and mark it posted)."""
        ...

    async def succeeded(self, key: str) -> Failing | None:
        """Forget the failure; return it if it had been posted (so a "resolved" line is owed)."""
        ...


class MemoryMarks:
    """One process's marks. No awaits inside a step, so concurrent commands cannot both claim a post."""

    def __init__(self) -> None:
        self._open: dict[str, Failing] = {}

    async def failed(self, key: str, now: float, repeat_after: float) -> tuple[Failing, bool]:
        old = self._open.get(key)
        current = Failing(old.since, old.count + 1, old.posted_at) if old else Failing(now, 1)
        due = current.posted_at is None or now - current.posted_at >= repeat_after
        if due:
            current = Failing(current.since, current.count, now)
        self._open[key] = current
        return current, due

    async def succeeded(self, key: str) -> Failing | None:
        if key not in self._open:
            return None
        gone = self._open.pop(key)
        return gone if gone.posted_at is not None else None


class Sink(Protocol):
    """Where alert text goes: the admin channel, or the log."""

    async def send(self, text: str) -> None: ...


class LogSink:
    """Without ADMIN_CHANNEL_ID: the same facts as one warning line."""

    async def send(self, text: str) -> None:
        log.warning("admin alert: %s", messages.cli_text(text).replace("\n", " "))


class ChannelSink:
    """chat.postMessage to the admin channel (the bot must be a member; scope chat:write)."""

    def __init__(self, client: Any, channel: str) -> None:
        self.client = client
        self.channel = channel

    async def send(self, text: str) -> None:
        await self.client.chat_postMessage(channel=self.channel, text=text, unfurl_links=False)


Spawn = Callable[[Coroutine[Any, Any, Any]], Any]


class Alerts:
    """Counts admin-only failures from each outcome and posts about them in the background."""

    def __init__(self, sink: Sink, spawn: Spawn, marks: AlertMarks | None = None,
                 clock: Callable[[], float] = time.time, repeat_after: float = REPEAT_AFTER) -> None:
        self.sink = sink
        self.marks = marks or MemoryMarks()
        self._spawn = spawn
        self._clock = clock
        self.repeat_after = repeat_after
        # Kinds that may have an open failure. At start every kind may: shared marks (Redis) outlive a restart, so
        # the first success of each kind asks once whether a "resolved" line is owed; after that only kinds this
        # process has seen fail are asked about, and other successes cost nothing.
        self._maybe_open: set[str] = set(ADMIN_FAILURES.values())

    def outcome(self, code: Code) -> None:
        """Note one command's outcome; returns at once (the work, if any, runs as a tracked task)."""
        if code in ADMIN_FAILURES:
            self._maybe_open.add(ADMIN_FAILURES[code])
            self._spawn(self._guarded(self._failed(code, self._clock())))
            return
        kinds = PROVEN_BY.get(code, frozenset()) & self._maybe_open
        if kinds:
            self._maybe_open -= kinds
            self._spawn(self._guarded(self._succeeded(kinds)))

    async def _failed(self, code: Code, now: float) -> None:
        failing, due = await self.marks.failed(code.value, now, self.repeat_after)
        if due:
            words = messages.explain(code, "", "", about=messages.ALERT_ABOUT)
            await self.sink.send(messages.admin_alert(words, _utc(failing.since), failing.count))

    async def _succeeded(self, kinds: frozenset[str]) -> None:
        for code, kind in ADMIN_FAILURES.items():
            if kind not in kinds:
                continue
            gone = await self.marks.succeeded(code.value)
            if gone is not None:
                await self.sink.send(messages.admin_resolved(code, _utc(gone.since), gone.count))

    @staticmethod
    async def _guarded(work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception as exc:  # noqa: BLE001 - an alert that cannot be sent must not touch a command
            log.warning("admin alert could not be sent (%s)", _reason(exc))


def _reason(exc: Exception) -> str:
    """Slack's error code when there is one (never the message text, which could carry anything)."""
    response = getattr(exc, "response", None)
    error = response.get("error") if hasattr(response, "get") else None
    return str(error) if error else type(exc).__name__


def _utc(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(seconds))

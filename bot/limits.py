"""How much one process takes on at once, and how much Zoho credit a workspace may spend in a day.

Each limit is a small interface with an in-memory implementation, so a shared store (Redis) can later
serve the same calls for a fleet of processes. All methods that might talk to such a store are async.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol


class Budget(Protocol):
    """Zoho calls a workspace may still make today; every call is reserved before it is sent."""

    async def reserve(self, team_id: str) -> bool: ...

    async def release(self, team_id: str) -> None: ...

    async def has_room(self, team_id: str) -> bool: ...


class RateLimiter(Protocol):
    """Commands one person may send in a sliding minute."""

    async def allow(self, user_id: str) -> bool: ...


class DailyBudget:
    """Zoho calls per workspace per UTC day (0 = no limit); Zoho's credits are per org over 24 hours.

    Reservation is a check-and-increment with no await in between, so concurrent commands in one
    process can never overshoot the limit.
    """

    def __init__(self, limit: int, today: Callable[[], str] | None = None) -> None:
        self.limit = limit
        self._today = today or (lambda: datetime.now(UTC).date().isoformat())
        self._day = ""
        self._used: dict[str, int] = defaultdict(int)

    def today(self) -> str:
        """The UTC day the counts belong to (also names the shared counter in Redis)."""
        return self._today()

    def note(self, team_id: str, used: int) -> None:
        """Take the fleet's count from Redis, so an outage continues from it instead of from zero."""
        self._roll()
        self._used[team_id] = max(0, used)

    def _roll(self) -> None:
        day = self._today()
        if day != self._day:
            self._day = day
            self._used.clear()

    async def reserve(self, team_id: str) -> bool:
        self._roll()
        if self.limit and self._used[team_id] >= self.limit:
            return False
        self._used[team_id] += 1
        return True

    async def release(self, team_id: str) -> None:
        self._roll()
        if self._used[team_id] > 0:
            self._used[team_id] -= 1

    async def has_room(self, team_id: str) -> bool:
        self._roll()
        return not self.limit or self._used[team_id] < self.limit

    def used(self, team_id: str) -> int:
        self._roll()
        return self._used[team_id]


RATE_WINDOW = 60.0


class SlidingWindowLimiter:
    """At most `per_minute` commands per person in any 60 seconds (0 = no limit)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._recent: dict[str, deque[float]] = defaultdict(deque)

    async def allow(self, user_id: str) -> bool:
        if not self.per_minute:
            return True
        now = self._clock()
        recent = self._recent[user_id]
        while recent and now - recent[0] >= RATE_WINDOW:
            recent.popleft()
        if len(recent) >= self.per_minute:
            return False
        recent.append(now)
        if len(self._recent) > 10_000:  # forget people who have gone quiet, so memory stays flat
            for key in [k for k, v in self._recent.items() if not v or now - v[-1] >= RATE_WINDOW]:
                del self._recent[key]
        return True


class ByteBudget:
    """Photo bytes this process holds at once; fetches wait for room instead of growing memory.

    A lease is taken before the photo is asked for (the largest a photo may be, so a fetch never waits here
    while it holds a Zoho slot), cut to the photo's size when Zoho answers, and given back when the photo
    object is freed (after the upload has the bytes), so the count follows the memory really held.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0
        self.peak = 0
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    @property
    def waiting(self) -> int:
        """Fetches waiting for room."""
        return len(self._waiters)

    async def acquire(self, size: int) -> None:
        size = min(size, self.limit)
        if not self._waiters and self.held + size <= self.limit:
            self._take(size)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (size, future)
        self._waiters.append(entry)
        try:
            await future
        except asyncio.CancelledError:
            if entry in self._waiters:
                self._waiters.remove(entry)
            elif future.done() and not future.cancelled():
                self.release(size)  # granted just as we were cancelled: give it back
            raise

    def release(self, size: int) -> None:
        self.held = max(0, self.held - min(size, self.limit))
        while self._waiters and self.held + self._waiters[0][0] <= self.limit:
            size_next, future = self._waiters.popleft()
            if not future.done():
                self._take(size_next)
                future.set_result(None)

    def _take(self, size: int) -> None:
        self.held += size
        self.peak = max(self.peak, self.held)

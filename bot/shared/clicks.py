"""Whether a click is the first of its kind lately: a double click on "Share photo", or Slack sending the same
click again, shares one photo, even when the two land on different processes or dynos.

`MemoryClicks` remembers this process's clicks; `SharedClicks` asks Redis as well (a key SET with NX and a short
expiry, so exactly one process sees it first) and, while Redis is down, decides with this process's memory alone.
A click's key is hashed before it reaches Redis: the ids it is made of stay out of it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis

from bot.shared.store import SharedStore, constant


class Clicks(Protocol):
    """The "first click" decision, one atomic step per click."""

    async def first(self, key: str, within: float) -> bool:
        """True for the first click with this key in `within` seconds; False for a repeat."""
        ...


class MemoryClicks:
    """One process's recent clicks; no await inside a step, so two concurrent clicks cannot both be first."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._recent: dict[str, float] = {}

    async def first(self, key: str, within: float) -> bool:
        now = self._clock()
        self._recent = {k: t for k, t in self._recent.items() if now - t < within}
        if key in self._recent:
            return False
        self._recent[key] = now
        return True


class SharedClicks:
    """The fleet's recent clicks in Redis; a repeat inside this process is caught without asking Redis."""

    def __init__(self, store: SharedStore, memory: MemoryClicks | None = None) -> None:
        self._store = store
        self._memory = memory or MemoryClicks()

    async def first(self, key: str, within: float) -> bool:
        if not await self._memory.first(key, within):
            return False
        name = self._store.key("click:" + hashlib.sha256(key.encode()).hexdigest()[:32])

        async def op(redis: Redis) -> bool:
            return bool(await redis.set(name, "1", nx=True, px=max(1, int(within * 1000))))

        return await self._store.run(op, lambda: constant(True))  # Redis down: this process's memory decided

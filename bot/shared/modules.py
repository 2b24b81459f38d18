"""Zoho's module list, fetched once for the whole fleet and kept in Redis as JSON for an hour.

On a cold start every process wants it at once: the first claims the load (a key set with NX and a
short expiry) and the others wait briefly for its answer instead of each spending a Zoho call.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from redis.asyncio import Redis

from bot.shared.store import SharedStore, constant

LOAD_WAIT = 5.0  # seconds a process waits for another's load before asking Zoho itself


class SharedModuleList:
    """The raw module list (Zoho's JSON items) with the wall-clock time it was fetched."""

    def __init__(self, store: SharedStore, ttl: float) -> None:
        self._store = store
        self._key = store.key("zoho:modules")
        self._loading_key = store.key("zoho:modules-loading")
        self._ttl = ttl
        self._owner = uuid.uuid4().hex

    async def get_or_claim(self, max_age: float) -> list[dict[str, Any]] | None:
        """A shared list younger than `max_age`; or None, and then the caller loads it (and calls `done`)."""
        give_up = time.monotonic() + LOAD_WAIT
        while True:
            modules = await self.get(max_age)
            if modules is not None or await self._claim() or time.monotonic() >= give_up:
                return modules
            await asyncio.sleep(0.05)

    async def _claim(self) -> bool:
        async def op(redis: Redis) -> bool:
            return bool(await redis.set(self._loading_key, self._owner, nx=True, px=int(LOAD_WAIT * 2000)))

        return await self._store.run(op, lambda: constant(True))

    async def done(self) -> None:
        """This process's load is over (stored, or failed): others may load now."""
        async def op(redis: Redis) -> None:
            if await redis.get(self._loading_key) == self._owner.encode():
                await redis.delete(self._loading_key)

        await self._store.run(op, lambda: constant(None))

    async def get(self, max_age: float) -> list[dict[str, Any]] | None:
        """A list another process fetched less than `max_age` seconds ago, or None."""
        async def op(redis: Redis) -> list[dict[str, Any]] | None:
            raw = await redis.get(self._key)
            if raw is None:
                return None
            try:
                entry = json.loads(raw)
                fetched, modules = float(entry["at"]), entry["modules"]
            except (ValueError, KeyError, TypeError):
                return None
            if time.time() - fetched >= max_age or not isinstance(modules, list):
                return None
            return [m for m in modules if isinstance(m, dict)]

        return await self._store.run(op, lambda: constant(None))

    async def put(self, modules: list[dict[str, Any]]) -> None:
        async def op(redis: Redis) -> None:
            await redis.set(self._key, json.dumps({"at": time.time(), "modules": modules}), px=int(self._ttl * 1000))

        await self._store.run(op, lambda: constant(None))

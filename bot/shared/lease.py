"""ZOHO_MAX_CONCURRENCY for the whole fleet: Zoho's concurrency limit is per org, not per process.

Each call in flight holds a lease: an id in a Redis sorted set scored by its expiry. A lease is taken
by a Lua script (expired leases dropped, then a count under the limit), given back in `finally`, and
expires by itself after LEASE_TTL if its process dies. Waiters poll with a short growing backoff.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis

from bot.shared.store import PREFIX, SharedStore, constant

KEY = f"{PREFIX}zoho:in-flight"
LEASE_TTL = 60.0  # seconds; longer than one Zoho call may take (httpx timeouts, the command deadline)
POLL_FIRST = 0.01
POLL_CAP = 0.2

ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""


class FleetSlots:
    """At most `limit` leases at once across every process sharing the Redis."""

    def __init__(self, store: SharedStore, limit: int, ttl: float = LEASE_TTL) -> None:
        self._store = store
        self.limit = limit
        self._ttl_ms = int(ttl * 1000)
        self._acquire = store.redis.register_script(ACQUIRE)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one fleet-wide slot; without Redis, the caller's own semaphore is the only cap."""
        lease = uuid.uuid4().hex
        held = await self._take(lease)
        try:
            yield
        finally:
            if held:
                await self._store.run(lambda redis: redis.zrem(KEY, lease), lambda: constant(0))

    async def _take(self, lease: str) -> bool:
        pause = POLL_FIRST
        while True:
            async def op(_: Redis) -> int:
                return int(await self._acquire(keys=[KEY], args=[self.limit, self._ttl_ms, lease]))

            got = await self._store.run(op, lambda: constant(-1))
            if got == 1:
                return True
            if got == -1:
                return False  # Redis is down: this process's semaphore alone caps it
            await asyncio.sleep(random.uniform(0.5, 1.0) * pause)
            pause = min(POLL_CAP, pause * 2)

"""The per-person rate limit and the daily Zoho budget, counted once for the whole fleet in Redis.

Each check is one Lua script, so it is atomic across processes: two processes can never both take the
last slot (a script runs with no other command in between: https://redis.io/commands/eval, "Atomicity of
scripts"). Scripts read Redis's own clock with TIME, allowed since Redis 5 replicates scripts by effects.
When Redis fails, this process's in-memory limiter answers (bot.limits).
"""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from bot.limits import RATE_WINDOW, DailyBudget, SlidingWindowLimiter
from bot.shared.store import SharedStore

# Sliding window on a sorted set of microsecond timestamps (Redis's own clock, the same for every process).
ALLOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.floor(window / 1000) + 1000)
return 1
"""
RESERVE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return -1 end
used = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], 172800)
return used
"""
RELEASE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""


class SharedRateLimiter:
    """SlidingWindowLimiter's answer, for every process at once."""

    def __init__(self, store: SharedStore, memory: SlidingWindowLimiter) -> None:
        self._store = store
        self._memory = memory
        self._allow = store.redis.register_script(ALLOW)

    async def allow(self, user_id: str) -> bool:
        limit = self._memory.per_minute
        if not limit:
            return True

        async def op(_: Redis) -> bool:
            key = self._store.key(f"rate:{user_id}")
            return bool(await self._allow(keys=[key], args=[limit, int(RATE_WINDOW * 1_000_000), uuid.uuid4().hex]))

        return await self._store.run(op, lambda: self._memory.allow(user_id))


class SharedBudget:
    """DailyBudget's reservations, for every process at once: the fleet never spends more than the limit.

    The memory budget follows the fleet's count while Redis answers, so an outage carries on from it.
    """

    def __init__(self, store: SharedStore, memory: DailyBudget) -> None:
        self._store = store
        self._memory = memory
        self._reserve = store.redis.register_script(RESERVE)
        self._release = store.redis.register_script(RELEASE)

    def _key(self, team_id: str) -> str:
        return self._store.key(f"budget:{self._memory.today()}:{team_id}")

    async def reserve(self, team_id: str) -> bool:
        if not self._memory.limit:
            return True

        async def op(_: Redis) -> bool:
            used = int(await self._reserve(keys=[self._key(team_id)], args=[self._memory.limit]))
            if used >= 0:
                self._memory.note(team_id, used)
            return used >= 0

        return await self._store.run(op, lambda: self._memory.reserve(team_id))

    async def release(self, team_id: str) -> None:
        if not self._memory.limit:
            return

        async def op(_: Redis) -> None:
            self._memory.note(team_id, int(await self._release(keys=[self._key(team_id)])))

        await self._store.run(op, lambda: self._memory.release(team_id))

    async def has_room(self, team_id: str) -> bool:
        if not self._memory.limit:
            return True

        async def op(redis: Redis) -> bool:
            used = int(await redis.get(self._key(team_id)) or 0)
            return used < self._memory.limit

        return await self._store.run(op, lambda: self._memory.has_room(team_id))

"""bot.alerts.AlertMarks in Redis: one admin alert per failure per hour for the whole fleet, not per process."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.alerts import Failing, MemoryMarks
from bot.shared.store import SharedStore

KEEP = 7 * 86400  # an open failure nobody resolves is forgotten after a week

FAILED = """
local since = redis.call('HGET', KEYS[1], 'since')
local count = 1
if since then count = tonumber(redis.call('HGET', KEYS[1], 'count')) + 1 else since = ARGV[1] end
local posted = redis.call('HGET', KEYS[1], 'posted_at')
local due = 0
if (not posted) or (tonumber(ARGV[1]) - tonumber(posted) >= tonumber(ARGV[2])) then
  posted = ARGV[1]
  due = 1
end
redis.call('HSET', KEYS[1], 'since', since, 'count', count, 'posted_at', posted)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return {since, tostring(count), posted, due}
"""
SUCCEEDED = """
local v = redis.call('HMGET', KEYS[1], 'since', 'count', 'posted_at')
redis.call('DEL', KEYS[1])
return v
"""


class SharedMarks:
    """Each step is one Lua script, so two processes can never both claim the same post."""

    def __init__(self, store: SharedStore, memory: MemoryMarks | None = None) -> None:
        self._store = store
        self._memory = memory or MemoryMarks()
        self._failed = store.redis.register_script(FAILED)
        self._succeeded = store.redis.register_script(SUCCEEDED)

    async def failed(self, key: str, now: float, repeat_after: float) -> tuple[Failing, bool]:
        async def op(_: Redis) -> tuple[Failing, bool]:
            since, count, posted, due = await self._failed(
                keys=[self._store.key(f"alert:{key}")], args=[repr(now), repr(repeat_after), KEEP])
            return Failing(float(since), int(count), float(posted)), bool(int(due))

        return await self._store.run(op, lambda: self._memory.failed(key, now, repeat_after))

    async def succeeded(self, key: str) -> Failing | None:
        async def op(_: Redis) -> Failing | None:
            since, count, posted = await self._succeeded(keys=[self._store.key(f"alert:{key}")])
            await self._memory.succeeded(key)
            if since is None or posted is None:
                return None
            return Failing(float(since), int(count), float(posted))

        return await self._store.run(op, lambda: self._memory.succeeded(key))

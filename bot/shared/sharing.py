"""What Slack said about each conversation's sharing (Slack Connect), kept in Redis for the whole fleet.

`channel_shared` / `channel_unshared` reach one process only; with the answers in Redis, that process's
forgetting is the fleet's, so no other worker keeps showing photos in a channel that was just shared outside.
While Redis does not answer, each process keeps its own copy (bot.slack.directory.MemorySharingCache).
"""

from __future__ import annotations

from redis.asyncio import Redis

from bot.access import Sharing
from bot.shared.store import SharedStore, constant
from bot.slack.directory import CACHE_TTL, MemorySharingCache

KNOWN: dict[bytes, Sharing] = {b"internal": "internal", b"external": "external"}


class SharedSharingCache:
    """A SharingCache in Redis (`sharing:<channel>`, expiring with the cache's TTL); this process's memory while
    Redis does not answer."""

    def __init__(self, store: SharedStore, memory: MemorySharingCache, ttl: float = CACHE_TTL) -> None:
        self._store = store
        self._memory = memory
        self._ttl = ttl

    def _key(self, channel_id: str) -> str:
        return self._store.key(f"sharing:{channel_id}")

    async def get(self, channel_id: str) -> Sharing | None:
        async def op(redis: Redis) -> Sharing | None:
            return KNOWN.get(await redis.get(self._key(channel_id)) or b"")

        return await self._store.run(op, lambda: self._memory.get(channel_id))

    async def put(self, channel_id: str, sharing: Sharing) -> None:
        """Kept in this process's memory too, for when Redis stops answering."""
        async def op(redis: Redis) -> None:
            await redis.set(self._key(channel_id), sharing, px=int(self._ttl * 1000))

        await self._memory.put(channel_id, sharing)
        await self._store.run(op, lambda: constant(None))

    async def forget(self, channel_id: str) -> None:
        async def op(redis: Redis) -> None:
            await redis.delete(self._key(channel_id))

        await self._memory.forget(channel_id)
        await self._store.run(op, lambda: constant(None))

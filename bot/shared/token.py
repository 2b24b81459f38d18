"""The Zoho access token and the refresh lock, shared by the fleet so one refresh serves every process.

Redis holds only the access token (with a TTL equal to its remaining life), its api domain and scope:
never the client secret or the refresh token. The lock is a key set with NX and a short expiry, so a
process that dies while refreshing does not block the others for long.
"""

from __future__ import annotations

import json
import uuid

from redis.asyncio import Redis

from bot.shared.store import SharedStore, constant

LOCK_TTL = 20.0  # seconds; longer than one token request may take
UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class SharedToken:
    """Read and write the fleet's token; take and give back the fleet's refresh lock."""

    def __init__(self, store: SharedStore) -> None:
        self._store = store
        self.key = store.key("zoho:token")
        self.lock_key = store.key("zoho:token-lock")
        self._owner = uuid.uuid4().hex
        self._unlock = store.redis.register_script(UNLOCK)

    def __repr__(self) -> str:
        return "SharedToken()"

    async def read(self) -> tuple[str, str, str | None, float] | None:
        """(token, api_domain, scope, seconds of life left), or None when no process holds one."""
        async def op(redis: Redis) -> tuple[str, str, str | None, float] | None:
            async with redis.pipeline(transaction=True) as pipe:
                raw, ttl_ms = await pipe.get(self.key).pttl(self.key).execute()
            if raw is None or ttl_ms is None or int(ttl_ms) <= 0:
                return None
            try:
                entry = json.loads(raw)
                value, domain, scope = str(entry["value"]), str(entry["api_domain"]), entry.get("scope")
            except (ValueError, KeyError, TypeError):
                return None
            return value, domain, scope if isinstance(scope, str) else None, int(ttl_ms) / 1000

        return await self._store.run(op, lambda: constant(None))

    async def write(self, value: str, api_domain: str, scope: str | None, life: float) -> None:
        if life <= 1:
            return
        data = json.dumps({"value": value, "api_domain": api_domain, "scope": scope})
        await self._store.run(lambda redis: redis.set(self.key, data, px=int(life * 1000)),
                              lambda: constant(None))

    async def lock(self) -> bool:
        """True when this process may refresh now: it holds the fleet's lock, or Redis is down."""
        async def op(redis: Redis) -> bool:
            return bool(await redis.set(self.lock_key, self._owner, nx=True, px=int(LOCK_TTL * 1000)))

        return await self._store.run(op, lambda: constant(True))

    async def unlock(self) -> None:
        await self._store.run(lambda _: self._unlock(keys=[self.lock_key], args=[self._owner]), lambda: constant(0))

    @property
    def down(self) -> bool:
        return self._store.down

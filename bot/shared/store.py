"""The Redis connection, and falling back to this process's memory whenever Redis does not answer.

Redis is a help, never a dependency: any failure (down, timeout, refused password) makes the caller use
its in-memory answer. One warning per outage; while down, Redis is tried again at most every
PROBE_EVERY seconds, and the first answer after that rejoins the shared state (one info line).

Every key (and the Pub/Sub channel) lives under the deployment's namespace (`namespace`): staging and
production, or two Zoho orgs, sharing one Redis never see each other's token, module list, budgets or marks.

A process opens at most REDIS_MAX_CONNECTIONS connections, because a Heroku Key-Value Store plan counts every
connection of every dyno (mini allows 20): one is kept for the Zoho-slot announcements' subscription and the rest
form a BlockingConnectionPool for commands. In a burst a command waits up to its timeout for a pooled connection
rather than opening another (unbounded, two processes opened 148 for a burst of 150 commands); one that gets none
in time falls back to memory like any other Redis failure. The subscription's connection has no read timeout (it
is quiet until a slot is freed) and shows it is alive with a PING every HEALTH_EVERY seconds instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from bot.config import ZohoSettings

log = logging.getLogger(__name__)

T = TypeVar("T")
SOCKET_TIMEOUT = 1.0  # seconds: a command must not wait long for a helper (Redis answers in ~1 ms)
PROBE_EVERY = 3.0  # seconds between tries while Redis is down
MAX_CONNECTIONS = 4  # REDIS_MAX_CONNECTIONS: this process's connections in all, the subscription's included
HEALTH_EVERY = 15.0  # seconds between the quiet subscription's PINGs (a dead connection shows at the next one)
PREFIX = "crmphoto:"
HASH_CHARS = 16  # hex characters of SHA-256 kept in the namespace: 64 bits


def namespace(zoho: ZohoSettings, key_prefix: str = "") -> str:
    """`crmphoto:[REDIS_KEY_PREFIX:]<hash>:`, the hash over client id, accounts server and refresh token.

    The refresh token is in it because one self client can mint refresh tokens for several orgs; only a hash
    of them is ever written to Redis, never the values. The client secret is left out, so rotating it keeps
    the fleet's budgets.
    """
    identity = json.dumps([zoho.client_id, zoho.accounts_url.lower(), zoho.refresh_token.reveal()])
    digest = hashlib.sha256(identity.encode()).hexdigest()[:HASH_CHARS]
    return f"{PREFIX}{key_prefix + ':' if key_prefix else ''}{digest}:"


class SharedStore:
    """One Redis client per process; `run` gives Redis's answer or, on any failure, the fallback's.

    `key` builds every key under this deployment's `namespace`; `pubsub` gives the one subscription its own
    connection. Both stay within `max_connections` (REDIS_MAX_CONNECTIONS).
    """

    def __init__(self, url: str, *, namespace: str, timeout: float = SOCKET_TIMEOUT,
                 max_connections: int = MAX_CONNECTIONS, health_every: float = HEALTH_EVERY,
                 probe_every: float = PROBE_EVERY, clock: Callable[[], float] = time.monotonic) -> None:
        if not namespace.startswith(PREFIX) or not namespace.endswith(":"):
            raise ValueError(f"a namespace looks like {PREFIX}<hash>: (see bot.shared.store.namespace)")
        if max_connections < 2:
            raise ValueError("a process needs 2 Redis connections at least: commands and the subscription")
        self.namespace = namespace
        self.health_every = health_every
        options: dict[str, Any] = {"socket_connect_timeout": timeout, "retry": Retry(NoBackoff(), 0),
                                   "retry_on_timeout": False}
        if url.startswith("rediss://"):
            # Heroku Key-Value Store's certificate is self-signed (FACTS.md): no verification, so no hostname check
            # either (newer redis-py turns ssl_check_hostname on by default).
            options.update(ssl_cert_reqs="none", ssl_check_hostname=False)
        # `timeout` bounds both the wait for a pooled connection and each command's read.
        self._commands = BlockingConnectionPool.from_url(
            url, max_connections=max_connections - 1, timeout=timeout, socket_timeout=timeout, **options)
        self.redis: Redis = Redis(connection_pool=self._commands)
        self._subscription = BlockingConnectionPool.from_url(
            url, max_connections=1, timeout=timeout, socket_timeout=None, health_check_interval=health_every,
            **options)
        self._subscriber = Redis(connection_pool=self._subscription)
        self._probe_every = probe_every
        self._clock = clock
        self._down = False
        self._next_probe = 0.0

    def __repr__(self) -> str:
        return "SharedStore(redis)"  # the URL carries the password: never shown

    def key(self, name: str) -> str:
        """The Redis key (or Pub/Sub channel) called `name` for this deployment."""
        return f"{self.namespace}{name}"

    @property
    def down(self) -> bool:
        return self._down

    async def run(self, op: Callable[[Redis], Awaitable[T]], fallback: Callable[[], Awaitable[T]]) -> T:
        """`op(redis)`, or `fallback()` when Redis is down or fails now; never raises a Redis error."""
        if self._down and self._clock() < self._next_probe:
            return await fallback()
        try:
            result = await op(self.redis)
        except Exception as exc:  # noqa: BLE001 - not only RedisError: under uvloop, a connection Redis closed
            # while redis-py was writing raises RuntimeError ("the handler is closed"); whatever it is, the
            # command goes on with this process's memory and the warning names the type.
            await self._failed(exc)
            return await fallback()
        if self._down:
            self._down = False
            log.info("shared state: Redis answers again; rejoining the other processes")
        return result

    async def _failed(self, exc: BaseException) -> None:
        self._next_probe = self._clock() + self._probe_every
        # Pooled connections to a Redis that went away are all dead: drop them, so the first answer after
        # the outage is not followed by a second "outage" on each stale connection. Only the idle ones: closing
        # a connection another command is using (or still opening) under it makes redis-py fail with
        # AttributeError or RuntimeError instead of a RedisError; a dead one in use fails and closes by itself.
        with contextlib.suppress(RedisError, OSError):
            await self.redis.connection_pool.disconnect(inuse_connections=False)
        if not self._down:
            self._down = True
            log.warning("shared state: Redis is unavailable (%s); this process uses its own memory until it "
                        "answers again", type(exc).__name__)

    def pubsub(self) -> PubSub:
        """A Pub/Sub on the one connection kept for it: no read timeout; a PING every `health_every` seconds
        while the caller reads with that timeout. A second one at once waits for the first like a command."""
        return self._subscriber.pubsub()

    async def aclose(self) -> None:
        await self.redis.aclose()
        await self._subscriber.aclose()
        for pool in (self._commands, self._subscription):
            with contextlib.suppress(RedisError, OSError):
                await pool.disconnect()


async def constant(value: T) -> T:
    """A fallback that is just a value."""
    return value

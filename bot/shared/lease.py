"""ZOHO_MAX_CONCURRENCY for the whole fleet: Zoho's concurrency limit is per org, not per process.

Each call in flight holds a lease: an id in a Redis sorted set scored by its expiry. A lease is taken by
a Lua script (expired leases dropped, then a count under the limit), given back when the call ends, and
expires by itself LEASE_TTL after its last renewal if its process dies. Scripts run atomically, so two
processes never both take the last slot (https://redis.io/commands/eval, "Atomicity of scripts").

Leases are short and renewed. Heroku kills a process without warning (R14/R15, or SIGKILL 30 s after
SIGTERM), so a lease lives LEASE_TTL (15 s) and one task per process (`_renew_held`) extends every lease the
process holds, RENEWALS times a TTL, with one script: a dead process's slots come back within
LEASE_TTL, and a call that runs longer than LEASE_TTL keeps its lease. The renewal costs one command per
5 s per process, whatever the number of leases; a call shorter than that costs none.

Waiting is cheap. A lease freed while another call of the same process waits is handed straight to it
(no Redis command), at most HANDOFFS times in a row and only while Redis confirmed it (taken or renewed)
less than half a LEASE_TTL ago, so a busy process gives leases back to the fleet regularly and a lease
whose renewals fail is not passed on. Processes that wait queue in Redis in the order they
started waiting, and a free slot goes to the first of them, so one busy process cannot starve another.
A process waits with one background task (`_pump`): it asks Redis again when a lease is given back
(a PUBLISH from the release script, to one subscription per process) and otherwise only every
SAFETY_POLL seconds or when the earliest lease of a dead holder expires, whichever is sooner. Pub/Sub
is at-most-once (https://redis.io/docs/latest/develop/pubsub/, "Delivery semantics"): a lost
announcement costs at most one SAFETY_POLL, never a slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from bot.shared.store import SOCKET_TIMEOUT, SharedStore, constant

log = logging.getLogger(__name__)
T = TypeVar("T")

LEASE_TTL = 15.0  # seconds a lease outlives its process's last renewal
RENEWALS = 3  # per LEASE_TTL (every 5 s): one renewal may fail and the lease still lives to the next
HANDOFFS = 4  # a lease serves at most 1 + HANDOFFS calls of one process before it goes back to the fleet
SAFETY_POLL = 1.0  # seconds between a waiting process's questions when no announcement comes

TAKEN, FULL, DOWN = 1, 0, -1

# Where a script wrote a lease: the leases' key lives as long as its longest lease (not one TTL from the last write:
# during a deploy, old and new code with different TTLs share the key).
EXPIRE_WITH_LAST_LEASE = """
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIREAT', KEYS[1], last[2]) end
""".strip()


def _script(text: str) -> str:
    return text.replace("EXPIRE_WITH_LAST_LEASE", EXPIRE_WITH_LAST_LEASE)


# KEYS: leases, queue, seen. ARGV: limit, ttl ms, lease id, process id, stale ms.
# Answers {TAKEN, 0} or {FULL, ms until the earliest lease expires}.
ACQUIRE = _script("""
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local stale = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[5]))
for _, gone in ipairs(stale) do
  redis.call('ZREM', KEYS[2], gone)
  redis.call('ZREM', KEYS[3], gone)
end
local free = tonumber(ARGV[1]) - redis.call('ZCARD', KEYS[1])
local ahead = redis.call('ZRANK', KEYS[2], ARGV[4])
if not ahead then ahead = redis.call('ZCARD', KEYS[2]) end
if ahead < free then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  EXPIRE_WITH_LAST_LEASE
  redis.call('ZREM', KEYS[2], ARGV[4])
  redis.call('ZREM', KEYS[3], ARGV[4])
  return {1, 0}
end
redis.call('ZADD', KEYS[2], 'NX', now, ARGV[4])
redis.call('ZADD', KEYS[3], now, ARGV[4])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[5]))
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[5]))
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = 0
if first[2] then wait = tonumber(first[2]) - now end
return {0, wait}
""")
# KEYS: leases. ARGV: ttl ms, lease ids. Extends each lease still held to now + ttl; answers the ids that had
# already expired (dropped here, never brought back: their slot may be another's by now).
RENEW = _script("""
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lost = {}
for i = 2, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) > now then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i])
  else
    redis.call('ZREM', KEYS[1], ARGV[i])
    lost[#lost + 1] = ARGV[i]
  end
end
EXPIRE_WITH_LAST_LEASE
return lost
""")
# KEYS: leases, queue. ARGV: lease id, channel. Announces the free slot only when some process waits.
RELEASE = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 and redis.call('ZCARD', KEYS[2]) > 0 then
  redis.call('PUBLISH', ARGV[2], '')
end
return 1
"""
# KEYS: leases, queue, seen. ARGV: process id, limit, channel. A process that stops waiting leaves the
# queue; if it was ahead of others while slots are free, they are told to ask again.
LEAVE = """
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('ZCARD', KEYS[2]) > 0 and redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('PUBLISH', ARGV[3], '')
end
return 1
"""


@dataclass
class Lease:
    """One fleet slot held by this process; `passable_until` is on this process's monotonic clock.

    It may be handed on until half a TTL after Redis last confirmed it (taken or renewed): -inf once lost.
    """

    id: str
    passable_until: float
    served: int = 0


class FleetSlots:
    """At most `limit` leases at once across every process sharing the Redis."""

    def __init__(self, store: SharedStore, limit: int, ttl: float = LEASE_TTL, *, handoffs: int = HANDOFFS,
                 poll: float = SAFETY_POLL, renew_every: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self.key = store.key("zoho:in-flight")  # the leases
        # KEYS of the scripts: the leases; processes waiting for a slot, scored by when they started waiting;
        # the same processes, scored by when each last asked.
        self._keys = [self.key, store.key("zoho:waiting"), store.key("zoho:waiting-seen")]
        self._channel = store.key("zoho:slot-freed")  # Pub/Sub is not per database: namespaced like the keys
        self.limit = limit
        self._ttl = ttl
        self._renew_every = ttl / RENEWALS if renew_every is None else renew_every
        self._handoffs = handoffs
        self._poll = poll
        self._clock = clock
        self._me = uuid.uuid4().hex
        self._acquire = store.redis.register_script(ACQUIRE)
        self._release = store.redis.register_script(RELEASE)
        self._leave = store.redis.register_script(LEAVE)
        self._renew = store.redis.register_script(RENEW)
        self._held: dict[str, Lease] = {}  # leases taken from Redis and not given back, handed on or not
        self._renewer: asyncio.Task[None] | None = None
        self._waiters: deque[asyncio.Future[Lease | None]] = deque()
        self._pump: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._announced = asyncio.Event()
        self.round_trips = 0  # Redis commands sent by this object: what waiting and handing on save
        self.taken = 0  # leases taken from Redis (a lease handed on is not taken again)
        self.renewals = 0  # renewal scripts that Redis answered

    def __repr__(self) -> str:
        return f"FleetSlots(limit={self.limit})"

    @property
    def waiting(self) -> int:
        """Calls of this process waiting for a fleet slot."""
        return len(self._waiters)

    @property
    def held(self) -> int:
        """Leases this process holds in Redis (renewed while held)."""
        return len(self._held)

    @property
    def subscribed(self) -> bool:
        """Whether release announcements reach this process (from its first wait until Redis goes away)."""
        return self._listener is not None

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one fleet-wide slot; without Redis, the caller's own semaphore is the only cap."""
        lease = await self._take()
        try:
            yield
        finally:
            if lease is not None:
                await self._give_back(lease)

    async def _take(self) -> Lease | None:
        if not self._waiters:
            lease, state, _ = await self._ask()
            if state != FULL:
                return lease
        waiter: asyncio.Future[Lease | None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._start_pump()
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                handed = waiter.result()
                if handed is not None:
                    await self._give_back(handed)  # handed to us as we were cancelled: pass it on
            else:
                self._forget(waiter)
            raise

    async def _give_back(self, lease: Lease) -> None:
        lease.served += 1
        if (lease.served <= self._handoffs and self._clock() < lease.passable_until
                and not self._store.down and self._hand(lease)):
            return
        self._held.pop(lease.id, None)
        await self._run(lambda: self._release(keys=self._keys[:2], args=[lease.id, self._channel]), 0)

    async def _run(self, command: Callable[[], Awaitable[T]], fallback: T) -> T:
        """One Redis command through the store (its answer, or `fallback` when Redis fails), counted."""
        async def op(_: Redis) -> T:
            self.round_trips += 1
            return await command()

        return await self._store.run(op, lambda: constant(fallback))

    def _hand(self, lease: Lease | None) -> bool:
        """Give `lease` (None: go on without one) to the first call still waiting; False if none is."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(lease)
                if not self._waiters:
                    self._announced.set()  # the pump leaves the fleet's queue now, not at its next poll
                return True
        return False

    def _forget(self, waiter: asyncio.Future[Lease | None]) -> None:
        with contextlib.suppress(ValueError):
            self._waiters.remove(waiter)
        if not self._waiters:
            self._announced.set()

    async def _ask(self) -> tuple[Lease | None, int, float]:
        """One try for a fleet slot: (lease, TAKEN, 0), (None, FULL, seconds to the next expiry), or DOWN."""
        lease_id = uuid.uuid4().hex
        asked_at = self._clock()

        answer = await self._run(lambda: self._acquire(
            keys=self._keys, args=[self.limit, int(self._ttl * 1000), lease_id, self._me, int(self._stale * 1000)]),
            None)
        state, wait = (DOWN, 0.0) if answer is None else (int(answer[0]), int(answer[1]) / 1000)
        if state == TAKEN:
            self.taken += 1
            lease = self._held[lease_id] = Lease(lease_id, asked_at + self._ttl / 2)
            if self._renewer is None:
                self._renewer = asyncio.get_running_loop().create_task(self._renew_held(), name="fleet-slots-renew")
            return lease, TAKEN, 0.0
        return None, state, wait

    async def _renew_held(self) -> None:
        """While this process holds leases: every `renew_every`, one script extends them all by a TTL."""
        try:
            while self._held:
                await asyncio.sleep(self._renew_every)
                if self._held:
                    await self._renew_once(list(self._held.values()))
                    _raise_swallowed_cancel()
        finally:
            self._renewer = None

    async def _renew_once(self, leases: list[Lease]) -> None:
        """Renew `leases`. A renewal Redis does not answer is tried again at the next tick (a TTL allows for two).

        A lease that expired before its renewal (Redis out of reach for a whole TTL) is dropped: its call goes
        on, but it is never handed on, since its slot may be another process's by now.
        """
        sent_at = self._clock()
        args = [int(self._ttl * 1000), *(lease.id for lease in leases)]
        lost = await self._run(lambda: self._renew(keys=[self.key], args=args), None)
        if lost is None:
            return
        self.renewals += 1
        gone = {raw.decode() if isinstance(raw, bytes) else str(raw) for raw in lost}
        for lease in leases:
            if lease.id in gone:
                lease.passable_until = float("-inf")
                self._held.pop(lease.id, None)
            else:
                lease.passable_until = sent_at + self._ttl / 2
        if gone:
            log.warning("fleet slots: %d lease(s) expired before they could be renewed (Redis out of reach for "
                        "%.0f s?); their calls finish without them", len(gone), self._ttl)

    @property
    def _stale(self) -> float:
        """How long a waiting process may stay silent before the others stop keeping its place."""
        return max(5.0, 3 * self._poll)

    def _start_pump(self) -> None:
        if self._pump is None:
            self._pump = asyncio.get_running_loop().create_task(self._run_pump(), name="fleet-slots")

    async def _run_pump(self) -> None:
        """While calls wait: take slots for them, one question per announcement, poll or expiry."""
        try:
            while True:
                await self._serve_waiters()
                await self._run(lambda: self._leave(keys=self._keys, args=[self._me, self.limit, self._channel]), 0)
                if not self._waiters:
                    return
        except Exception:
            log.exception("fleet slots: waiting failed; the calls waiting go on under this process's cap")
        finally:
            while self._hand(None):
                pass
            self._pump = None

    async def _serve_waiters(self) -> None:
        while self._waiters:
            _raise_swallowed_cancel()  # no lease in hand here: stopping leaves nothing behind
            await self._subscribe()
            self._announced.clear()
            lease, state, wait = await self._ask()
            if state == DOWN:
                while self._hand(None):
                    pass  # Redis is down: this process's semaphore alone caps it
                return
            if lease is not None:
                if not self._hand(lease):
                    await self._give_back(lease)
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(self._poll, max(wait, 0.001))):
                    await self._announced.wait()

    async def aclose(self) -> None:
        """Stop listening for announcements and renewing (at shutdown, once no call waits any more)."""
        for task in (self._listener, self._pump, self._renewer):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                _raise_swallowed_cancel()  # the suppress above must not swallow a cancel of aclose itself

    async def _subscribe(self) -> None:
        """One subscription per process to the release announcements, opened the first time it waits."""
        if self._listener is not None or self._store.down:
            return

        async def op(redis: Redis) -> PubSub:
            self.round_trips += 1
            pubsub = self._store.pubsub()  # its own connection, within REDIS_MAX_CONNECTIONS
            try:
                await pubsub.subscribe(self._channel)
                # Wait for Redis's confirmation: a release after it is certain to be announced to us.
                confirmed = await pubsub.get_message(timeout=SOCKET_TIMEOUT)
                if confirmed is None or confirmed.get("type") != "subscribe":
                    raise TimeoutError("no subscription confirmation")
            except BaseException:
                await pubsub.aclose()
                raise
            return pubsub

        pubsub = await self._store.run(op, lambda: constant(None))
        if pubsub is not None:
            self._listener = asyncio.get_running_loop().create_task(self._listen(pubsub), name="fleet-slots-sub")

    async def _listen(self, pubsub: PubSub) -> None:
        try:
            while True:
                # Wakes every health_every seconds of quiet, so redis-py sends its PING: no read timeout ends it.
                message = await pubsub.get_message(timeout=self._store.health_every)
                if message is not None and message.get("type") == "message":
                    self._announced.set()
        except Exception as exc:  # noqa: BLE001 - Redis went away: the next wait subscribes again
            log.debug("fleet slots: subscription ended (%s)", type(exc).__name__)
        finally:
            self._listener = None
            self._announced.set()  # ask Redis now: it may be down, and the waiters must not hang
            with contextlib.suppress(Exception):
                await pubsub.aclose()


def _raise_swallowed_cancel() -> None:
    """Raise the cancel a Redis command swallowed, so the renewal and the pump stop when they are cancelled.

    Only where the task holds nothing that must be given back: a call's own task is left as redis-py leaves it.

    redis-py writes through `asyncio.wait_for`, which under Python 3.11 returns the write's result instead of
    raising when a cancel arrives as the write ends (CPython gh-86296, fixed in 3.12): the task goes on with
    its cancel still pending (`cancelling()`).
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError

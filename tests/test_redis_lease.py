"""The fleet's Zoho slots against a real redis-server: waiting costs no polling, a freed lease is used at once.

Two `SharedStore`s play two bot processes. Most tests give FleetSlots a 30 s safety poll, so a call that is
served within the test's few seconds was woken by a release (announced or handed on), never by polling.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Callable

import pytest

from bot.shared import SharedStore
from bot.shared.lease import HANDOFFS, FleetSlots
from tests.clock import Clock
from tests.redis_server import NAMESPACE, RedisServer, redis_server  # noqa: F401
from tests.waiting import until

pytestmark = pytest.mark.redis
NO_POLL = 30.0  # seconds: longer than any test here waits


def script_runs(server: RedisServer) -> int:
    with server.client() as r:
        return int(r.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0))


async def one_wait(stores: Callable[..., SharedStore], hold: float) -> tuple[FleetSlots, float]:
    """Process A holds the only slot for `hold` seconds while three calls of process B wait for it.

    Returns B and how long after A gave the slot back B's first call was inside.
    """
    a, b = FleetSlots(stores(), 1), FleetSlots(stores(), 1, poll=NO_POLL)
    loop = asyncio.get_running_loop()
    released_at = 0.0
    entered: list[float] = []

    async def a_call() -> None:
        nonlocal released_at
        async with a.slot():
            await until(lambda: b.waiting == 3 and b.subscribed)
            await asyncio.sleep(hold)  # A's Zoho call
        released_at = loop.time()

    async def b_call() -> None:
        async with b.slot():
            entered.append(loop.time())
            await asyncio.sleep(0.01)

    holder = asyncio.create_task(a_call())
    await until(lambda: a.taken == 1)
    await asyncio.wait_for(asyncio.gather(holder, *(b_call() for _ in range(3))), 10)
    return b, entered[0] - released_at


async def test_waiting_for_a_slot_costs_the_same_few_commands_however_long_it_lasts(
        stores, redis_server: RedisServer) -> None:  # noqa: F811
    short, short_wake = await one_wait(stores, 0.1)
    before = script_runs(redis_server)  # the scripts are loaded now: from here every run is one EVALSHA
    long, long_wake = await one_wait(stores, 1.0)
    # B: three first tries, one subscription, a try when parked, one when woken (taken), one more for the
    # calls still waiting; then the lease goes round B's calls and back, and B leaves the queue.
    assert long.round_trips == short.round_trips <= 9, (short.round_trips, long.round_trips)
    assert short.taken == long.taken == 1  # one lease from Redis served B's three calls
    assert script_runs(redis_server) - before <= 2 + 8  # A's take and give-back, B's scripts
    assert short_wake < 0.25 and long_wake < 0.25  # woken by the release, not by a poll


async def test_an_uncontended_call_costs_two_redis_commands(stores) -> None:
    slots = FleetSlots(stores(), 5, poll=NO_POLL)
    for _ in range(4):
        async with slots.slot():
            pass
    assert slots.round_trips == 2 * 4 and slots.taken == 4  # one script to take, one to give back
    assert slots.renewals == 0  # a call shorter than a renewal period costs no renewal
    assert not slots.subscribed  # a process that never waited has no subscription


async def test_a_lease_freed_in_a_process_goes_straight_to_its_next_call(stores) -> None:
    slots = FleetSlots(stores(), 1, poll=NO_POLL)
    inside = peak = 0

    async def call() -> None:
        nonlocal inside, peak
        async with slots.slot():
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    calls = 2 * (1 + HANDOFFS) + 1
    await asyncio.wait_for(asyncio.gather(*(call() for _ in range(calls))), 10)
    assert peak == 1
    # A lease serves at most 1 + HANDOFFS calls in a row, then goes back to the fleet and is taken again.
    assert slots.taken == 3


async def test_a_busy_process_cannot_keep_the_slots_from_a_waiting_one(stores) -> None:
    busy, other = FleetSlots(stores(), 1, poll=NO_POLL), FleetSlots(stores(), 1, poll=NO_POLL)
    done: list[str] = []
    inside, go_on = asyncio.Event(), asyncio.Event()  # the first call holds the slot until every other call waits

    async def call(slots: FleetSlots, name: str, first: bool = False) -> None:
        async with slots.slot():
            if first:
                inside.set()
                await go_on.wait()
            else:
                await asyncio.sleep(0.005)
        done.append(name)

    calls = [asyncio.create_task(call(busy, "busy", first=True))]
    await inside.wait()
    calls += [asyncio.create_task(call(busy, "busy")) for _ in range(29)]
    await until(lambda: busy.waiting == 29)
    calls.append(asyncio.create_task(call(other, "other")))
    await until(lambda: other.waiting == 1)
    go_on.set()
    await asyncio.wait_for(asyncio.gather(*calls), 20)
    # busy was queued first, so it keeps the lease once more after its first 1 + HANDOFFS calls; then it
    # is behind `other` in the fleet's queue.
    assert done.index("other") <= 2 * (1 + HANDOFFS), done


async def test_a_free_slot_goes_to_the_process_that_queued_first(stores) -> None:
    a, b, c = (FleetSlots(stores(), 1, poll=NO_POLL) for _ in range(3))
    held = a.slot()
    await held.__aenter__()
    lease, state, _ = await b._ask()  # b finds the fleet full: it is queued
    assert lease is None
    await held.__aexit__(None, None, None)
    later = asyncio.create_task(c.slot().__aenter__())
    await until(lambda: c.waiting == 1)  # a slot is free, but b is ahead of c: c waits
    lease, _, _ = await b._ask()
    assert lease is not None
    await b._give_back(lease)  # b's call is over: c, next in the queue, is told and served
    await asyncio.wait_for(later, 5)
    assert c.taken == 1


async def test_a_lease_past_half_its_life_goes_back_to_redis_instead_of_on(stores) -> None:
    clock = Clock()
    slots = FleetSlots(stores(), 1, ttl=10.0, poll=NO_POLL, clock=clock)
    first = slots.slot()
    await first.__aenter__()
    second = asyncio.create_task(slots.slot().__aenter__())
    await until(lambda: slots.waiting == 1)
    clock.now += 6.0  # the lease has less than half of its 10 s left: the next call gets a fresh one
    await first.__aexit__(None, None, None)
    await asyncio.wait_for(second, 5)
    assert slots.taken == 2


async def test_a_lease_is_renewed_while_its_calls_run_handed_on_included(stores) -> None:
    ttl = 0.5
    holder = FleetSlots(stores(), 1, ttl=ttl, poll=NO_POLL)
    other = FleetSlots(stores(), 1, poll=0.05)
    done_first, go = asyncio.Event(), asyncio.Event()
    inside: list[str] = []

    async def call(slots: FleetSlots, name: str, hold: asyncio.Event | None = None) -> None:
        async with slots.slot():
            inside.append(name)
            if hold is not None:
                await hold.wait()
            inside.remove(name)

    first = asyncio.create_task(call(holder, "first", done_first))
    await until(lambda: inside == ["first"])
    second = asyncio.create_task(call(holder, "second", go))  # handed the lease when `first` ends
    third = asyncio.create_task(call(other, "other"))
    await until(lambda: holder.waiting == 1 and other.waiting == 1)
    done_first.set()
    await asyncio.wait_for(first, 5)
    await until(lambda: inside == ["second"])
    asked = other.round_trips
    # `other` asks Redis every 50 ms; 40 more questions span four TTLs of the one lease `holder` took.
    await until(lambda: other.round_trips >= asked + 40 or "other" in inside)
    assert inside == ["second"], inside  # the lease outlived its TTL: renewed, never taken from under a call
    assert holder.taken == 1 and holder.renewals >= 3
    go.set()
    await asyncio.wait_for(asyncio.gather(second, third), 5)
    assert holder.held == 0


async def test_a_lease_lost_before_its_renewal_is_not_handed_on(
        stores, redis_server: RedisServer, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    slots = FleetSlots(stores(), 1, ttl=1.0, renew_every=0.05, poll=NO_POLL)
    held = slots.slot()
    await held.__aenter__()
    with redis_server.client() as r:
        r.zadd(slots.key, {"another": 1e15})  # another process's lease keeps the fleet full throughout
        following = slots.slot()
        nxt = asyncio.create_task(following.__aenter__())
        await until(lambda: slots.waiting == 1)
        # Our lease disappears, as if Redis had been out of reach for a whole TTL (or restarted empty).
        r.zrem(slots.key, *(m for m in r.zrange(slots.key, 0, -1) if m != b"another"))
        with caplog.at_level(logging.WARNING, logger="bot.shared.lease"):
            await until(lambda: slots.held == 0)  # the next renewal found it gone
        assert any("expired before they could be renewed" in r.getMessage() for r in caplog.records)
        await held.__aexit__(None, None, None)
        assert slots.waiting == 1  # the lost lease was not handed to the waiting call
        r.zrem(slots.key, "another")
        r.publish(f"{NAMESPACE}zoho:slot-freed", "")
    await asyncio.wait_for(nxt, 5)  # a lease from Redis
    assert slots.taken == 2 and slots.held == 1


async def test_closing_stops_the_renewal_even_when_the_cancel_lands_as_a_redis_write_ends(stores) -> None:
    # Under Python 3.11 redis-py's write (asyncio.wait_for) can swallow a cancel (CPython gh-86296): the renewal
    # must stop anyway, or closing the Zoho client at shutdown hangs. Renewing all the time, a close lands
    # inside a write about one time in two.
    rng = random.Random(3)
    for _ in range(40):
        slots = FleetSlots(stores(), 1, renew_every=0.0005, poll=NO_POLL)
        held = slots.slot()
        await held.__aenter__()
        await until(lambda: slots.renewals > 0)  # noqa: B023 - awaited before the loop moves on
        await asyncio.sleep(rng.uniform(0, 0.003))
        try:
            await asyncio.wait_for(slots.aclose(), 2)
        finally:
            await held.__aexit__(None, None, None)  # no lease left: a renewal that missed its cancel stops too


async def test_a_call_cancelled_as_it_is_handed_a_lease_passes_it_on(stores, redis_server: RedisServer,  # noqa: F811
                                                                      ) -> None:
    slots = FleetSlots(stores(), 1, poll=NO_POLL)
    served: list[str] = []

    async def call(name: str) -> None:
        async with slots.slot():
            served.append(name)

    holder = slots.slot()
    await holder.__aenter__()
    second = asyncio.create_task(call("second"))
    third = asyncio.create_task(call("third"))
    await until(lambda: slots.waiting == 2)
    await holder.__aexit__(None, None, None)  # handed to `second` without a Redis command...
    second.cancel()  # ...which is cancelled before it runs
    await asyncio.wait_for(third, 5)
    assert second.cancelled() and served == ["third"]
    assert slots.taken == 1
    await until(lambda: slots._pump is None)
    with redis_server.client() as r:
        assert r.zcard(slots.key) == 0  # the lease went back: nothing leaked


async def test_the_cap_holds_with_handoffs_across_three_processes(stores) -> None:
    fleets = [FleetSlots(stores(), 3) for _ in range(3)]
    inside = peak = 0
    rng = random.Random(7)

    async def call(i: int) -> None:
        nonlocal inside, peak
        async with fleets[i % 3].slot():
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(rng.uniform(0.002, 0.02))
            inside -= 1

    await asyncio.wait_for(asyncio.gather(*(call(i) for i in range(120))), 30)
    assert peak == 3
    taken = Counter({i: f.taken for i, f in enumerate(fleets)})
    assert all(taken[i] > 0 for i in range(3)), taken  # every process had its turn
    assert sum(taken.values()) < 120  # handed on: fewer leases taken from Redis than calls made


async def test_calls_waiting_when_redis_disappears_go_on_then_rejoin(
        stores, redis_server: RedisServer, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    clock = Clock()
    holder = FleetSlots(stores(), 1)
    slots = FleetSlots(stores(clock=clock, probe_every=3.0), 1, poll=NO_POLL)
    held = holder.slot()
    await held.__aenter__()
    waiting = [asyncio.create_task(slots.slot().__aenter__()) for _ in range(3)]
    await until(lambda: slots.waiting == 3 and slots.subscribed)
    with caplog.at_level(logging.INFO, logger="bot.shared.store"):
        redis_server.stop()
        await asyncio.wait_for(asyncio.gather(*waiting), 5)  # only the subscription's end can wake them
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "unavailable" in warnings[0].getMessage()
        assert slots.taken == 0

        redis_server.start()
        clock.now += 3.0
        async with slots.slot():  # Redis again: a lease from the fleet
            assert slots.taken == 1
        assert any("answers again" in r.getMessage() for r in caplog.records)

    # ...and its waits are announced again: a call waiting behind another process is woken by its release.
    other = FleetSlots(stores(), 1)
    again = other.slot()
    await again.__aenter__()
    follower = asyncio.create_task(slots.slot().__aenter__())
    await until(lambda: slots.waiting == 1 and slots.subscribed)
    await again.__aexit__(None, None, None)
    await asyncio.wait_for(follower, 5)
    assert slots.taken == 2

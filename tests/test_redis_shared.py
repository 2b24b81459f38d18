"""Each shared-state implementation against a real redis-server: two stores play two bot processes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

import pytest

from bot.config import ConfigError, load_settings
from bot.fakes.zoho import TINY_JPEG, FakeZoho, Record
from bot.limits import ByteBudget, DailyBudget, SlidingWindowLimiter
from bot.shared import SharedStore
from bot.shared.lease import FleetSlots
from bot.shared.limits import SharedBudget, SharedRateLimiter
from bot.shared.marks import SharedMarks
from bot.shared.store import constant
from bot.zoho import Module, Photo, ZohoClient
from tests.clock import Clock
from tests.conftest import FAST_RETRY, make_client, zoho_settings
from tests.redis_server import NAMESPACE, RedisServer, redis_server  # noqa: F401
from tests.waiting import until

pytestmark = pytest.mark.redis


@pytest.fixture
async def stores(redis_server: RedisServer) -> AsyncIterator[Callable[[], SharedStore]]:  # noqa: F811
    made: list[SharedStore] = []

    def make() -> SharedStore:
        made.append(SharedStore(redis_server.url, namespace=NAMESPACE))
        return made[-1]

    yield make
    for store in made:
        await store.aclose()


async def test_rate_limit_is_one_window_for_every_process(stores) -> None:
    a = SharedRateLimiter(stores(), SlidingWindowLimiter(3))
    b = SharedRateLimiter(stores(), SlidingWindowLimiter(3))
    answers = [await (a if i % 2 else b).allow("U1") for i in range(6)]
    assert answers == [True, True, True, False, False, False]
    assert await a.allow("U2")  # per person


async def test_budget_reservations_never_overshoot_across_processes(stores) -> None:
    budgets = [SharedBudget(stores(), DailyBudget(5)) for _ in range(3)]
    results = await asyncio.gather(*(budgets[i % 3].reserve("T1") for i in range(30)))
    assert results.count(True) == 5
    assert not await budgets[0].has_room("T1")
    await budgets[1].release("T1")
    assert await budgets[2].has_room("T1")
    assert await budgets[2].reserve("T1")
    assert not await budgets[0].reserve("T1")
    assert await budgets[0].reserve("T2")  # per workspace


async def test_alert_marks_are_claimed_once_for_the_fleet(stores) -> None:
    a, b = SharedMarks(stores()), SharedMarks(stores())
    failing, due = await a.failed("INVALID_CLIENT", 100.0, 3600.0)
    assert due and failing.count == 1 and failing.since == 100.0
    failing, due = await b.failed("INVALID_CLIENT", 200.0, 3600.0)
    assert not due and failing.count == 2 and failing.since == 100.0 and failing.posted_at == 100.0
    failing, due = await b.failed("INVALID_CLIENT", 3800.0, 3600.0)
    assert due and failing.count == 3
    gone = await b.succeeded("INVALID_CLIENT")
    assert gone is not None and gone.count == 3 and gone.since == 100.0
    assert await a.succeeded("INVALID_CLIENT") is None


async def test_zoho_concurrency_cap_holds_for_the_fleet(stores) -> None:
    fleets = [FleetSlots(stores(), 2) for _ in range(3)]
    inside = peak = 0

    async def call(i: int) -> None:
        nonlocal inside, peak
        async with fleets[i % 3].slot():
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.02)
            inside -= 1

    await asyncio.gather(*(call(i) for i in range(12)))
    assert peak == 2


async def test_a_lease_of_a_dead_process_expires(stores) -> None:
    dead = FleetSlots(stores(), 1, ttl=0.3)
    taken = dead.slot()
    await taken.__aenter__()
    await dead.aclose()  # the process dies holding it: never released, no longer renewed
    alive = FleetSlots(stores(), 1)
    started = asyncio.get_running_loop().time()
    async with asyncio.timeout(5), alive.slot():
        waited = asyncio.get_running_loop().time() - started
    assert 0.2 <= waited < 2.0


async def test_one_token_refresh_serves_every_process(stores, fake_zoho: FakeZoho) -> None:
    fake_zoho.token_latency = 0.3
    clients = [make_client(fake_zoho) for _ in range(3)]
    for client in clients:
        client.share(stores())
    try:
        results = await asyncio.gather(*(clients[i % 3].fetch_photo("Contacts", str(i)) for i in range(30)))
        assert all(isinstance(r, Photo) for r in results)
        assert fake_zoho.token_requests == 1
        assert fake_zoho.module_calls() == 1  # the module list, too, is fetched once for the fleet
        fake_zoho.revoke_tokens()
        fake_zoho.reset_counts()
        results = await asyncio.gather(*(clients[i % 3].fetch_photo("Contacts", str(i)) for i in range(30)))
        assert all(isinstance(r, Photo) for r in results)
        assert fake_zoho.token_requests == 1  # a revoked token is replaced once, for everyone
    finally:
        for client in clients:
            await client.aclose()


async def test_a_token_stored_between_our_read_and_our_lock_is_used_not_refreshed_again(
    stores, fake_zoho: FakeZoho
) -> None:
    first, second = make_client(fake_zoho), make_client(fake_zoho)
    first.share(stores())
    second.share(stores())
    assert first.tokens.shared is not None
    take_lock = first.tokens.shared.lock

    async def lock_after_the_other_refreshed() -> bool:
        await second.tokens.get()  # the other process refreshes, stores the token and lets go of the lock
        return await take_lock()

    first.tokens.shared.lock = lock_after_the_other_refreshed  # type: ignore[method-assign]
    try:
        token = await first.tokens.get()
        assert token.value == (await second.tokens.get()).value
        assert fake_zoho.token_requests == 1
        shared = first.tokens.shared
        assert await shared._store.redis.get(shared.lock_key) is None  # the lock was given back
    finally:
        await first.aclose()
        await second.aclose()


async def test_redis_never_holds_the_client_secret_or_refresh_token(stores, fake_zoho: FakeZoho,
                                                                    redis_server: RedisServer) -> None:  # noqa: F811
    client = make_client(fake_zoho)
    client.share(stores())
    try:
        await client.fetch_photo("Contacts", "1")
    finally:
        await client.aclose()
    with redis_server.client() as r:
        dump = b"".join(r.dump(key) or b"" for key in r.keys("*"))
        assert r.pttl(f"{NAMESPACE}zoho:token") > 3_000_000  # the token's own remaining life
    assert dump
    settings = client.settings
    assert settings.client_secret.reveal().encode() not in dump
    assert settings.refresh_token.reveal().encode() not in dump


async def test_redis_down_falls_back_with_one_warning_and_rejoins(redis_server: RedisServer,  # noqa: F811
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    store = SharedStore(redis_server.url, namespace=NAMESPACE, clock=clock, probe_every=3.0)
    limiter = SharedRateLimiter(store, SlidingWindowLimiter(2))
    try:
        assert await limiter.allow("U1")
        redis_server.stop()
        with caplog.at_level(logging.INFO, logger="bot.shared.store"):
            assert [await limiter.allow("U1") for _ in range(3)] == [True, True, False]  # its own memory
            redis_server.start()
            clock.now += 1  # not yet time to try again
            assert not await limiter.allow("U1")
            clock.now += 3
            assert await limiter.allow("U1")  # Redis again: one entry there so far
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "unavailable" in warnings[0].getMessage()
        assert any("answers again" in r.getMessage() for r in caplog.records)
        assert not store.down
    finally:
        await store.aclose()


async def test_a_wrong_password_falls_back_too(redis_server: RedisServer,  # noqa: F811
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store = SharedStore(f"redis://:wrong-password@127.0.0.1:{redis_server.port}/0", namespace=NAMESPACE)
    try:
        assert await store.run(lambda r: r.ping(), lambda: constant("memory")) in (True, "memory")
        with redis_server.client() as r:
            r.config_set("requirepass", "right-password")
        store2 = SharedStore(f"redis://:wrong-password@127.0.0.1:{redis_server.port}/0", namespace=NAMESPACE)
        assert await store2.run(lambda r: r.ping(), lambda: constant("memory")) == "memory"
        assert "wrong-password" not in repr(store2)
        assert "unavailable (AuthenticationError)" in caplog.text
        assert "wrong-password" not in caplog.text
        await store2.aclose()
    finally:
        await store.aclose()


async def test_in_flight_photo_keeps_its_outcome_when_redis_disappears(
        stores, fake_zoho: FakeZoho, redis_server: RedisServer) -> None:  # noqa: F811
    fake_zoho.latency = 0.3
    fake_zoho.add_record("Contacts", "7", Record())
    client = make_client(fake_zoho)
    client.share(stores())
    try:
        task = asyncio.ensure_future(client.fetch_photo("Contacts", "7"))
        while fake_zoho.photo_calls() == 0:
            await asyncio.sleep(0.01)
        redis_server.stop()  # the lease cannot be given back: it is simply left to expire
        assert isinstance(await task, Photo)
        assert isinstance(await client.fetch_photo("Contacts", "8"), Photo)
    finally:
        await client.aclose()


async def test_a_photo_waiting_for_memory_holds_no_zoho_slot(stores, fake_zoho: FakeZoho,
                                                             redis_server: RedisServer) -> None:  # noqa: F811
    room = ByteBudget(20 * 1024 * 1024)
    client = ZohoClient(zoho_settings(fake_zoho, max_concurrency=1), retry=FAST_RETRY, photo_bytes=room)
    client.share(stores())
    fake_zoho.add_record("Contacts", "7", Record())
    fake_zoho.add_record("Contacts", "8", Record(fields={"Full_Name": "Jane Doe"}))
    await client.modules.resolve("Contacts")  # the module list is known: only the calls below need a slot
    fake_zoho.reset_counts()
    try:
        await room.acquire(room.limit)  # photos being uploaded fill this process's photo memory
        photo = asyncio.ensure_future(client.fetch_photo("Contacts", "7"))
        await until(lambda: room.waiting == 1)
        with redis_server.client() as r:
            assert r.zcard(f"{NAMESPACE}zoho:in-flight") == 0  # no fleet lease held while it waits
        assert fake_zoho.photo_calls() == 0
        card = await asyncio.wait_for(client.record_card(Module("Contacts"), "8"), 5)  # the only slot is free
        assert card.name == "Jane Doe" and not photo.done()
        room.release(room.limit)
        assert isinstance(await asyncio.wait_for(photo, 5), Photo)
        assert fake_zoho.photo_calls() == 1
        assert room.held == len(TINY_JPEG)  # cut to the photo's size once Zoho answered
    finally:
        await client.aclose()


def test_redis_url_setting() -> None:
    base = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "ZOHO_CLIENT_ID": "c",
            "ZOHO_CLIENT_SECRET": "s", "ZOHO_REFRESH_TOKEN": "r"}
    assert load_settings(base).redis_url is None
    settings = load_settings({**base, "REDIS_URL": "rediss://:pw-secret@example.com:6380"})
    assert settings.redis_url is not None and "pw-secret" not in repr(settings)
    with pytest.raises(ConfigError, match="REDIS_URL"):
        load_settings({**base, "REDIS_URL": "http://example.com"})


async def test_an_outage_continues_the_budget_from_the_fleets_count(redis_server: RedisServer) -> None:  # noqa: F811
    store = SharedStore(redis_server.url, namespace=NAMESPACE)
    other = SharedStore(redis_server.url, namespace=NAMESPACE)
    budget = SharedBudget(store, DailyBudget(5))
    try:
        assert await SharedBudget(other, DailyBudget(5)).reserve("T1")  # another process spent one
        assert [await budget.reserve("T1") for _ in range(3)] == [True] * 3
        redis_server.stop()
        assert [await budget.reserve("T1") for _ in range(3)] == [True, False, False]  # 4 + 1 = the limit
    finally:
        await store.aclose()
        await other.aclose()


async def test_a_client_failure_that_is_not_a_redis_error_falls_back_too(
        redis_server: RedisServer, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    store = SharedStore(redis_server.url, namespace=NAMESPACE)

    async def closed_under_us(_: object) -> str:
        # What uvloop raises when redis-py writes to a connection Redis has just closed (seen mid-outage).
        raise RuntimeError("unable to perform operation on <TCPTransport closed=True>; the handler is closed")

    try:
        with caplog.at_level(logging.WARNING, logger="bot.shared.store"):
            assert await store.run(closed_under_us, lambda: constant("memory")) == "memory"
        assert store.down
        assert "unavailable (RuntimeError)" in caplog.text
    finally:
        await store.aclose()


async def test_closing_the_zoho_client_closes_its_redis_connections(redis_server: RedisServer,  # noqa: F811
                                                                    fake_zoho: FakeZoho) -> None:
    checker, other = (SharedStore(redis_server.url, namespace=NAMESPACE) for _ in range(2))
    client = make_client(fake_zoho, max_concurrency=1)
    client.share(SharedStore(redis_server.url, namespace=NAMESPACE))
    try:
        async with FleetSlots(other, 1).slot():  # another process holds the fleet's only slot: ours must wait
            fetch = asyncio.ensure_future(client.fetch_photo("Contacts", "1"))
            for _ in range(200):
                if client._fleet is not None and client._fleet.subscribed:
                    break
                await asyncio.sleep(0.01)
            assert client._fleet is not None and client._fleet.subscribed
        assert isinstance(await fetch, Photo)
        await other.aclose()
        before = len(await checker.redis.client_list())
        await client.aclose()
        for _ in range(100):
            after = len(await checker.redis.client_list())
            if after == 1:
                break
            await asyncio.sleep(0.01)
        assert before >= 3 and after == 1  # only the checker is left: pooled connections and subscription closed
    finally:
        await client.aclose()
        await checker.aclose()

"""REDIS_MAX_CONNECTIONS against a real redis-server: what the server counts (CLIENT LIST, INFO), not what we hope.

A Heroku Key-Value Store plan counts every connection of every dyno (mini allows 20), so a process must stay within
its bound in a burst, the Pub/Sub subscription included, and a command that gets no connection in time falls back
to memory like any other Redis failure.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from bot.config import ConfigError, load_settings
from bot.fakes.harness import bot_env
from bot.shared.lease import FleetSlots
from bot.shared.store import constant
from tests.inprocess import BotFactory
from tests.redis_server import RedisServer, redis_server  # noqa: F401
from tests.waiting import until

pytestmark = pytest.mark.redis
UNAVAILABLE = "Redis is unavailable"


class Watcher:
    """The test's own single connection to the server, asking what the server counts."""

    def __init__(self, server: RedisServer) -> None:
        self.redis = server.client()
        self.start = self._received()

    def _received(self) -> int:
        return int(self.redis.info("stats")["total_connections_received"])

    def clients(self) -> list[dict[str, str]]:
        """Every connection the server has, but this one."""
        return [c for c in self.redis.client_list() if c.get("cmd") != "client|list"]

    def accepted(self) -> int:
        """Connections the server accepted since this watcher began (INFO stats): none hides between two looks."""
        return self._received() - self.start

    def calls(self, command: str) -> int:
        return int(self.redis.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0))


@pytest.fixture
def watcher(redis_server: RedisServer) -> Iterator[Watcher]:  # noqa: F811
    watching = Watcher(redis_server)
    yield watching
    watching.redis.close()


@pytest.mark.parametrize("bound", [None, 3])
async def test_a_burst_of_150_commands_stays_within_redis_max_connections(
        make_bot: BotFactory, redis_server: RedisServer, watcher: Watcher,  # noqa: F811
        caplog: pytest.LogCaptureFixture, bound: int | None) -> None:
    """Before the bound, this burst opened 148 connections (redis-py 8.1; 112 with redis-py 7.4)."""
    caplog.set_level(logging.WARNING)
    settings = {"REDIS_URL": redis_server.url, "MAX_IN_FLIGHT": "1000", "USER_RATE_LIMIT": "0",
                "ZOHO_MAX_CONCURRENCY": "5", **({"REDIS_MAX_CONNECTIONS": str(bound)} if bound else {})}
    bots = [await make_bot(**settings) for _ in range(2)]  # two processes: the fleet's 5 Zoho slots are contested
    bots[0].zoho.latency = 0.02
    channels = [f"C0BURST{i:03d}" for i in range(150)]
    for channel in channels:
        bots[0].slack.add_channel(channel)
    answers = await asyncio.gather(*(bots[i % 2].command(f"Contacts {1000 + i}", channel=channel)
                                     for i, channel in enumerate(channels)))
    assert all("Fetching" in ack["text"] for ack, _ in answers)
    for bot in bots:
        await bot.settle()
    assert len(bots[0].slack.uploads) == 150
    assert UNAVAILABLE not in caplog.text  # nothing fell back: every command waited for a pooled connection
    open_now, opened = watcher.clients(), watcher.accepted()
    assert opened <= 2 * (bound or 4) and len(open_now) <= 2 * (bound or 4), (opened, len(open_now))
    assert any(int(c.get("sub", 0)) for c in open_now)  # a process waited for a slot: its subscription counts too


async def test_a_command_that_gets_no_connection_in_time_falls_back(stores, watcher: Watcher) -> None:
    store = stores(max_connections=2, timeout=0.2)  # one connection for commands, one for the subscription
    pool = store.redis.connection_pool
    taken = await pool.get_connection()  # another command holds the only one
    answer = await store.run(lambda r: r.set(store.key("probe"), "1"), lambda: constant("memory"))
    assert answer == "memory" and store.down  # it waited 0.2 s, then fell back like any Redis failure
    assert len(watcher.clients()) == 1  # rather than opening a second connection
    await pool.release(taken)


async def test_a_quiet_subscription_subscribes_once_and_stays_alive(stores, watcher: Watcher) -> None:
    """The subscription's connection has no 1 s read timeout: it no longer ends and subscribes again every quiet
    second (redis-py before 8.0.1 read with the socket timeout); redis-py's health check PINGs it instead."""
    holder = FleetSlots(stores(), 1)
    waiter = FleetSlots(stores(health_every=0.5), 1, poll=30.0)
    pings = watcher.calls("ping")
    async with holder.slot():
        waiting = asyncio.create_task(waiter.slot().__aenter__())
        await until(lambda: waiter.subscribed, "the waiting process subscribes")
        await until(lambda: watcher.calls("ping") - pings >= 4, "four health checks", timeout=10)
        assert watcher.calls("subscribe") == 1
        assert waiter.subscribed and waiter.waiting == 1
    await asyncio.wait_for(waiting, 5)  # the release is still announced on the same subscription
    assert watcher.calls("subscribe") == 1


def test_redis_max_connections_is_at_least_two() -> None:
    from bot.fakes.slack import FakeSlack
    from bot.fakes.zoho import FakeZoho

    with FakeZoho() as zoho, FakeSlack() as slack:
        assert load_settings(bot_env(zoho, slack, 3000)).redis_max_connections == 4
        assert load_settings(bot_env(zoho, slack, 3000, REDIS_MAX_CONNECTIONS="2")).redis_max_connections == 2
        for bad in ("1", "0", "many", "101"):
            with pytest.raises(ConfigError, match="REDIS_MAX_CONNECTIONS must be a whole number from 2 to 100"):
                load_settings(bot_env(zoho, slack, 3000, REDIS_MAX_CONNECTIONS=bad))

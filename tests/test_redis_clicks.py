"""A double click on "Share photo" (or Slack sending the click again) shares one photo across processes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bot.fakes.harness import block_actions_body, free_port, sign
from bot.shared import SharedStore
from bot.shared.clicks import SharedClicks
from bot.slack.choices import choice_value
from tests.inprocess import CHANNEL, BotFactory
from tests.redis_server import NAMESPACE, RedisServer
from tests.waiting import until

pytestmark = pytest.mark.redis


def stored_keys(server: RedisServer) -> list[str]:
    with server.client() as r:
        return [k.decode() for k in r.keys("*")]


async def test_the_same_click_reaching_two_processes_shares_once(make_bot: BotFactory,
                                                                 redis_server: RedisServer) -> None:
    bots = [await make_bot(REDIS_URL=redis_server.url) for _ in range(2)]
    value = choice_value("Contacts", "1", "U0ALICE", CHANNEL)
    bodies = [block_actions_body(value=value, channel=CHANNEL, response_url=bots[0].slack.response_url(f"c{i}"))
              for i in range(2)]
    answers = await asyncio.gather(*(bot.client.post("/slack/events", content=body, headers=sign(body))
                                     for bot, body in zip(bots, bodies, strict=True)))
    for bot in bots:
        await bot.settle()
    assert [a.status_code for a in answers] == [200, 200]
    assert len(bots[0].slack.uploads) == 1 and bots[0].zoho.photo_calls() == 1


async def test_another_click_is_shared_and_a_repeat_is_free_again_after_the_window(
        stores: Callable[..., SharedStore], redis_server: RedisServer) -> None:
    a, b = SharedClicks(stores()), SharedClicks(stores())
    assert await a.first("U1 1700000000.000001 Contacts/1", 60.0)
    assert not await b.first("U1 1700000000.000001 Contacts/1", 60.0)  # the other process: a repeat
    assert not await a.first("U1 1700000000.000001 Contacts/1", 60.0)  # this process: a repeat
    assert await b.first("U1 1700000000.000001 Contacts/2", 60.0)  # another button
    assert await b.first("U2 1700000000.000001 Contacts/1", 60.0)  # another person
    keys = stored_keys(redis_server)
    assert len(keys) == 3 and all(k.startswith(f"{NAMESPACE}click:") for k in keys)
    assert not any("U1" in k or "Contacts" in k for k in keys)  # hashed: no ids in Redis

    assert await a.first("U3 1700000000.000001 Contacts/1", 0.1)
    await until(lambda: len(stored_keys(redis_server)) == 3, "the short window's key expires")
    assert await b.first("U3 1700000000.000001 Contacts/1", 0.1)


async def test_without_redis_each_process_still_catches_its_own_double_click() -> None:
    store = SharedStore(f"redis://127.0.0.1:{free_port()}/0", namespace=NAMESPACE)  # nothing listens there
    try:
        clicks = SharedClicks(store)
        assert await clicks.first("U1 1700000000.000001 Contacts/1", 60.0)
        assert not await clicks.first("U1 1700000000.000001 Contacts/1", 60.0)
        assert store.down
    finally:
        await store.aclose()

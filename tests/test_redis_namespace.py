"""One Redis, several deployments: each one's keys under its own namespace, and no token of another used."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import replace

import pytest

from bot.config import ConfigError, Secret, ZohoSettings, load_settings
from bot.fakes.zoho import FakeZoho
from bot.limits import DailyBudget, SlidingWindowLimiter
from bot.shared import SharedStore, namespace
from bot.shared.lease import FleetSlots
from bot.shared.limits import SharedBudget, SharedRateLimiter
from bot.shared.marks import SharedMarks
from bot.shared.modules import SharedModuleList
from bot.shared.token import SharedToken
from bot.zoho import Photo
from tests.conftest import make_client
from tests.redis_server import RedisServer, redis_server  # noqa: F401
from tests.waiting import until

PRODUCTION = ZohoSettings(client_id="1000.PRODCLIENT", client_secret=Secret("prod-secret-dummy"),
                          refresh_token=Secret("1000.prod-refresh-dummy"))
BASE_ENV = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "ZOHO_CLIENT_ID": "c",
            "ZOHO_CLIENT_SECRET": "s", "ZOHO_REFRESH_TOKEN": "r"}


def test_the_namespace_is_a_hash_of_client_data_centre_and_refresh_token() -> None:
    ours = namespace(PRODUCTION)
    assert re.fullmatch(r"crmphoto:[0-9a-f]{16}:", ours)
    assert namespace(PRODUCTION) == ours  # every process of the deployment finds the same keys
    others = [
        namespace(replace(PRODUCTION, client_id="1000.STAGINGCLIENT")),
        namespace(replace(PRODUCTION, accounts_url="https://accounts.zoho.eu")),
        namespace(replace(PRODUCTION, refresh_token=Secret("1000.other-org-refresh-dummy"))),  # same client, 2nd org
    ]
    assert len({ours, *others}) == 4
    assert namespace(replace(PRODUCTION, client_secret=Secret("rotated-secret"))) == ours  # rotation keeps budgets
    for value in ("PRODCLIENT", "prod-secret-dummy", "prod-refresh-dummy", "accounts.zoho"):
        assert value.lower() not in ours.lower()


def test_redis_key_prefix_shows_in_the_namespace() -> None:
    assert re.fullmatch(r"crmphoto:staging-2\.eu_x:[0-9a-f]{16}:", namespace(PRODUCTION, "staging-2.eu_x"))
    assert namespace(PRODUCTION, "staging").endswith(namespace(PRODUCTION).removeprefix("crmphoto:"))


def test_redis_key_prefix_setting() -> None:
    assert load_settings(BASE_ENV).redis_key_prefix == ""
    assert load_settings({**BASE_ENV, "REDIS_KEY_PREFIX": " staging "}).redis_key_prefix == "staging"
    for bad in ("two words", "a:b", "x" * 33, "prod/eu", "staging*"):
        with pytest.raises(ConfigError) as info:
            load_settings({**BASE_ENV, "REDIS_KEY_PREFIX": bad})
        assert info.value.problems == [
            f"REDIS_KEY_PREFIX must be 1 to 32 letters, digits, dots, dashes or underscores, such as staging "
            f"(got {bad!r})."]


def test_own_api_domains_are_the_data_centres_or_the_configured_ones() -> None:
    assert PRODUCTION.own_api_domains == {"https://www.zohoapis.com"}
    assert replace(PRODUCTION, dc="eu", accounts_url="https://accounts.zoho.eu").own_api_domains == {
        "https://www.zohoapis.eu"}
    assert replace(PRODUCTION, api_domain="https://crm.example.com").own_api_domains == {"https://crm.example.com"}
    loopback = replace(PRODUCTION, accounts_url="http://127.0.0.1:8123").own_api_domains
    assert "http://127.0.0.1:8123" in loopback and "http://127.0.0.1:8124" not in loopback
    assert "https://www.zohoapis.eu" not in loopback


@pytest.mark.redis
async def test_two_deployments_on_one_redis_use_disjoint_keys_and_channels(
        redis_server: RedisServer) -> None:  # noqa: F811
    a = SharedStore(redis_server.url, namespace=namespace(PRODUCTION))
    b = SharedStore(redis_server.url, namespace=namespace(replace(PRODUCTION, client_id="1000.STAGING"), "staging"))
    try:
        for store in (a, b):
            assert await SharedToken(store).lock()  # each deployment holds its own refresh lock
            await SharedModuleList(store, 60).put([{"api_name": "Contacts"}])
            assert await SharedRateLimiter(store, SlidingWindowLimiter(1)).allow("U1")  # one each, not one in all
            assert await SharedBudget(store, DailyBudget(1)).reserve("T1")
            assert (await SharedMarks(store).failed("INVALID_CLIENT", 1.0, 3600.0))[1]  # each posts its own alert
        await SharedToken(a).write("1000.prod-access-dummy", "https://www.zohoapis.com", None, 3000)
        assert await SharedToken(b).read() is None

        fleets = [FleetSlots(a, 1), FleetSlots(b, 1)]

        async def take(fleet: FleetSlots) -> None:
            async with fleet.slot():
                pass

        try:
            async with fleets[0].slot():
                async with fleets[1].slot():  # one deployment's only slot is taken: the other's is not
                    waiters = [asyncio.ensure_future(take(fleet)) for fleet in fleets]
                    await until(lambda: all(fleet.subscribed for fleet in fleets), "both wait for a slot")
                    with redis_server.client() as r:
                        keys = {k.decode() for k in r.keys("*")}
                        channels = {c.decode() for c in r.pubsub_channels()}
            await asyncio.gather(*waiters)
        finally:
            for fleet in fleets:
                await fleet.aclose()
    finally:
        await a.aclose()
        await b.aclose()
    assert channels == {f"{a.namespace}zoho:slot-freed", f"{b.namespace}zoho:slot-freed"}
    ours = {k.removeprefix(a.namespace) for k in keys if k.startswith(a.namespace)}
    theirs = {k.removeprefix(b.namespace) for k in keys if k.startswith(b.namespace)}
    assert len(ours) + len(theirs) == len(keys)  # every key is one deployment's
    assert b.namespace.startswith("crmphoto:staging:") and a.namespace != b.namespace
    assert {"zoho:token-lock", "zoho:modules", "rate:U1", "alert:INVALID_CLIENT", "zoho:in-flight",
            "zoho:waiting"} <= ours & theirs
    assert any(k.startswith("budget:") for k in ours & theirs)
    assert "zoho:token" in ours and "zoho:token" not in theirs


@pytest.mark.redis
async def test_a_token_in_redis_naming_another_api_domain_is_not_used(
        redis_server: RedisServer, fake_zoho: FakeZoho, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    with FakeZoho() as other:  # another deployment's Zoho: its token works there, and only there
        other.client_id, other.refresh_token, other.token_prefix = "1000.OTHER", "other-refresh-dummy", "1000.other-"
        intruder = make_client(other)
        foreign = await intruder.tokens.get()
        await intruder.aclose()
        store = SharedStore(redis_server.url, namespace=namespace(make_client(fake_zoho).settings))
        await SharedToken(store).write(foreign.value, foreign.api_domain, None, 3000)  # e.g. left by a misconfiguration
        client = make_client(fake_zoho)
        client.share(store)
        try:
            with caplog.at_level(logging.INFO, logger="bot.zoho.token"):
                assert isinstance(await client.fetch_photo("Contacts", "1"), Photo)
                assert isinstance(await client.fetch_photo("Contacts", "2"), Photo)
            stored = await SharedToken(store).read()
        finally:
            await client.aclose()
        assert other.photo_calls() == 0 and other.module_calls() == 0
    assert fake_zoho.token_requests == 1 and fake_zoho.photo_calls() == 2
    carried = {s.headers["Authorization"] for s in fake_zoho.seen if s.path.startswith("/crm/")}
    assert carried == {"Zoho-oauthtoken 1000.test-access-0001"}
    assert stored is not None and stored[:2] == ("1000.test-access-0001", fake_zoho.url)  # ours replaced it
    ignored = [r.getMessage() for r in caplog.records if "ignoring the token in Redis" in r.getMessage()]
    assert len(ignored) == 1 and other.url in ignored[0]
    assert foreign.value not in caplog.text

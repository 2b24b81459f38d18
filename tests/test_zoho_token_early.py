"""A failed early refresh never takes a still-valid token out of service; the next try waits, growing.

The fake clock drives the token's age (the token manager and client read it); the fake Zoho's token
endpoint fails, hangs up, stalls or throttles on cue, and counts every token request it receives.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.fakes.zoho import FakeZoho
from bot.zoho import Photo, TokenError, ZohoClient
from bot.zoho import token as token_module
from tests.clock import Clock
from tests.conftest import FAST_RETRY, zoho_settings

FIRST_TOKEN = "1000.test-access-0001"
SECOND_TOKEN = "1000.test-access-0002"


def client_at(fake: FakeZoho, clock: Clock, timeout: float | None = None) -> ZohoClient:
    http = httpx.AsyncClient(timeout=timeout) if timeout else None
    return ZohoClient(zoho_settings(fake), http=http, retry=FAST_RETRY, clock=clock)


def photo_tokens(fake: FakeZoho) -> list[str]:
    """The access token each photo request carried, in order."""
    return [s.headers["Authorization"].split(" ", 1)[1] for s in fake.seen if s.path.endswith("/photo")]


@pytest.fixture
def fake() -> FakeZoho:
    with FakeZoho(expires_in=400) as server:  # fresh for 100 s, then 300 s in the early-refresh window
        yield server


@pytest.mark.parametrize(
    "fault",
    [{"status": 500}, {"status": 503, "body": "<html>Service Unavailable</html>"}, {"status": 0},
     {"status": 200, "body": "<html>not JSON</html>"}],
    ids=["500", "503-html", "hang-up", "200-not-json"],
)
async def test_failed_early_refresh_keeps_the_valid_token(fake: FakeZoho, fault: dict) -> None:
    clock = Clock()
    client = client_at(fake, clock)
    try:
        await client.fetch_photo("Contacts", "1")
        clock.now += 150  # inside the early window, 250 s before expiry
        fake.fail_next("token", 1, **fault)
        results = [await client.fetch_photo("Contacts", str(i)) for i in range(2, 7)]
        assert all(isinstance(r, Photo) for r in results)
        assert fake.token_requests == 2  # one failed early refresh, not one per command
        clock.now += 5  # the first pause is over: the next command tries again, and succeeds
        await client.fetch_photo("Contacts", "7")
        assert fake.token_requests == 3
    finally:
        await client.aclose()
    assert photo_tokens(fake) == [FIRST_TOKEN] * 6 + [SECOND_TOKEN]


async def test_early_refresh_timing_out_keeps_the_valid_token(fake: FakeZoho) -> None:
    clock = Clock()
    client = client_at(fake, clock, timeout=1.0)
    try:
        await client.fetch_photo("Contacts", "1")
        clock.now += 150
        fake.token_latency = 3.0  # slower than the client waits
        assert isinstance(await client.fetch_photo("Contacts", "2"), Photo)
        assert isinstance(await client.fetch_photo("Contacts", "3"), Photo)
    finally:
        await client.aclose()
    assert fake.token_requests == 2
    assert photo_tokens(fake) == [FIRST_TOKEN] * 3


async def test_early_refresh_backoff_grows_and_is_capped(fake: FakeZoho, monkeypatch) -> None:
    monkeypatch.setattr(token_module, "MAX_REFRESHES_PER_WINDOW", 100)  # our own cap would stop it first
    clock = Clock()
    client = client_at(fake, clock)
    tries: list[float] = []
    try:
        first = await client.tokens.get()
        fake.fail_next("token", 8, status=500)
        for second in range(150, 400):  # one command a second until the token expires at +400
            clock.now = 1000.0 + second
            before = fake.token_requests
            assert await client.tokens.get() is first
            if fake.token_requests > before:
                tries.append(second)
        clock.now = 1400.0  # expired: now the failure surfaces
        with pytest.raises(TokenError) as info:
            await client.tokens.get()
    finally:
        await client.aclose()
    assert [t - 150 for t in tries] == [0, 5, 15, 35, 75, 135, 195]  # pauses 5, 10, 20, 40, 60, 60
    assert info.value.code == "INVALID_RESPONSE" and info.value.status == 500
    assert fake.token_requests == 1 + 7 + 1


async def test_one_early_refresh_for_many_concurrent_commands(fake: FakeZoho) -> None:
    clock = Clock()
    client = client_at(fake, clock)
    try:
        await client.fetch_photo("Contacts", "1")
        clock.now += 150
        fake.token_latency = 0.2
        results = await asyncio.gather(*(client.fetch_photo("Contacts", str(i)) for i in range(2, 12)))
    finally:
        await client.aclose()
    assert all(isinstance(r, Photo) for r in results)
    assert fake.token_requests == 2


async def test_a_slow_early_refresh_holds_up_only_the_command_that_started_it(fake: FakeZoho) -> None:
    clock = Clock()
    client = client_at(fake, clock)
    try:
        first = await client.tokens.get()
        clock.now += 150
        fake.token_latency = 2.0
        slow = asyncio.create_task(client.tokens.get())
        for _ in range(500):  # until the refresh has reached the token endpoint
            if fake.token_requests == 2:
                break
            await asyncio.sleep(0.01)
        assert fake.token_requests == 2
        assert await client.tokens.get() is first  # answered at once, from the valid token
        assert not slow.done()
        refreshed = await slow
    finally:
        await client.aclose()
    assert refreshed is not first and refreshed.value == SECOND_TOKEN
    assert fake.token_requests == 2


async def test_zoho_throttling_an_early_refresh_keeps_the_valid_token(fake: FakeZoho) -> None:
    clock = Clock()
    client = client_at(fake, clock)
    try:
        await client.fetch_photo("Contacts", "1")
        clock.now += 150
        fake.token_error = "Access Denied"
        for i in range(2, 6):
            assert isinstance(await client.fetch_photo("Contacts", str(i)), Photo)
            clock.now += 30
        assert fake.token_requests == 2  # throttled: no new try until Zoho's window has passed
        clock.now = 1400.0  # expired while still throttled: now the throttle is the answer
        with pytest.raises(TokenError) as info:
            await client.fetch_photo("Contacts", "6")
        assert info.value.code == "TOKEN_THROTTLED"
        assert fake.token_requests == 2
    finally:
        await client.aclose()


async def test_own_refresh_cap_only_delays_the_next_refresh(fake: FakeZoho) -> None:
    clock = Clock()
    client = client_at(fake, clock)
    try:
        for i in range(5):  # five refreshes at t=1000: our cap for the 10-minute window is reached
            fake.revoke_tokens()
            assert isinstance(await client.fetch_photo("Contacts", str(i)), Photo)
        assert fake.token_requests == 5
        last = photo_tokens(fake)[-1]
        clock.now = 1150.0  # the fifth token is in its early window: the cap says no, the token still works
        for i in range(5, 10):
            assert isinstance(await client.fetch_photo("Contacts", str(i)), Photo)
            clock.now += 40
        assert fake.token_requests == 5
        assert photo_tokens(fake)[-5:] == [last] * 5
        clock.now = 1400.0  # expired, and the window still full: now the cap is the answer
        with pytest.raises(TokenError) as info:
            await client.fetch_photo("Contacts", "10")
        assert info.value.code == "TOKEN_THROTTLED"
        clock.now = 1601.0  # the first refresh has left the window
        assert isinstance(await client.fetch_photo("Contacts", "11"), Photo)
    finally:
        await client.aclose()
    assert fake.token_requests == 6


async def test_plain_http_api_domain_in_the_token_answer_is_refused(fake: FakeZoho) -> None:
    fake.api_domain = "http://www.zohoapis.example"
    client = client_at(fake, Clock())
    try:
        with pytest.raises(TokenError) as info:
            await client.fetch_photo("Contacts", "1")
    finally:
        await client.aclose()
    assert info.value.code == "INVALID_RESPONSE" and "api_domain" in info.value.message
    assert fake.photo_calls() == 0 and fake.module_calls() == 0


"""The access token: single-flight refresh, early refresh, one retry on INVALID_TOKEN, throttling."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.config import ConfigError, load_zoho_settings
from bot.fakes.zoho import FakeZoho, Record
from bot.zoho import Photo, TokenError, ZohoClient, ZohoError
from tests.clock import Clock
from tests.conftest import SECRETS, make_client


async def test_twenty_concurrent_fetches_on_a_cold_cache_refresh_once(fake_zoho: FakeZoho) -> None:
    fake_zoho.token_latency = 0.2
    client = make_client(fake_zoho)
    try:
        results = await asyncio.gather(*(client.fetch_photo("Contacts", str(i)) for i in range(20)))
    finally:
        await client.aclose()
    assert all(isinstance(r, Photo) for r in results)
    assert fake_zoho.token_requests == 1
    assert fake_zoho.module_calls() == 1


async def test_token_is_reused_then_refreshed_shortly_before_expiry(fake_zoho: FakeZoho) -> None:
    clock = Clock()
    client = ZohoClient(make_client(fake_zoho).settings, clock=clock)
    try:
        await client.fetch_photo("Contacts", "1")
        clock.now += 3000  # 50 minutes: still fresh
        await client.fetch_photo("Contacts", "2")
        assert fake_zoho.token_requests == 1
        clock.now += 350  # within five minutes of expiry
        await client.fetch_photo("Contacts", "3")
        assert fake_zoho.token_requests == 2
    finally:
        await client.aclose()


async def test_invalid_token_once_refreshes_once_and_succeeds(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    await zoho.fetch_photo("Contacts", "1")
    fake_zoho.revoke_tokens()
    fake_zoho.reset_counts()
    assert isinstance(await zoho.fetch_photo("Contacts", "2"), Photo)
    assert fake_zoho.token_requests == 1
    assert fake_zoho.photo_calls() == 2


async def test_invalid_token_twice_does_not_loop(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    fake_zoho.add_record("Contacts", "1", Record(error="INVALID_TOKEN"))
    await zoho.modules.resolve("Contacts")
    fake_zoho.reset_counts()
    with pytest.raises(ZohoError) as info:
        await zoho.fetch_photo("Contacts", "1")
    assert info.value.code == "INVALID_TOKEN" and info.value.status == 401
    assert fake_zoho.token_requests == 1
    assert fake_zoho.photo_calls() == 2


async def test_many_requests_seeing_a_revoked_token_share_one_refresh(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    await zoho.fetch_photo("Contacts", "1")
    fake_zoho.revoke_tokens()
    fake_zoho.reset_counts()
    fake_zoho.token_latency = 0.1
    results = await asyncio.gather(*(zoho.fetch_photo("Contacts", str(i)) for i in range(10)))
    assert all(isinstance(r, Photo) for r in results)
    assert fake_zoho.token_requests == 1


async def test_throttled_token_endpoint_is_a_distinct_error_and_not_hammered(fake_zoho: FakeZoho) -> None:
    fake_zoho.token_error = "Access Denied"
    client = make_client(fake_zoho)
    try:
        for _ in range(5):
            with pytest.raises(TokenError) as info:
                await client.fetch_photo("Contacts", "1")
            assert info.value.code == "TOKEN_THROTTLED"
            assert info.value.retry_after and info.value.retry_after > 500
    finally:
        await client.aclose()
    assert fake_zoho.token_requests == 1
    assert fake_zoho.photo_calls() == 0


async def test_own_refresh_cap_keeps_under_zohos_limit(fake_zoho: FakeZoho) -> None:
    client = make_client(fake_zoho)
    codes = []
    try:
        for i in range(12):
            fake_zoho.revoke_tokens()
            try:
                await client.fetch_photo("Contacts", str(i))
                codes.append("ok")
            except ZohoError as exc:
                codes.append(exc.code)
    finally:
        await client.aclose()
    assert fake_zoho.token_requests <= 6
    assert "TOKEN_THROTTLED" in codes
    assert fake_zoho.tokens_issued < fake_zoho.token_limit


@pytest.mark.parametrize(
    ("error", "code"), [("invalid_client", "INVALID_CLIENT"), ("invalid_code", "INVALID_REFRESH_TOKEN")]
)
async def test_token_failures_are_distinct_and_remembered(fake_zoho: FakeZoho, error: str, code: str) -> None:
    fake_zoho.token_error = error
    client = make_client(fake_zoho)
    try:
        for _ in range(3):
            with pytest.raises(TokenError) as info:
                await client.fetch_photo("Contacts", "1")
            assert info.value.code == code
    finally:
        await client.aclose()
    assert fake_zoho.token_requests == 1
    assert fake_zoho.token_grants == ["refresh_token"]


async def test_revoked_refresh_token_is_not_hidden_by_a_cached_token(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    assert isinstance(await zoho.fetch_photo("Contacts", "1"), Photo)  # a valid token is cached
    fake_zoho.revoke_tokens()  # revoking the refresh token ends its access tokens too
    fake_zoho.token_error = "invalid_code"
    fake_zoho.reset_counts()
    with pytest.raises(TokenError) as info:
        await zoho.fetch_photo("Contacts", "2")
    assert info.value.code == "INVALID_REFRESH_TOKEN"
    assert fake_zoho.token_grants == ["refresh_token"]  # the refresh-token grant really was tried
    assert fake_zoho.photo_calls() == 1  # the photo call that found the cached token dead


async def test_wrong_client_secret_is_invalid_client(fake_zoho: FakeZoho) -> None:
    from bot.config import Secret

    client = make_client(fake_zoho, client_secret=Secret("wrong-dummy"))
    try:
        with pytest.raises(TokenError) as info:
            await client.fetch_photo("Contacts", "1")
    finally:
        await client.aclose()
    assert info.value.code == "INVALID_CLIENT"


async def test_calls_go_to_the_api_domain_the_token_answer_names() -> None:
    with FakeZoho() as accounts, FakeZoho() as api:
        accounts.api_domain = api.url
        api.accept_tokens_from = accounts
        client = make_client(accounts)
        try:
            assert isinstance(await client.fetch_photo("Contacts", "1"), Photo)
        finally:
            await client.aclose()
        assert accounts.photo_calls() == 0 and api.photo_calls() == 1


async def test_zoho_api_domain_overrides_the_token_answer() -> None:
    with FakeZoho() as accounts, FakeZoho() as api:
        api.accept_tokens_from = accounts
        client = make_client(accounts, api_domain=api.url)
        try:
            assert isinstance(await client.fetch_photo("Contacts", "1"), Photo)
        finally:
            await client.aclose()
        assert accounts.photo_calls() == 0 and api.photo_calls() == 1


BASE_ENV = {"ZOHO_CLIENT_ID": "id", "ZOHO_CLIENT_SECRET": "s", "ZOHO_REFRESH_TOKEN": "r"}


@pytest.mark.parametrize(
    ("dc", "accounts"),
    [("us", "https://accounts.zoho.com"), ("eu", "https://accounts.zoho.eu"), ("in", "https://accounts.zoho.in"),
     ("au", "https://accounts.zoho.com.au"), ("jp", "https://accounts.zoho.jp"), ("cn", "https://accounts.zoho.com.cn"),
     ("ca", "https://accounts.zohocloud.ca"), ("sa", "https://accounts.zoho.sa"), ("uk", "https://accounts.zoho.uk"),
     ("EU", "https://accounts.zoho.eu")],
)
def test_data_centre_picks_the_accounts_server(dc: str, accounts: str) -> None:
    settings = load_zoho_settings({**BASE_ENV, "ZOHO_DC": dc})
    assert settings.token_url == f"{accounts}/oauth/v2/token"


def test_accounts_url_override_and_defaults() -> None:
    settings = load_zoho_settings({**BASE_ENV, "ZOHO_ACCOUNTS_URL": "http://127.0.0.1:5000/"})
    assert settings.token_url == "http://127.0.0.1:5000/oauth/v2/token"
    assert (settings.api_version, settings.max_concurrency, settings.api_domain) == ("v8", 10, None)


def test_every_configuration_problem_is_named_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        load_zoho_settings({"ZOHO_DC": "mars", "ZOHO_MAX_CONCURRENCY": "lots", "ZOHO_API_VERSION": "8",
                            "ZOHO_API_DOMAIN": "ftp://x"})
    text = str(info.value)
    for name in ("ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN", "ZOHO_DC", "ZOHO_MAX_CONCURRENCY",
                 "ZOHO_API_VERSION", "ZOHO_API_DOMAIN", "docs/configuration.md"):
        assert name in text


def test_dotenv_is_read_and_the_environment_wins(tmp_path, monkeypatch) -> None:
    (tmp_path / ".env").write_text(
        "ZOHO_CLIENT_ID=from-dotenv\nZOHO_CLIENT_SECRET=s\nZOHO_REFRESH_TOKEN=r\nZOHO_DC=eu\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZOHO_DC", "in")
    monkeypatch.delenv("ZOHO_CLIENT_ID", raising=False)
    settings = load_zoho_settings()
    assert settings.client_id == "from-dotenv" and settings.dc == "in"


async def test_secrets_never_in_logs_exceptions_or_reprs(fake_zoho: FakeZoho, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client(fake_zoho)
    texts = [repr(client.settings), str(client.settings)]
    try:
        photo = await client.fetch_photo("Contacts", "1")
        texts.append(repr(client.tokens._token))
        texts.append(repr(photo))
        fake_zoho.revoke_tokens()
        fake_zoho.add_record("Contacts", "2", Record(error="INVALID_TOKEN"))
        codes = []
        for record_id, setup in (("2", None), ("3", "invalid_code")):
            fake_zoho.revoke_tokens()  # so the refresh really happens: a cached token would hide invalid_code
            fake_zoho.token_error = setup
            try:
                await client.fetch_photo("Contacts", record_id)
            except ZohoError as exc:
                codes.append(exc.code)
                texts += [str(exc), repr(exc), repr(exc.details)]
        assert codes == ["INVALID_TOKEN", "INVALID_REFRESH_TOKEN"]
    finally:
        await client.aclose()
    texts.append(caplog.text)
    blob = "\n".join(texts)
    assert "INVALID_TOKEN" in blob
    for secret in SECRETS:
        assert secret not in blob

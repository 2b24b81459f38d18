"""Zoho and Slack addresses in the settings: https only (plain http for this machine), ASCII digits,
and one table of Zoho data centres shared by the settings and the record-link parser."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings, load_zoho_settings, secure_url
from bot.datacentres import BY_KEY, DATA_CENTRES
from bot.request import PhotoRequest, parse_command

ZOHO = {"ZOHO_CLIENT_ID": "id", "ZOHO_CLIENT_SECRET": "s", "ZOHO_REFRESH_TOKEN": "r"}
ALL = {**ZOHO, "SLACK_BOT_TOKEN": "xoxb-dummy", "SLACK_SIGNING_SECRET": "dummy-signing-secret"}

LOOPBACK = ["http://127.0.0.1:5000", "http://127.8.9.10", "http://[::1]:8080", "http://localhost:3000",
            "http://LOCALHOST", "https://accounts.zoho.eu", "https://10.0.0.1:8443"]
NOT_LOOPBACK = ["http://accounts.zoho.eu", "http://10.0.0.1", "http://192.168.1.5:8080", "http://[::2]",
                "http://127.0.0.1.example.com", "http://localhost.example.com", "http://0.0.0.0:5000"]
URL_SETTINGS = ["ZOHO_ACCOUNTS_URL", "ZOHO_API_DOMAIN", "SLACK_API_URL"]


@pytest.mark.parametrize("url", LOOPBACK)
@pytest.mark.parametrize("name", URL_SETTINGS)
def test_https_or_loopback_http_is_accepted(name: str, url: str) -> None:
    load_settings({**ALL, name: url})


@pytest.mark.parametrize("url", NOT_LOOPBACK)
@pytest.mark.parametrize("name", URL_SETTINGS)
def test_plain_http_elsewhere_is_refused_naming_the_setting(name: str, url: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({**ALL, name: url})
    assert len(info.value.problems) == 1
    assert name in info.value.problems[0] and "https" in info.value.problems[0]


@pytest.mark.parametrize(("url", "ok"), [*((u, True) for u in LOOPBACK), *((u, False) for u in NOT_LOOPBACK),
                                         ("ftp://127.0.0.1", False), ("http://[::1", False), ("", False)])
def test_secure_url(url: str, ok: bool) -> None:
    assert secure_url(url) is ok


NON_ASCII_NUMBERS = ["٨", "²", "１０", "1٠", "៣"]


@pytest.mark.parametrize("value", NON_ASCII_NUMBERS)
@pytest.mark.parametrize(
    "name", ["ZOHO_MAX_CONCURRENCY", "PORT", "USER_RATE_LIMIT", "DAILY_ZOHO_BUDGET", "SHUTDOWN_GRACE"]
)
def test_whole_numbers_are_ascii_digits_only(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({**ALL, name: value})
    assert len(info.value.problems) == 1 and name in info.value.problems[0]


@pytest.mark.parametrize("version", ["v٨", "v²", "v8.٢", "v１"])
def test_api_version_is_ascii_digits_only(version: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_zoho_settings({**ZOHO, "ZOHO_API_VERSION": version})
    assert "ZOHO_API_VERSION" in str(info.value)


@pytest.mark.parametrize("version", ["v8", "v2.1", "v10"])
def test_api_version_ascii_forms_pass(version: str) -> None:
    assert load_zoho_settings({**ZOHO, "ZOHO_API_VERSION": version}).api_version == version


def test_uk_data_centre() -> None:
    settings = load_zoho_settings({**ZOHO, "ZOHO_DC": "uk"})
    assert settings.token_url == "https://accounts.zoho.uk/oauth/v2/token"
    assert BY_KEY["uk"].api_domain == "https://www.zohoapis.uk"
    assert BY_KEY["uk"].crm_web_host == "crm.zoho.uk"


def test_unknown_data_centre_lists_every_key() -> None:
    with pytest.raises(ConfigError) as info:
        load_zoho_settings({**ZOHO, "ZOHO_DC": "mars"})
    assert all(dc.key in info.value.problems[0] for dc in DATA_CENTRES)


@pytest.mark.parametrize("dc", DATA_CENTRES, ids=lambda dc: dc.key)
def test_record_links_on_every_data_centres_web_host_parse(dc) -> None:
    parsed = parse_command(f"https://{dc.crm_web_host}/crm/org123/tab/Contacts/4876876000000624001")
    assert parsed == PhotoRequest("Contacts", "4876876000000624001", from_link=True)
    assert parsed == parse_command(f"https://one.{dc.web_domain}/crm/tab/Contacts/4876876000000624001")


@pytest.mark.parametrize("host", ["crm.zoho.xyz", "crm.zoho.com.evil.example", "zoho.com.au.example", "crmzoho.com",
                                  "crm.zohocloud.com"])
def test_record_links_elsewhere_are_refused(host: str) -> None:
    parsed = parse_command(f"https://{host}/crm/org123/tab/Contacts/1")
    assert not isinstance(parsed, PhotoRequest)

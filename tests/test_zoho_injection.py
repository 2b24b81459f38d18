"""Nothing a person types reaches Zoho's URL except a resolved module api name and a digit-only id."""

from __future__ import annotations

import re

import pytest

from bot.fakes.zoho import FakeZoho
from bot.zoho import ZohoClient, ZohoError
from bot.zoho.photo import photo_path

SAFE_PATH = re.compile(r"^/crm/v\d+/[A-Za-z][A-Za-z0-9_]*/\d+/photo$")

BAD_IDS = ["123/../../settings/modules", "123?fields=Email", "123#x", "12 34", "%2e%2e", "١٢٣", "-5", "1e5",
           "", "zcrm_", "0x1F", "12345/photo?x=", "../12345", "12345;rm", "１２３"]
BAD_MODULES = ["Contacts/../settings", "Contacts?x=1", "../Leads", "Contacts#", "%43ontacts",
               "Contacts\r\nHost: evil", "settings/modules", "*", ""]


@pytest.mark.parametrize("record_id", BAD_IDS)
async def test_bad_record_ids_never_reach_the_server(zoho: ZohoClient, fake_zoho: FakeZoho, record_id: str) -> None:
    with pytest.raises(ZohoError) as info:
        await zoho.fetch_photo("Contacts", record_id)
    assert info.value.code == "INVALID_RECORD_ID"
    assert fake_zoho.seen == []


@pytest.mark.parametrize("module", BAD_MODULES)
async def test_bad_module_names_never_reach_the_server(zoho: ZohoClient, fake_zoho: FakeZoho, module: str) -> None:
    with pytest.raises(ZohoError):
        await zoho.fetch_photo(module, "12345")
    assert fake_zoho.photo_calls() == 0
    assert all(s.path.endswith("/settings/modules") or s.path == "/oauth/v2/token" for s in fake_zoho.seen)


async def test_no_scope_fallback_still_refuses_malformed_names(fake_zoho: FakeZoho) -> None:
    fake_zoho.scope_for_modules = False
    from tests.conftest import make_client

    client = make_client(fake_zoho)
    try:
        for module in BAD_MODULES:
            with pytest.raises(ZohoError):
                await client.fetch_photo(module, "12345")
    finally:
        await client.aclose()
    assert fake_zoho.photo_calls() == 0


@pytest.mark.parametrize("module", ["Contacts", "Custom_Module_9", "a"])
def test_photo_path_shape(module: str) -> None:
    assert SAFE_PATH.match(photo_path("v8", module, "zcrm_0012345"))


@pytest.mark.parametrize("module", BAD_MODULES)
def test_photo_path_refuses_what_is_not_an_api_name(module: str) -> None:
    with pytest.raises(ZohoError):
        photo_path("v8", module, "1")

"""Module resolution: names as people type them, photo modules, suggestions, cache and no-scope fallback."""

from __future__ import annotations

import logging

import pytest

from bot.fakes.zoho import FakeZoho, Record
from bot.zoho import ModuleProblem, Photo, TokenError, ZohoClient, ZohoError
from bot.zoho.modules import ModuleCatalog
from tests.clock import Clock
from tests.conftest import make_client


@pytest.mark.parametrize(
    ("typed", "api_name"),
    [("Contacts", "Contacts"), ("contacts", "Contacts"), ("contact", "Contacts"), ("CONTACT", "Contacts"),
     (" Leads ", "Leads"), ("lead", "Leads"), ("Accounts", "Accounts"), ("product", "Products"),
     ("VENDOR", "Vendors"), ("Properties", "Properties"), ("property", "Properties"),
     ("CustomModule1", "Properties"), ("customMODULE1", "Properties")],
)
async def test_typed_names_resolve_to_the_api_name(zoho: ZohoClient, typed: str, api_name: str) -> None:
    module = await zoho.modules.resolve(typed)
    assert module.api_name == api_name


@pytest.mark.parametrize("typed", ["Deals", "deal", "Potentials", "Tasks", "Documents"])
async def test_modules_without_photos_never_reach_the_photo_endpoint(
    zoho: ZohoClient, fake_zoho: FakeZoho, typed: str
) -> None:
    with pytest.raises(ModuleProblem) as info:
        await zoho.fetch_photo(typed, "1")
    assert info.value.code == "MODULE_WITHOUT_PHOTOS"
    assert info.value.photo_modules == ["Leads", "Contacts", "Accounts", "Products", "Vendors", "Properties"]
    assert fake_zoho.photo_calls() == 0


@pytest.mark.parametrize(("typed", "suggestion"), [("Contcts", "Contacts"), ("laeds", "Leads"),
                                                   ("vendr", "Vendors"), ("proprty", "Properties"),
                                                   ("zzzzzz", None)])
async def test_unknown_modules_get_a_suggestion(zoho: ZohoClient, fake_zoho: FakeZoho, typed: str,
                                                suggestion: str | None) -> None:
    with pytest.raises(ModuleProblem) as info:
        await zoho.fetch_photo(typed, "1")
    assert info.value.code == "UNKNOWN_MODULE"
    assert info.value.suggestion == suggestion
    assert "Contacts" in info.value.photo_modules
    assert fake_zoho.photo_calls() == 0


async def test_module_list_is_cached(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    for i in range(5):
        await zoho.fetch_photo("contact", str(i))
    assert fake_zoho.module_calls() == 1


async def test_cache_refreshes_hourly_and_early_at_most_once_a_minute() -> None:
    calls = 0
    modules = [{"api_name": "Contacts", "singular_label": "Contact", "plural_label": "Contacts"}]

    async def fetch():
        nonlocal calls
        calls += 1
        return list(modules)

    clock = Clock(0.0)
    catalog = ModuleCatalog(fetch, clock=clock)
    await catalog.resolve("Contacts")
    assert calls == 1
    for _ in range(3):  # unknown names within the first minute: no refresh
        with pytest.raises(ModuleProblem):
            await catalog.resolve("Widgets")
    assert calls == 1
    clock.now = 61
    modules.append({"api_name": "Widgets", "generated_type": "custom", "plural_label": "Widgets"})
    assert (await catalog.resolve("Widgets")).api_name == "Widgets"
    assert calls == 2
    clock.now = 61 + 1800
    await catalog.resolve("Contacts")
    assert calls == 2
    clock.now = 61 + 3600
    await catalog.resolve("Contacts")
    assert calls == 3


async def test_without_settings_scope_falls_back_and_lets_zoho_speak(fake_zoho: FakeZoho, caplog) -> None:
    caplog.set_level(logging.WARNING)
    fake_zoho.scope_for_modules = False
    client = make_client(fake_zoho)
    try:
        assert isinstance(await client.fetch_photo("contact", "1"), Photo)
        assert isinstance(await client.fetch_photo("Properties", "1"), Photo)  # well-formed api name passes
        with pytest.raises(ZohoError) as info:
            await client.fetch_photo("Nonexistent_Module", "1")
        assert info.value.code == "INVALID_MODULE" and info.value.status == 400
        with pytest.raises(ModuleProblem):
            await client.fetch_photo("not a module!", "1")
    finally:
        await client.aclose()
    warnings = [r for r in caplog.records if "ZohoCRM.settings.modules.READ" in r.getMessage()]
    assert len(warnings) == 1


async def test_metadata_failure_other_than_scope_is_raised(fake_zoho: FakeZoho) -> None:
    fake_zoho.fail_next("modules", 1, code="NO_PERMISSION")
    client = make_client(fake_zoho)
    try:
        with pytest.raises(ZohoError) as info:
            await client.fetch_photo("Contacts", "1")
        assert info.value.code == "NO_PERMISSION"
        assert isinstance(await client.fetch_photo("Contacts", "1"), Photo)
    finally:
        await client.aclose()


async def test_module_name_case_reaches_zoho_exactly(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    fake_zoho.add_record("Contacts", "42", Record())
    await zoho.fetch_photo("CONTACTS", "zcrm_42")
    assert [s.path for s in fake_zoho.seen if s.path.endswith("/photo")] == ["/crm/v8/Contacts/42/photo"]


LIST = [{"api_name": "Contacts", "singular_label": "Contact", "plural_label": "Contacts"},
        {"api_name": "Widgets", "generated_type": "custom", "singular_label": "Widget", "plural_label": "Widgets"}]
UNAVAILABLE = [
    ZohoError("INTERNAL_ERROR", "Zoho answered HTTP 502", status=502),
    ZohoError("TIMEOUT", "Zoho did not answer in time"),
    ZohoError("CONNECTION_ERROR", "could not reach Zoho"),
    ZohoError("INVALID_RESPONSE", "module list is not JSON", status=200),
    ZohoError("TOO_MANY_REQUESTS", "too many requests", status=429),
]


class ScriptedList:
    """A module-list fetch that fails with `failure` while it is set, and counts its calls."""

    def __init__(self, failure: ZohoError | None) -> None:
        self.failure = failure
        self.calls = 0

    async def __call__(self) -> list[dict]:
        self.calls += 1
        if self.failure is not None:
            raise self.failure
        return [dict(m) for m in LIST]


@pytest.mark.parametrize("failure", UNAVAILABLE, ids=lambda e: e.code)
async def test_unavailable_list_falls_back_and_is_tried_again_a_minute_later(failure: ZohoError, caplog) -> None:
    caplog.set_level(logging.WARNING)
    clock = Clock(0.0)
    fetch = ScriptedList(failure)
    catalog = ModuleCatalog(fetch, clock=clock)
    assert (await catalog.resolve("contact")).api_name == "Contacts"  # a standard photo module
    assert (await catalog.resolve("Widgets")).api_name == "Widgets"  # a well-formed api name, passed to Zoho
    with pytest.raises(ModuleProblem):
        await catalog.resolve("not a module!")
    assert fetch.calls == 1
    clock.now = 59
    await catalog.resolve("Leads")
    assert fetch.calls == 1  # not on every command
    clock.now = 60
    await catalog.resolve("Leads")
    assert fetch.calls == 2  # a minute later, not an hour
    warnings = [r for r in caplog.records if "module list is unavailable" in r.getMessage()]
    assert len(warnings) == 1 and failure.code in warnings[0].getMessage()
    fetch.failure = None
    clock.now = 120
    assert (await catalog.resolve("widget")).api_name == "Widgets"  # from the list now
    with pytest.raises(ModuleProblem) as info:
        await catalog.resolve("Gadgets")  # the real list decides again: no more passing through
    assert info.value.code == "UNKNOWN_MODULE"
    assert fetch.calls == 3


async def test_failed_refresh_keeps_the_last_good_list() -> None:
    clock = Clock(0.0)
    fetch = ScriptedList(None)
    catalog = ModuleCatalog(fetch, clock=clock)
    await catalog.resolve("Contacts")
    fetch.failure = UNAVAILABLE[0]
    clock.now = 3600  # the hourly refresh fails
    assert (await catalog.resolve("widget")).api_name == "Widgets"
    with pytest.raises(ModuleProblem) as info:
        await catalog.resolve("Gadgets")
    assert info.value.code == "UNKNOWN_MODULE" and info.value.suggestion == "Widgets"  # from the kept list
    assert catalog.photo_modules() == ["Contacts", "Widgets"]
    assert fetch.calls == 2
    clock.now = 3659
    await catalog.resolve("Contacts")
    assert fetch.calls == 2
    clock.now = 3660
    await catalog.resolve("Contacts")
    assert fetch.calls == 3


@pytest.mark.parametrize(
    "failure",
    [TokenError("INVALID_CLIENT", "invalid_client"), TokenError("INVALID_REFRESH_TOKEN", "invalid_code"),
     TokenError("TIMEOUT", "the accounts server did not answer"), ZohoError("INVALID_TOKEN", status=401)],
    ids=lambda e: f"{type(e).__name__}-{e.code}",
)
async def test_auth_failures_while_loading_the_list_still_surface(failure: ZohoError) -> None:
    catalog = ModuleCatalog(ScriptedList(failure), clock=Clock(0.0))
    with pytest.raises(ZohoError) as info:
        await catalog.resolve("Contacts")
    assert info.value is failure


async def test_module_list_5xx_at_zoho_never_blocks_a_photo(fake_zoho: FakeZoho, caplog) -> None:
    caplog.set_level(logging.WARNING)
    fake_zoho.fail_next("modules", 3, status=503, body="<html>Service Unavailable</html>")
    client = make_client(fake_zoho)
    try:
        assert isinstance(await client.fetch_photo("contact", "1"), Photo)
        assert isinstance(await client.fetch_photo("Properties", "2"), Photo)
    finally:
        await client.aclose()
    assert fake_zoho.module_calls() == 3  # the client's own retries, then the fallback
    assert fake_zoho.photo_calls() == 2
    assert [s.path for s in fake_zoho.seen if s.path.endswith("/photo")] == [
        "/crm/v8/Contacts/1/photo", "/crm/v8/Properties/2/photo"]

"""Module resolution: names as people type them, photo modules, suggestions, cache and no-scope fallback."""

from __future__ import annotations

import logging

import pytest

from bot.fakes.zoho import FakeZoho, Record
from bot.zoho import ModuleProblem, Photo, ZohoClient, ZohoError
from bot.zoho.modules import ModuleCatalog
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


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_cache_refreshes_hourly_and_early_at_most_once_a_minute() -> None:
    calls = 0
    modules = [{"api_name": "Contacts", "singular_label": "Contact", "plural_label": "Contacts"}]

    async def fetch():
        nonlocal calls
        calls += 1
        return list(modules)

    clock = Clock()
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

"""Record cards and web links against the fake Zoho: names per module, the org's domain name fetched once."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.fakes.zoho import FakeZoho, Record, module_entry
from bot.zoho import Module, ZohoClient, ZohoError, errors
from bot.zoho.client import metered
from bot.zoho.org import RETRY_AFTER_FAILURE
from bot.zoho.records import card_from_record
from tests.clock import Clock
from tests.conftest import FAST_RETRY, make_client, zoho_settings
from tests.test_zoho_search import CountingMeter

RID = "4000000000123"


@pytest.mark.parametrize(
    ("module", "fields", "name", "detail", "email"),
    [
        ("Contacts", {"Full_Name": "Jane Doe", "Account_Name": {"name": "Acme Ltd", "id": "9"},
                      "Email": "jane@acme.test", "Title": "CFO"}, "Jane Doe", "Acme Ltd", "jane@acme.test"),
        # the detail is never the email (the whole channel reads it); the email stays for the private list
        ("Contacts", {"First_Name": "Jane", "Last_Name": "Doe", "Email": "jane@acme.test"},
         "Jane Doe", "", "jane@acme.test"),
        ("Contacts", {"Last_Name": "Doe", "Account_Name": None, "Title": "CFO"}, "Doe", "CFO", ""),
        ("Leads", {"Full_Name": "Li Wei", "Company": "Zylker", "Email": "li@zylker.test", "Designation": "CTO"},
         "Li Wei", "Zylker", "li@zylker.test"),
        ("Leads", {"Full_Name": "Li Wei", "Designation": "CTO"}, "Li Wei", "CTO", ""),
        ("Accounts", {"Account_Name": "Acme Ltd", "Phone": "1"}, "Acme Ltd", "", ""),
        ("Products", {"Product_Name": "Widget 3000"}, "Widget 3000", "", ""),
        ("Vendors", {"Vendor_Name": "Parts Inc", "Email": "sales@parts.test"}, "Parts Inc", "", "sales@parts.test"),
        ("Properties", {"Name": "12 High St", "Email": "agent@homes.test"}, "12 High St", "", "agent@homes.test"),
    ],
)
async def test_card_for_each_module(
    zoho: ZohoClient, fake_zoho: FakeZoho, module: str, fields: dict[str, object], name: str, detail: str,
    email: str,
) -> None:
    fake_zoho.add_record(module, RID, Record(fields=fields))
    card = await zoho.record_card(await zoho.resolve_module(module), RID)
    assert (card.module, card.record_id, card.name, card.detail, card.email) == (module, RID, name, detail, email)
    assert fake_zoho.record_calls() == 1


async def test_display_field_comes_from_module_metadata(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    fake_zoho.modules = [module_entry("Homes", "Home", "Homes", "custom", module_name="CustomModule7",
                                      display_field="Home_Code")]
    fake_zoho.add_record("Homes", RID, Record(fields={"Name": "not this", "Home_Code": "H-77"}))
    module = await zoho.resolve_module("homes")
    assert module.display_field == "Home_Code"
    card = await zoho.record_card(module, RID)
    assert card.name == "H-77"
    assert card.link == f"https://crm.zoho.com/crm/org7000001/tab/CustomModule7/{RID}"


def test_display_field_parsing() -> None:
    assert Module.from_metadata({"api_name": "X", "display_field": {"api_name": "Code", "id": "1"}}).display_field \
        == "Code"  # type: ignore[union-attr]
    assert Module.from_metadata({"api_name": "X", "display_field": "Code"}).display_field == "Code"  # type: ignore[union-attr]
    assert Module.from_metadata({"api_name": "X", "display_field": {"api_name": "a b/c"}}).display_field == ""  # type: ignore[union-attr]
    assert Module.from_metadata({"api_name": "X", "display_field": None}).display_field == ""  # type: ignore[union-attr]


async def test_strings_are_trimmed_one_line_and_capped(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    fake_zoho.add_record("Leads", RID, Record(fields={"Full_Name": "  Jane\n\tDoe  ", "Company": "<b>" + "x" * 300}))
    card = await zoho.record_card(Module("Leads"), RID)
    assert card.name == "Jane Doe"
    assert len(card.detail) == 150 and card.detail.startswith("<b>xx") and card.detail.endswith("…")


async def test_a_record_zoho_has_not_is_typed(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    fake_zoho.add_record("Contacts", RID, Record(exists=False))
    with pytest.raises(ZohoError) as info:
        await zoho.record_card(Module("Contacts"), RID)
    assert (info.value.code, info.value.details) == (errors.RECORD_NOT_FOUND, {"id": RID})
    fake_zoho.default_record = None
    with pytest.raises(ZohoError) as info:
        await zoho.record_card(Module("Contacts"), "4000000000999")
    assert (info.value.code, info.value.status) == ("INVALID_DATA", 400)
    assert fake_zoho.record_calls() == 2


async def test_record_id_is_checked_before_any_call(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    with pytest.raises(ZohoError) as info:
        await zoho.record_card(Module("Contacts"), "12/../../org")
    assert info.value.code == errors.INVALID_RECORD_ID
    assert fake_zoho.record_calls() == 0 and fake_zoho.org_calls() == 0


@pytest.mark.parametrize(
    ("dc", "host"),
    [("us", "crm.zoho.com"), ("eu", "crm.zoho.eu"), ("ca", "crm.zohocloud.ca"), ("uk", "crm.zoho.uk")],
)
async def test_link_per_data_centre(fake_zoho: FakeZoho, dc: str, host: str) -> None:
    fake_zoho.add_record("Contacts", RID, Record(fields={"Full_Name": "Jane Doe"}))
    async with make_client(fake_zoho, dc=dc) as client:
        card = await client.record_card(Module("Contacts", module_name="Contacts"), RID)
    assert card.link == f"https://{host}/crm/org7000001/tab/Contacts/{RID}"


async def test_link_uses_the_internal_tab_name(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    deals = Module("Deals", module_name="Potentials")  # as the module list names it; Deals have no photos
    assert await zoho.record_link(deals, RID) == f"https://crm.zoho.com/crm/org7000001/tab/Potentials/{RID}"
    assert await zoho.record_link(Module("Leads"), f"zcrm_{RID}") == \
        f"https://crm.zoho.com/crm/org7000001/tab/Leads/{RID}"


async def test_org_is_fetched_once_for_20_concurrent_links(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    fake_zoho.latency = 0.2
    links = await asyncio.gather(*(zoho.record_link(Module("Contacts"), str(4000000000000 + n)) for n in range(20)))
    assert links == [f"https://crm.zoho.com/crm/org7000001/tab/Contacts/{4000000000000 + n}" for n in range(20)]
    assert fake_zoho.org_calls() == 1
    await zoho.record_link(Module("Contacts"), RID)
    assert fake_zoho.org_calls() == 1


async def test_org_without_domain_name_gives_no_link_and_is_not_asked_again(
    zoho: ZohoClient, fake_zoho: FakeZoho
) -> None:
    fake_zoho.org_domain = None
    fake_zoho.add_record("Contacts", RID, Record(fields={"Full_Name": "Jane Doe"}))
    card = await zoho.record_card(Module("Contacts"), RID)
    assert card.name == "Jane Doe" and card.link is None
    assert await zoho.record_link(Module("Contacts"), RID) is None
    assert fake_zoho.org_calls() == 1


async def test_org_failure_gives_no_link_retried_at_most_every_10_minutes_one_warning(
    fake_zoho: FakeZoho, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.zoho.org")
    clock = Clock()
    fake_zoho.scope_for_org = False
    fake_zoho.add_record("Contacts", RID, Record(fields={"Full_Name": "Jane Doe"}))
    async with ZohoClient(zoho_settings(fake_zoho), retry=FAST_RETRY, clock=clock) as client:
        card = await client.record_card(Module("Contacts"), RID)
        assert card.name == "Jane Doe" and card.link is None
        assert fake_zoho.org_calls() == 1
        clock.now += RETRY_AFTER_FAILURE - 1
        assert await client.record_link(Module("Contacts"), RID) is None
        assert fake_zoho.org_calls() == 1
        clock.now += 2
        assert await client.record_link(Module("Contacts"), RID) is None
        assert fake_zoho.org_calls() == 2
        fake_zoho.scope_for_org = True
        clock.now += RETRY_AFTER_FAILURE
        assert await client.record_link(Module("Contacts"), RID) == \
            f"https://crm.zoho.com/crm/org7000001/tab/Contacts/{RID}"
        assert fake_zoho.org_calls() == 3
    warnings = [r for r in caplog.records if r.name == "bot.zoho.org" and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "OAUTH_SCOPE_MISMATCH" in warnings[0].getMessage()


async def test_org_server_error_gives_no_link_and_no_exception(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail_next("org", times=3, code="INTERNAL_ERROR")
    fake_zoho.add_record("Contacts", RID, Record(fields={"Full_Name": "Jane Doe"}))
    card = await zoho.record_card(Module("Contacts"), RID)
    assert card.link is None and card.name == "Jane Doe"
    assert fake_zoho.org_calls() == 3  # the usual retries, then given up for a while


async def test_each_call_is_counted_against_the_budget(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    fake_zoho.add_record("Contacts", RID, Record(fields={"Full_Name": "Jane Doe"}))
    meter = CountingMeter()
    with metered(meter):
        await zoho.record_card(Module("Contacts"), RID)
        assert meter.reserved == 2  # the record, then the org
        await zoho.record_card(Module("Contacts"), RID)
        assert meter.reserved == 3
    assert fake_zoho.record_calls() == 2 and fake_zoho.org_calls() == 1


async def test_budget_refusal_of_the_org_call_is_not_an_org_failure(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    class Refusing(CountingMeter):
        async def reserve(self) -> bool:
            await super().reserve()
            return False

    with metered(Refusing()):
        assert await zoho.record_link(Module("Contacts"), RID) is None
    assert fake_zoho.org_calls() == 0
    assert await zoho.record_link(Module("Contacts"), RID) == f"https://crm.zoho.com/crm/org7000001/tab/Contacts/{RID}"


def test_a_card_keeps_the_records_emails_and_own_phones_apart_from_what_is_shown() -> None:
    data = {"id": RID, "Full_Name": "Pat Quinn", "Email": "pat@x.example", "Secondary_Email": "pq@home.example",
            "Phone": "+44 20 7946 0123", "Mobile": "07700 900123", "Home_Phone": "", "Other_Phone": None,
            "Asst_Phone": "+44 20 7946 0999", "Fax": "+44 20 7946 0000", "Title": "Head of Buying"}
    card = card_from_record(Module("Contacts"), data)
    assert card is not None
    assert card.emails == ("pat@x.example", "pq@home.example") and card.email == "pat@x.example"
    assert card.phones == ("+44 20 7946 0123", "07700 900123")  # the assistant's and the fax are not Pat's own
    assert card.detail == "Head of Buying"

"""Record search against the fake Zoho: each kind, 204, counts, limits, typed errors, and what reaches the URL."""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
import pytest

from bot.fakes import zoho as fz
from bot.fakes.zoho import FakeZoho, Record
from bot.records import SearchKind
from bot.zoho import Module, ZohoClient, ZohoError, errors
from bot.zoho.client import metered

CONTACTS = Module("Contacts", module_name="Contacts", display_field="Full_Name")


class CountingMeter:
    """A budget meter that allows every call and counts them."""

    def __init__(self) -> None:
        self.reserved = 0
        self.released = 0

    async def reserve(self) -> bool:
        self.reserved += 1
        return True

    async def release(self) -> None:
        self.released += 1


def jane(fake: FakeZoho, record_id: str = "4000000000001", **extra: object) -> None:
    fields = {"Full_Name": "Jane Doe", "First_Name": "Jane", "Last_Name": "Doe", "Email": "Jane.Doe@Example.com",
              "Phone": "+1 (415) 555-0100", "Account_Name": {"name": "Acme Ltd", "id": "1"}, "Title": "CFO"}
    fields.update(extra)
    fake.add_record("Contacts", record_id, Record(fields=fields))


def search_queries(fake: FakeZoho) -> list[dict[str, list[str]]]:
    return [parse_qs(s.query) for s in fake.seen if s.path.endswith("/search")]


@pytest.mark.parametrize(
    ("kind", "value"),
    [("email", "jane.doe@example.COM"), ("phone", "1-415-555-0100"), ("word", "  acme  "), ("word", "doe")],
)
async def test_each_kind_finds_the_record(zoho: ZohoClient, fake_zoho: FakeZoho, kind: SearchKind, value: str) -> None:
    jane(fake_zoho)
    fake_zoho.add_record("Contacts", "4000000000002", Record(fields={"Full_Name": "Bob Roe", "Email": "bob@x.io"}))
    hits = await zoho.search(CONTACTS, kind, value)
    assert hits.total == 1 and not hits.more
    (card,) = hits.cards
    assert (card.record_id, card.name, card.detail, card.email) == (
        "4000000000001", "Jane Doe", "Acme Ltd", "Jane.Doe@Example.com")
    assert card.link == "https://crm.zoho.com/crm/org7000001/tab/Contacts/4000000000001"
    assert search_queries(fake_zoho) == [{kind: [value.strip()], "per_page": ["50"]}]


async def test_nothing_found_is_204_with_no_cards(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    jane(fake_zoho)
    hits = await zoho.search(CONTACTS, "email", "nobody@example.com")
    assert (hits.module, hits.cards, hits.total, hits.more) == ("Contacts", (), 0, False)
    assert fake_zoho.search_calls() == 1
    assert fake_zoho.org_calls() == 0  # no card, no link wanted


async def test_several_matches_give_total_and_the_first_cards(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    for n in range(7):
        jane(fake_zoho, f"400000000001{n}", Full_Name=f"Jane Smith {n}")
    hits = await zoho.search(CONTACTS, "word", "smith")
    assert hits.total == 7 and not hits.more
    assert [c.name for c in hits.cards] == [f"Jane Smith {n}" for n in range(5)]
    two = await zoho.search(CONTACTS, "word", "smith", limit=2)
    assert [c.record_id for c in two.cards] == ["4000000000010", "4000000000011"] and two.total == 7


async def test_more_than_a_page_says_more(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    for n in range(60):
        jane(fake_zoho, f"40000000001{n:02d}", Full_Name=f"Jane Smith {n}")
    hits = await zoho.search(CONTACTS, "word", "smith")
    assert (hits.total, hits.more, len(hits.cards)) == (50, True, 5)
    assert fake_zoho.search_calls() == 1


async def test_invalid_query_stays_typed_and_is_not_retried(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail_next("search", code="INVALID_QUERY")
    with pytest.raises(ZohoError) as info:
        await zoho.search(CONTACTS, "word", "acme")
    assert (info.value.code, info.value.status) == ("INVALID_QUERY", 400)
    assert fake_zoho.search_calls() == 1


async def test_server_errors_are_retried(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    jane(fake_zoho)
    fake_zoho.fail_next("search", code="INTERNAL_ERROR")
    hits = await zoho.search(CONTACTS, "word", "acme")
    assert hits.total == 1 and fake_zoho.search_calls() == 2


async def test_missing_search_scope_is_search_not_enabled_naming_the_scope(
    zoho: ZohoClient, fake_zoho: FakeZoho
) -> None:
    fake_zoho.scope_for_search = False
    with pytest.raises(ZohoError) as info:
        await zoho.search(CONTACTS, "email", "jane@example.com")
    err = info.value
    assert err.code == errors.SEARCH_NOT_ENABLED
    assert err.details["scope"] == "ZohoSearch.securesearch.READ"
    assert err.details["module_scope"] == "ZohoCRM.modules.contacts.READ"
    assert fake_zoho.search_calls() == 1


@pytest.mark.parametrize(
    ("kind", "value", "code"),
    [
        ("word", "a", errors.SEARCH_TOO_SHORT),
        ("word", "  b  ", errors.SEARCH_TOO_SHORT),
        ("word", "", errors.SEARCH_TOO_SHORT),
        ("word", "x" * 101, errors.SEARCH_TOO_LONG),
        ("email", "jane", errors.SEARCH_BAD_EMAIL),
        ("email", "jane@example", errors.SEARCH_BAD_EMAIL),
        ("phone", "555-CALL", errors.SEARCH_BAD_PHONE),
        ("phone", "+1", errors.SEARCH_TOO_SHORT),
    ],
)
async def test_unusable_values_are_refused_without_a_call(
    zoho: ZohoClient, fake_zoho: FakeZoho, kind: SearchKind, value: str, code: str
) -> None:
    with pytest.raises(ZohoError) as info:
        await zoho.search(CONTACTS, kind, value)
    assert info.value.code == code
    assert fake_zoho.search_calls() == 0 and fake_zoho.token_requests == 0


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("word", "../../settings/modules"),
        ("word", "a&email=x@y.z"),
        ("word", "acme#frag?x=1"),
        ("word", "%2F..%2Forg"),
        ("word", "(Last_Name:equals:x)"),
        ("email", "a@b.co&phone=1/../org"),
    ],
)
async def test_typed_values_never_reach_the_path(
    zoho: ZohoClient, fake_zoho: FakeZoho, kind: SearchKind, value: str
) -> None:
    await zoho.search(CONTACTS, kind, value)
    (seen,) = [s for s in fake_zoho.seen if s.path.startswith("/crm/")]
    assert seen.path == "/crm/v8/Contacts/search"
    assert parse_qs(seen.query) == {kind: [value], "per_page": ["50"]}


async def test_a_module_name_that_is_not_an_api_name_is_refused(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    with pytest.raises(ZohoError) as info:
        await zoho.search(Module("Contacts/../org"), "word", "acme")
    assert info.value.code == errors.UNKNOWN_MODULE
    assert fake_zoho.search_calls() == 0 and fake_zoho.org_calls() == 0


async def test_every_call_is_counted_against_the_budget(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    jane(fake_zoho)
    meter = CountingMeter()
    with metered(meter):
        await zoho.search(CONTACTS, "word", "acme")  # search + the org's domain name for links
        assert meter.reserved == 2
        await zoho.search(CONTACTS, "word", "jane")  # the org is known now
        assert meter.reserved == 3
        await zoho.search(CONTACTS, "word", "nobody")
    assert meter.reserved == 4 and meter.released == 0
    assert fake_zoho.search_calls() == 3 and fake_zoho.org_calls() == 1


@pytest.mark.zoho_requests_by_test  # it drives the fake itself, page= and a missing criterion included
async def test_fake_search_answers_like_zoho(fake_zoho: FakeZoho) -> None:
    """The fake itself, as other tests and the demo rely on it: paging info, 204 with no body, query errors."""
    for n in range(3):
        jane(fake_zoho, f"400000000002{n}")
    async with httpx.AsyncClient(base_url=fake_zoho.url) as http:
        token = (await http.post("/oauth/v2/token", data={
            "grant_type": "refresh_token", "client_id": fz.CLIENT_ID, "client_secret": fz.CLIENT_SECRET,
            "refresh_token": fz.REFRESH_TOKEN})).json()["access_token"]
        headers = {"Authorization": f"Zoho-oauthtoken {token}"}

        async def get(**params: str) -> httpx.Response:
            return await http.get("/crm/v8/Contacts/search", params=params, headers=headers)

        page = await get(word="jane", per_page="2", page="1")
        assert page.status_code == 200
        assert page.json()["info"] == {"per_page": 2, "count": 2, "page": 1, "more_records": True}
        last = (await get(word="jane", per_page="2", page="2")).json()
        assert [r["id"] for r in last["data"]] == ["4000000000022"] and last["info"]["more_records"] is False
        none = await get(email="nobody@example.com")
        assert (none.status_code, none.content) == (204, b"")
        assert (await get(criteria="(Email:equals:jane.doe@example.com)")).json()["data"][0]["id"] == "4000000000020"
        bad = await get(criteria="Email=jane")
        assert (bad.status_code, bad.json()["code"]) == (400, "INVALID_QUERY")
        missing = await get(per_page="5")
        assert (missing.status_code, missing.json()["code"]) == (400, "EXPECTED_PARAM_MISSING")

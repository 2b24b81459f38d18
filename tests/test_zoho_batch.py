"""Captions' record fields asked for together share one Zoho call (bot/zoho/batch.py), against the fake Zoho.

A lone card is `GET /{module}/{id}`; cards asked for in the same moment, or while a Zoho slot is awaited, go as
one `GET /{module}?ids=…&fields=…` of at most 100 ids, never across two workspaces' credits, never for a custom
module (its fields vary per org); a module whose list call Zoho refuses is read one record at a time after that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from urllib.parse import parse_qs

import pytest

from bot.fakes.zoho import FakeZoho, Record
from bot.records import RecordCard
from bot.zoho import Module, ZohoClient, ZohoError, errors
from bot.zoho.client import MAX_IDS, metered
from tests.conftest import make_client
from tests.inprocess import BotFactory
from tests.waiting import until

CONTACTS = Module("Contacts")


def rid(n: int) -> str:
    return str(4000000000000 + n)


def people(fake: FakeZoho, count: int, module: str = "Contacts") -> None:
    for n in range(count):
        fake.add_record(module, rid(n), Record(fields={"Full_Name": f"Person {n}", "Name": f"Thing {n}",
                                                       "Email": f"p{n}@acme.test"}))


async def cards(client: ZohoClient, module: Module, ids: list[str]) -> list[RecordCard | BaseException]:
    return await asyncio.gather(*(client.record_card(module, i) for i in ids), return_exceptions=True)


@pytest.fixture
async def client(fake_zoho: FakeZoho) -> ZohoClient:
    zoho = make_client(fake_zoho)
    yield zoho
    await zoho.aclose()


async def test_cards_asked_for_together_are_one_call_naming_only_the_caption_fields(
    client: ZohoClient, fake_zoho: FakeZoho
) -> None:
    people(fake_zoho, 30)
    got = await cards(client, CONTACTS, [rid(n) for n in range(30)])
    assert [c.name for c in got] == [f"Person {n}" for n in range(30)]  # type: ignore[union-attr]
    assert [c.email for c in got] == [f"p{n}@acme.test" for n in range(30)]  # type: ignore[union-attr]
    assert fake_zoho.record_calls() == 1
    [call] = [s for s in fake_zoho.seen if s.path == "/crm/v8/Contacts"]
    query = parse_qs(call.query)
    assert query["ids"] == [",".join(rid(n) for n in range(30))]
    assert query["fields"] == ["Full_Name,First_Name,Last_Name,Account_Name,Email,Title"]


async def test_a_lone_card_is_asked_for_alone_and_whole(client: ZohoClient, fake_zoho: FakeZoho) -> None:
    people(fake_zoho, 1)
    card = await client.record_card(CONTACTS, rid(0))
    assert card.name == "Person 0"
    assert [s.path for s in fake_zoho.seen if "/Contacts" in s.path] == [f"/crm/v8/Contacts/{rid(0)}"]
    assert fake_zoho.records_list_calls() == []


async def test_cards_asked_for_while_the_slot_is_busy_ride_on_the_next_call(fake_zoho: FakeZoho) -> None:
    people(fake_zoho, 11)
    fake_zoho.latency = 0.2
    zoho = make_client(fake_zoho, max_concurrency=1)
    try:
        await zoho.tokens.get()
        first = asyncio.ensure_future(zoho.record_card(CONTACTS, rid(0)))
        await until(lambda: fake_zoho.in_flight == 1, "the first card's call reached Zoho")
        rest = await cards(zoho, CONTACTS, [rid(n) for n in range(1, 11)])
        assert (await first).name == "Person 0"
    finally:
        await zoho.aclose()
    assert [c.name for c in rest] == [f"Person {n}" for n in range(1, 11)]  # type: ignore[union-attr]
    assert fake_zoho.record_calls() == 2  # not 11
    assert fake_zoho.records_list_calls() == [[rid(n) for n in range(1, 11)]]
    assert fake_zoho.max_in_flight == 1


async def test_a_batch_holds_at_most_max_ids(client: ZohoClient, fake_zoho: FakeZoho) -> None:
    people(fake_zoho, MAX_IDS + 30)
    got = await cards(client, CONTACTS, [rid(n) for n in range(MAX_IDS + 30)])
    assert all(isinstance(c, RecordCard) for c in got)
    assert [len(ids) for ids in fake_zoho.records_list_calls()] == [MAX_IDS, 30]


async def test_the_same_record_twice_in_a_moment_is_named_once(client: ZohoClient, fake_zoho: FakeZoho) -> None:
    people(fake_zoho, 2)
    got = await cards(client, CONTACTS, [rid(0), rid(1), rid(0)])
    assert [c.name for c in got] == ["Person 0", "Person 1", "Person 0"]  # type: ignore[union-attr]
    assert fake_zoho.records_list_calls() == [[rid(0), rid(1)]]


async def test_a_record_zoho_leaves_out_is_not_found_and_the_others_are(
    client: ZohoClient, fake_zoho: FakeZoho
) -> None:
    people(fake_zoho, 3)
    fake_zoho.add_record("Contacts", rid(1), Record(exists=False))
    first, missing, third = await cards(client, CONTACTS, [rid(0), rid(1), rid(2)])
    assert isinstance(missing, ZohoError) and missing.code == errors.RECORD_NOT_FOUND
    assert (first.name, third.name) == ("Person 0", "Person 2")  # type: ignore[union-attr]
    assert fake_zoho.record_calls() == 1


async def test_custom_module_records_are_read_one_at_a_time(client: ZohoClient, fake_zoho: FakeZoho) -> None:
    people(fake_zoho, 4, "Properties")
    module = await client.resolve_module("Properties")
    got = await cards(client, module, [rid(n) for n in range(4)])
    assert [c.name for c in got] == [f"Thing {n}" for n in range(4)]  # type: ignore[union-attr]
    assert fake_zoho.records_list_calls() == []
    assert fake_zoho.record_calls() == 4


async def test_a_refused_list_call_costs_one_caption_then_the_module_is_read_one_record_at_a_time(
    client: ZohoClient, fake_zoho: FakeZoho, caplog: pytest.LogCaptureFixture
) -> None:
    people(fake_zoho, 3)
    fake_zoho.field_names["Contacts"].discard("Title")  # this org has no Title field: Zoho refuses the list
    first = await cards(client, CONTACTS, [rid(0), rid(1), rid(2)])
    assert all(isinstance(e, ZohoError) and e.code == "INVALID_DATA" for e in first)
    assert fake_zoho.record_calls() == 1
    again = await cards(client, CONTACTS, [rid(0), rid(1), rid(2)])
    assert [c.name for c in again] == ["Person 0", "Person 1", "Person 2"]  # type: ignore[union-attr]
    assert fake_zoho.record_calls() == 4 and len(fake_zoho.records_list_calls()) == 1
    assert sum("read one at a time" in r.getMessage() for r in caplog.records) == 1


class AccountMeter:
    """A budget meter for one workspace: counts the calls it paid for."""

    def __init__(self, account: str) -> None:
        self.account = account
        self.reserved = 0

    async def reserve(self) -> bool:
        self.reserved += 1
        return True

    async def release(self) -> None:
        self.reserved -= 1


async def test_two_workspaces_never_share_a_call(client: ZohoClient, fake_zoho: FakeZoho) -> None:
    people(fake_zoho, 4)
    await client.org.get()  # the web link's org call, once per process: not part of what is counted here
    meters = [AccountMeter("T1"), AccountMeter("T2")]
    asks: list[Awaitable[RecordCard]] = []
    for n in range(4):
        with metered(meters[n % 2]):
            asks.append(asyncio.ensure_future(client.record_card(CONTACTS, rid(n))))
    got = await asyncio.gather(*asks)
    assert [c.name for c in got] == [f"Person {n}" for n in range(4)]
    assert sorted(fake_zoho.records_list_calls()) == [[rid(0), rid(2)], [rid(1), rid(3)]]
    assert [m.reserved for m in meters] == [1, 1]  # each workspace paid for its own call, once


async def test_the_first_asker_giving_up_does_not_cancel_the_call_for_the_others(
    client: ZohoClient, fake_zoho: FakeZoho
) -> None:
    people(fake_zoho, 3)
    fake_zoho.latency = 0.1
    await client.tokens.get()
    asks = [asyncio.ensure_future(client.record_card(CONTACTS, rid(n))) for n in range(3)]
    await until(lambda: fake_zoho.in_flight == 1, "the shared call reached Zoho")
    asks[0].cancel()
    second, third = await asyncio.gather(asks[1], asks[2])
    assert (second.name, third.name) == ("Person 1", "Person 2")
    assert asks[0].cancelled()
    assert fake_zoho.record_calls() == 1


async def test_a_burst_of_commands_shares_field_calls_and_each_caption_names_its_own_record(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(ZOHO_MAX_CONCURRENCY="2", USER_RATE_LIMIT="0")
    bot.zoho.latency = 0.05
    people(bot.zoho, 12)
    await asyncio.gather(*(bot.command(f"Contacts {rid(n)}") for n in range(12)))
    await bot.settle()
    assert sorted(u["title"] for u in bot.slack.uploads) == sorted(f"Person {n}" for n in range(12))
    assert bot.zoho.photo_calls() == 12
    assert bot.zoho.record_calls() < 12  # fields asked for while the two slots were busy went together
    assert bot.zoho.max_in_flight <= 2


async def test_a_batch_whose_askers_all_gave_up_is_never_sent(fake_zoho: FakeZoho) -> None:
    people(fake_zoho, 4)
    fake_zoho.latency = 0.2
    zoho = make_client(fake_zoho, max_concurrency=1)
    try:
        await zoho.tokens.get()
        await zoho.org.get()
        first = asyncio.ensure_future(zoho.record_card(CONTACTS, rid(0)))
        await until(lambda: fake_zoho.in_flight == 1, "the first card's call reached Zoho")
        gave_up = [asyncio.ensure_future(zoho.record_card(CONTACTS, rid(n))) for n in (1, 2)]
        kept = asyncio.ensure_future(zoho.record_card(CONTACTS, rid(3)))
        await asyncio.sleep(0)
        for ask in gave_up:
            ask.cancel()
        assert (await first).name == "Person 0" and (await kept).name == "Person 3"
        assert fake_zoho.records_list_calls() == []  # the second call named the one id still wanted
        assert [s.path for s in fake_zoho.seen if "/Contacts/" in s.path][-1] == f"/crm/v8/Contacts/{rid(3)}"
        fake_zoho.reset_counts()
        late = asyncio.ensure_future(zoho.record_card(CONTACTS, rid(0)))
        await until(lambda: fake_zoho.in_flight == 1, "a card's call reached Zoho")
        gone = [asyncio.ensure_future(zoho.record_card(CONTACTS, rid(n))) for n in (1, 2)]
        await asyncio.sleep(0)
        for ask in gone:
            ask.cancel()
        await late
        await until(lambda: not zoho._cards._running, "the abandoned batch's task ended")
        assert fake_zoho.record_calls() == 1  # only `late`'s own: the abandoned batch spent no credit
    finally:
        await zoho.aclose()

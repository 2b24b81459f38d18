"""Unfurling record links against the fake Slack: private photo files, retries while a file is processed,
the fallback without the photo, the Slack Connect check and the 10-minute cache."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.deliver import Delivery
from bot.fakes.slack import FakeSlack
from bot.messages import Label
from bot.records import RecordCard
from bot.slack.client import build_client
from bot.slack.unfurl import MemoryUnfurlCache, UnfurlDestination, Unfurler
from bot.zoho import NoPhoto, Photo

TOKEN = "xoxb-test-dummy"
URL = "https://crm.zoho.com/crm/org1/tab/Contacts/4876876000000624001"
CARD = RecordCard("Contacts", "4876876000000624001", "Ada Lovelace", "Analytical Engines Ltd", link=URL)
PHOTO = Photo("Contacts", "4876876000000624001", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png", "photo.png")
LABEL = Label("Ada Lovelace", "", CARD)


class Clock:
    """A clock the test moves; `sleep` moves it instead of waiting, and remembers how long each wait was."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=TOKEN) as server:
        server.add_channel("C1", bot_member=False)
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    return build_client(TOKEN, fake.api_url, timeout=5.0)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def unfurler(client: AsyncWebClient, clock: Clock) -> Unfurler:
    return Unfurler(client, clock=clock, sleep=clock.sleep)


def unfurl_calls(fake: FakeSlack) -> list[dict[str, Any]]:
    return [p for m, p in fake.calls if m == "chat.unfurl"]


def has_image(unfurl: dict[str, Any]) -> bool:
    return any(b["type"] == "image" for b in unfurl["unfurls"][URL]["blocks"])


async def test_private_file_is_uploaded_to_no_channel(fake: FakeSlack, unfurler: Unfurler) -> None:
    file_id = await unfurler.private_file(PHOTO)
    [up] = fake.uploads
    assert (up["file_id"], up["channel_id"], up["content"]) == (file_id, None, PHOTO.content)
    assert fake.count("files.info") == 0


async def test_image_unfurl_at_once(fake: FakeSlack, unfurler: Unfurler, clock: Clock) -> None:
    file_id = await unfurler.private_file(PHOTO)
    assert await unfurler.unfurl("C1", "1700000000.000002", URL, CARD, file_id) == "image"
    [done] = fake.unfurls
    assert (done["channel"], done["ts"]) == ("C1", "1700000000.000002")
    assert done["unfurls"][URL]["blocks"][1] == {
        "type": "image", "slack_file": {"id": file_id}, "alt_text": "Photo of Ada Lovelace"}
    assert (len(unfurl_calls(fake)), clock.sleeps) == (1, [])


async def test_retries_while_the_file_is_processed_then_shows_the_image(
    fake: FakeSlack, unfurler: Unfurler, clock: Clock
) -> None:
    fake.file_ready_after(calls=2)
    file_id = await unfurler.private_file(PHOTO)
    assert await unfurler.unfurl("C1", "1.2", URL, CARD, file_id) == "image"
    assert len(unfurl_calls(fake)) == 3
    assert clock.sleeps == [0.5, 1.0]
    [done] = fake.unfurls
    assert has_image(done)


async def test_falls_back_to_text_within_about_eight_seconds(
    fake: FakeSlack, unfurler: Unfurler, clock: Clock
) -> None:
    fake.file_ready_after(calls=1000)
    file_id = await unfurler.private_file(PHOTO)
    assert await unfurler.unfurl("C1", "1.2", URL, CARD, file_id) == "text"
    calls = unfurl_calls(fake)
    assert len(calls) == 7  # six tries with the image (waits 0.5+1+1.5+2+3 = 8 s), then one without
    assert sum(clock.sleeps) == 8.0
    assert [has_image(c) for c in calls] == [True] * 6 + [False]
    [done] = fake.unfurls
    assert not has_image(done)
    assert done["unfurls"][URL]["blocks"][0]["text"]["text"].startswith(f"*<{URL}|Ada Lovelace>*")


async def test_other_invalid_blocks_go_straight_to_text(fake: FakeSlack, client: AsyncWebClient, clock: Clock,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(messages, "photo_alt", lambda name, locale: "")  # an image without alt_text
    unfurler = Unfurler(client, clock=clock, sleep=clock.sleep)
    file_id = await unfurler.private_file(PHOTO)
    assert await unfurler.unfurl("C1", "1.2", URL, CARD, file_id) == "text"
    assert (len(unfurl_calls(fake)), clock.sleeps) == (2, [])


async def test_invalid_blocks_without_detail_is_taken_for_a_fresh_file(
    fake: FakeSlack, unfurler: Unfurler, clock: Clock
) -> None:
    file_id = await unfurler.private_file(PHOTO)
    fake.fail_next("chat.unfurl", "invalid_blocks")  # {"ok": false, "error": "invalid_blocks"}, no `errors`
    assert await unfurler.unfurl("C1", "1.2", URL, CARD, file_id) == "image"
    assert (len(unfurl_calls(fake)), clock.sleeps) == (2, [0.5])


async def test_a_file_never_accepted_is_not_tried_again_within_the_ttl(
    fake: FakeSlack, unfurler: Unfurler, clock: Clock
) -> None:
    fake.file_ready_after(calls=1000)
    await UnfurlDestination(unfurler, "C1", "1.2", URL).send(PHOTO, LABEL)
    assert len(unfurl_calls(fake)) == 7
    assert await unfurler.cache.get(CARD.module, CARD.record_id) == (CARD, None)
    assert await UnfurlDestination(unfurler, "C1", "1.3", URL).from_cache(CARD.module, CARD.record_id) is not None
    assert (len(unfurl_calls(fake)), len(fake.uploads)) == (8, 1)
    assert not has_image(unfurl_calls(fake)[-1])


async def test_fresh_file_with_real_time(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.file_ready_after(seconds=0.3)
    unfurler = Unfurler(client)
    file_id = await unfurler.private_file(PHOTO)
    assert await unfurler.unfurl("C1", "1.2", URL, CARD, file_id) == "image"
    assert 2 <= len(unfurl_calls(fake)) <= 3


async def test_without_a_photo_one_text_unfurl(fake: FakeSlack, unfurler: Unfurler) -> None:
    assert await unfurler.unfurl("C1", "1.2", URL, CARD, None) == "text"
    assert len(unfurl_calls(fake)) == 1
    assert not has_image(fake.unfurls[0])


async def test_other_failures_are_reported_without_waiting(fake: FakeSlack, unfurler: Unfurler, clock: Clock) -> None:
    file_id = await unfurler.private_file(PHOTO)
    assert await unfurler.unfurl("C404", "1.2", URL, CARD, file_id) == "failed"
    assert len(unfurl_calls(fake)) == 2  # with the image, then without: both cannot_find_channel
    assert clock.sleeps == []
    assert fake.unfurls == []


async def test_composer_links_use_unfurl_id_and_source(fake: FakeSlack, unfurler: Unfurler) -> None:
    shown = await unfurler.unfurl("C1", "not-a-ts", URL, CARD, None, unfurl_id="U1.abc", source="composer")
    assert shown == "text"
    [done] = fake.unfurls
    assert (done["unfurl_id"], done["source"], done["channel"], done["ts"]) == ("U1.abc", "composer", None, None)


# --- the 10-minute cache ----------------------------------------------------------------------------------------

async def test_cache_expires_after_its_ttl(clock: Clock) -> None:
    cache = MemoryUnfurlCache(ttl=600, clock=clock)
    await cache.put("Contacts", "1", CARD, "F1")
    clock.now += 599.9
    assert await cache.get("Contacts", "1") == (CARD, "F1")
    assert await cache.get("Contacts", "2") is None
    clock.now += 0.1
    assert await cache.get("Contacts", "1") is None


async def test_cache_drops_the_oldest_beyond_its_size(clock: Clock) -> None:
    cache = MemoryUnfurlCache(max_entries=2, clock=clock)
    for n in ("1", "2", "3"):
        await cache.put("Contacts", n, CARD, f"F{n}")
    assert [await cache.get("Contacts", n) for n in ("1", "2", "3")] == [None, (CARD, "F2"), (CARD, "F3")]


async def test_a_link_pasted_again_costs_no_new_upload_within_the_ttl(
    fake: FakeSlack, unfurler: Unfurler, clock: Clock
) -> None:
    first = UnfurlDestination(unfurler, "C1", "1.2", URL)
    assert await first.from_cache(CARD.module, CARD.record_id) is None
    await first.send(PHOTO, LABEL)
    clock.now += 599
    again = UnfurlDestination(unfurler, "C1", "1.3", URL)
    assert await again.from_cache(CARD.module, CARD.record_id) == Delivery("C1")
    assert (len(fake.uploads), [has_image(c) for c in unfurl_calls(fake)]) == (1, [True, True])
    clock.now += 1
    assert await again.from_cache(CARD.module, CARD.record_id) is None


async def test_a_record_without_photo_is_remembered_for_the_ttl_and_shows_nothing(
    fake: FakeSlack, unfurler: Unfurler, clock: Clock
) -> None:
    destination = UnfurlDestination(unfurler, "C1", "1.2", URL)
    await destination.no_photo(CARD.module, CARD.record_id)
    clock.now += 599
    known = await UnfurlDestination(unfurler, "C1", "1.3", URL).from_cache(CARD.module, CARD.record_id)
    assert known == NoPhoto(CARD.module, CARD.record_id)
    assert (fake.unfurls, fake.uploads) == ([], [])
    clock.now += 1
    assert await destination.from_cache(CARD.module, CARD.record_id) is None

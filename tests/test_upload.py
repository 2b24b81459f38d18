"""SlackDestination against a real-HTTP FakeSlack: channel, join, DM fallback, retries and Slack's refusals."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot import deadline, messages
from bot.deliver import Delivery, DeliveryError
from bot.fakes.slack import FakeSlack
from bot.slack import retry
from bot.slack.client import build_client
from bot.slack.directory import SlackDirectory
from bot.slack.upload import SlackDestination
from bot.zoho import Photo

TOKEN = "xoxb-test-dummy"
USER = "U0ALICE"
DM = f"D{USER}"
PHOTO = Photo(
    module="Contacts",
    record_id="4876876000000624001",
    content=b"\xff\xd8\xff\xe0" + bytes(range(256)) * 64 + b"\xff\xd9",
    content_type="image/jpeg",
    filename="Contacts-4876876000000624001.jpg",
)
LABEL = messages.photo_label(None, PHOTO.module, PHOTO.record_id, "U0ALICE", locale="en")
STEPS = ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
API_STEPS = ["files.getUploadURLExternal", "files.completeUploadExternal"]


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=TOKEN) as fake:
        fake.add_channel("C0MEMBER", "public", bot_member=True)
        fake.add_channel("C0PUBLIC", "public", bot_member=False)
        fake.add_channel("G0PRIVATE", "private", bot_member=False)
        yield fake


class RecordedSleeps:
    """Stands in for `asyncio` inside bot.slack.retry: records each retry delay instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> RecordedSleeps:
    recorded = RecordedSleeps()
    monkeypatch.setattr(retry, "asyncio", recorded)
    return recorded


def destination(slack: FakeSlack, channel: str, timeout: float = 10) -> SlackDestination:
    client = build_client(TOKEN, slack.api_url, timeout)
    return SlackDestination(client, channel, USER, SlackDirectory(client).sharing)


def completed(slack: FakeSlack) -> list[dict[str, Any]]:
    return slack.uploads


def assert_delivered_once(slack: FakeSlack, channel: str) -> dict[str, Any]:
    uploads = completed(slack)
    assert len(uploads) == 1, uploads
    upload = uploads[0]
    assert upload["channel_id"] == channel
    assert upload["content"] == PHOTO.content
    assert upload["filename"] == PHOTO.filename
    return upload


# --- Where the photo goes ----------------------------------------------------------------------------


async def test_member_channel_gets_the_exact_bytes(slack: FakeSlack) -> None:
    delivery = await destination(slack, "C0MEMBER").send(PHOTO, LABEL)
    assert delivery == Delivery("C0MEMBER")
    upload = assert_delivered_once(slack, "C0MEMBER")
    assert upload["title"] == "Contacts 4876876000000624001"
    assert f"<@{USER}>" in upload["initial_comment"]
    assert "Contacts 4876876000000624001" in upload["initial_comment"]
    assert slack.joins == [] and slack.opens == []
    assert slack.count("files.completeUploadExternal") == 1


async def test_public_channel_is_joined_then_uploaded_once(slack: FakeSlack) -> None:
    delivery = await destination(slack, "C0PUBLIC").send(PHOTO, LABEL)
    assert delivery == Delivery("C0PUBLIC", joined=True)
    assert slack.joins == ["C0PUBLIC"] and slack.is_member("C0PUBLIC")
    assert_delivered_once(slack, "C0PUBLIC")
    assert slack.opens == []


async def test_private_channel_falls_back_to_a_dm(slack: FakeSlack) -> None:
    delivery = await destination(slack, "G0PRIVATE").send(PHOTO, LABEL)
    assert delivery == Delivery(DM, direct_message=True)
    assert_delivered_once(slack, DM)
    assert slack.opens == [USER]
    assert slack.joins == [] and not slack.is_member("G0PRIVATE")


async def test_someone_elses_im_falls_back_to_the_requesters_dm_without_joining(slack: FakeSlack) -> None:
    delivery = await destination(slack, "D0SOMEONE").send(PHOTO, LABEL)
    assert delivery == Delivery(DM, direct_message=True)
    assert_delivered_once(slack, DM)
    assert slack.count("conversations.join") == 0


async def test_unknown_channel_falls_back_to_a_dm(slack: FakeSlack) -> None:
    delivery = await destination(slack, "C0UNKNOWN").send(PHOTO, LABEL)
    assert delivery == Delivery(DM, direct_message=True)
    assert_delivered_once(slack, DM)


async def test_archived_public_channel_the_bot_left_goes_by_dm(slack: FakeSlack) -> None:
    slack.add_channel("C0ARCHIVED", "public", bot_member=False, archived=True)
    delivery = await destination(slack, "C0ARCHIVED").send(PHOTO, LABEL)
    assert delivery == Delivery(DM, direct_message=True)
    assert_delivered_once(slack, DM)


async def test_dm_that_cannot_be_opened_is_not_in_channel(slack: FakeSlack) -> None:
    slack.fail_next("conversations.open", "user_not_found")
    with pytest.raises(DeliveryError) as info:
        await destination(slack, "G0PRIVATE").send(PHOTO, LABEL)
    assert info.value.code == "not_in_channel"
    assert completed(slack) == []


async def test_dm_open_server_error_is_retried(slack: FakeSlack, sleeps: RecordedSleeps) -> None:
    slack.fail_next("conversations.open", "internal_error", status=500)
    assert await destination(slack, "G0PRIVATE").send(PHOTO, LABEL) == Delivery(DM, direct_message=True)
    assert slack.count("conversations.open") == 2
    assert_delivered_once(slack, DM)


async def test_dm_open_persistent_server_error_is_not_in_channel(slack: FakeSlack, sleeps: RecordedSleeps) -> None:
    slack.fail_next("conversations.open", "internal_error", status=500, times=3)
    with pytest.raises(DeliveryError) as info:
        await destination(slack, "G0PRIVATE").send(PHOTO, LABEL)
    assert info.value.code == "not_in_channel"
    assert slack.count("conversations.open") == 3
    assert completed(slack) == []


async def test_photos_never_go_anywhere_but_the_channel_or_the_requesters_dm(slack: FakeSlack) -> None:
    for channel in ("C0MEMBER", "C0PUBLIC", "G0PRIVATE", "D0SOMEONE", "C0UNKNOWN"):
        await destination(slack, channel).send(PHOTO, LABEL)
    assert {u["channel_id"] for u in completed(slack)} <= {"C0MEMBER", "C0PUBLIC", DM}
    assert len(completed(slack)) == 5


# --- Rate limits and server errors: each call retried on its own -----------------------------------------


def step_counts(slack: FakeSlack) -> list[int]:
    return [slack.count(step) for step in STEPS]


def completed_file_ids(slack: FakeSlack) -> list[str]:
    """The file id each files.completeUploadExternal call asked to complete."""
    ids = []
    for method, params in slack.calls:
        if method == "files.completeUploadExternal":
            [entry] = json.loads(params["files"])
            ids.append(entry["id"])
    return ids


@pytest.mark.parametrize("step", STEPS)
async def test_short_rate_limit_retries_only_that_call(slack: FakeSlack, sleeps: RecordedSleeps, step: str) -> None:
    slack.fail_next(step, "ratelimited", status=429, retry_after=1)
    delivery = await destination(slack, "C0MEMBER").send(PHOTO, LABEL)
    assert delivery == Delivery("C0MEMBER")
    assert step_counts(slack) == [2 if s == step else 1 for s in STEPS]
    assert_delivered_once(slack, "C0MEMBER")
    assert sleeps.delays == [1.0]


@pytest.mark.parametrize("step", STEPS)
async def test_retry_waits_as_long_as_retry_after_says(slack: FakeSlack, sleeps: RecordedSleeps, step: str) -> None:
    """Also at the upload-URL step, whose Retry-After slack_sdk's retry handlers do see."""
    slack.fail_next(step, "ratelimited", status=429, retry_after=2)
    await destination(slack, "C0MEMBER").send(PHOTO, LABEL)
    assert sleeps.delays == [2.0]
    assert_delivered_once(slack, "C0MEMBER")


@pytest.mark.parametrize(("seconds_left", "retry_after", "waits"), [(10, 3, True), (3, 3, False), (3, 10, False)])
async def test_rate_limit_is_waited_only_when_it_fits_the_deadline(
    slack: FakeSlack, sleeps: RecordedSleeps, seconds_left: float, retry_after: int, waits: bool
) -> None:
    slack.fail_next("files.completeUploadExternal", "ratelimited", status=429, retry_after=retry_after)
    with deadline.within(seconds_left):
        if waits:
            assert await destination(slack, "C0MEMBER").send(PHOTO, LABEL) == Delivery("C0MEMBER")
        else:
            with pytest.raises(DeliveryError) as info:
                await destination(slack, "C0MEMBER").send(PHOTO, LABEL)
            assert info.value.code == "ratelimited"
    assert sleeps.delays == ([float(retry_after)] if waits else [])
    assert slack.count("files.completeUploadExternal") == (2 if waits else 1)
    assert len(completed(slack)) == (1 if waits else 0)


@pytest.mark.parametrize("step", STEPS)
async def test_rate_limit_longer_than_the_deadline_gives_up_promptly(slack: FakeSlack, step: str) -> None:
    slack.fail_next(step, "ratelimited", status=429, retry_after=4)
    started = time.monotonic()
    with deadline.within(3), pytest.raises(DeliveryError) as info:
        await destination(slack, "C0MEMBER").send(PHOTO, LABEL)
    assert time.monotonic() - started < 2  # well under the 4 s Retry-After: nobody waited for it
    assert info.value.code == "ratelimited"  # also at the upload step, without reading slack_sdk's message
    assert slack.count(step) == 1
    assert completed(slack) == []


@pytest.mark.parametrize("step", STEPS)
async def test_long_rate_limit_outside_a_deadline_is_not_waited(
    slack: FakeSlack, sleeps: RecordedSleeps, step: str
) -> None:
    slack.fail_next(step, "ratelimited", status=429, retry_after=30)
    with pytest.raises(DeliveryError) as info:
        await destination(slack, "C0MEMBER").send(PHOTO, LABEL)
    assert info.value.code == "ratelimited"
    assert sleeps.delays == []
    assert slack.count(step) == 1


@pytest.mark.parametrize("step", STEPS)
async def test_rate_limited_three_times_is_not_delivered(slack: FakeSlack, sleeps: RecordedSleeps, step: str) -> None:
    slack.fail_next(step, "ratelimited", status=429, retry_after=1, times=3)
    with pytest.raises(DeliveryError) as info:
        await destination(slack, "C0MEMBER").send(PHOTO, LABEL)
    assert info.value.code == "ratelimited"
    assert slack.count(step) == 1 + retry.MAX_RETRIES
    assert completed(slack) == []


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("step", STEPS)
async def test_server_error_retries_only_that_call(
    slack: FakeSlack, sleeps: RecordedSleeps, step: str, status: int
) -> None:
    slack.fail_next(step, "internal_error", status=status)
    delivery = await destination(slack, "C0MEMBER").send(PHOTO, LABEL)
    assert delivery == Delivery("C0MEMBER")
    assert step_counts(slack) == [2 if s == step else 1 for s in STEPS]
    assert sleeps.delays == [retry.BACKOFF[0]]
    assert_delivered_once(slack, "C0MEMBER")


@pytest.mark.parametrize("step", STEPS)
async def test_server_error_twice_is_retried_twice(slack: FakeSlack, sleeps: RecordedSleeps, step: str) -> None:
    slack.fail_next(step, "internal_error", status=502, times=2)
    assert await destination(slack, "C0MEMBER").send(PHOTO, LABEL) == Delivery("C0MEMBER")
    assert sleeps.delays == list(retry.BACKOFF)
    assert slack.count(step) == 3
    assert_delivered_once(slack, "C0MEMBER")


@pytest.mark.parametrize("step", STEPS)
async def test_server_error_three_times_is_slack_error(slack: FakeSlack, sleeps: RecordedSleeps, step: str) -> None:
    slack.fail_next(step, "internal_error", status=500, times=3)
    with pytest.raises(DeliveryError) as info:
        await destination(slack, "C0MEMBER").send(PHOTO, LABEL)
    assert info.value.code == "SLACK_ERROR"
    assert slack.count(step) == 3
    assert completed(slack) == []


async def test_server_error_is_not_retried_without_room_in_the_deadline(
    slack: FakeSlack, sleeps: RecordedSleeps
) -> None:
    slack.fail_next("files.completeUploadExternal", "internal_error", status=503)
    with deadline.within(0.5), pytest.raises(DeliveryError) as info:
        await destination(slack, "C0MEMBER").send(PHOTO, LABEL)
    assert info.value.code == "SLACK_ERROR"
    assert sleeps.delays == []
    assert slack.count("files.completeUploadExternal") == 1


@pytest.mark.parametrize(
    "fault",
    [("ratelimited", 429), ("internal_error", 500), ("bad_gateway", 502), ("lost", "file_not_found"), ("lost", "ok")],
    ids=["429", "500", "502", "lost-then-refused", "lost-then-ok"],
)
async def test_complete_is_retried_for_the_same_file_and_shared_once(
    slack: FakeSlack, sleeps: RecordedSleeps, fault: tuple[str, Any]
) -> None:
    """A lost answer: Slack shared the file, then the connection dropped; the repeated call may be refused
    (`file_not_found`, the default of the fake) or answered `ok` for the same file: either way it is delivered."""
    error, how = fault
    if error == "lost":
        slack.repeat_complete = how
        slack.drop_answer("files.completeUploadExternal")
    else:
        slack.fail_next("files.completeUploadExternal", error, status=how, retry_after=1)
    delivery = await destination(slack, "C0MEMBER").send(PHOTO, LABEL)
    assert delivery == Delivery("C0MEMBER")
    assert step_counts(slack) == [1, 1, 2]
    first, second = completed_file_ids(slack)
    assert first == second
    upload = assert_delivered_once(slack, "C0MEMBER")
    assert upload["file_id"] == first


async def test_lost_answer_then_rate_limit_is_still_delivered_once(slack: FakeSlack, sleeps: RecordedSleeps) -> None:
    slack.drop_answer("files.completeUploadExternal")
    slack.fail_next("files.completeUploadExternal", "ratelimited", status=429, retry_after=1)
    assert await destination(slack, "C0MEMBER").send(PHOTO, LABEL) == Delivery("C0MEMBER")
    assert step_counts(slack) == [1, 1, 3]
    assert len(set(completed_file_ids(slack))) == 1
    assert_delivered_once(slack, "C0MEMBER")


async def test_file_not_found_without_a_lost_answer_is_an_error(slack: FakeSlack, sleeps: RecordedSleeps) -> None:
    """Only a repetition after an unheard try counts as done; a plain refusal is not a delivery."""
    slack.fail_next("files.completeUploadExternal", "file_not_found")
    with pytest.raises(DeliveryError) as info:
        await destination(slack, "C0MEMBER").send(PHOTO, LABEL)
    assert info.value.code == "SLACK_ERROR"
    assert completed(slack) == []


@pytest.mark.parametrize("step", STEPS)
async def test_timeout_retries_only_that_call(slack: FakeSlack, step: str) -> None:
    slack.slow_next(step, 2.0)
    delivery = await destination(slack, "C0MEMBER", timeout=0.3).send(PHOTO, LABEL)
    assert delivery == Delivery("C0MEMBER")
    assert step_counts(slack) == [2 if s == step else 1 for s in STEPS]
    assert len(set(completed_file_ids(slack))) == 1
    assert_delivered_once(slack, "C0MEMBER")


@pytest.mark.parametrize("step", ["files.getUploadURLExternal", "upload"])
async def test_lost_answer_retries_only_that_call(slack: FakeSlack, sleeps: RecordedSleeps, step: str) -> None:
    slack.drop_answer(step)
    assert await destination(slack, "C0MEMBER").send(PHOTO, LABEL) == Delivery("C0MEMBER")
    assert step_counts(slack) == [2 if s == step else 1 for s in STEPS]
    assert_delivered_once(slack, "C0MEMBER")


async def test_server_error_after_joining_is_retried(slack: FakeSlack, sleeps: RecordedSleeps) -> None:
    # First completeUploadExternal answers not_in_channel (a real refusal); the one after the join fails once.
    slack.fail_next("files.completeUploadExternal", "not_in_channel")
    slack.fail_next("files.completeUploadExternal", "internal_error", status=500)
    delivery = await destination(slack, "C0PUBLIC").send(PHOTO, LABEL)
    assert delivery == Delivery("C0PUBLIC", joined=True)
    assert_delivered_once(slack, "C0PUBLIC")


# --- Slack's refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    ["file_uploads_disabled", "file_upload_size_restricted", "storage_limit_reached", "posting_to_channel_denied",
     "invalid_auth"],
)
@pytest.mark.parametrize("step", API_STEPS)
async def test_refusals_are_not_retried(slack: FakeSlack, sleeps: RecordedSleeps, step: str, error: str) -> None:
    slack.fail_next(step, error)
    with pytest.raises(DeliveryError) as info:
        await destination(slack, "C0MEMBER").send(PHOTO, LABEL)
    assert info.value.code == error
    assert sleeps.delays == []
    assert slack.count(step) == 1
    assert slack.count("files.getUploadURLExternal") == 1
    assert slack.count("conversations.join") == 0 and slack.count("conversations.open") == 0
    assert completed(slack) == []


@pytest.mark.parametrize("error", ["file_uploads_disabled", "storage_limit_reached", "posting_to_channel_denied"])
async def test_catalogue_words_exist_for_slack_refusals(error: str) -> None:
    assert error in messages.CATALOGUE
    assert "Contacts 1" in messages.explain(error, "Contacts", "1").said("en").text


async def test_wrong_token_is_refused_not_retried(slack: FakeSlack) -> None:
    client = AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url)
    with pytest.raises(DeliveryError) as info:
        await SlackDestination(client, "C0MEMBER", USER).send(PHOTO, LABEL)
    assert info.value.code == "invalid_auth"
    assert slack.count("files.getUploadURLExternal") == 1
    assert TOKEN not in str(info.value) and "xoxb-wrong" not in str(info.value)


@pytest.mark.parametrize(
    ("error", "code"),
    [("missing_scope", "missing_scope"), ("is_archived", "is_archived"), ("account_inactive", "invalid_auth"),
     ("token_revoked", "invalid_auth"), ("some_new_slack_error", "SLACK_ERROR")],
)
async def test_unlisted_slack_errors_are_not_blamed_on_zoho(slack: FakeSlack, error: str, code: str) -> None:
    slack.fail_next("files.getUploadURLExternal", error)
    with pytest.raises(DeliveryError) as info:
        await destination(slack, "C0MEMBER").send(PHOTO, LABEL)
    assert info.value.code == code
    assert error in info.value.detail
    words = messages.explain(info.value.code, PHOTO.module, PHOTO.record_id)  # as bot/deliver.py does
    assert "Zoho" not in words.said("en").what


"""FakeSlack must be good enough that slack_sdk's real async clients work against it unmodified."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.fakes import harness
from bot.fakes.slack import FakeSlack

TOKEN = "xoxb-test-dummy"
PHOTO = bytes(range(256)) * 8 + b"\x00\xff\xd8 end"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=TOKEN) as server:
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=fake.api_url)


async def upload(client: AsyncWebClient, channel: str, content: bytes = PHOTO) -> None:
    await client.files_upload_v2(channel=channel, content=content, filename="a.jpg", title="t", initial_comment="c")


async def test_auth_test(client: AsyncWebClient) -> None:
    res = await client.auth_test()
    assert res["ok"] is True
    assert (res["team_id"], res["user_id"], res["bot_id"]) == ("T0TEST", "U0BOT", "B0BOT")


async def test_upload_to_member_channel_lands_exact_bytes(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("C1")
    res = await client.files_upload_v2(channel="C1", content=PHOTO, filename="a.jpg", title="t", initial_comment="c")
    assert res["file"]["name"] == "a.jpg"
    [up] = fake.uploads
    assert up["content"] == PHOTO
    assert (up["channel_id"], up["filename"], up["title"], up["initial_comment"]) == ("C1", "a.jpg", "t", "c")
    assert up["file_id"] == res["file"]["id"]
    assert [m for m, _ in fake.calls] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    assert all("token" not in p for _, p in fake.calls)
    assert fake.calls[0][1]["length"] == str(len(PHOTO))


# slack_sdk hands aiohttp the raw bytes; aiohttp warns about bodies over 1 MiB.
@pytest.mark.filterwarnings("ignore:Sending a large body directly:ResourceWarning")
async def test_large_upload_beyond_aiohttp_default_limit(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("C1")
    big = b"\xab" * (3 * 1024 * 1024)
    await upload(client, "C1", big)
    assert fake.uploads[0]["content"] == big


async def test_not_in_channel_then_join_then_upload(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("C2", kind="public", bot_member=False)
    with pytest.raises(SlackApiError) as err:
        await upload(client, "C2")
    assert err.value.response["error"] == "not_in_channel"
    assert fake.uploads == []

    joined = await client.conversations_join(channel="C2")
    assert joined["channel"]["id"] == "C2"
    assert fake.joins == ["C2"]
    again = await client.conversations_join(channel="C2")
    assert again["warning"] == "already_in_channel"

    await upload(client, "C2")
    assert [u["channel_id"] for u in fake.uploads] == ["C2"]


async def test_private_channel(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("G1", kind="private", bot_member=False)
    with pytest.raises(SlackApiError) as err:
        await client.conversations_join(channel="G1")
    assert err.value.response["error"] == "method_not_supported_for_channel_type"
    with pytest.raises(SlackApiError) as err:
        await upload(client, "G1")
    assert err.value.response["error"] == "channel_not_found"


async def test_unknown_channel(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.conversations_join(channel="C404")
    assert err.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as err:
        await upload(client, "C404")
    assert err.value.response["error"] == "channel_not_found"


async def test_conversations_open_gives_dm_where_upload_works(fake: FakeSlack, client: AsyncWebClient) -> None:
    res = await client.conversations_open(users="U123")
    dm = res["channel"]["id"]
    assert dm.startswith("D")
    assert fake.opens == ["U123"]
    await upload(client, dm)
    assert fake.uploads[0]["channel_id"] == dm
    with pytest.raises(SlackApiError) as err:
        await client.conversations_join(channel=dm)
    assert err.value.response["error"] == "method_not_supported_for_channel_type"


async def test_bad_and_missing_token(fake: FakeSlack) -> None:
    bad = AsyncWebClient(token="xoxb-wrong", base_url=fake.api_url)
    with pytest.raises(SlackApiError) as err:
        await bad.auth_test()
    assert err.value.response["error"] == "invalid_auth"
    assert err.value.response.status_code == 200
    none = AsyncWebClient(base_url=fake.api_url)
    with pytest.raises(SlackApiError) as err:
        await none.auth_test()
    assert err.value.response["error"] == "not_authed"


async def test_ratelimited_complete(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("C1")
    fake.fail_next("files.completeUploadExternal", "ratelimited", status=429, retry_after=1)
    with pytest.raises(SlackApiError) as err:
        await upload(client, "C1")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "1"
    assert err.value.response["error"] == "ratelimited"
    assert fake.uploads == []
    await upload(client, "C1")  # only the next call fails
    assert len(fake.uploads) == 1
    assert fake.count("files.completeUploadExternal") == 2


async def test_fail_next_error_and_5xx(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("C1")
    fake.fail_next("files.getUploadURLExternal", "internal_error", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            await upload(client, "C1")
        assert err.value.response["error"] == "internal_error"
    fake.fail_next("auth.test", "service_unavailable", status=503)
    with pytest.raises(SlackApiError) as err:
        await client.auth_test()
    assert err.value.response.status_code == 503
    # slack_sdk keeps a text/plain body as a str, so response["error"] is not usable here.
    assert err.value.response.data == "service_unavailable"
    await upload(client, "C1")
    assert len(fake.uploads) == 1


async def test_upload_step_failure_is_a_request_error(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("C1")
    fake.fail_next("upload", "boom", status=500)
    with pytest.raises(SlackRequestError, match="status: 500"):
        await upload(client, "C1")
    assert fake.count("files.completeUploadExternal") == 0


async def test_complete_requires_uploaded_bytes(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("C1")
    url = await client.files_getUploadURLExternal(filename="a.jpg", length=3)
    with pytest.raises(SlackApiError) as err:
        await client.files_completeUploadExternal(files=[{"id": url["file_id"]}], channel_id="C1")
    assert err.value.response["error"] == "file_not_found"
    with pytest.raises(SlackApiError) as err:
        await client.files_getUploadURLExternal(filename="a.jpg", length=0)
    assert err.value.response["error"] == "missing_argument"
    with pytest.raises(SlackApiError) as err:
        await client.api_call("files.getUploadURLExternal", params={"filename": "a.jpg"})
    assert err.value.response["error"] == "invalid_arguments"


async def test_upload_url_unknown_key_is_404(fake: FakeSlack) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{fake.url}/upload/v1/nope", data=b"x") as res:
            assert res.status == 404


async def test_multipart_upload_is_stored_as_file_bytes(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("C1")
    url = await client.files_getUploadURLExternal(filename="a.jpg", length=len(PHOTO))
    form = aiohttp.FormData()
    form.add_field("filename", PHOTO, filename="a.jpg", content_type="image/jpeg")
    async with aiohttp.ClientSession() as session:
        async with session.post(url["upload_url"], data=form) as res:
            assert (res.status, await res.text()) == (200, f"OK - {len(PHOTO)}")
    await client.files_completeUploadExternal(files=[{"id": url["file_id"], "title": "t"}], channel_id="C1")
    assert fake.uploads[0]["content"] == PHOTO


async def test_chat_methods(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("C1")
    fake.add_channel("C2", bot_member=False)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    res = await client.chat_postMessage(channel="C1", text="hello", blocks=blocks)
    assert res["channel"] == "C1" and res["ts"]
    assert fake.messages == [{"channel": "C1", "text": "hello", "blocks": blocks}]
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C2", text="hello")
    assert err.value.response["error"] == "not_in_channel"

    await client.chat_postEphemeral(channel="C1", user="U1", text="psst")
    assert fake.ephemerals == [{"channel": "C1", "user": "U1", "text": "psst"}]
    with pytest.raises(SlackApiError) as err:
        await client.chat_postEphemeral(channel="C2", user="U1", text="psst")
    assert err.value.response["error"] == "not_in_channel"
    with pytest.raises(SlackApiError) as err:
        await client.chat_postEphemeral(channel="C404", user="U1", text="psst")
    assert err.value.response["error"] == "channel_not_found"


async def test_users_and_usergroups(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_user("U1", is_restricted=True, team_id="T0OTHER", is_stranger=True)
    fake.add_usergroup("S1", ["U1", "U2"])
    user = (await client.users_info(user="U1"))["user"]
    assert (user["is_restricted"], user["is_ultra_restricted"], user["is_stranger"]) == (True, False, True)
    assert user["team_id"] == "T0OTHER"
    with pytest.raises(SlackApiError) as err:
        await client.users_info(user="U404")
    assert err.value.response["error"] == "user_not_found"
    assert (await client.usergroups_users_list(usergroup="S1"))["users"] == ["U1", "U2"]
    with pytest.raises(SlackApiError) as err:
        await client.usergroups_users_list(usergroup="S404")
    assert err.value.response["error"] == "no_such_subteam"


async def test_unknown_method(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.api_call("nope.nothing")
    assert err.value.response["error"] == "unknown_method"


async def test_form_encoded_body_and_token_argument(fake: FakeSlack) -> None:
    async with aiohttp.ClientSession() as session:
        data = {"token": TOKEN, "channel": "C9"}
        async with session.post(f"{fake.api_url}conversations.join", data=data) as res:
            assert await res.json() == {"ok": False, "error": "channel_not_found"}
    assert fake.calls == [("conversations.join", {"channel": "C9"})]


async def test_response_url_recorded(fake: FakeSlack) -> None:
    webhook = AsyncWebhookClient(fake.response_url("cmd1"))
    res = await webhook.send(text="here you go", response_type="ephemeral")
    assert (res.status_code, res.body) == (200, "ok")
    assert fake.responses == [("cmd1", {"text": "here you go", "response_type": "ephemeral"})]

    fake.fail_response_urls = True
    res = await webhook.send(text="again")
    assert res.status_code == 500  # AsyncWebhookClient does not raise on HTTP errors


async def test_latency_keeps_server_concurrent(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.latency = 0.2
    start = time.monotonic()
    await asyncio.gather(*(client.auth_test() for _ in range(10)))
    assert time.monotonic() - start < 1.0
    assert fake.count("auth.test") == 10


async def test_reset(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("C1")
    await upload(client, "C1")
    fake.fail_next("auth.test", "fatal_error")
    fake.reset()
    assert (fake.calls, fake.uploads, fake.is_member("C1")) == ([], [], False)
    assert (await client.auth_test())["ok"] is True


@pytest.fixture
def bare(fake: FakeSlack) -> AsyncWebClient:
    """A client without slack_sdk's default retry handlers, to see each fault as it is."""
    return AsyncWebClient(token=TOKEN, base_url=fake.api_url, retry_handlers=[])


async def test_lost_answer_at_complete_shares_the_file_then_drops_the_connection(
    fake: FakeSlack, bare: AsyncWebClient
) -> None:
    fake.add_channel("C1")
    fake.drop_answer("files.completeUploadExternal")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await upload(bare, "C1")
    [shared] = fake.uploads
    assert (shared["channel_id"], shared["content"]) == ("C1", PHOTO)
    assert fake.count("files.completeUploadExternal") == 1
    await upload(bare, "C1")  # only the next call is dropped
    assert len(fake.uploads) == 2


@pytest.mark.parametrize("mode", ["file_not_found", "ok"])
async def test_completing_a_completed_file_again_never_shares_it_twice(
    fake: FakeSlack, bare: AsyncWebClient, mode: str
) -> None:
    fake.add_channel("C1")
    fake.repeat_complete = mode  # type: ignore[assignment]
    res = await bare.files_upload_v2(channel="C1", content=PHOTO, filename="a.jpg", title="t")
    file_id = res["file"]["id"]
    if mode == "ok":
        again = await bare.files_completeUploadExternal(files=[{"id": file_id}], channel_id="C1")
        assert [f["id"] for f in again["files"]] == [file_id]
    else:
        with pytest.raises(SlackApiError) as err:
            await bare.files_completeUploadExternal(files=[{"id": file_id}], channel_id="C1")
        assert err.value.response["error"] == "file_not_found"
    assert len(fake.uploads) == 1


async def test_lost_answer_at_the_upload_step_keeps_the_bytes(fake: FakeSlack, bare: AsyncWebClient) -> None:
    fake.add_channel("C1")
    url = await bare.files_getUploadURLExternal(filename="a.jpg", length=len(PHOTO))
    fake.drop_answer("upload")
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            async with session.post(url["upload_url"], data=PHOTO):
                pass
    await bare.files_completeUploadExternal(files=[{"id": url["file_id"]}], channel_id="C1")
    assert fake.uploads[0]["content"] == PHOTO


async def test_slow_answer_times_out_a_short_client(fake: FakeSlack) -> None:
    fake.add_channel("C2", bot_member=False)
    hasty = AsyncWebClient(token=TOKEN, base_url=fake.api_url, timeout=0.2, retry_handlers=[])  # type: ignore[arg-type]
    fake.slow_next("conversations.join", 1.0)
    with pytest.raises(TimeoutError):
        await hasty.conversations_join(channel="C2")
    assert fake.count("conversations.join") == 1
    await hasty.conversations_join(channel="C2")  # only the next call is slow
    assert fake.joins == ["C2"]


# --- unfurls, private files, conversations.info, button replies ----------------------------------------------

def image_unfurl(file_id: str, url: str = "https://crm.zoho.com/crm/org1/tab/Contacts/1") -> dict[str, Any]:
    return {url: {"blocks": [{"type": "image", "slack_file": {"id": file_id}, "alt_text": "photo"}]}}


async def private_file(client: AsyncWebClient) -> str:
    res = await client.files_upload_v2(content=PHOTO, filename="a.jpg", title="t")
    return str(res["file"]["id"])


async def test_upload_without_channel_is_private_and_never_reads_the_file(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    file_id = await private_file(client)
    [up] = fake.uploads
    assert (up["channel_id"], up["file_id"], up["content"]) == (None, file_id, PHOTO)
    assert [m for m, _ in fake.calls] == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    assert "channel_id" not in fake.calls[2][1] and "channels" not in fake.calls[2][1]


async def test_unfurl_with_a_known_file_is_recorded(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("C1", bot_member=False)  # unfurling needs no membership
    file_id = await private_file(client)
    await client.chat_unfurl(channel="C1", ts="1700000000.000002", unfurls=image_unfurl(file_id))
    [unfurl] = fake.unfurls
    assert (unfurl["channel"], unfurl["ts"], unfurl["unfurl_id"]) == ("C1", "1700000000.000002", None)
    assert unfurl["unfurls"] == image_unfurl(file_id)


async def test_unfurl_by_unfurl_id_and_source(fake: FakeSlack, client: AsyncWebClient) -> None:
    await client.chat_unfurl(unfurl_id="C1.1.2.abc", source="composer", unfurls={"https://x": {"blocks": []}})
    assert [(u["unfurl_id"], u["source"], u["channel"]) for u in fake.unfurls] == [("C1.1.2.abc", "composer", None)]
    with pytest.raises(SlackApiError) as err:
        await client.chat_unfurl(unfurl_id="C1.1.2.abc", source="elsewhere", unfurls={"https://x": {"blocks": []}})
    assert err.value.response["error"] == "invalid_arguments"
    assert len(fake.unfurls) == 1


async def test_unfurl_naming_an_unknown_file_is_invalid_blocks(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("C1")
    with pytest.raises(SlackApiError) as err:
        await client.chat_unfurl(channel="C1", ts="1.2", unfurls=image_unfurl("F0NEVERSEEN"))
    data = err.value.response.data
    assert data["error"] == "invalid_blocks"
    assert data["response_metadata"]["messages"] == [
        "[ERROR] invalid slack file [json-pointer:/unfurls/https://crm.zoho.com/crm/org1/tab/Contacts/1/blocks/0/"
        "slack_file]"]
    assert "errors" not in data  # the SDK's chat.unfurl sample has no `errors` list
    assert fake.unfurls == []


@pytest.mark.parametrize(("arguments", "error"), [
    ({"ts": "1.2", "unfurls": {"https://x": {"blocks": []}}}, "missing_channel"),
    ({"channel": "C1", "unfurls": {"https://x": {"blocks": []}}}, "missing_ts"),
    ({"channel": "C404", "ts": "1.2", "unfurls": {"https://x": {"blocks": []}}}, "cannot_find_channel"),
    ({"channel": "C1", "ts": "1.2"}, "missing_unfurls"),
    ({"channel": "C1", "ts": "1.2", "unfurls": {"https://x": "blocks"}}, "invalid_unfurls_format"),
    ({"channel": "C1", "ts": "1.2", "unfurls": {"https://x": {"blocks": [{"type": "image", "image_url": "https://i"}]}}},
     "invalid_blocks"),  # no alt_text
])
async def test_unfurl_refusals(
    fake: FakeSlack, client: AsyncWebClient, arguments: dict[str, Any], error: str
) -> None:
    fake.add_channel("C1")
    with pytest.raises(SlackApiError) as err:
        await client.chat_unfurl(**arguments)
    assert err.value.response["error"] == error
    assert fake.unfurls == []


async def test_fresh_file_refused_for_its_first_references(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("C1")
    fake.file_ready_after(calls=2)
    file_id = await private_file(client)
    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            await client.chat_unfurl(channel="C1", ts="1.2", unfurls=image_unfurl(file_id))
        assert "invalid slack file" in err.value.response["response_metadata"]["messages"][0]
    await client.chat_unfurl(channel="C1", ts="1.2", unfurls=image_unfurl(file_id))
    assert len(fake.unfurls) == 1
    assert fake.count("chat.unfurl") == 3


async def test_fresh_file_refused_for_its_first_seconds(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("C1")
    fake.file_ready_after(seconds=0.3)
    file_id = await private_file(client)
    with pytest.raises(SlackApiError):
        await client.chat_unfurl(channel="C1", ts="1.2", unfurls=image_unfurl(file_id))
    ready_at = fake.uploads[0]["completed_at"] + 0.3
    await asyncio.sleep(max(0.0, ready_at - time.monotonic()) + 0.01)
    await client.chat_unfurl(channel="C1", ts="1.2", unfurls=image_unfurl(file_id))
    assert (fake.count("chat.unfurl"), len(fake.unfurls)) == (2, 1)


async def test_conversations_info(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("C1")
    fake.add_channel("C2", ext_shared=True, bot_member=False)
    fake.add_channel("G1", kind="private")
    fake.add_channel("G2", kind="private", bot_member=False)
    one = (await client.conversations_info(channel="C1"))["channel"]
    assert (one["is_ext_shared"], one["is_private"], one["is_member"]) == (False, False, True)
    two = (await client.conversations_info(channel="C2"))["channel"]
    assert (two["is_ext_shared"], two["is_private"], two["is_member"]) == (True, False, False)
    private = (await client.conversations_info(channel="G1"))["channel"]
    assert (private["is_ext_shared"], private["is_private"], private["is_member"]) == (False, True, True)
    for hidden in ("G2", "C404"):
        with pytest.raises(SlackApiError) as err:
            await client.conversations_info(channel=hidden)
        assert err.value.response["error"] == "channel_not_found"
    assert fake.count("conversations.info") == 5


async def test_response_url_records_replace_original(fake: FakeSlack) -> None:
    webhook = AsyncWebhookClient(fake.response_url("click1"))
    res = await webhook.send(text="shared", replace_original=True)
    assert res.status_code == 200
    await webhook.send(text="gone", delete_original=True)
    assert fake.responses == [
        ("click1", {"text": "shared", "replace_original": True}),
        ("click1", {"text": "gone", "delete_original": True}),
    ]


# --- what the harness posts: Bolt must accept it as Slack's own ---------------------------------------------

async def dispatch(app: AsyncApp, body: bytes, headers: dict[str, str]) -> int:
    response = await app.async_dispatch(AsyncBoltRequest(body=body.decode(), headers=headers))
    return response.status


@pytest.fixture
def bolt(client: AsyncWebClient) -> AsyncApp:
    """Bolt as the bot runs it (process_before_response: the listener has run when the answer comes)."""
    return AsyncApp(client=client, signing_secret=harness.SIGNING_SECRET, process_before_response=True)


async def test_block_actions_body_reaches_an_action_listener(bolt: AsyncApp) -> None:
    seen: list[dict[str, Any]] = []

    @bolt.action("crmphoto_share")
    async def clicked(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        seen.append(body)

    body = harness.block_actions_body(value='{"m":"Contacts"}', channel="C1", response_url="https://r/1")
    assert await dispatch(bolt, body, harness.sign(body, secret="wrong")) == 401
    assert seen == []
    assert await dispatch(bolt, body, harness.sign(body)) == 200
    [payload] = seen
    assert payload["type"] == "block_actions"
    assert (payload["user"]["id"], payload["channel"]["id"], payload["response_url"]) == ("U0ALICE", "C1", "https://r/1")
    assert payload["actions"][0]["value"] == '{"m":"Contacts"}'


async def test_link_shared_body_reaches_an_event_listener(bolt: AsyncApp) -> None:
    seen: list[dict[str, Any]] = []

    @bolt.event("link_shared")
    async def shared(ack: Any, event: dict[str, Any]) -> None:
        await ack()
        seen.append(event)

    url = "https://crm.zoho.eu/crm/org1/tab/Contacts/12345"
    body = harness.link_shared_body(links=[url], channel="C1")
    headers = harness.sign_event(body)
    assert headers["Content-Type"] == "application/json"
    assert await dispatch(bolt, body, headers) == 200
    [event] = seen
    assert (event["channel"], event["source"], event["unfurl_id"]) == (
        "C1", "conversations_history", "C0TEST.1700000000.000002.abcdef")
    assert event["links"] == [{"domain": "crm.zoho.eu", "url": url}]

"""End to end: the real `python -m bot` process, signed slash commands, fake Zoho and fake Slack."""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from bot import messages
from bot.codes import Code
from bot.fakes import harness
from bot.fakes.harness import BotProcess, SlackText, bot_env, command_body, free_port, sign
from bot.fakes.slack import FakeSlack
from bot.fakes.zoho import ERRORS, FakeZoho, Record
from bot.messages import CATALOGUE

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeZoho, FakeSlack]]:
    with FakeZoho() as zoho, FakeSlack(bot_token=harness.BOT_TOKEN) as slack:
        yield zoho, slack


@pytest.fixture(scope="module")
def bot(fakes: tuple[FakeZoho, FakeSlack]) -> Iterator[BotProcess]:
    zoho, slack = fakes
    with BotProcess(bot_env(zoho, slack, free_port(), USER_RATE_LIMIT="0", MAX_IN_FLIGHT="1000")) as process:
        yield process


def new_channel(slack: FakeSlack, kind: str = "public", member: bool = True) -> str:
    prefix = {"public": "C", "private": "G", "im": "D"}[kind]
    channel = f"{prefix}0E2E{next(_ids):06d}"
    slack.add_channel(channel, kind=kind, bot_member=member)
    return channel


def send(bot: BotProcess, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(f"{bot.url}/slack/events", content=body, headers=headers or sign(body), timeout=10)


def command(
    bot: BotProcess, slack: FakeSlack, text: str, channel: str, user: str = "U0ALICE"
) -> tuple[httpx.Response, str]:
    name = f"r{next(_ids)}"
    body = command_body(text, channel=channel, user=user, response_url=slack.response_url(name))
    return send(bot, body), name


def wait_for(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out waiting")


def audit_lines(bot: BotProcess, channel: str) -> list[dict[str, Any]]:
    """The bot's audit lines for commands typed in `channel` (each test uses channels of its own)."""
    lines = bot.audit_lines()
    return [line for line in lines if line.get("channel") == channel]


def finished(bot: BotProcess, channel: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Wait until `count` commands in `channel` have ended: the audit line is the last thing a command does."""
    return wait_for(lambda: len(audit_lines(bot, channel)) >= count and audit_lines(bot, channel), timeout)


def calls_about(slack: FakeSlack, channel: str) -> list[str]:
    """Slack Web API methods the bot called with `channel` as their conversation."""
    return [m for m, p in slack.calls if channel in (p.get("channel"), p.get("channel_id"))]


def responses_for(slack: FakeSlack, name: str) -> list[dict[str, Any]]:
    return [body for n, body in slack.responses if n == name]


def uploads_to(slack: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [u for u in slack.uploads if u["channel_id"] == channel]


def test_healthz(bot: BotProcess) -> None:
    assert httpx.get(f"{bot.url}/healthz").status_code == 200


def test_photo_lands_in_the_channel_with_exact_bytes(bot, fakes) -> None:
    zoho, slack = fakes
    zoho.add_record("Contacts", "4876876000000624001", Record(content=PHOTO, content_type="image/jpeg"))
    channel = new_channel(slack)
    response, name = command(bot, slack, "contact 4876876000000624001", channel)
    assert response.status_code == 200
    ack = response.json()
    assert ack["response_type"] == "ephemeral" and "Fetching" in ack["text"]
    upload = wait_for(lambda: uploads_to(slack, channel))[0]
    assert upload["content"] == PHOTO
    assert upload["title"] == "Contacts 4876876000000624001"
    assert "<@U0ALICE>" in upload["initial_comment"]
    assert upload["filename"] == "Contacts-4876876000000624001.jpg"
    [line] = finished(bot, channel)
    assert line["outcome"] == "photo"
    assert len(uploads_to(slack, channel)) == 1
    assert responses_for(slack, name) == []


def test_record_link_is_understood(bot, fakes) -> None:
    zoho, slack = fakes
    zoho.add_record("Properties", "777000111", Record(content=PHOTO))
    channel = new_channel(slack)
    link = SlackText("<https://crm.zoho.eu/crm/org20001234/tab/CustomModule1/777000111|link>")  # Slack's wrapping
    command(bot, slack, link, channel)
    assert wait_for(lambda: uploads_to(slack, channel))[0]["title"] == "Properties 777000111"


ZOHO_CODES = [c for c in ERRORS if c not in ("INTERNAL_ERROR", "TOO_MANY_REQUESTS")]


@pytest.mark.parametrize("code", ZOHO_CODES)
def test_each_zoho_error_is_explained_privately_and_nothing_uploaded(bot, fakes, code: str) -> None:
    zoho, slack = fakes
    record_id = str(900000 + next(_ids))
    zoho.add_record("Leads", record_id, Record(error=code))
    channel = new_channel(slack)
    response, name = command(bot, slack, f"Leads {record_id}", channel)
    assert response.status_code == 200
    reply = wait_for(lambda: responses_for(slack, name))[0]
    assert reply["response_type"] == "ephemeral"
    section, context = reply["blocks"]
    assert f"Leads {record_id}" in section["text"]["text"]
    assert CATALOGUE[code][1].split(".")[0].split("{")[0][:20] in section["text"]["text"]
    assert f"`{code}`" in context["elements"][0]["text"]
    [line] = finished(bot, channel)
    assert line["code"] == code and line["zoho_code"] == code
    assert uploads_to(slack, channel) == [] and len(responses_for(slack, name)) == 1
    # the shared-channel gate asked once (SHARED_CHANNELS); no upload step, no join, no fallback reply
    assert calls_about(slack, channel) == ["conversations.info"]


def test_no_photo_is_explained(bot, fakes) -> None:
    zoho, slack = fakes
    zoho.add_record("Contacts", "5550001", Record(content=None))
    channel = new_channel(slack)
    _, name = command(bot, slack, "Contacts 5550001", channel)
    reply = wait_for(lambda: responses_for(slack, name))[0]
    assert "has no photo" in reply["blocks"][0]["text"]["text"]
    assert "`NO_PHOTO`" in reply["blocks"][1]["elements"][0]["text"]


def test_a_japanese_users_command_is_answered_in_japanese(bot, fakes) -> None:
    zoho, slack = fakes
    zoho.add_record("Contacts", "5550002", Record(content=None))
    slack.add_user("U0E2EJA", locale="ja-JP")
    channel = new_channel(slack)
    _, name = command(bot, slack, "Contacts 5550002", channel, user="U0E2EJA")
    reply = wait_for(lambda: responses_for(slack, name))[0]
    expected = messages.explain(Code.NO_PHOTO, "Contacts", "5550002").said("ja").text
    assert reply["blocks"][0]["text"]["text"] == expected
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", expected) and "has no photo" not in expected
    assert "`NO_PHOTO`" in reply["blocks"][1]["elements"][0]["text"]


def test_unknown_module_suggests_without_calling_zoho_photo(bot, fakes) -> None:
    zoho, slack = fakes
    before = zoho.photo_calls()
    channel = new_channel(slack)
    _, name = command(bot, slack, "Contcts 123", channel)
    text = wait_for(lambda: responses_for(slack, name))[0]["blocks"][0]["text"]["text"]
    assert "Did you mean *Contacts*" in text
    assert zoho.photo_calls() == before


def test_bad_signature_gets_401_and_touches_nothing(bot, fakes) -> None:
    zoho, slack = fakes
    channel = new_channel(slack)
    zoho_before, slack_before = len(zoho.seen), len(slack.calls)
    body = command_body("Contacts 1", channel=channel, response_url=slack.response_url("bad"))
    assert send(bot, body, sign(body, secret="wrong-secret")).status_code == 401
    stale = sign(body, timestamp=int(time.time()) - 600)
    assert send(bot, body, stale).status_code == 401
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    assert send(bot, body, unsigned).status_code == 401
    # Bolt answers 401 before any listener runs, so nothing can be left to happen after the answer.
    assert len(zoho.seen) == zoho_before and len(slack.calls) == slack_before
    assert audit_lines(bot, channel) == []


def test_public_channel_without_the_bot_is_joined(bot, fakes) -> None:
    zoho, slack = fakes
    channel = new_channel(slack, "public", member=False)
    command(bot, slack, "Contacts 42", channel)
    assert wait_for(lambda: uploads_to(slack, channel))
    assert channel in slack.joins


def test_private_channel_without_the_bot_sends_a_dm(bot, fakes) -> None:
    zoho, slack = fakes
    channel = new_channel(slack, "private", member=False)
    _, name = command(bot, slack, "Contacts 43", channel, user="U0BOB")
    assert wait_for(lambda: uploads_to(slack, "DU0BOB"))
    note = wait_for(lambda: responses_for(slack, name))[0]
    assert "direct message" in note["text"] and "/invite @crmphoto" in note["text"]
    assert uploads_to(slack, channel) == []


def test_unknown_channel_sends_a_dm(bot, fakes) -> None:
    zoho, slack = fakes
    _, name = command(bot, slack, "Contacts 44", "C0NOTKNOWN1", user="U0CAROL")
    assert wait_for(lambda: uploads_to(slack, "DU0CAROL"))
    assert wait_for(lambda: responses_for(slack, name))


@pytest.mark.parametrize("error", ["file_uploads_disabled", "storage_limit_reached", "file_upload_size_restricted"])
def test_other_upload_errors_get_a_private_reply(bot, fakes, error: str) -> None:
    zoho, slack = fakes
    channel = new_channel(slack)
    slack.fail_next("files.completeUploadExternal", error)
    _, name = command(bot, slack, "Contacts 45", channel)
    reply = wait_for(lambda: responses_for(slack, name))[0]
    assert f"`{error}`" in reply["blocks"][1]["elements"][0]["text"]
    assert uploads_to(slack, channel) == []


def test_short_ratelimit_is_retried(bot, fakes) -> None:
    zoho, slack = fakes
    channel = new_channel(slack)
    slack.fail_next("files.getUploadURLExternal", "ratelimited", status=429, retry_after=1)
    _, name = command(bot, slack, "Contacts 46", channel)
    assert wait_for(lambda: uploads_to(slack, channel))
    assert responses_for(slack, name) == []


def test_help_and_empty_text(bot, fakes) -> None:
    _, slack = fakes
    channel = new_channel(slack)
    for text in ("help", "", "  HELP "):
        response, _ = command(bot, slack, text, channel)
        ack = response.json()
        assert ack["response_type"] == "ephemeral"
        assert "/crmphoto Contacts" in ack["text"] and "`Vendors`" in ack["text"]
        # every way to find someone, each with an example that itself parses as that way
        for way, example in WAYS_TO_FIND.items():
            assert f"`/crmphoto {example}`: {way}" in ack["text"]
        assert "looked up in Contacts or Leads" in ack["text"]  # SEARCH_MODULES' default


WAYS_TO_FIND = {
    "an email address": "jane.doe@example.com",
    "a phone number": "+44 20 7946 0958",
    "a name": "Jane Doe",
    "a module and a record id": "Contacts 4876876000000624001",
    "a record link": "https://crm.zoho.com/crm/org123/tab/Contacts/4876876000000624001",
}


@pytest.mark.parametrize(
    ("text", "hint"),
    [("Contacts", "I need a record id"), ("Contacts 12ab", "isn't a record id"),
     ("Contacts 1 2", "One record at a time"), ("Contacts 123 please", "didn't understand"),
     ("https://example.com/x", "Zoho CRM record link")],
)
def test_malformed_input_gets_a_specific_hint(bot, fakes, text: str, hint: str) -> None:
    zoho, slack = fakes
    before = len(zoho.seen)
    response, _ = command(bot, slack, text, new_channel(slack))
    assert hint in response.json()["text"]
    assert len(zoho.seen) == before


MENTIONS = ("<!channel>", "<!here>", "<!everyone>", "<@U0BOSS>", "<!subteam^S0SALES>")
MENTIONING = [
    "<!channel> <@U0BOSS> &amp;",
    "<!here>ish 123",
    "Contacts&lt; 12",
    "Contacts <!channel>",
    "<@U0BOSS> 4876876000000624001",
    "Contacts 123 <!everyone>",
    "Cont<!here>acts 123",
    "<!subteam^S0SALES> Leads 5",
    "<https://evil.example/crm/tab/Contacts/1|<!channel>>",
]


# Each text twice: as Slack sends a real mention (SlackText: `<!channel>`, Slack's wrapping) and as a person
# typing the characters themselves (escaped by the helper as Slack does: `&lt;!channel&gt;`).
@pytest.mark.parametrize("text", [*map(SlackText, MENTIONING), *MENTIONING])
def test_typed_mentions_are_escaped_in_that_commands_own_replies(bot, fakes, text: str) -> None:
    _, slack = fakes
    channel = new_channel(slack)
    response, name = command(bot, slack, text, channel)
    finished(bot, channel)
    replies = [response.json(), *responses_for(slack, name)]
    for reply in replies:
        blob = json.dumps(reply)
        assert not any(m in blob for m in MENTIONS), blob
    assert replies[0]["text"]  # every input got an answer of its own


@pytest.mark.slow
def test_burst_of_acks_answer_before_the_work(bot, fakes) -> None:
    """200 commands at once with Zoho taking 1 s each: every ack is a 200 "fetching" line, and all of them
    arrive before most photos could possibly exist (10 Zoho calls at a time), so no ack waits for Zoho.
    Every command still ends in exactly one outcome.
    Timings themselves are measured by the benchmark (bench/), not asserted here."""
    zoho, slack = fakes
    channels = [new_channel(slack) for _ in range(200)]
    zoho.latency = 1.0
    try:
        def one(channel: str) -> httpx.Response:
            return command(bot, slack, f"Contacts {channel[-6:]}", channel)

        with ThreadPoolExecutor(max_workers=50) as pool:
            sent = list(pool.map(one, channels))
        done_when_acked = sum(1 for c in channels if uploads_to(slack, c))
        assert [r.status_code for r, _ in sent] == [200] * 200
        assert all("Fetching" in r.json()["text"] for r, _ in sent)
        assert done_when_acked < 100

        def outcomes() -> list[int]:
            return [len(uploads_to(slack, c)) + len(responses_for(slack, name))
                    for c, (_, name) in zip(channels, sent, strict=True)]

        for channel in channels:
            finished(bot, channel, timeout=60)
        assert outcomes() == [1] * 200
    finally:
        zoho.latency = 0


def test_no_secret_in_the_process_output(bot, fakes) -> None:
    zoho, slack = fakes
    channel = new_channel(slack)
    command(bot, slack, "Contacts 48", channel)
    finished(bot, channel)
    output = bot.output()
    assert '"event":"command"' in output
    for secret in (harness.SIGNING_SECRET, harness.BOT_TOKEN, "test-client-secret-dummy", "test-refresh-token-dummy",
                   "1000.test-access-"):
        assert secret not in output
    for blob in (str(slack.responses), str(slack.uploads)):
        assert "test-client-secret-dummy" not in blob and "1000.test-access-" not in blob


def test_missing_configuration_is_named_in_one_message(tmp_path) -> None:
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "ZOHO_CLIENT_ID", "ZOHO_REFRESH_TOKEN",
                 "docs/configuration.md"):
        assert name in result.stderr


def test_malformed_http_requests_get_clean_4xx_and_the_bot_keeps_serving(bot, fakes) -> None:
    import json
    from urllib.parse import urlencode

    zoho, slack = fakes
    url = f"{bot.url}/slack/events"

    def signed(body: bytes, content_type: str | None = None) -> int:
        headers = sign(body)
        if content_type:
            headers["Content-Type"] = content_type
        return httpx.post(url, content=body, headers=headers, timeout=10).status_code

    huge = b"text=" + b"A" * (2 * 1024 * 1024)
    assert signed(huge) == 413
    assert signed(urlencode({"payload": "{not json"}).encode()) == 400
    assert signed(urlencode({"payload": json.dumps({"type": "block_actions", "actions": []})}).encode()) == 400
    assert signed(urlencode({"payload": json.dumps({"type": "view_submission", "view": {}})}).encode()) == 404
    assert signed(b'{"type": "event_callback"}', "application/json") == 404
    assert signed(b"hello", "text/plain") == 404
    assert signed(command_body("Contacts 1", channel="C0X", command="/other")) == 404
    assert signed(b"") == 404
    assert httpx.get(url).status_code == 405
    missing = urlencode({"command": "/crmphoto", "text": "Contacts 1"}).encode()  # no user, channel, response_url
    assert signed(missing) == 200
    assert httpx.get(f"{bot.url}/healthz").status_code == 200
    channel = new_channel(slack)
    response, _ = command(bot, slack, "Contacts 49", channel)
    assert response.status_code == 200
    assert wait_for(lambda: uploads_to(slack, channel))
    assert "Traceback" not in bot.output()


# --- Finding records the way a rep thinks (issue 9), through the real process ------------------------------

def fields(name: str, email: str, account: str = "Acme Corp") -> dict[str, Any]:
    first, _, last = name.partition(" ")
    return {"Full_Name": name, "First_Name": first, "Last_Name": last, "Email": email,
            "Account_Name": {"name": account, "id": "42"}}


def post_signed(bot: BotProcess, body: bytes, headers: dict[str, str]) -> None:
    assert send(bot, body, headers).status_code == 200


def test_email_with_one_match_shares_the_photo_with_name_and_link(bot, fakes) -> None:
    zoho, slack = fakes
    zoho.add_record("Contacts", "4876876000000900001", Record(content=PHOTO, fields=fields("Quinn Zephyr",
                                                                                         "quinn@zephyr.io")))
    channel = new_channel(slack)
    response, name = command(bot, slack, "quinn@zephyr.io", channel)
    assert "Looking for" in response.json()["text"]
    [line] = finished(bot, channel)
    assert (line["outcome"], line["lookup"], line["record_id"]) == ("photo", "email", "4876876000000900001")
    [upload] = uploads_to(slack, channel)
    assert upload["title"] == "Quinn Zephyr" and upload["content"] == PHOTO
    assert "*Quinn Zephyr*" in upload["initial_comment"] and "Acme Corp" in upload["initial_comment"]
    assert "<https://crm.zoho.com/crm/org7000001/tab/Contacts/4876876000000900001|Open in Zoho CRM>" in \
        upload["initial_comment"]
    assert responses_for(slack, name) == []


def test_a_name_with_three_matches_gives_buttons_and_a_click_shares_that_photo(bot, fakes) -> None:
    zoho, slack = fakes
    for i in range(3):
        zoho.add_record("Leads", f"48768760009100{i:02d}", Record(content=PHOTO, fields=fields(
            "Rowan Vexley", f"rowan{i}@vexley.io", f"Vexley {i}")))
    channel = new_channel(slack)
    _, name = command(bot, slack, "Rowan Vexley", channel)
    [line] = finished(bot, channel)
    assert line["outcome"] == "choices"
    [listing] = responses_for(slack, name)
    buttons = [b["accessory"] for b in listing["blocks"] if b.get("accessory", {}).get("type") == "button"]
    assert len(buttons) == 3 and uploads_to(slack, channel) == []
    clicked = f"click{next(_ids)}"
    body = harness.block_actions_body(value=buttons[2]["value"], channel=channel,
                                      response_url=slack.response_url(clicked))
    post_signed(bot, body, sign(body))
    finished(bot, channel, count=2)
    [upload] = uploads_to(slack, channel)
    # the picked record, by its link; the caption never shows its email (issue 15)
    assert "/tab/Leads/4876876000910002|" in upload["initial_comment"] and upload["title"] == "Rowan Vexley"
    assert "rowan2@vexley.io" not in upload["initial_comment"]
    assert responses_for(slack, clicked)[0]["replace_original"] is True


def test_a_click_by_another_user_is_refused_and_shares_nothing(bot, fakes) -> None:
    zoho, slack = fakes
    for i in range(2):
        zoho.add_record("Contacts", f"48768760009200{i:02d}", Record(content=PHOTO, fields=fields(
            "Sage Oberlin", f"sage{i}@oberlin.io")))
    channel = new_channel(slack)
    _, name = command(bot, slack, "Sage Oberlin", channel)
    finished(bot, channel)
    value = next(b["accessory"]["value"] for b in responses_for(slack, name)[0]["blocks"] if "accessory" in b)
    clicked = f"click{next(_ids)}"
    body = harness.block_actions_body(value=value, channel=channel, user="U0BOB",
                                      response_url=slack.response_url(clicked))
    post_signed(bot, body, sign(body))
    reply = wait_for(lambda: responses_for(slack, clicked))[0]
    assert "`NOT_YOUR_CHOICE`" in json.dumps(reply) and reply["replace_original"] is False
    assert uploads_to(slack, channel) == []


def test_no_match_is_explained_with_what_was_searched(bot, fakes) -> None:
    _, slack = fakes
    channel = new_channel(slack)
    _, name = command(bot, slack, "nobody.here@nowhere.example", channel)
    [line] = finished(bot, channel)
    assert line["code"] == "NO_MATCH"
    text = responses_for(slack, name)[0]["blocks"][0]["text"]["text"]
    assert "nobody.here@nowhere.example" in text and "Contacts or Leads" in text


def test_a_pasted_link_unfurls_with_the_photo(bot, fakes) -> None:
    zoho, slack = fakes
    zoho.add_record("Contacts", "4876876000000930001", Record(content=PHOTO, fields=fields("Tamsin Roe", "t@roe.io")))
    channel = new_channel(slack)
    url = "https://crm.zoho.com/crm/org7000001/tab/Contacts/4876876000000930001"
    body = harness.link_shared_body(links=[url], channel=channel)
    post_signed(bot, body, harness.sign_event(body))
    [line] = finished(bot, channel)
    assert (line["via"], line["outcome"]) == ("link", "photo")
    [unfurl] = [u for u in slack.unfurls if url in u["unfurls"]]
    blocks = unfurl["unfurls"][url]["blocks"]
    assert "Tamsin Roe" in json.dumps(blocks)
    [image] = [b for b in blocks if b["type"] == "image"]
    assert [u["content"] for u in slack.uploads if u["file_id"] == image["slack_file"]["id"]] == [PHOTO]


def test_a_link_to_a_record_without_a_photo_stays_silent(bot, fakes) -> None:
    zoho, slack = fakes
    zoho.add_record("Contacts", "4876876000000940001", Record(content=None, fields=fields("Uma Penn", "u@penn.io")))
    channel = new_channel(slack)
    url = "https://crm.zoho.com/crm/org7000001/tab/Contacts/4876876000000940001"
    body = harness.link_shared_body(links=[url], channel=channel)
    post_signed(bot, body, harness.sign_event(body))
    [line] = finished(bot, channel)
    assert (line["via"], line["code"]) == ("link", "NO_PHOTO")
    assert [u for u in slack.unfurls if url in u["unfurls"]] == []
    assert calls_about(slack, channel) == ["conversations.info"]  # asked whether it is shared outside; nothing else


def test_names_with_mentions_are_escaped_in_the_caption_and_the_list(bot, fakes) -> None:
    zoho, slack = fakes
    for i in range(2):
        zoho.add_record("Contacts", f"48768760009500{i:02d}", Record(content=PHOTO, fields=fields(
            f"Vale <!channel> {i}", f"vale{i}@x.io", "<@U0BOSS> Ltd")))
    channel = new_channel(slack)
    _, listing = command(bot, slack, "Vale", channel)
    command(bot, slack, "Contacts 4876876000095000", channel)
    finished(bot, channel, count=2)
    blobs = [json.dumps(responses_for(slack, listing))] + [u["initial_comment"] for u in uploads_to(slack, channel)]
    assert len(blobs) == 2
    for blob in blobs:
        assert not any(m in blob for m in MENTIONS), blob


def test_a_fresh_bot_asks_slack_who_it_is_once_not_once_per_request_of_its_first_burst() -> None:
    with FakeZoho() as zoho, FakeSlack(bot_token=harness.BOT_TOKEN) as slack, \
            BotProcess(bot_env(zoho, slack, free_port(), USER_RATE_LIMIT="0")) as fresh:
        assert slack.count("auth.test") == 1  # asked at start-up, before /healthz answered
        channel = new_channel(slack)
        with ThreadPoolExecutor(max_workers=20) as pool:
            list(pool.map(lambda _: command(fresh, slack, "Contacts 1", channel), range(20)))
        finished(fresh, channel, count=20, timeout=30)
        assert slack.count("auth.test") == 1


# --- The "Show CRM photo" message shortcut (issue 18), through the real process -----------------------------------

def shortcut(bot: BotProcess, slack: FakeSlack, text: str, channel: str, *, ts: str,
             thread_ts: str | None = None) -> tuple[httpx.Response, str, float]:
    """Use the shortcut on a message; Slack's answer, the response_url's name, and how long the answer took."""
    name = f"s{next(_ids)}"
    body = harness.message_shortcut_body(text, channel=channel, ts=ts, thread_ts=thread_ts,
                                         response_url=slack.response_url(name))
    started = time.monotonic()
    response = send(bot, body)
    return response, name, time.monotonic() - started


def zoho_counts(zoho: FakeZoho) -> tuple[int, int, int]:
    return zoho.search_calls(), zoho.photo_calls(), zoho.record_calls()


def spent(zoho: FakeZoho, before: tuple[int, int, int]) -> tuple[int, ...]:
    """Zoho calls since `before` (this module's tests run one after the other, each waiting for its audit line)."""
    return tuple(now - then for now, then in zip(zoho_counts(zoho), before, strict=True))


def test_shortcut_on_a_message_with_one_exact_email_shares_the_photo_in_its_thread(bot, fakes) -> None:
    zoho, slack = fakes
    zoho.add_record("Contacts", "4876876000000960001", Record(content=PHOTO, fields=fields("Wren Ashby",
                                                                                         "wren@ashby.io")))
    channel = new_channel(slack)
    before = zoho_counts(zoho)
    response, name, took = shortcut(bot, slack, SlackText("Who is <mailto:wren@ashby.io|wren@ashby.io>?"), channel,
                                    ts="1700000100.000100")
    assert response.status_code == 200 and response.text == "" and took < 3
    [line] = finished(bot, channel)
    assert (line["via"], line["lookup"], line["outcome"]) == ("shortcut", "email", "photo")
    [upload] = uploads_to(slack, channel)
    assert (upload["thread_ts"], upload["title"], upload["content"]) == ("1700000100.000100", "Wren Ashby", PHOTO)
    assert "Requested by <@U0ALICE>" in upload["initial_comment"]
    assert "Looking for *wren@ashby.io*" in responses_for(slack, name)[0]["text"]
    assert spent(zoho, before) == (1, 1, 0)


def test_shortcut_on_a_reply_shares_into_the_parents_thread(bot, fakes) -> None:
    zoho, slack = fakes
    zoho.add_record("Contacts", "4876876000000960002", Record(content=PHOTO, fields=fields("Xan Bell", "x@bell.io")))
    channel = new_channel(slack)
    shortcut(bot, slack, "x@bell.io is the one", channel, ts="1700000200.000900", thread_ts="1700000200.000100")
    finished(bot, channel)
    assert [u["thread_ts"] for u in uploads_to(slack, channel)] == ["1700000200.000100"]


def test_shortcut_naming_several_people_lists_them_and_the_click_shares_into_the_thread(bot, fakes) -> None:
    zoho, slack = fakes
    zoho.add_record("Contacts", "4876876000000960003", Record(content=PHOTO, fields=fields("Yara Cole", "y@cole.io")))
    zoho.add_record("Contacts", "4876876000000960004", Record(content=PHOTO, fields=fields("Zed Dunn", "z@dunn.io")))
    channel = new_channel(slack)
    before = zoho_counts(zoho)
    _, name, _ = shortcut(bot, slack, "Yara (y@cole.io) and Zed (z@dunn.io) both asked", channel,
                          ts="1700000300.000100")
    [line] = finished(bot, channel)
    assert (line["via"], line["outcome"], line["lookup"]) == ("shortcut", "choices", "email,email")
    listing = next(r for r in responses_for(slack, name) if "blocks" in r)
    values = [b["accessory"]["value"] for b in listing["blocks"] if "accessory" in b]
    assert len(values) == 2 and uploads_to(slack, channel) == [] and spent(zoho, before) == (2, 0, 0)
    clicked = f"click{next(_ids)}"
    body = harness.block_actions_body(value=values[1], channel=channel, response_url=slack.response_url(clicked))
    post_signed(bot, body, sign(body))
    finished(bot, channel, count=2)
    [upload] = uploads_to(slack, channel)
    assert (upload["thread_ts"], upload["title"]) == ("1700000300.000100", "Zed Dunn")
    assert spent(zoho, before) == (2, 1, 1)


def test_shortcut_on_a_message_naming_nobody_explains_privately_and_never_calls_zoho(bot, fakes) -> None:
    zoho, slack = fakes
    channel = new_channel(slack)
    before = (*zoho_counts(zoho), zoho.module_calls())
    response, name, took = shortcut(bot, slack, "Closed 125000 on 12.03.2024, order 4876876000000960009.", channel,
                                    ts="1700000400.000100")
    assert response.status_code == 200 and response.text == "" and took < 3
    [line] = finished(bot, channel)
    assert (line["via"], line["code"]) == ("shortcut", "NOTHING_TO_FIND")
    [reply] = wait_for(lambda: responses_for(slack, name))  # a refusal's audit line comes before its reply
    assert reply["response_type"] == "ephemeral" and "`NOTHING_TO_FIND`" in json.dumps(reply)
    assert "*Show CRM photo* looks for" in reply["blocks"][0]["text"]["text"]
    assert (*zoho_counts(zoho), zoho.module_calls()) == before and uploads_to(slack, channel) == []
    assert calls_about(slack, channel) == []


def test_shortcut_with_four_identifiers_makes_three_searches(bot, fakes) -> None:
    zoho, slack = fakes
    for i in range(4):
        zoho.add_record("Contacts", f"48768760000009610{i:02d}", Record(content=PHOTO, fields=fields(
            f"Quill {i}", f"quill{i}@q.io")))
    channel = new_channel(slack)
    before = zoho_counts(zoho)
    shortcut(bot, slack, "quill0@q.io quill1@q.io quill2@q.io quill3@q.io", channel, ts="1700000500.000100")
    [line] = finished(bot, channel)
    assert line["outcome"] == "choices" and line["lookup"] == "email,email,email"
    assert spent(zoho, before) == (3, 0, 0)


def test_shortcut_in_a_shared_channel_is_refused_as_a_command_is(bot, fakes) -> None:
    zoho, slack = fakes
    zoho.add_record("Contacts", "4876876000000960010", Record(content=PHOTO, fields=fields("Ives Fane", "i@fane.io")))
    channel = f"C0E2EXT{next(_ids):05d}"
    slack.add_channel(channel, ext_shared=True)
    before = zoho_counts(zoho)
    _, name, _ = shortcut(bot, slack, "i@fane.io", channel, ts="1700000600.000100")
    [line] = finished(bot, channel)
    assert (line["via"], line["outcome"], line["code"]) == ("shortcut", "refused", "SHARED_CHANNEL")
    assert "`SHARED_CHANNEL`" in json.dumps(wait_for(lambda: responses_for(slack, name)))
    assert spent(zoho, before) == (0, 0, 0) and uploads_to(slack, channel) == []

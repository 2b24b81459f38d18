"""The /crmphoto listener in-process (Bolt + Starlette over ASGI) against the real fake servers.

Mirrors bot/slack/listeners.py: who may ask, limits, the deadline, shared fetches, failing replies and
unexpected errors; every command ends in exactly one outcome.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from bot import pipeline
from bot.fakes.zoho import Record
from bot.limits import ByteBudget
from bot.pipeline import Timing
from tests.inprocess import CHANNEL, BotFactory


async def test_photo_reaches_the_channel(make_bot: BotFactory) -> None:
    bot = await make_bot()
    ack, name = await bot.command("Contacts 1")
    assert "Fetching" in ack["text"]
    await bot.settle()
    assert [u["channel_id"] for u in bot.slack.uploads] == [CHANNEL]
    assert bot.replies(name) == []


@pytest.mark.parametrize(
    ("env", "kwargs", "code"),
    [
        ({"ALLOWED_TEAM_IDS": "T0OTHER"}, {}, "TEAM_NOT_ALLOWED"),
        ({"ALLOWED_CHANNEL_IDS": "C0ELSEWHERE"}, {}, "CHANNEL_NOT_ALLOWED"),
        ({"ALLOWED_USER_IDS": "U0BOB"}, {}, "USER_NOT_ALLOWED"),
    ],
)
async def test_payload_refusals_come_with_the_ack_and_touch_nothing(
    make_bot: BotFactory, env: dict[str, str], kwargs: dict[str, str], code: str
) -> None:
    bot = await make_bot(**env)
    ack, _ = await bot.command("Contacts 1", **kwargs)
    assert ack["response_type"] == "ephemeral"
    assert f"`{code}`" in ack["blocks"][1]["elements"][0]["text"]
    await bot.settle()
    assert bot.zoho.seen == []
    assert [method for method, _ in bot.slack.calls if method != "auth.test"] == []  # Bolt's own check


async def test_allowed_team_channel_and_user_pass(make_bot: BotFactory) -> None:
    bot = await make_bot(ALLOWED_TEAM_IDS="T0TEST", ALLOWED_CHANNEL_IDS=CHANNEL, ALLOWED_USER_IDS="U0ALICE")
    await bot.command("Contacts 1")
    await bot.settle()
    assert len(bot.slack.uploads) == 1


async def test_usergroup_members_only_and_the_list_is_cached(make_bot: BotFactory) -> None:
    bot = await make_bot(ALLOWED_USERGROUP_IDS="S0SALES")
    bot.slack.add_usergroup("S0SALES", ["U0ALICE"])
    await bot.command("Contacts 1")
    await bot.command("Contacts 2")
    _, refused = await bot.command("Contacts 3", user="U0BOB")
    await bot.settle()
    assert len(bot.slack.uploads) == 2
    assert bot.code_of(bot.replies(refused)[0]) == "USER_NOT_ALLOWED"
    assert bot.slack.count("usergroups.users.list") == 1


@pytest.mark.parametrize(
    ("user", "fields", "code"),
    [
        ("U0GUEST", {"is_restricted": True}, "GUEST_NOT_ALLOWED"),
        ("U0SINGLE", {"is_ultra_restricted": True}, "GUEST_NOT_ALLOWED"),
        ("U0PARTNER", {"team_id": "T0PARTNER"}, "EXTERNAL_NOT_ALLOWED"),
        ("U0UNSEEN", None, "EXTERNAL_NOT_ALLOWED"),
    ],
)
async def test_guests_and_outsiders_are_refused_privately(
    make_bot: BotFactory, user: str, fields: dict[str, Any] | None, code: str
) -> None:
    bot = await make_bot()
    if fields is not None:
        bot.slack.add_user(user, **fields)
    _, first = await bot.command("Contacts 1", user=user)
    _, second = await bot.command("Contacts 2", user=user)
    await bot.settle()
    assert [bot.code_of(bot.replies(n)[0]) for n in (first, second)] == [code, code]
    assert bot.slack.uploads == [] and bot.zoho.photo_calls() == 0
    assert bot.slack.count("users.info") == 1  # cached


async def test_guests_allowed_when_block_guests_is_off(make_bot: BotFactory) -> None:
    bot = await make_bot(BLOCK_GUESTS="false")
    bot.slack.add_user("U0GUEST", is_restricted=True)
    await bot.command("Contacts 1", user="U0GUEST")
    await bot.settle()
    assert len(bot.slack.uploads) == 1
    assert bot.slack.count("users.info") == 1  # for the asker's language only: no guest check


async def test_slack_directory_failure_refuses_rather_than_guesses(make_bot: BotFactory) -> None:
    bot = await make_bot()
    bot.slack.fail_next("users.info", "internal_error", status=500, times=3)  # the call and its two retries
    _, name = await bot.command("Contacts 1")
    await bot.settle()
    assert bot.code_of(bot.replies(name)[0]) == "IDENTITY_UNKNOWN"
    assert bot.slack.uploads == []


async def test_allowed_modules(make_bot: BotFactory) -> None:
    bot = await make_bot(ALLOWED_MODULES="Contacts")
    _, leads = await bot.command("lead 1")
    await bot.command("contact 1")
    await bot.settle()
    assert bot.code_of(bot.replies(leads)[0]) == "MODULE_NOT_ALLOWED"
    assert bot.zoho.photo_calls() == 1 and len(bot.slack.uploads) == 1


async def test_per_user_rate_limit(make_bot: BotFactory) -> None:
    bot = await make_bot(USER_RATE_LIMIT="2")
    acks = [(await bot.command(f"Contacts {i}"))[0] for i in range(3)]
    other, _ = await bot.command("Contacts 9", user="U0BOB")
    await bot.settle()
    assert "Fetching" in acks[0]["text"] and "Fetching" in acks[1]["text"]
    assert "`RATE_LIMITED`" in acks[2]["blocks"][1]["elements"][0]["text"]
    assert "Fetching" in other["text"]
    assert len(bot.slack.uploads) == 3


async def test_daily_budget_of_zoho_calls(make_bot: BotFactory) -> None:
    bot = await make_bot(DAILY_ZOHO_BUDGET="6", USER_RATE_LIMIT="0")
    await bot.command("Contacts 1")  # module list, photo, the record's fields and the org (once): 4 calls
    await bot.settle()
    await bot.command("Contacts 2")  # photo and fields: 6 in all
    await bot.settle()
    _, name = await bot.command("Contacts 3")
    await bot.settle()
    assert bot.code_of(bot.replies(name)[0]) == "BUDGET_EXHAUSTED"
    assert bot.zoho.photo_calls() == 2


async def test_identical_requests_together_share_one_zoho_fetch(make_bot: BotFactory) -> None:
    bot = await make_bot(USER_RATE_LIMIT="0")
    channels = [f"C0SHARE{i:04d}" for i in range(5)]
    for channel in channels:
        bot.slack.add_channel(channel)
    await bot.command("Contacts 0")  # warm the module list and token
    await bot.settle()
    bot.zoho.latency = 0.3
    await asyncio.gather(*(bot.command("Contacts 77", channel=c) for c in channels))
    await bot.settle()
    assert bot.zoho.photo_calls() == 2
    assert sorted(u["channel_id"] for u in bot.slack.uploads[1:]) == channels


async def test_every_command_has_a_deadline(make_bot: BotFactory) -> None:
    bot = await make_bot(Timing(deadline=0.6, slack_share=0.3))
    bot.zoho.latency = 2.0
    _, name = await bot.command("Contacts 1")
    await bot.settle()
    assert bot.code_of(bot.replies(name)[0]) == "TIMEOUT"
    assert bot.slack.uploads == []


async def test_failing_response_url_is_logged_and_the_bot_goes_on(make_bot: BotFactory, caplog) -> None:
    caplog.set_level(logging.INFO)
    bot = await make_bot()
    bot.zoho.add_record("Contacts", "5", Record(error="NO_PERMISSION"))
    bot.slack.fail_response_urls = True
    await bot.command("Contacts 5")
    await bot.settle()
    assert "response_url answered HTTP 500" in caplog.text
    assert '"code":"NO_PERMISSION"' in caplog.text
    bot.slack.fail_response_urls = False
    await bot.command("Contacts 6")
    await bot.settle()
    assert len(bot.slack.uploads) == 1


async def test_unexpected_exception_gets_an_apology_with_reference(make_bot: BotFactory, monkeypatch,
                                                                   caplog) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "hand_over", broken)
    bot = await make_bot()
    _, name = await bot.command("Contacts 1")
    await bot.settle()
    reply = bot.replies(name)[0]
    assert bot.code_of(reply) == "UNEXPECTED" and "Sorry" in reply["text"]
    ref = reply["blocks"][1]["elements"][0]["text"].split("`")[3]
    assert f"command {ref}: unexpected error" in caplog.text and "RuntimeError: boom" in caplog.text
    assert "boom" not in str(reply)


async def test_token_revoked_mid_run_then_throttled(make_bot: BotFactory) -> None:
    bot = await make_bot(USER_RATE_LIMIT="0")
    await bot.command("Contacts 1")
    await bot.settle()
    bot.zoho.revoke_tokens()
    await bot.command("Contacts 2")
    await bot.settle()
    assert len(bot.slack.uploads) == 2 and bot.zoho.token_requests == 2
    bot.zoho.revoke_tokens()
    bot.zoho.token_error = "Access Denied"
    _, name = await bot.command("Contacts 3")
    await bot.settle()
    assert bot.code_of(bot.replies(name)[0]) == "TOKEN_THROTTLED"
    _, again = await bot.command("Contacts 4")
    await bot.settle()
    assert bot.code_of(bot.replies(again)[0]) == "TOKEN_THROTTLED"
    assert bot.zoho.token_requests == 3  # the throttled endpoint is not asked again


async def test_zoho_down_ends_in_an_explanation(make_bot: BotFactory) -> None:
    bot = await make_bot()
    await bot.command("Contacts 1")
    await bot.settle()
    bot.zoho.fail_next("photo", 3, code="INTERNAL_ERROR")
    _, name = await bot.command("Contacts 2")
    await bot.settle()
    assert bot.code_of(bot.replies(name)[0]) == "INTERNAL_ERROR"


async def test_audit_line_has_every_field_and_no_secret(make_bot: BotFactory, caplog) -> None:
    import json

    caplog.set_level(logging.INFO)
    bot = await make_bot()
    await bot.command("Contacts 1")
    await bot.settle()
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "crmphoto.audit"]
    assert len(lines) == 1
    line = lines[0]
    assert {k: line[k] for k in ("team", "user", "channel", "module", "record_id", "outcome", "code")} == {
        "team": "T0TEST", "user": "U0ALICE", "channel": CHANNEL, "module": "Contacts", "record_id": "1",
        "outcome": "photo", "code": "OK"}
    assert isinstance(line["ms"], int) and len(line["ref"]) == 8 and line["bytes"] > 0
    assert "dummy" not in caplog.text


async def test_unexpected_exception_before_the_ack_is_still_a_friendly_200(make_bot: BotFactory, monkeypatch,
                                                                           caplog) -> None:
    def broken(text: str | None) -> None:
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(pipeline, "parse_command", broken)
    bot = await make_bot()
    ack, _ = await bot.command("Contacts 1")
    assert "Sorry" in ack["text"] and "`UNEXPECTED`" in ack["blocks"][1]["elements"][0]["text"]
    assert "parser exploded" not in str(ack)
    assert "RuntimeError: parser exploded" in caplog.text


# --- the pipeline's own limits, through the listener ---------------------------------------------------

async def test_beyond_max_in_flight_the_ack_says_busy_and_nothing_is_queued(make_bot: BotFactory) -> None:
    bot = await make_bot(MAX_IN_FLIGHT="2", USER_RATE_LIMIT="0")
    await bot.command("Contacts 0")  # warm the module list and token
    await bot.settle()
    bot.zoho.latency = 0.5
    first, _ = await bot.command("Contacts 1")
    second, _ = await bot.command("Contacts 2")
    third, _ = await bot.command("Contacts 3")
    assert "Fetching" in first["text"] and "Fetching" in second["text"]
    assert third["response_type"] == "ephemeral" and bot.code_of(third) == "BUSY"
    await bot.settle()
    assert bot.zoho.photo_calls() == 3  # the warm-up and the two admitted: the third was never queued
    again, _ = await bot.command("Contacts 4")
    assert "Fetching" in again["text"]  # the places are given back
    await bot.settle()
    assert len(bot.slack.uploads) == 4


async def test_budget_is_reserved_per_call_so_concurrent_commands_never_overshoot(make_bot: BotFactory) -> None:
    bot = await make_bot(DAILY_ZOHO_BUDGET="20", USER_RATE_LIMIT="0", MAX_IN_FLIGHT="100")
    bot.zoho.latency = 0.2
    answers = await asyncio.gather(*(bot.command(f"Contacts {1000 + i}") for i in range(60)))
    await bot.settle()
    crm_calls = [s.path for s in bot.zoho.seen if s.path.startswith("/crm/")]
    assert len(crm_calls) == 20  # photos, their fields, the module list and the org: never one more
    codes = [bot.code_of(bot.replies(name)[0]) for _, name in answers if bot.replies(name)]
    assert 0 < len(bot.slack.uploads) == bot.zoho.photo_calls() < 20
    assert codes == ["BUDGET_EXHAUSTED"] * (60 - len(bot.slack.uploads))


async def test_a_slow_zoho_times_out_as_zoho_and_leaves_slack_its_share(make_bot: BotFactory) -> None:
    bot = await make_bot(Timing(deadline=1.2, slack_share=0.6), BLOCK_GUESTS="false")
    bot.zoho.latency = 1.0
    _, name = await bot.command("Contacts 1")
    await bot.settle()
    reply = bot.replies(name)[0]
    assert bot.code_of(reply) == "TIMEOUT" and "Zoho CRM took too long" in reply["text"]


async def test_a_slow_slack_times_out_as_slack(make_bot: BotFactory) -> None:
    bot = await make_bot(Timing(deadline=1.6, slack_share=0.5), BLOCK_GUESTS="false")
    # The gates' Slack calls take 0.45 s, Zoho gets up to 0.65 s, and the three upload steps need 1.35 s: more than
    # whatever is left. (Zoho's share is not a whisker: the asker's language is looked up alongside, under load.)
    bot.slack.latency = 0.45
    _, name = await bot.command("Contacts 1")
    await bot.settle()
    reply = bot.replies(name)[0]
    assert bot.code_of(reply) == "SLACK_TIMEOUT" and "Slack took too long" in reply["text"]
    assert bot.zoho.photo_calls() == 1


async def test_expired_response_url_falls_back_to_an_ephemeral_message(make_bot: BotFactory) -> None:
    bot = await make_bot()
    bot.zoho.add_record("Contacts", "5", Record(error="NO_PERMISSION"))
    bot.slack.expired_response_urls = True
    _, name = await bot.command("Contacts 5")
    await bot.settle()
    assert len(bot.replies(name)) == 1  # a 404 is not retried
    [ephemeral] = bot.slack.ephemerals
    assert ephemeral["channel"] == CHANNEL and ephemeral["user"] == "U0ALICE"
    assert "`NO_PERMISSION`" in json.dumps(ephemeral["blocks"])
    assert bot.slack.messages == []


async def test_failing_response_url_is_retried_once_then_falls_back_to_a_dm(make_bot: BotFactory) -> None:
    bot = await make_bot()
    channel = "G0PRIVATE1"
    bot.slack.add_channel(channel, kind="private", bot_member=False)
    bot.zoho.add_record("Contacts", "5", Record(error="NO_PERMISSION"))
    bot.slack.fail_response_urls = True
    _, name = await bot.command("Contacts 5", channel=channel)
    await bot.settle()
    assert len(bot.replies(name)) == 2  # a 5xx gets one more try
    assert bot.slack.count("chat.postEphemeral") == 1 and bot.slack.ephemerals == []  # not a member there
    [dm] = bot.slack.messages
    assert dm["channel"] == "DU0ALICE" and "`NO_PERMISSION`" in json.dumps(dm["blocks"])


async def test_photo_bytes_held_at_once_are_bounded_and_given_back(make_bot: BotFactory) -> None:
    photo = b"\xff\xd8\xff\xe0" + bytes(5 * 1024 * 1024)
    room = ByteBudget(12 * 1024 * 1024)  # two 5 MB photos at a time
    bot = await make_bot(photo_bytes=room, USER_RATE_LIMIT="0")
    bot.zoho.default_record = Record(content=photo)
    bot.slack.latency = 0.05
    await asyncio.gather(*(bot.command(f"Contacts {i}") for i in range(6)))
    await bot.settle()
    assert len(bot.slack.uploads) == 6
    assert 5 * 1024 * 1024 <= room.peak <= room.limit
    assert room.held == 0  # every photo's room came back once its upload was done

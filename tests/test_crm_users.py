"""REQUIRE_CRM_USER: only people whose Slack email is an active Zoho CRM user's get photos.

The user list is read whole (every page), kept ten minutes, loaded once however many ask at once,
and the email never reaches the log."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from bot.fakes.zoho import FakeZoho
from bot.zoho import ZohoClient
from tests.inprocess import BotFactory

ALICE = "u0alice@example.com"  # what the fake's users.info gives U0ALICE


def _audit(caplog: Any) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "crmphoto.audit"]


async def test_a_crm_user_gets_the_photo_and_the_audit_says_so(make_bot: BotFactory, caplog) -> None:
    caplog.set_level(logging.INFO)
    bot = await make_bot(REQUIRE_CRM_USER="true")
    bot.zoho.crm_users = {"U0Alice@Example.com": "active"}  # Zoho keeps the case it was typed in
    await bot.command("Contacts 1")
    await bot.settle()
    assert len(bot.slack.uploads) == 1
    assert _audit(caplog)[-1]["crm_user"] is True


async def test_others_are_refused_privately_with_not_a_crm_user(make_bot: BotFactory, caplog) -> None:
    caplog.set_level(logging.INFO)
    bot = await make_bot(REQUIRE_CRM_USER="true")
    bot.zoho.crm_users = {ALICE: "active", "u0bob@example.com": "disabled"}
    _, name = await bot.command("Contacts 1", user="U0BOB")
    await bot.settle()
    reply = bot.replies(name)[0]
    assert bot.code_of(reply) == "NOT_A_CRM_USER"
    assert reply["response_type"] == "ephemeral" and "Zoho CRM admin" in json.dumps(reply["blocks"])
    assert bot.zoho.photo_calls() == 0 and bot.slack.uploads == []
    line = _audit(caplog)[-1]
    assert line["crm_user"] is False and line["outcome"] == "refused" and line["code"] == "NOT_A_CRM_USER"


async def test_without_the_setting_nobody_is_asked(make_bot: BotFactory, caplog) -> None:
    caplog.set_level(logging.INFO)
    bot = await make_bot()
    await bot.command("Contacts 1", user="U0BOB")
    await bot.settle()
    assert len(bot.slack.uploads) == 1 and bot.zoho.users_calls() == 0
    assert _audit(caplog)[-1]["crm_user"] is None


async def test_the_list_is_cached_one_call_for_many_commands(make_bot: BotFactory) -> None:
    bot = await make_bot(REQUIRE_CRM_USER="true", USER_RATE_LIMIT="0")
    bot.zoho.crm_users = {ALICE: "active", "u0bob@example.com": "active"}
    for n in range(5):  # one after another: what is shared here is the cache, not a load in flight
        await bot.command(f"Contacts {n}", user="U0BOB" if n % 2 else "U0ALICE")
        await bot.settle()
    assert len(bot.slack.uploads) == 5
    assert bot.zoho.users_calls() == 1


async def test_every_page_is_read(fake_zoho: FakeZoho, zoho: ZohoClient) -> None:
    fake_zoho.crm_users = {f"user{n:03d}@example.com": "active" for n in range(250)}
    assert await zoho.users.has("USER249@example.com")  # on the second page
    assert not await zoho.users.has("someone@example.com")
    pages = [s.query for s in fake_zoho.seen if s.path.endswith("/users")]
    assert len(pages) == 2
    assert all("type=ActiveUsers" in q and "per_page=200" in q for q in pages)
    assert "page=1" in pages[0] and "page=2" in pages[1]


async def test_twenty_at_once_share_one_lookup(fake_zoho: FakeZoho, zoho: ZohoClient) -> None:
    fake_zoho.crm_users = {ALICE: "active"}
    fake_zoho.latency = 0.2
    answers = await asyncio.gather(*(zoho.users.has(ALICE) for _ in range(20)))
    assert answers == [True] * 20
    assert fake_zoho.users_calls() == 1


async def test_no_users_scope_is_the_admins_to_fix(make_bot: BotFactory) -> None:
    bot = await make_bot(REQUIRE_CRM_USER="true")
    bot.zoho.scope_for_users = False
    _, name = await bot.command("Contacts 1")
    await bot.settle()
    assert bot.code_of(bot.replies(name)[0]) == "OAUTH_SCOPE_MISMATCH"
    assert bot.zoho.photo_calls() == 0


async def test_no_email_scope_refuses_and_names_the_missing_slack_scope(make_bot: BotFactory) -> None:
    bot = await make_bot(REQUIRE_CRM_USER="true")
    bot.zoho.crm_users = {ALICE: "active"}
    bot.slack.email_scope = False
    _, name = await bot.command("Contacts 1")
    await bot.settle()
    assert bot.code_of(bot.replies(name)[0]) == "missing_scope"
    assert bot.zoho.users_calls() == 0 and bot.zoho.photo_calls() == 0


async def test_the_email_never_reaches_the_log(make_bot: BotFactory, caplog) -> None:
    caplog.set_level(logging.INFO)
    bot = await make_bot(REQUIRE_CRM_USER="true", USER_RATE_LIMIT="0")
    bot.zoho.crm_users = {ALICE: "active"}
    await bot.command("Contacts 1")
    await bot.command("Contacts 2", user="U0BOB")
    await bot.settle()
    assert len(bot.slack.uploads) == 1
    assert len(_audit(caplog)) == 2
    assert "example.com" not in caplog.text

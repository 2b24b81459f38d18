"""The "Show CRM photo" message shortcut (issue 18), in-process through the real Bolt app against the fakes.

The pipeline's fourth door: what a message's text names (bot/identifiers.py) is looked up under every rule a
command follows, and the photo goes into that message's thread. Zoho and Slack calls are counted per case.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from bot.fakes.harness import SlackText
from bot.fakes.zoho import Record
from bot.slack.choices import parse_choice_value
from tests.inprocess import CHANNEL, Bot, BotFactory
from tests.test_lookup import buttons, click, person

JANE_ID = "4876876000000624001"
JANE = {**person("Jane Doe", "jane@acme.com"), "Phone": "+44 20 7946 0958"}
TS = "1700000000.000100"
LINK = f"https://crm.zoho.com/crm/org7000001/tab/Contacts/{JANE_ID}"


def add_jane(bot: Bot) -> None:
    bot.zoho.add_record("Contacts", JANE_ID, Record(fields=JANE))


def zoho_calls(bot: Bot) -> tuple[int, int, int]:
    """(searches, photos, record reads) the fake Zoho answered."""
    return bot.zoho.search_calls(), bot.zoho.photo_calls(), bot.zoho.record_calls()


def audit(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "crmphoto.audit"]


def code_of(reply: dict[str, Any]) -> str:
    return reply["blocks"][1]["elements"][0]["text"].split("`")[1]


async def test_one_exact_email_shares_the_photo_in_the_messages_thread(make_bot: BotFactory, caplog) -> None:
    caplog.set_level(logging.INFO)
    bot = await make_bot()
    add_jane(bot)
    started = time.monotonic()
    response, name = await bot.shortcut(SlackText("Can someone call <mailto:jane@acme.com|jane@acme.com> back?"))
    assert response.status_code == 200 and response.text == "" and time.monotonic() - started < 3
    await bot.settle()
    [upload] = bot.slack.uploads
    assert (upload["channel_id"], upload["thread_ts"], upload["title"]) == (CHANNEL, TS, "Jane Doe")
    assert "*Jane Doe*" in upload["initial_comment"] and "Requested by <@U0ALICE>" in upload["initial_comment"]
    [note] = bot.replies(name)  # only "Looking for…", privately
    assert note["response_type"] == "ephemeral" and "Looking for *jane@acme.com*" in note["text"]
    assert zoho_calls(bot) == (1, 1, 0)  # the search already said who it is
    [line] = audit(caplog)
    assert (line["via"], line["lookup"], line["outcome"], line["record_id"]) == ("shortcut", "email", "photo", JANE_ID)


async def test_on_a_reply_the_photo_goes_into_the_parents_thread(make_bot: BotFactory) -> None:
    bot = await make_bot()
    add_jane(bot)
    await bot.shortcut("jane@acme.com", ts="1700000050.000900", thread_ts="1700000000.000100")
    await bot.settle()
    assert [u["thread_ts"] for u in bot.slack.uploads] == ["1700000000.000100"]


async def test_a_command_still_shares_into_the_channel_itself(make_bot: BotFactory) -> None:
    bot = await make_bot()
    add_jane(bot)
    await bot.command("jane@acme.com")
    await bot.settle()
    assert [u["thread_ts"] for u in bot.slack.uploads] == [None]


async def test_a_link_and_the_same_persons_email_share_one_photo(make_bot: BotFactory) -> None:
    bot = await make_bot()
    add_jane(bot)
    await bot.shortcut(SlackText(f"<{LINK}|Jane> (jane@acme.com)"))
    await bot.settle()
    assert [(u["thread_ts"], u["title"]) for u in bot.slack.uploads] == [(TS, "Jane Doe")]
    assert zoho_calls(bot) == (1, 1, 0)  # the email's search gave the card the link's record needed


async def test_several_people_give_the_private_list_and_its_click_shares_into_the_thread(
        make_bot: BotFactory, caplog) -> None:
    caplog.set_level(logging.INFO)
    bot = await make_bot()
    add_jane(bot)
    bot.zoho.add_record("Leads", "4876876000000777001", Record(fields=person("Bob Roe", "bob@beta.io", "Beta")))
    _, name = await bot.shortcut("Jane (jane@acme.com) will bring Bob, bob@beta.io")
    await bot.settle()
    assert bot.slack.uploads == []
    note, listing = bot.replies(name)
    assert "jane@acme.com or bob@beta.io" in note["text"]
    assert listing["text"] == "2 records match jane@acme.com or bob@beta.io."
    values = [b["value"] for b in buttons(listing)]
    assert [parse_choice_value(v).thread for v in values] == [TS, TS]  # type: ignore[union-attr]
    assert all(len(v) <= 2000 for v in values)
    assert zoho_calls(bot) == (3, 0, 0)  # Jane in Contacts; Bob in Contacts (none), then Leads
    clicked = await click(bot, values[1])
    await bot.settle()
    [upload] = bot.slack.uploads
    assert (upload["channel_id"], upload["thread_ts"], upload["title"]) == (CHANNEL, TS, "Bob Roe")
    assert bot.replies(clicked)[0]["replace_original"] is True
    assert [(line["via"], line["outcome"]) for line in audit(caplog)] == [("shortcut", "choices"), ("choice", "photo")]


async def test_one_loose_match_is_shown_privately_first(make_bot: BotFactory) -> None:
    bot = await make_bot()
    # Zoho finds the number in the assistant's phone field: the record is not surely the person written about.
    bot.zoho.add_record("Contacts", JANE_ID, Record(fields={**JANE, "Phone": "+1 555 0100",
                                                           "Asst_Phone": "+44 20 7946 0958"}))
    _, name = await bot.shortcut("her number is +44 20 7946 0958")
    await bot.settle()
    assert bot.slack.uploads == []
    [listing] = [r for r in bot.replies(name) if "blocks" in r]
    assert len(buttons(listing)) == 1 and "though not exactly" in listing["text"]


async def test_a_message_naming_nobody_gets_a_private_explanation_and_costs_nothing(
        make_bot: BotFactory, caplog) -> None:
    caplog.set_level(logging.INFO)
    bot = await make_bot()
    response, name = await bot.shortcut("We closed 1250000 on 12.03.2024, invoice 4876876000000624001.")
    assert response.status_code == 200 and response.text == ""
    await bot.settle()
    [reply] = bot.replies(name)
    assert code_of(reply) == "NOTHING_TO_FIND" and reply["response_type"] == "ephemeral"
    assert "no email address, phone number or Zoho CRM record link" in reply["text"]
    assert "*Show CRM photo* looks for" in reply["blocks"][0]["text"]["text"]
    assert zoho_calls(bot) == (0, 0, 0) and bot.zoho.module_calls() == 0 and bot.slack.uploads == []
    assert bot.slack.count("conversations.info") == 0 and bot.slack.count("users.info") == 0
    [line] = audit(caplog)
    assert (line["via"], line["outcome"], line["code"]) == ("shortcut", "explained", "NOTHING_TO_FIND")


async def test_nothing_matched_says_what_was_looked_for(make_bot: BotFactory) -> None:
    bot = await make_bot()
    _, name = await bot.shortcut("ask nobody@nowhere.example or +44 20 7946 0000")
    await bot.settle()
    reply = bot.replies(name)[-1]
    assert code_of(reply) == "NO_MATCH"
    text = reply["blocks"][0]["text"]["text"]
    assert "*nobody@nowhere.example or +44 20 7946 0000* from this message" in text
    assert "*Show CRM photo* looks up" in text
    assert bot.zoho.search_calls() == 4  # each identifier in Contacts, then Leads


async def test_four_identifiers_cost_three_searches_at_most(make_bot: BotFactory) -> None:
    bot = await make_bot()
    for i in range(4):
        bot.zoho.add_record("Contacts", f"48768760000009{i:05d}", Record(fields=person(f"P{i} Roe", f"p{i}@x.io")))
    _, name = await bot.shortcut("p0@x.io p1@x.io p2@x.io p3@x.io")
    await bot.settle()
    [listing] = [r for r in bot.replies(name) if "blocks" in r]
    assert [parse_choice_value(b["value"]).record_id for b in buttons(listing)] == \
        ["4876876000000900000", "4876876000000900001", "4876876000000900002"]  # type: ignore[union-attr]
    assert zoho_calls(bot) == (3, 0, 0)


async def test_a_shared_channel_is_refused_as_for_a_command(make_bot: BotFactory) -> None:
    bot = await make_bot()
    bot.slack.add_channel("C0CONNECT1", ext_shared=True)
    add_jane(bot)
    _, name = await bot.shortcut("jane@acme.com", channel="C0CONNECT1")
    await bot.settle()
    assert [code_of(r) for r in bot.replies(name) if "blocks" in r] == ["SHARED_CHANNEL"]
    assert zoho_calls(bot) == (0, 0, 0) and bot.slack.uploads == []


async def test_a_channel_the_admin_did_not_allow_is_refused(make_bot: BotFactory) -> None:
    bot = await make_bot(ALLOWED_CHANNEL_IDS="C0ELSEWHERE")
    add_jane(bot)
    _, name = await bot.shortcut("jane@acme.com")
    await bot.settle()
    [reply] = bot.replies(name)
    assert code_of(reply) == "CHANNEL_NOT_ALLOWED" and zoho_calls(bot) == (0, 0, 0)


async def test_the_rate_limit_counts_shortcuts_too(make_bot: BotFactory) -> None:
    bot = await make_bot(USER_RATE_LIMIT="1")
    add_jane(bot)
    await bot.command("jane@acme.com")
    _, name = await bot.shortcut("jane@acme.com")
    await bot.settle()
    assert [code_of(r) for r in bot.replies(name)] == ["RATE_LIMITED"]
    assert len(bot.slack.uploads) == 1


async def test_where_the_bot_is_not_invited_the_photo_comes_by_dm_outside_any_thread(make_bot: BotFactory) -> None:
    bot = await make_bot()
    bot.slack.add_channel("G0PRIVATE1", kind="private", bot_member=False)
    add_jane(bot)
    _, name = await bot.shortcut("jane@acme.com", channel="G0PRIVATE1")
    await bot.settle()
    [upload] = bot.slack.uploads
    assert upload["channel_id"].startswith("D") and upload["thread_ts"] is None
    assert "direct message" in bot.replies(name)[-1]["text"]


async def test_an_exact_match_beside_someone_else_is_not_shared_but_listed_first(make_bot: BotFactory) -> None:
    bot = await make_bot()
    add_jane(bot)
    bot.zoho.add_record("Contacts", "4876876000000777001", Record(fields={
        **person("Bob Roe", "bob@beta.io", "Beta"), "Asst_Phone": "+1 415 555 0100"}))
    _, name = await bot.shortcut("Jane (jane@acme.com) or her colleague on +1 415 555 0100")
    await bot.settle()
    [listing] = [r for r in bot.replies(name) if "blocks" in r]
    assert [parse_choice_value(b["value"]).name for b in buttons(listing)] == ["Jane Doe", "Bob Roe"]  # type: ignore
    assert bot.slack.uploads == []


async def test_when_zoho_fails_the_next_identifiers_are_not_tried(make_bot: BotFactory) -> None:
    bot = await make_bot()
    add_jane(bot)
    bot.zoho.fail_next("search", code="INTERNAL_ERROR", times=10)
    _, name = await bot.shortcut("bob@beta.io jane@acme.com +44 20 7946 0958")
    await bot.settle()
    assert code_of(bot.replies(name)[-1]) == "INTERNAL_ERROR"
    assert bot.zoho.search_calls() == 3  # the first identifier's three tries (FAST_RETRY), never the other two's


async def test_a_link_to_a_module_without_photos_beside_a_good_one_still_shares_the_good_one(
        make_bot: BotFactory) -> None:
    bot = await make_bot()
    add_jane(bot)
    await bot.shortcut(SlackText(f"<{LINK.replace('Contacts', 'Nonsense')}|x> and <{LINK}|Jane>"))
    await bot.settle()
    assert [(u["thread_ts"], u["title"]) for u in bot.slack.uploads] == [(TS, "Jane Doe")]
    assert zoho_calls(bot) == (0, 1, 1)  # the photo and the caption's fields, side by side


# --- The "Share photo" button of a shortcut's list carries the thread ------------------------------------------

def test_a_button_value_carries_the_thread_and_old_values_still_read() -> None:
    from bot.slack.choices import choice_value

    value = choice_value("Contacts", JANE_ID, "U0ALICE", CHANNEL, "Jane Doe", thread=TS)
    assert json.loads(value)["t"] == TS
    assert parse_choice_value(value).thread == TS  # type: ignore[union-attr]
    plain = choice_value("Contacts", JANE_ID, "U0ALICE", CHANNEL, "Jane Doe")
    assert "t" not in json.loads(plain) and parse_choice_value(plain).thread == ""  # type: ignore[union-attr]
    first_format = json.dumps({"m": "Contacts", "r": JANE_ID, "u": "U0ALICE", "c": CHANNEL})
    assert parse_choice_value(first_format).thread == ""  # type: ignore[union-attr]
    long = choice_value("Contacts", JANE_ID, "U0ALICE", CHANNEL, "&<>" * 1000, thread=TS)
    assert len(long) <= 2000 and parse_choice_value(long).thread == TS  # type: ignore[union-attr]


@pytest.mark.parametrize("thread", ["x", "1700000000", "1700000000.000100<@U1>", "1.2.3", " 1700000000.000100"])
def test_a_button_with_a_thread_of_another_shape_is_not_ours(thread: str) -> None:
    value = json.dumps({"m": "Contacts", "r": JANE_ID, "u": "U0ALICE", "c": CHANNEL, "n": "Jane", "t": thread})
    assert parse_choice_value(value) is None

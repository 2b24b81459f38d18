"""Typed text as Slack sends it (issue 16), in-process through the listeners against the real fakes.

Slack sends the `&`, `<`, `>` a person typed as `&amp;`, `&lt;`, `&gt;` (Slack's "Formatting text" reference,
"Escaping text"; FACTS.md), in a slash command's text and in a `link_shared` event's links. The helpers
(`command_body`, `link_shared_body`, so `Bot.command` and the demo too) send what a person typed escaped that
way; a test that plays Slack's own wrapping of a link passes `SlackText`.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from bot.escapes import escape
from bot.fakes.harness import SlackText, command_body, link_shared_body, slack_text
from bot.fakes.zoho import DEFAULT_MODULES, Record, module_entry
from tests.inprocess import Bot, BotFactory
from tests.test_lookup import paste

PANDG = "4876876000000700001"


def searched_for(bot: Bot) -> list[tuple[str, list[str]]]:
    """(path, the `word` values) of each search Zoho received, decoded from the query string as Zoho does."""
    return [(s.path, parse_qs(s.query).get("word", [])) for s in bot.zoho.seen if s.path.endswith("/search")]


def test_the_helpers_send_typed_text_escaped_as_slack_does() -> None:
    typed = "Accounts Procter & Gamble <3"
    sent = parse_qs(command_body(typed, channel="C1").decode())["text"]
    assert sent == ["Accounts Procter &amp; Gamble &lt;3"]
    wrapped = SlackText("<https://crm.zoho.com/crm/tab/Contacts/1?a=1&amp;b=2|x>")
    assert parse_qs(command_body(wrapped, channel="C1").decode())["text"] == [wrapped]  # Slack's own form, untouched
    assert slack_text(slack_text("&")) == "&amp;"  # never escaped twice
    url = "https://crm.zoho.com/crm/tab/Contacts/1?a=1&b=2"
    [link] = json.loads(link_shared_body(links=[url], channel="C1"))["event"]["links"]
    assert link == {"domain": "crm.zoho.com", "url": "https://crm.zoho.com/crm/tab/Contacts/1?a=1&amp;b=2"}


async def test_an_ampersand_in_a_name_is_searched_for_and_shown_escaped_once(make_bot: BotFactory) -> None:
    bot = await make_bot()
    bot.zoho.add_record("Accounts", PANDG, Record(fields={"Account_Name": "Procter & Gamble"}))
    ack, name = await bot.command("Accounts Procter & Gamble")  # Slack sends `Accounts Procter &amp; Gamble`
    assert "Looking for *Accounts Procter &amp; Gamble*" in ack["text"]
    await bot.settle()
    assert searched_for(bot) == [("/crm/v8/Accounts/search", ["Procter & Gamble"])]
    [upload] = bot.slack.uploads
    assert upload["title"] == "Procter & Gamble"  # a file title is plain text, not mrkdwn
    comment = upload["initial_comment"]
    assert comment.startswith("*Procter &amp; Gamble* · Accounts") and "&amp;amp;" not in comment
    assert bot.replies(name) == []


async def test_names_with_an_ampersand_in_a_list_are_escaped_once(make_bot: BotFactory) -> None:
    bot = await make_bot()
    bot.zoho.add_record("Accounts", PANDG, Record(fields={"Account_Name": "Procter & Gamble"}))
    bot.zoho.add_record("Accounts", "4876876000000700002", Record(fields={"Account_Name": "Procter & Gamble UK"}))
    ack, name = await bot.command('Accounts "Procter & Gamble"')
    assert "Looking for *Accounts Procter &amp; Gamble*" in ack["text"] and "&amp;amp;" not in ack["text"]
    await bot.settle()
    assert searched_for(bot) == [("/crm/v8/Accounts/search", ["Procter & Gamble"])]
    [reply] = bot.replies(name)
    texts = [b["text"]["text"] for b in reply["blocks"] if b.get("type") == "section"]
    assert "2 records match *Accounts Procter &amp; Gamble*." in texts[0]
    assert sum("|Procter &amp; Gamble>*" in t for t in texts) == 1
    assert sum("|Procter &amp; Gamble UK>*" in t for t in texts) == 1
    assert "&amp;amp;" not in json.dumps(reply) and bot.slack.uploads == []


async def test_a_placeholder_typed_from_an_example_gets_a_hint_and_asks_zoho_nothing(make_bot: BotFactory) -> None:
    bot = await make_bot()
    ack, name = await bot.command("Contacts <ID>")  # Slack sends `Contacts &lt;ID&gt;`
    assert "*&lt;ID&gt;* is a placeholder" in ack["text"] and "`/crmphoto Contacts 4876876000000624001`" in ack["text"]
    await bot.settle()
    assert bot.zoho.seen == [] and bot.replies(name) == [] and bot.slack.uploads == []


async def test_an_id_typed_in_angle_brackets_is_the_id(make_bot: BotFactory) -> None:
    bot = await make_bot()
    bot.zoho.add_record("Contacts", "4876876000000624001", Record(fields={"Full_Name": "Jane Doe"}))
    await bot.command("Contacts <4876876000000624001>")  # Slack sends `Contacts &lt;4876876000000624001&gt;`
    await bot.settle()
    [upload] = bot.slack.uploads
    assert upload["title"] == "Jane Doe" and bot.zoho.photo_calls() == 1


async def test_a_module_typed_by_its_label_in_the_orgs_language(make_bot: BotFactory) -> None:
    bot = await make_bot()
    bot.zoho.modules = [*DEFAULT_MODULES, module_entry("Orders", "Auftrag", "Aufträge", "custom",
                                                      module_name="CustomModule4")]
    bot.zoho.add_record("Orders", "4876876000000800001", Record(fields={"Name": "Bestellung 1"}))
    await bot.command("Aufträge 4876876000000800001")
    await bot.settle()
    [upload] = bot.slack.uploads
    assert upload["title"] == "Bestellung 1"
    assert [s.path for s in bot.zoho.seen if s.path.endswith("/photo")] == ["/crm/v8/Orders/4876876000000800001/photo"]


async def test_a_pasted_links_url_goes_back_to_slack_exactly_as_slack_sent_it(make_bot: BotFactory) -> None:
    bot = await make_bot()
    bot.zoho.add_record("Contacts", "820000001", Record(fields={"Full_Name": "Jane Doe"}))
    url = "https://crm.zoho.com/crm/org7000001/tab/Contacts/820000001?sub_module=Notes&tab=2"
    await paste(bot, url)  # the event's url is `…?sub_module=Notes&amp;tab=2`, as Slack sends it
    await bot.settle()
    [unfurl] = bot.slack.unfurls
    assert list(unfurl["unfurls"]) == [escape(url)]  # the key Slack matches: not decoded
    assert "Jane Doe" in json.dumps(unfurl["unfurls"]) and bot.zoho.photo_calls() == 1

"""Channels shared with another organisation (Slack Connect), from every door: a command, a click, a pasted link.

In-process through the listeners against the real fakes. Shared outside means `is_ext_shared` or
`is_pending_ext_shared` (FACTS.md); `is_shared` alone is also true across one Enterprise Grid and stays allowed.
SHARED_CHANNELS governs commands and clicks, UNFURL_SHARED_CHANNELS pasted links.
"""

from __future__ import annotations

import json
import logging

import pytest

from bot.fakes.harness import SlackText, link_shared_body, sharing_event_body, sign_event
from bot.fakes.zoho import Record
from tests.inprocess import Bot, BotFactory
from tests.test_lookup import JANE, buttons, click, person

SHARED = "C0SHAREDX1"
LINK = "https://crm.zoho.com/crm/org7000001/tab/Contacts/{id}"


def add_jane(bot: Bot, record_id: str = "4876876000000624001") -> None:
    bot.zoho.add_record("Contacts", record_id, Record(fields=JANE))


def zoho_calls(bot: Bot) -> int:
    return bot.zoho.photo_calls() + bot.zoho.search_calls() + bot.zoho.record_calls()


async def send_event(bot: Bot, body: bytes) -> None:
    response = await bot.client.post("/slack/events", content=body, headers=sign_event(body))
    assert response.status_code == 200


@pytest.mark.parametrize("text", ["Contacts 4876876000000624001", "jane@acme.com", "Jane Doe",
                                  SlackText("<" + LINK.format(id="4876876000000624001") + ">")])
@pytest.mark.parametrize("how", [{"ext_shared": True}, {"pending_ext_shared": True}])
async def test_a_command_in_a_channel_shared_outside_is_refused_privately(make_bot: BotFactory, text: str,
                                                                          how: dict[str, bool]) -> None:
    bot = await make_bot()
    bot.slack.add_channel(SHARED, **how)
    add_jane(bot)
    ack, name = await bot.command(text, channel=SHARED)
    await bot.settle()
    replies = bot.replies(name)
    codes = [bot.code_of(r) for r in replies] or [ack["blocks"][1]["elements"][0]["text"].split("`")[1]]
    assert codes == ["SHARED_CHANNEL"]
    assert "another organisation" in json.dumps(replies or ack)
    assert "SHARED_CHANNELS=true" in json.dumps(replies or ack)  # says that an admin can allow it
    assert zoho_calls(bot) == 0 and bot.slack.uploads == [] and bot.slack.joins == []
    assert all(r.get("response_type", "ephemeral") == "ephemeral" for r in replies)


async def test_shared_channels_true_lets_commands_through(make_bot: BotFactory) -> None:
    bot = await make_bot(SHARED_CHANNELS="true")
    bot.slack.add_channel(SHARED, ext_shared=True)
    add_jane(bot)
    await bot.command("Contacts 4876876000000624001", channel=SHARED)
    await bot.settle()
    assert [u["channel_id"] for u in bot.slack.uploads] == [SHARED]
    assert bot.slack.count("conversations.info") == 0  # allowed: nothing to ask


async def test_a_channel_shared_inside_one_enterprise_grid_keeps_working(make_bot: BotFactory) -> None:
    bot = await make_bot()
    bot.slack.add_channel("C0GRIDWIDE", org_shared=True)
    add_jane(bot)
    await bot.command("Contacts 4876876000000624001", channel="C0GRIDWIDE")
    await bot.settle()
    assert [u["channel_id"] for u in bot.slack.uploads] == ["C0GRIDWIDE"]


async def test_sharing_is_asked_once_and_asked_again_after_slack_says_it_changed(make_bot: BotFactory) -> None:
    bot = await make_bot(USER_RATE_LIMIT="0")
    bot.slack.add_channel(SHARED)
    add_jane(bot)
    for _ in range(2):
        await bot.command("Contacts 4876876000000624001", channel=SHARED)
        await bot.settle()
    assert bot.slack.count("conversations.info") == 1 and len(bot.slack.uploads) == 2
    bot.slack.share_channel(SHARED)
    await send_event(bot, sharing_event_body("channel_shared", SHARED))
    _, name = await bot.command("Contacts 4876876000000624001", channel=SHARED)
    await bot.settle()
    assert [bot.code_of(r) for r in bot.replies(name)] == ["SHARED_CHANNEL"]
    assert bot.slack.count("conversations.info") == 2 and len(bot.slack.uploads) == 2
    bot.slack.share_channel(SHARED, externally=False)
    await send_event(bot, sharing_event_body("channel_unshared", SHARED, event_id="Ev0UNSHARE"))
    await bot.command("Contacts 4876876000000624001", channel=SHARED)
    await bot.settle()
    assert bot.slack.count("conversations.info") == 3 and len(bot.slack.uploads) == 3


async def test_a_channel_that_became_shared_after_the_list_refuses_the_click(make_bot: BotFactory) -> None:
    bot = await make_bot()
    bot.slack.add_channel(SHARED)
    bot.zoho.add_record("Contacts", "1", Record(fields=person("Jane Doe", "jane@acme.com")))
    bot.zoho.add_record("Contacts", "2", Record(fields=person("Jane Doe", "jane.doe@globex.com", "Globex")))
    _, name = await bot.command("Jane Doe", channel=SHARED)
    await bot.settle()
    [listing] = bot.replies(name)
    first = buttons(listing)[0]["value"]
    bot.slack.share_channel(SHARED)
    await send_event(bot, sharing_event_body("channel_shared", SHARED))
    photos_before = bot.zoho.photo_calls()
    clicked = await click(bot, first, channel=SHARED)
    await bot.settle()
    assert [bot.code_of(r) for r in bot.replies(clicked) if "blocks" in r] == ["SHARED_CHANNEL"]
    assert bot.zoho.photo_calls() == photos_before and bot.slack.uploads == []


@pytest.mark.parametrize("error", ["ratelimited", "internal_error", "missing_scope"])
async def test_slack_not_saying_whether_it_is_shared_refuses_with_its_own_words(make_bot: BotFactory,
                                                                                error: str) -> None:
    bot = await make_bot()
    bot.slack.add_channel(SHARED)
    add_jane(bot)
    bot.slack.fail_next("conversations.info", error, times=5)
    _, name = await bot.command("Contacts 4876876000000624001", channel=SHARED)
    await bot.settle()
    assert [bot.code_of(r) for r in bot.replies(name)] == ["SHARING_UNKNOWN"]
    assert zoho_calls(bot) == 0 and bot.slack.uploads == []


async def test_a_conversation_the_bot_cannot_see_still_gets_the_photo_by_dm(make_bot: BotFactory) -> None:
    bot = await make_bot()
    bot.slack.add_channel("G0PRIVATE1", kind="private", bot_member=False)
    add_jane(bot)
    await bot.command("Contacts 4876876000000624001", channel="G0PRIVATE1")
    await bot.settle()
    assert [u["channel_id"] for u in bot.slack.uploads] == ["DU0ALICE"]
    # asked by the gate, then again before joining (an invisible answer is never kept); no join is tried
    assert bot.slack.count("conversations.info") == 2 and bot.slack.count("conversations.join") == 0


async def test_the_bot_never_joins_a_channel_shared_outside(make_bot: BotFactory) -> None:
    bot = await make_bot(SHARED_CHANNELS="true")
    bot.slack.add_channel(SHARED, ext_shared=True, bot_member=False)
    bot.slack.add_channel("C0INTERNAL", bot_member=False)
    add_jane(bot)
    await bot.command("Contacts 4876876000000624001", channel=SHARED)
    await bot.settle()
    assert bot.slack.joins == [] and [u["channel_id"] for u in bot.slack.uploads] == ["DU0ALICE"]
    await bot.command("Contacts 4876876000000624001", channel="C0INTERNAL")
    await bot.settle()
    assert bot.slack.joins == ["C0INTERNAL"]  # an internal public channel is still joined as before


async def test_before_joining_slack_is_asked_afresh(make_bot: BotFactory) -> None:
    """The bot hears no channel_shared for a channel it is not in: the kept "internal" may be stale by then."""
    bot = await make_bot(USER_RATE_LIMIT="0")
    bot.slack.add_channel("C0OUTSIDE1", bot_member=False)
    add_jane(bot)
    bot.slack.fail_next("conversations.join", "restricted_action")
    await bot.command("Contacts 4876876000000624001", channel="C0OUTSIDE1")  # the gate keeps "internal"
    await bot.settle()
    assert bot.slack.joins == [] and [u["channel_id"] for u in bot.slack.uploads] == ["DU0ALICE"]
    bot.slack.share_channel("C0OUTSIDE1")  # no event reaches the bot: it is not in the channel
    await bot.command("Contacts 4876876000000624001", channel="C0OUTSIDE1")
    await bot.settle()
    assert bot.slack.joins == [] and [u["channel_id"] for u in bot.slack.uploads] == ["DU0ALICE", "DU0ALICE"]
    # the gate asked once (then kept it); each join was preceded by its own question
    assert bot.slack.count("conversations.info") == 3


async def test_an_envelope_that_says_shared_is_refused_without_asking_slack(
        make_bot: BotFactory, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    bot = await make_bot()
    bot.slack.add_channel(SHARED)  # conversations.info would say "internal": the envelope is believed first
    add_jane(bot)
    await send_event(bot, link_shared_body(links=[LINK.format(id="4876876000000624001")], channel=SHARED,
                                           ext_shared=True))
    await bot.settle()
    assert bot.slack.unfurls == [] and zoho_calls(bot) == 0
    assert bot.slack.count("conversations.info") == 0
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "crmphoto.audit"]
    assert [(line["via"], line["outcome"], line["code"]) for line in lines] == [("link", "refused", "SHARED_CHANNEL")]


@pytest.mark.parametrize(("setting", "unfurled"), [("false", 0), ("true", 1)])
async def test_unfurls_follow_unfurl_shared_channels_alone(make_bot: BotFactory, setting: str, unfurled: int) -> None:
    bot = await make_bot(UNFURL_SHARED_CHANNELS=setting, SHARED_CHANNELS="false" if setting == "true" else "true")
    add_jane(bot)
    await send_event(bot, link_shared_body(links=[LINK.format(id="4876876000000624001")], channel=SHARED,
                                           ext_shared=True))
    await bot.settle()
    assert len(bot.slack.unfurls) == unfurled and bot.zoho.photo_calls() == unfurled

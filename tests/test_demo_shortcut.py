"""The demo's "Show CRM photo" (issue 18): a message posted in the stand-in channel, its ⋮ menu's shortcut sent to
the bot as Slack's signed `message_action` payload, and the photo drawn in that message's thread.

Served in this process (tests/test_demo_language.py's `serving`, the same `build()` as `python -m bot demo`), so the
sample CRM's calls and the Slack stand-in's uploads can be counted per case.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.demo import render, sample, server
from bot.identifiers import MAX_TEXT
from tests.test_demo_language import Demo, serving
from tests.waiting import until

Event = dict[str, Any]


@pytest.fixture
async def demo() -> AsyncIterator[Demo]:
    async with serving() as running:
        yield running


def zoho_calls(demo: Demo) -> tuple[int, int, int]:
    """(searches, photos, record reads) the sample CRM answered."""
    zoho = demo.fakes.zoho
    return zoho.search_calls(), zoho.photo_calls(), zoho.record_calls()


async def post(demo: Demo, text: str) -> Event:
    """Post `text` as a plain message in the channel; the message event the page shows for it."""
    before = len(demo.fakes.log.since(0))
    answer = await demo.client.post("/demo/command", json={"text": text})
    assert answer.status_code == 200, answer.text
    [message] = demo.fakes.log.since(before)
    assert message["kind"] == "message" and message["who"] == "you"
    return message


async def shortcut(demo: Demo, message: int, until_seen: Any) -> list[Event]:
    """Use "Show CRM photo" on event `message`; the events after it once `until_seen(events)` holds."""
    before = len(demo.fakes.log.since(0))
    answer = await demo.client.post("/demo/shortcut", json={"message": message})
    assert answer.status_code == 200, answer.text
    await until(lambda: until_seen(demo.fakes.log.since(before)), "the shortcut's answer", 15)
    return demo.fakes.log.since(before)


def photos(events: list[Event]) -> list[Event]:
    return [e for e in events if e["kind"] == "photo"]


async def test_the_shortcut_on_a_message_with_an_email_shares_the_photo_in_its_thread(demo: Demo) -> None:
    message = await post(demo, "Please call ada@acme.example back today")
    calls = zoho_calls(demo)
    events = await shortcut(demo, message["id"], lambda es: photos(es))
    [photo] = photos(events)
    assert photo["thread"] == message["id"] and photo["title"] == "Ada Lovelace"
    assert [(u["channel_id"], u["thread_ts"]) for u in demo.fakes.slack.uploads] == [(server.CHANNEL, message["ts"])]
    searches, pictures, reads = zoho_calls(demo)
    assert (searches - calls[0], pictures - calls[1], reads - calls[2]) == (1, 1, 0)
    [looking] = [e for e in events if e["kind"] == "private"]  # "Looking for…", only to you
    assert "ada@acme.example" in looking["html"]


async def test_the_shortcut_on_a_message_naming_nobody_explains_privately_and_asks_zoho_nothing(demo: Demo) -> None:
    calls = zoho_calls(demo)
    message = await post(demo, "Lunch at 12:30, table for 4 on 2024-03-12?")
    events = await shortcut(demo, message["id"], lambda es: any(e["kind"] == "private" for e in es))
    [reply] = events
    assert reply["kind"] == "private" and "Code <code>NOTHING_TO_FIND</code>" in reply["html"]
    assert zoho_calls(demo) == calls and demo.fakes.slack.uploads == []


async def test_a_ready_message_gives_the_list_and_its_button_shares_into_that_thread(demo: Demo) -> None:
    ready = [e for e in demo.fakes.log.since(0) if e["kind"] == "message"]
    assert [(e["who"], e["html"]) for e in ready] == [("priya", render.mrkdwn(t)) for t in sample.MESSAGES]
    assert all(text in [t for t, _ in sample.TRY] for text in sample.MESSAGES)  # "Things to try" names them
    both = ready[1]
    calls = zoho_calls(demo)
    events = await shortcut(demo, both["id"], lambda es: any('class="choice"' in e["html"] for e in es))
    [listing] = [e for e in events if 'class="choice"' in e["html"]]
    assert listing["kind"] == "private" and "Linus Torvalds" in listing["html"] and "Ada Lovelace" in listing["html"]
    assert zoho_calls(demo)[1:] == calls[1:] and demo.fakes.slack.uploads == []
    action, block, value = re.findall(r'data-action="([^"]*)" data-block="([^"]*)" data-value="([^"]*)"',
                                      listing["html"])[0]
    before = len(demo.fakes.log.since(0))
    answer = await demo.client.post("/demo/click", json={"action": action, "block": block, "message": listing["id"],
                                                         "value": render.html.unescape(value)})
    assert answer.status_code == 200, answer.text
    await until(lambda: photos(demo.fakes.log.since(before)), "the photo", 15)
    [photo] = photos(demo.fakes.log.since(before))
    assert photo["thread"] == both["id"] and photo["title"] == "Linus Torvalds"
    assert [u["thread_ts"] for u in demo.fakes.slack.uploads] == [both["ts"]]


async def test_the_first_ready_message_shares_graces_photo_in_its_thread(demo: Demo) -> None:
    first = next(e for e in demo.fakes.log.since(0) if e["kind"] == "message")
    [photo] = photos(await shortcut(demo, first["id"], lambda es: photos(es)))
    assert photo["thread"] == first["id"] and photo["title"] == "Grace Hopper"


@pytest.mark.parametrize("number", ["not a message", 999, 0, -1, None, True, 1.0, "1", [1], {"id": 1}])
async def test_an_unknown_message_gets_a_friendly_400_and_nothing_reaches_the_bot(demo: Demo, number: Any) -> None:
    before = len(demo.fakes.log.since(0))
    if number == "not a message":  # an event that is no message: a private reply
        await demo.client.post("/demo/command", json={"text": "/crmphoto help"})
        await until(lambda: any(e["kind"] == "private" for e in demo.fakes.log.since(before)), "the help", 15)
        number = next(e["id"] for e in demo.fakes.log.since(before) if e["kind"] == "private")
        before = len(demo.fakes.log.since(0))
    calls = zoho_calls(demo)
    answer = await demo.client.post("/demo/shortcut", json={"message": number})
    assert answer.status_code == 400
    assert answer.json() == {"error": server.NO_SUCH_MESSAGE} and "message in #sales" in server.NO_SUCH_MESSAGE
    answer = await demo.client.post("/demo/shortcut", json={"id": number})
    assert answer.status_code == 400
    assert demo.fakes.log.since(before) == [] and zoho_calls(demo) == calls  # the request goes nowhere


async def test_the_shortcut_endpoint_takes_only_json(demo: Demo) -> None:
    answer = await demo.client.post("/demo/shortcut", data={"message": "1"})
    assert answer.status_code == 415


async def test_a_message_longer_than_slack_allows_is_refused_kindly(demo: Demo) -> None:
    before = len(demo.fakes.log.since(0))
    for text in ("x" * (MAX_TEXT + 1), "/crmphoto " + "x" * MAX_TEXT):
        answer = await demo.client.post("/demo/command", json={"text": text})
        assert answer.status_code == 400 and answer.json() == {"error": server.TOO_LONG}
    assert "40,000 characters" in server.TOO_LONG and demo.fakes.log.since(before) == []
    longest = await post(demo, "y" * MAX_TEXT)  # exactly the limit is a message
    assert longest["html"] == "y" * MAX_TEXT

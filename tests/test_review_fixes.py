"""Defects a review of the pipeline and the Slack listeners found, each pinned by a test that failed before.

Every admitted request gives its in-flight place back and writes its audit line, whatever Slack does to the
ack, the click's response URL or the reply; a double click shares once; the event for a pasted link is answered
at once; a cached unfurl Slack refuses is Slack's refusal, not a crash; a call that never connected costs nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.access import Gate
from bot.background import Background
from bot.codes import Code
from bot.config import AccessSettings
from bot.deliver import Outcome
from bot.fakes.harness import block_actions_body, link_shared_body, sign, sign_event
from bot.limits import DailyBudget, SlidingWindowLimiter
from bot.pipeline import Asker, Pipeline, Ticket, _TeamMeter
from bot.records import RecordCard
from bot.request import SearchRequest
from bot.slack.choices import ACTION_ID, choice_value
from bot.slack.listeners import PhotoCommand, ShareChoice
from bot.slack.replies import QuietReplier
from bot.slack.unfurl import UnfurlDestination, Unfurler
from bot.zoho import ZohoClient, ZohoError
from bot.zoho.client import metered
from tests.conftest import FAST_RETRY, zoho_settings
from tests.inprocess import CHANNEL, BotFactory

ASKER = Asker("T1", "U1", "C0CHAN1")


class Directory:
    async def user(self, user_id: str) -> dict[str, Any]:
        return {"id": user_id, "team_id": "T1"}

    def known_locale(self, user_id: str) -> str | None:
        return None

    async def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset()

    async def sharing(self, channel_id: str, fresh: bool = False) -> str:
        return "internal"


def pipeline(zoho: Any = None, **kwargs: Any) -> Pipeline:
    return Pipeline(zoho, Gate(AccessSettings()), DailyBudget(0), SlidingWindowLimiter(0), Directory(), **kwargs)


def audit_lines(caplog: pytest.LogCaptureFixture, ref: str) -> list[dict[str, Any]]:
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "crmphoto.audit"]
    return [line for line in lines if line["ref"] == ref]


async def test_a_failing_ack_still_runs_the_admitted_command(zoho: ZohoClient) -> None:
    p, background = pipeline(zoho, max_in_flight=1), Background()

    async def ack(**kwargs: Any) -> None:
        raise ConnectionError("the Socket Mode connection dropped")

    async def respond(**kwargs: Any) -> None:
        return None

    command = {"team_id": "T1", "user_id": "U1", "channel_id": "C0CHAN1", "text": "Contacts 1"}
    with pytest.raises(ConnectionError):
        await PhotoCommand(p, background)(ack, command, respond, client=None)
    assert len(background) == 1  # the ticket runs all the same, and gives its place back when done
    await background.drain(5)
    assert p.in_flight == 0


async def test_a_failing_response_url_on_a_click_gives_the_place_back(zoho: ZohoClient) -> None:
    p, background = pipeline(zoho, max_in_flight=1), Background()

    async def ack(**kwargs: Any) -> None:
        return None

    async def respond(**kwargs: Any) -> None:
        raise OSError("response_url unreachable")

    body = {"actions": [{"action_id": ACTION_ID, "value": choice_value("Contacts", "1", "U1", "C0CHAN1")}],
            "team": {"id": "T1"}, "user": {"id": "U1"}, "channel": {"id": "C0CHAN1"}}
    await ShareChoice(p, background)(ack, body, respond, client=None)
    await background.drain(5)
    assert p.in_flight == 0


async def test_a_reply_that_raises_still_writes_the_audit_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    p = pipeline()
    card = RecordCard("Contacts", "1", name="Jane")

    async def work(ticket: Ticket, destination: Any) -> Outcome:
        return Outcome("Contacts", "", Code.CHOICES, choices=(card, card))

    class Broken(QuietReplier):
        async def choices(self, outcome: Outcome, ticket: Ticket) -> None:
            raise ValueError("blocks could not be built")

    p._work = work  # type: ignore[method-assign]
    ticket = Ticket("ref00001", ASKER, SearchRequest("word", "Jane"), time.monotonic())
    p.in_flight = 1
    outcome = await p.run(ticket, None, Broken())  # type: ignore[arg-type]
    assert outcome.code == Code.CHOICES and p.in_flight == 0
    assert [line["outcome"] for line in audit_lines(caplog, "ref00001")] == ["choices"]
    assert "the reply could not be made" in caplog.text


async def test_module_names_as_long_as_zoho_allows_fit_a_button() -> None:
    long_module = "M" + "x" * 99  # bot.zoho.modules.API_NAME allows 100 characters
    assert choice_value(long_module, "1", "U1", "C0CHAN1")


async def test_a_list_delivered_by_dm_can_still_be_used_by_its_asker(zoho: ZohoClient) -> None:
    p = pipeline(zoho)
    ack = await p.receive_choice("Contacts", "1", ASKER, clicked_by="U1", clicked_in="DU1")
    assert ack.ticket is not None
    other = await p.receive_choice("Contacts", "1", ASKER, clicked_by="U2", clicked_in="DU2")
    assert other.ticket is None and other.explanation is not None and other.explanation.code == "NOT_YOUR_CHOICE"


async def test_a_double_click_shares_the_photo_once(make_bot: BotFactory) -> None:
    bot = await make_bot()
    value = choice_value("Contacts", "1", "U0ALICE", CHANNEL)
    bodies = [block_actions_body(value=value, channel=CHANNEL, response_url=bot.slack.response_url(f"c{i}"))
              for i in range(2)]
    answers = await asyncio.gather(*(bot.client.post("/slack/events", content=b, headers=sign(b)) for b in bodies))
    await bot.settle()
    assert [a.status_code for a in answers] == [200, 200]
    assert len(bot.slack.uploads) == 1 and bot.zoho.photo_calls() == 1


async def test_the_link_event_is_answered_before_slack_is_asked_about_the_channel(make_bot: BotFactory) -> None:
    bot = await make_bot()
    bot.slack.fail_next("conversations.info", "ratelimited", status=429, retry_after=4)
    body = link_shared_body(links=["https://crm.zoho.com/crm/org1/tab/Contacts/1"], channel=CHANNEL)
    started = time.monotonic()
    answer = await bot.client.post("/slack/events", content=body, headers=sign_event(body))
    answered_in = time.monotonic() - started
    assert answer.status_code == 200
    assert answered_in < 3.0, "Slack re-sends an event not answered within 3 seconds"
    await bot.settle()


async def test_a_link_in_the_composer_is_not_unfurled_by_default(make_bot: BotFactory,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    bot = await make_bot()
    body = link_shared_body(links=["https://crm.zoho.com/crm/org1/tab/Contacts/1"], channel="COMPOSER",
                            source="composer")
    await bot.client.post("/slack/events", content=body, headers=sign_event(body))
    await bot.settle()
    assert bot.slack.unfurls == [] and bot.zoho.photo_calls() == 0
    assert bot.slack.count("conversations.info") == 0  # no channel to ask about
    assert '"channel":"","via":"link"' in caplog.text and '"code":"SHARING_UNKNOWN"' in caplog.text


def _slack_error(method: str, error: str) -> SlackApiError:
    response = AsyncSlackResponse(client=None, http_verb="POST", api_url=f"https://slack.com/api/{method}",
                                  req_args={}, data={"ok": False, "error": error}, headers={}, status_code=200)
    return SlackApiError(error, response)


async def test_a_cached_unfurl_that_slack_refuses_is_slacks_refusal_not_a_crash(
    zoho: ZohoClient, caplog: pytest.LogCaptureFixture
) -> None:
    class Refusing:
        async def chat_unfurl(self, **kwargs: Any) -> None:
            raise _slack_error("chat.unfurl", "cannot_find_channel")

    p = pipeline(zoho)
    unfurler = Unfurler(Refusing())  # type: ignore[arg-type]
    await unfurler.cache.put("Contacts", "1", RecordCard("Contacts", "1", name="Jane"), None)
    url = "https://crm.zoho.com/crm/org1/tab/Contacts/1"
    ack = await p.receive_link(url, ASKER)
    assert ack.ticket is not None
    outcome = await p.run(ack.ticket, UnfurlDestination(unfurler, "C0CHAN1", "1.2", url), QuietReplier())
    assert outcome.code == Code.SLACK_ERROR
    assert "unexpected error" not in caplog.text


@pytest.mark.parametrize("refused", [httpx.ConnectError, httpx.ConnectTimeout])
async def test_calls_that_never_connected_cost_no_budget(fake_zoho, refused: type[Exception]) -> None:
    client = ZohoClient(zoho_settings(fake_zoho), retry=FAST_RETRY)
    module = await client.resolve_module("Contacts")
    real_send = client._http.send

    async def send(request: httpx.Request, **kwargs: Any) -> httpx.Response:
        if request.url.path.endswith("/photo"):
            raise refused("no route", request=request)
        return await real_send(request, **kwargs)

    client._http.send = send  # type: ignore[method-assign]
    budget = DailyBudget(100)
    with metered(_TeamMeter(budget, "T1")), pytest.raises(ZohoError):
        await client.fetch_photo(module, "1")
    assert budget.used("T1") == 0
    await client.aclose()


async def test_the_click_listener_answers_before_the_response_url(make_bot: BotFactory) -> None:
    bot = await make_bot()
    bot.slack.fail_response_urls = True  # the "Sharing…" line cannot be posted
    value = choice_value("Contacts", "1", "U0ALICE", CHANNEL)
    body = block_actions_body(value=value, channel=CHANNEL, response_url=bot.slack.response_url("click"))
    answer = await bot.client.post("/slack/events", content=body, headers=sign(body))
    assert answer.status_code == 200
    await bot.settle()
    assert len(bot.slack.uploads) == 1  # the photo is shared all the same

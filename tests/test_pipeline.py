"""The core pipeline on its own: ports stubbed, the real Zoho client against the fake Zoho.

Mirrors bot/pipeline.py: admission before the ack, exactly one outcome after it, the deadline split and
what a late timeout or a shutdown may (not) say once the photo is already in the channel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from bot import messages
from bot.access import Gate
from bot.config import AccessSettings
from bot.deliver import Delivery
from bot.limits import DailyBudget, SlidingWindowLimiter
from bot.messages import Label
from bot.pipeline import Asker, Pipeline, Timing
from bot.zoho import Photo, ZohoClient

ASKER = Asker(team="T1", user="U1", channel="C0CHAN1")


class Directory:
    async def user(self, user_id: str) -> Mapping[str, Any] | None:
        return {"id": user_id, "team_id": "T1"}

    def known_locale(self, user_id: str) -> str | None:
        return None

    async def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset()

    async def sharing(self, channel_id: str, fresh: bool = False) -> str:
        return "internal"


class Replies:
    def __init__(self) -> None:
        self.explained: list[str] = []
        self.notes: list[str] = []

    async def explain(self, explanation: messages.Explanation, ref: str) -> None:
        self.explained.append(explanation.code)

    async def note(self, text: str) -> None:
        self.notes.append(text)


class SlowAfterSharing:
    """A destination whose photo arrives at once but whose answer takes `linger` seconds (a lost answer)."""

    def __init__(self, linger: float) -> None:
        self.linger = linger
        self.delivered: Delivery | None = None
        self.sent: list[Photo] = []

    async def from_cache(self, module: str, record_id: str) -> Delivery | None:
        return None

    async def send(self, photo: Photo, label: Label) -> Delivery:
        self.sent.append(photo)
        self.delivered = Delivery("C0CHAN1")
        await asyncio.sleep(self.linger)
        return self.delivered


def make_pipeline(zoho: ZohoClient, timing: Timing, **kwargs: Any) -> Pipeline:
    return Pipeline(zoho, Gate(AccessSettings()), DailyBudget(0), SlidingWindowLimiter(0), Directory(),
                    timing=timing, **kwargs)


async def test_a_photo_already_shared_is_the_outcome_even_when_the_clock_runs_out(zoho: ZohoClient) -> None:
    pipeline = make_pipeline(zoho, Timing(deadline=0.5, slack_share=0.3))
    ack = await pipeline.receive("Contacts 1", ASKER)
    assert ack.ticket is not None
    destination, replies = SlowAfterSharing(linger=5.0), Replies()
    outcome = await pipeline.run(ack.ticket, destination, replies)
    assert outcome.code == "OK" and outcome.delivered
    assert replies.explained == [] and len(destination.sent) == 1
    assert pipeline.in_flight == 0


async def test_a_shutdown_after_the_photo_was_shared_apologises_for_nothing(zoho: ZohoClient) -> None:
    pipeline = make_pipeline(zoho, Timing())
    ack = await pipeline.receive("Contacts 1", ASKER)
    assert ack.ticket is not None
    destination, replies = SlowAfterSharing(linger=5.0), Replies()
    task = asyncio.ensure_future(pipeline.run(ack.ticket, destination, replies))
    while not destination.sent:
        await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert replies.explained == [] and pipeline.in_flight == 0


async def test_unexpected_errors_give_the_place_back(zoho: ZohoClient) -> None:
    class Broken:
        delivered = None

        async def from_cache(self, module: str, record_id: str) -> Delivery | None:
            return None

        async def send(self, photo: Photo, label: Label) -> Delivery:
            raise RuntimeError("boom")

    pipeline = make_pipeline(zoho, Timing(), max_in_flight=1)
    ack = await pipeline.receive("Contacts 1", ASKER)
    assert ack.ticket is not None and pipeline.in_flight == 1
    busy = await pipeline.receive("Contacts 2", ASKER)
    assert busy.ticket is None and busy.explanation is not None and busy.explanation.code == "BUSY"
    replies = Replies()
    outcome = await pipeline.run(ack.ticket, Broken(), replies)
    assert outcome.code == "UNEXPECTED" and replies.explained == ["UNEXPECTED"]
    assert pipeline.in_flight == 0
    assert (await pipeline.receive("Contacts 3", ASKER)).ticket is not None


async def test_budget_is_given_back_for_a_call_that_never_reached_zoho(fake_zoho) -> None:
    from tests.conftest import make_client

    budget = DailyBudget(5)
    async with make_client(fake_zoho) as zoho:
        await zoho.tokens.get()
        fake_zoho.stop()  # nothing listens any more: every call fails to connect
        pipeline = Pipeline(zoho, Gate(AccessSettings()), budget, SlidingWindowLimiter(0), Directory())
        ack = await pipeline.receive("Contacts 1", ASKER)
        assert ack.ticket is not None
        outcome = await pipeline.run(ack.ticket, SlowAfterSharing(0), Replies())
    assert outcome.code == "CONNECTION_ERROR"
    assert budget.used("T1") == 0

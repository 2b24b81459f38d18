"""Serving the real Bolt app in-process (Starlette over ASGI) against the real fake servers.

Shared by the listener tests and the lookup tests: `make_bot(...)` builds the app with settings from the
environment a test names, and `Bot` sends it signed commands and reads what the fakes recorded.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

from bot.background import Background
from bot.config import load_settings
from bot.fakes.harness import bot_env, command_body, message_shortcut_body, sign
from bot.fakes.slack import FakeSlack
from bot.fakes.zoho import FakeZoho
from bot.limits import ByteBudget
from bot.pipeline import Timing
from bot.slack.app import create_app
from bot.slack.server import create_web_app
from bot.zoho import ZohoClient
from tests.conftest import FAST_RETRY

_n = itertools.count(1)
CHANNEL = "C0LISTEN01"


@pytest.fixture
def fakes() -> Iterator[tuple[FakeZoho, FakeSlack]]:
    with FakeZoho() as zoho, FakeSlack() as slack:
        slack.add_channel(CHANNEL)
        yield zoho, slack


class Bot:
    def __init__(self, client: httpx.AsyncClient, background: Background, zoho: FakeZoho, slack: FakeSlack) -> None:
        self.client, self.background, self.zoho, self.slack = client, background, zoho, slack

    async def command(self, text: str, *, user: str = "U0ALICE", channel: str = CHANNEL,
                      team: str = "T0TEST") -> tuple[dict[str, Any], str]:
        name = f"r{next(_n)}"
        body = command_body(text, channel=channel, user=user, team=team, response_url=self.slack.response_url(name))
        response = await self.client.post("/slack/events", content=body, headers=sign(body))
        assert response.status_code == 200
        return response.json(), name

    async def shortcut(self, text: str, *, ts: str = "1700000000.000100", thread_ts: str | None = None,
                       user: str = "U0ALICE", channel: str = CHANNEL) -> tuple[httpx.Response, str]:
        """"Show CRM photo" on a message with `text` (as its author typed it, or SlackText); the answer to Slack and
        the name of the shortcut's response_url."""
        name = f"s{next(_n)}"
        body = message_shortcut_body(text, channel=channel, user=user, ts=ts, thread_ts=thread_ts,
                                     response_url=self.slack.response_url(name))
        return await self.client.post("/slack/events", content=body, headers=sign(body)), name

    async def settle(self) -> None:
        for _ in range(1000):
            if not len(self.background):
                return
            await asyncio.sleep(0.01)
        raise AssertionError("background work did not finish")

    def replies(self, name: str) -> list[dict[str, Any]]:
        return [body for n, body in self.slack.responses if n == name]

    def code_of(self, reply: dict[str, Any]) -> str:
        return reply["blocks"][1]["elements"][0]["text"].split("`")[1]


BotFactory = Callable[..., Awaitable[Bot]]


@pytest.fixture
async def make_bot(fakes: tuple[FakeZoho, FakeSlack]) -> AsyncIterator[BotFactory]:
    zoho_fake, slack_fake = fakes
    opened: list[tuple[httpx.AsyncClient, ZohoClient]] = []

    async def factory(timing: Timing | None = None, photo_bytes: ByteBudget | None = None, **env: str) -> Bot:
        settings = load_settings(bot_env(zoho_fake, slack_fake, 3000, **env))
        zoho = ZohoClient(settings.zoho, retry=FAST_RETRY, photo_bytes=photo_bytes)
        background = Background()
        web = create_web_app(create_app(settings, zoho, background, timing), background, zoho, 5)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://bot")
        opened.append((client, zoho))
        return Bot(client, background, zoho_fake, slack_fake)

    yield factory
    for client, zoho in opened:
        await client.aclose()
        await zoho.aclose()



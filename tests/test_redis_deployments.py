"""Two deployments (production and staging: two Zoho orgs, two self clients) on one real Redis.

Each bot process must only ever call its own Zoho, with its own tokens, and post its own org's photos.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from bot.fakes import harness
from bot.fakes.harness import BotProcess, bot_env, command_body, free_port, sign
from bot.fakes.slack import FakeSlack
from bot.fakes.zoho import FakeZoho, Record
from tests.redis_server import RedisServer, redis_server  # noqa: F401
from tests.waiting import wait_until

pytestmark = [pytest.mark.redis, pytest.mark.slow]

JPEG = b"\xff\xd8\xff\xe0"


def org(name: str) -> FakeZoho:
    """A fake Zoho whose self client, tokens and photos are `name`'s alone."""
    zoho = FakeZoho()
    zoho.client_id = f"1000.{name.upper()}CLIENT"
    zoho.client_secret = f"{name}-client-secret-dummy"
    zoho.refresh_token = f"1000.{name}-refresh-dummy"
    zoho.token_prefix = f"1000.{name}-access-"
    zoho.default_record = Record(content=JPEG + name.encode() * 100)
    return zoho


@pytest.fixture
def deployments(redis_server: RedisServer) -> Iterator[tuple[FakeSlack, list[tuple[FakeZoho, BotProcess]]]]:  # noqa: F811
    with FakeSlack(bot_token=harness.BOT_TOKEN) as slack, org("production") as prod, org("staging") as staging:
        bots = [BotProcess(bot_env(zoho, slack, free_port(), REDIS_URL=redis_server.url, USER_RATE_LIMIT="0"))
                for zoho in (prod, staging)]
        with bots[0], bots[1]:
            yield slack, [(prod, bots[0]), (staging, bots[1])]


def run(bot: BotProcess, slack: FakeSlack, text: str, channel: str) -> None:
    """Type `text` in `channel` and wait for the command's audit line (the last thing a command does)."""
    body = command_body(text, channel=channel, response_url=slack.response_url(channel))
    assert httpx.post(f"{bot.url}/slack/events", content=body, headers=sign(body), timeout=10).status_code == 200
    wait_until(lambda: any(line.get("channel") == channel for line in bot.audit_lines()), timeout=15)


def test_each_deployment_only_calls_its_own_zoho_with_its_own_tokens(deployments) -> None:
    slack, pairs = deployments
    sent: list[tuple[FakeZoho, str]] = []
    for turn in range(4):  # production, staging, production, staging: each finds the other's state in Redis
        zoho, bot = pairs[turn % 2]
        channel = f"C0DEPLOY{turn}"
        slack.add_channel(channel)
        run(bot, slack, f"Contacts {1000 + turn}", channel)
        sent.append((zoho, channel))

    photos = {u["channel_id"]: u["content"] for u in slack.uploads}
    for zoho, channel in sent:
        assert photos[channel] == zoho.default_record.content  # the photo came from this deployment's org
    for zoho, bot in pairs:
        carried = {s.headers.get("Authorization") for s in zoho.seen if s.path.startswith("/crm/")}
        assert carried == {f"Zoho-oauthtoken {token}" for token in zoho.valid_tokens()}
        assert all(token.startswith(zoho.token_prefix) for token in zoho.valid_tokens())
        assert (zoho.token_requests, zoho.module_calls(), zoho.photo_calls()) == (1, 1, 2)
        assert [line["code"] for line in bot.audit_lines()] == ["OK", "OK"]
    namespaces = [re.findall(r"keys under (crmphoto:[0-9a-f]{16}:)", bot.output()) for _, bot in pairs]
    assert all(len(found) == 1 for found in namespaces) and namespaces[0] != namespaces[1]

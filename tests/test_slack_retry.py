"""bot.slack.retry on calls other than the upload: what is repeated after which failure, and the attempt log."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError

from bot.fakes.slack import FakeSlack
from bot.slack import retry
from bot.slack.client import build_client

TOKEN = "xoxb-test-dummy"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=TOKEN) as fake:
        fake.add_channel("C1")
        yield fake


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    delays: list[float] = []

    class Recorded:
        async def sleep(self, delay: float) -> None:
            delays.append(delay)

        def __getattr__(self, name: str) -> Any:
            return getattr(asyncio, name)

    monkeypatch.setattr(retry, "asyncio", Recorded())
    return delays


def test_call_names() -> None:
    assert retry.call_name("https://slack.com/api/files.completeUploadExternal") == "files.completeUploadExternal"
    assert retry.call_name("http://127.0.0.1:5/api/users.info?user=U1") == "users.info"
    assert retry.call_name("https://files.slack.com/upload/v1/ABC") == retry.UPLOAD_URL


async def test_lost_answer_of_a_message_is_not_posted_again(slack: FakeSlack, sleeps: list[float]) -> None:
    """chat.postMessage's answer lost: the message may be in the channel, so it is not sent a second time."""
    client = build_client(TOKEN, slack.api_url, 10)
    slack.drop_answer("chat.postMessage")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await client.chat_postMessage(channel="C1", text="hello")
    assert slack.count("chat.postMessage") == 1
    assert len(slack.messages) == 1
    assert sleeps == []


async def test_server_error_of_a_message_is_not_repeated(slack: FakeSlack, sleeps: list[float]) -> None:
    client = build_client(TOKEN, slack.api_url, 10)
    slack.fail_next("chat.postEphemeral", "internal_error", status=500)
    with pytest.raises(SlackApiError):
        await client.chat_postEphemeral(channel="C1", user="U0ALICE", text="psst")
    assert slack.count("chat.postEphemeral") == 1


async def test_rate_limited_message_is_retried(slack: FakeSlack, sleeps: list[float]) -> None:
    """A 429 means Slack did nothing, so even a message is safe to send again."""
    client = build_client(TOKEN, slack.api_url, 10)
    slack.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=1)
    await client.chat_postMessage(channel="C1", text="hello")
    assert slack.count("chat.postMessage") == 2
    assert len(slack.messages) == 1
    assert sleeps == [1.0]


async def test_join_with_a_lost_answer_is_repeated(slack: FakeSlack, sleeps: list[float]) -> None:
    """(A POST: aiohttp itself repeats an idempotent GET such as users.info once when the server disconnects.)"""
    client = build_client(TOKEN, slack.api_url, 10)
    slack.add_channel("C2", bot_member=False)
    slack.drop_answer("conversations.join")
    response = await client.conversations_join(channel="C2")
    assert response["warning"] == "already_in_channel"  # the first, unheard, call did join
    assert slack.count("conversations.join") == 2
    assert slack.joins == ["C2"]
    assert sleeps == [retry.BACKOFF[0]]


async def test_lookup_that_times_out_is_repeated(slack: FakeSlack) -> None:
    client = build_client(TOKEN, slack.api_url, 0.3)
    slack.slow_next("usergroups.users.list", 2.0)
    slack.add_usergroup("S1", ["U0ALICE"])
    with retry.recording() as attempts:
        response = await client.usergroups_users_list(usergroup="S1")
    assert response["users"] == ["U0ALICE"]
    assert slack.count("usergroups.users.list") == 2
    [timed_out, answered] = attempts.of("usergroups.users.list")
    assert timed_out.error is not None and issubclass(timed_out.error, TimeoutError) and timed_out.outcome_unknown
    assert (answered.status, answered.error) == (200, None)


async def test_refused_connection_is_retried_for_any_call_and_recorded(sleeps: list[float]) -> None:
    """Nothing reached Slack, so even chat.postMessage is tried again (twice), and no outcome is unknown."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the call: connections to it are refused
    client = build_client(TOKEN, f"http://127.0.0.1:{port}/api/", 10)
    with retry.recording() as attempts, pytest.raises(aiohttp.ClientConnectorError):
        await client.chat_postMessage(channel="C1", text="hello")
    assert [a.call for a in attempts.attempts] == ["chat.postMessage"] * (1 + retry.MAX_RETRIES)
    assert not attempts.outcome_unknown("chat.postMessage")
    assert sleeps == list(retry.BACKOFF)


async def test_attempts_are_recorded_only_inside_recording(slack: FakeSlack) -> None:
    client = build_client(TOKEN, slack.api_url, 10)
    await client.auth_test()
    with retry.recording() as attempts:
        await client.auth_test()
    assert [(a.call, a.status) for a in attempts.attempts] == [("auth.test", 200)]


async def test_the_pooled_session_bounds_each_call() -> None:
    """slack_sdk ignores the client's own timeout once a session is set: the session must carry one."""
    from slack_bolt.async_app import AsyncApp

    from bot.slack.app import SLACK_TIMEOUT, pooled_session
    from bot.slack.client import build_client

    bolt = AsyncApp(client=build_client("xoxb-dummy", "http://127.0.0.1:9/api/", SLACK_TIMEOUT),
                    signing_secret="s")
    async with pooled_session(bolt):
        assert bolt.client.session is not None
        assert bolt.client.session.timeout.total == SLACK_TIMEOUT

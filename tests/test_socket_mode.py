"""Socket Mode: with SLACK_APP_TOKEN set, `python -m bot` connects out to Slack instead of serving HTTP.

Starting up against a Slack that is down, slow to come back, or refusing the token must end well: a bad
token stops the process with status 2 and says why; otherwise it retries with growing delays, one log line
per attempt, and still stops within seconds on SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import time
from urllib.parse import parse_qsl

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.fakes.harness import BotProcess, bot_env, command_body, free_port
from bot.fakes.socket_mode import APP_TOKEN, FakeSlackSocketMode, unreachable_api_url
from bot.fakes.zoho import FakeZoho
from bot.slack.server import socket_handler
from bot.slack.socket_connect import Backoff, TokenRefused, open_socket_url

ATTEMPT = re.compile(r"connecting to Slack failed \(attempt (\d+): .*\); retrying in (\d+)s")


def socket_env(zoho: FakeZoho, slack: FakeSlackSocketMode, **extra: str) -> dict[str, str]:
    env = bot_env(zoho, slack, free_port(), **{"SLACK_APP_TOKEN": APP_TOKEN, **extra})
    del env["SLACK_SIGNING_SECRET"]  # not needed without a public URL
    return env


def wait_for(condition, timeout: float) -> None:  # noqa: ANN001 - a zero-argument predicate
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_socket_mode_end_to_end(sig: signal.Signals) -> None:
    with FakeZoho() as zoho, FakeSlackSocketMode() as slack:
        slack.add_channel("C0SOCKET01")
        bot = BotProcess(socket_env(zoho, slack))
        try:
            bot.start(ready=lambda: slack.connected)
            assert not bot.healthy()  # no HTTP server in this mode
            body = command_body("Contacts 31", channel="C0SOCKET01", response_url=slack.response_url("s1"))
            envelope = slack.send_slash_command(dict(parse_qsl(body.decode())))
            wait_for(lambda: slack.uploads, 10)
            assert "Fetching" in slack.acks[envelope]["text"]
            assert [u["channel_id"] for u in slack.uploads] == ["C0SOCKET01"]
            assert bot.proc is not None
            bot.proc.send_signal(sig)
            status = bot.proc.wait(timeout=10)
        finally:
            bot.stop()
        output = bot.output()
    assert status == 0, output
    assert "Socket Mode" in output and APP_TOKEN not in output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output


@pytest.mark.parametrize(("token", "scripted"), [
    ("xapp-1-A0TEST-wrong-token-dummy", None),  # an unknown app token: invalid_auth
    (APP_TOKEN, "token_revoked"),
    (APP_TOKEN, "not_allowed_token_type"),
])
def test_a_refused_app_token_stops_at_once_with_status_2(token: str, scripted: str | None) -> None:
    with FakeZoho() as zoho, FakeSlackSocketMode() as slack:
        if scripted:
            slack.fail_next("apps.connections.open", scripted)
        env = socket_env(zoho, slack, SLACK_APP_TOKEN=token)
        started = time.monotonic()
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "bot"], env=env, capture_output=True, text=True, timeout=30, check=False,
        )
        took = time.monotonic() - started
        calls = slack.count("apps.connections.open")
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert f"Slack refused SLACK_APP_TOKEN ({scripted or 'invalid_auth'})" in result.stderr
    assert calls == 1  # no retry can cure a refused token
    assert took < 15
    assert "Traceback" not in output and token not in output


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_slack_unreachable_backs_off_one_line_per_attempt_and_stops_on_a_signal(sig: signal.Signals) -> None:
    with FakeZoho() as zoho, FakeSlackSocketMode() as slack:
        env = socket_env(zoho, slack, SLACK_API_URL=unreachable_api_url())
        bot = BotProcess(env)
        try:
            bot.start(ready=lambda: len(ATTEMPT.findall(bot.output())) >= 2)
            assert bot.proc is not None
            stopping = time.monotonic()
            bot.proc.send_signal(sig)
            status = bot.proc.wait(timeout=10)
            took = time.monotonic() - stopping
        finally:
            bot.stop()
        output = bot.output()
    assert status == 0, output
    assert took < 5
    attempts = ATTEMPT.findall(output)
    assert [int(n) for n, _ in attempts] == list(range(1, len(attempts) + 1))  # one line per attempt
    assert [d for _, d in attempts[:2]] == ["1", "2"]  # growing delays
    assert len([line for line in output.splitlines() if "attempt" in line]) == len(attempts)
    assert "Traceback" not in output and "KeyboardInterrupt" not in output


def test_a_stop_signal_ends_a_hanging_connection_attempt() -> None:
    with FakeZoho() as zoho, FakeSlackSocketMode() as slack:
        slack.open_latency = 60  # longer than the whole test: only the signal can end the wait
        bot = BotProcess(socket_env(zoho, slack))
        try:
            bot.start(ready=lambda: slack.count("apps.connections.open") == 1)
            assert bot.proc is not None
            stopping = time.monotonic()
            bot.proc.send_signal(signal.SIGTERM)
            status = bot.proc.wait(timeout=10)
            took = time.monotonic() - stopping
        finally:
            bot.stop()
        output = bot.output()
    assert status == 0, output
    assert took < 5
    assert "Traceback" not in output


def test_slack_failing_with_5xx_is_retried_then_served() -> None:
    with FakeZoho() as zoho, FakeSlackSocketMode() as slack:
        slack.fail_next("apps.connections.open", "internal_error", times=2, status=503)
        bot = BotProcess(socket_env(zoho, slack))
        try:
            bot.start(wait=20, ready=lambda: slack.connected)
            calls = slack.count("apps.connections.open")
        finally:
            status = bot.stop(timeout=10)
        output = bot.output()
    assert status == 0
    assert calls == 3
    assert [(n, d) for n, d in ATTEMPT.findall(output)] == [("1", "1"), ("2", "2")]
    assert output.count("HTTP 503") == 2
    assert "Traceback" not in output


async def test_ratelimited_waits_at_least_retry_after() -> None:
    with FakeSlackSocketMode() as slack:
        slack.fail_next("apps.connections.open", "ratelimited", status=429, retry_after=1)
        client = AsyncWebClient(base_url=slack.api_url)
        started = time.monotonic()
        url = await open_socket_url(client, APP_TOKEN, asyncio.Event(), Backoff(first=0.01))
        took = time.monotonic() - started
        calls = slack.count("apps.connections.open")
    assert url is not None and url.endswith("/socket")
    assert calls == 2
    assert took >= 1.0


async def test_a_refused_token_raises_and_is_not_retried() -> None:
    with FakeSlackSocketMode() as slack:
        client = AsyncWebClient(base_url=slack.api_url)
        with pytest.raises(TokenRefused) as refused:
            await open_socket_url(client, "xapp-not-this-one", asyncio.Event(), Backoff(first=0.01))
        calls = slack.count("apps.connections.open")
    assert refused.value.error == "invalid_auth" and calls == 1


def test_the_backoff_grows_to_its_cap() -> None:
    delays = Backoff().delays()
    assert [next(delays) for _ in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]


async def test_slack_sdk_socket_failures_are_logged_without_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    bolt = AsyncApp(client=AsyncWebClient(token="xoxb-test-dummy"), signing_secret="unused",
                    request_verification_enabled=False)
    handler = socket_handler(bolt, APP_TOKEN)
    try:
        try:
            raise ConnectionRefusedError("Connect call failed")
        except ConnectionRefusedError as exc:  # what slack_sdk's connect() does with a failed ws_connect
            handler.client.logger.exception(f"Failed to connect (error: {exc}); Retrying...")
    finally:
        await handler.close_async()
    assert "Failed to connect" in caplog.text
    assert "Traceback" not in caplog.text

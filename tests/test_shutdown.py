"""SIGTERM (Heroku restarts dynos daily, with 30 s to finish): stop taking commands, finish the ones in
flight within the grace period, and tell the requester of any that cannot finish."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator

import httpx
import pytest

from bot.fakes.harness import BotProcess, bot_env, command_body, free_port, sign
from bot.fakes.slack import FakeSlack
from bot.fakes.zoho import FakeZoho
from tests.waiting import wait_until


@pytest.fixture
def fakes() -> Iterator[tuple[FakeZoho, FakeSlack]]:
    with FakeZoho() as zoho, FakeSlack() as slack:
        slack.add_channel("C0SHUTDOWN1")
        yield zoho, slack


def send(bot: BotProcess, slack: FakeSlack, text: str, name: str) -> httpx.Response:
    body = command_body(text, channel="C0SHUTDOWN1", response_url=slack.response_url(name))
    return httpx.post(f"{bot.url}/slack/events", content=body, headers=sign(body), timeout=10)


def wait_exit(bot: BotProcess, timeout: float) -> int:
    assert bot.proc is not None
    return bot.proc.wait(timeout=timeout)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])  # Heroku's restart; Ctrl-C in a terminal
def test_work_in_flight_finishes_after_a_stop_signal(fakes, sig: signal.Signals) -> None:
    zoho, slack = fakes
    with BotProcess(bot_env(zoho, slack, free_port(), SHUTDOWN_GRACE="10")) as bot:
        assert send(bot, slack, "Contacts 1", "warm").status_code == 200
        wait_until(lambda: slack.uploads, 10)
        zoho.latency = 1.5
        assert send(bot, slack, "Contacts 2", "inflight").status_code == 200
        assert bot.proc is not None
        bot.proc.send_signal(sig)
        wait_until(lambda: not bot.healthy(), 5)
        with pytest.raises(httpx.TransportError):  # no new commands once stopping
            send(bot, slack, "Contacts 3", "late")
        status = wait_exit(bot, 20)
        output = bot.output()
    assert status == 0, output
    assert [u["initial_comment"].count("Contacts 2") for u in slack.uploads[1:]] == [1]
    assert [n for n, _ in slack.responses] == []
    assert '"record_id":"2","outcome":"photo"' in output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output


def test_work_that_cannot_finish_in_the_grace_period_is_explained(fakes) -> None:
    zoho, slack = fakes
    with BotProcess(bot_env(zoho, slack, free_port(), SHUTDOWN_GRACE="1")) as bot:
        zoho.latency = 8
        assert send(bot, slack, "Contacts 4", "cut").status_code == 200
        wait_until(lambda: zoho.in_flight >= 1, 5)  # the command is in flight, waiting on Zoho
        assert bot.proc is not None
        started = time.monotonic()
        bot.proc.send_signal(signal.SIGTERM)
        wait_exit(bot, 20)
        stopped_in = time.monotonic() - started
        output = bot.output()
    assert slack.uploads == []
    [(name, reply)] = slack.responses
    assert name == "cut" and "restarting" in reply["text"] and "`SHUTTING_DOWN`" in str(reply["blocks"])
    assert '"outcome":"cancelled"' in output
    assert stopped_in < 15  # well inside Heroku's 30 s

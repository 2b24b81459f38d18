"""Socket Mode: with SLACK_APP_TOKEN set, `python -m bot` connects out to Slack instead of serving HTTP."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl

from bot.fakes.harness import BotProcess, bot_env, command_body, free_port
from bot.fakes.socket_mode import APP_TOKEN, FakeSlackSocketMode
from bot.fakes.zoho import FakeZoho


def test_socket_mode_end_to_end() -> None:
    with FakeZoho() as zoho, FakeSlackSocketMode() as slack:
        slack.add_channel("C0SOCKET01")
        env = bot_env(zoho, slack, free_port(), SLACK_APP_TOKEN=APP_TOKEN)
        del env["SLACK_SIGNING_SECRET"]  # not needed without a public URL
        bot = BotProcess(env)
        try:
            bot.start(ready=lambda: slack.connected)
            assert not bot.healthy()  # no HTTP server in this mode
            body = command_body("Contacts 31", channel="C0SOCKET01", response_url=slack.response_url("s1"))
            envelope = slack.send_slash_command(dict(parse_qsl(body.decode())))
            deadline = time.monotonic() + 10
            while not slack.uploads and time.monotonic() < deadline:
                time.sleep(0.02)
            assert "Fetching" in slack.acks[envelope]["text"]
            assert [u["channel_id"] for u in slack.uploads] == ["C0SOCKET01"]
        finally:
            bot.stop()
        output = bot.output()
    assert "Socket Mode" in output and APP_TOKEN not in output

"""Admin alerts: failures only an admin can fix reach ADMIN_CHANNEL_ID (or the log), once an hour each,
with a "resolved" line when the same kind of operation works again; alerting never delays a command."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from typing import Any

from bot import messages
from bot.alerts import Alerts
from bot.codes import Code
from bot.fakes.zoho import Record
from tests.inprocess import BotFactory

ADMIN = "C0ADMINS01"
T0 = 1_790_000_000.0  # 2026-09-21 13:33 UTC
SINCE = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(T0))


class Recorder:
    """A sink that keeps what it was sent, and the tasks the alerts started (so a test can wait for them)."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.tasks: list[asyncio.Task[Any]] = []

    async def send(self, text: str) -> None:
        self.sent.append(text)

    def spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.append(task)
        return task

    async def settle(self) -> None:
        await asyncio.gather(*self.tasks)


def alerts_at(recorder: Recorder, now: list[float]) -> Alerts:
    return Alerts(recorder, recorder.spawn, clock=lambda: now[0])


async def test_each_failure_kind_is_posted_once_an_hour_with_count_since_and_fix() -> None:
    rec, now = Recorder(), [T0]
    alerts = alerts_at(rec, now)
    for step in range(3):
        now[0] = T0 + step * 60
        alerts.outcome(Code.INVALID_REFRESH_TOKEN)
    alerts.outcome(Code.MISSING_SCOPE)
    alerts.outcome(Code.NO_PHOTO)  # the person's to fix: no alert
    await rec.settle()
    assert len(rec.sent) == 2
    first, other = rec.sent
    todo = messages.explain(Code.INVALID_REFRESH_TOKEN, "", "", about=messages.ALERT_ABOUT).said("en").todo
    assert "`INVALID_REFRESH_TOKEN`" in first and todo in first
    assert f"since {SINCE}" in first and "1 command affected" in first
    assert "`missing_scope`" in other

    now[0] = T0 + 3599
    alerts.outcome(Code.INVALID_REFRESH_TOKEN)
    await rec.settle()
    assert len(rec.sent) == 2  # still within the hour
    now[0] = T0 + 3600
    alerts.outcome(Code.INVALID_REFRESH_TOKEN)
    await rec.settle()
    assert len(rec.sent) == 3
    assert f"since {SINCE}" in rec.sent[2] and "5 commands affected" in rec.sent[2]


async def test_a_success_of_the_same_kind_posts_one_resolved_line() -> None:
    rec, now = Recorder(), [T0]
    alerts = alerts_at(rec, now)
    alerts.outcome(Code.FILE_UPLOADS_DISABLED)
    alerts.outcome(Code.FILE_UPLOADS_DISABLED)
    alerts.outcome(Code.CHOICES)  # a search worked: says nothing about Slack uploads
    await rec.settle()
    assert len(rec.sent) == 1
    alerts.outcome(Code.OK)
    alerts.outcome(Code.OK)
    await rec.settle()
    assert len(rec.sent) == 2
    assert "resolved" in rec.sent[1] and "`file_uploads_disabled`" in rec.sent[1]
    assert f"since {SINCE}" in rec.sent[1] and "affected 2 commands" in rec.sent[1]
    alerts.outcome(Code.FILE_UPLOADS_DISABLED)  # broken again: posted at once, not an hour later
    await rec.settle()
    assert len(rec.sent) == 3 and "1 command affected" in rec.sent[2]


async def test_twenty_concurrent_failures_post_once() -> None:
    rec, now = Recorder(), [T0]
    alerts = alerts_at(rec, now)
    for _ in range(20):
        alerts.outcome(Code.TOKEN_THROTTLED)
    await rec.settle()
    assert len(rec.sent) == 1


# --- through the real app and the fakes --------------------------------------------------------------

async def _reply(bot: Any, name: str, within: float) -> dict[str, Any]:
    ends = time.monotonic() + within
    while time.monotonic() < ends:
        replies = bot.replies(name)
        if replies:
            return replies[0]
        await asyncio.sleep(0.01)
    raise AssertionError("no reply")


def _admin_posts(bot: Any) -> list[str]:
    return [m["text"] for m in bot.slack.messages if m.get("channel") == ADMIN]


async def test_admin_channel_gets_one_alert_then_one_resolved(make_bot: BotFactory) -> None:
    bot = await make_bot(ADMIN_CHANNEL_ID=ADMIN, USER_RATE_LIMIT="0")
    bot.slack.add_channel(ADMIN)
    bot.zoho.add_record("Contacts", "5", Record(error="OAUTH_SCOPE_MISMATCH"))
    names = [(await bot.command("Contacts 5"))[1] for _ in range(3)]
    await bot.settle()
    assert [bot.code_of(bot.replies(n)[0]) for n in names] == ["OAUTH_SCOPE_MISMATCH"] * 3
    posts = _admin_posts(bot)
    assert len(posts) == 1 and "`OAUTH_SCOPE_MISMATCH`" in posts[0] and "ZohoCRM.modules.ALL" in posts[0]
    assert bot.slack.count("chat.postMessage") == 1

    await bot.command("Contacts 9")
    await bot.command("Contacts 10")
    await bot.settle()
    assert len(bot.slack.uploads) == 2
    posts = _admin_posts(bot)
    assert len(posts) == 2 and "resolved" in posts[1] and "affected 3 commands" in posts[1]


async def test_without_admin_channel_one_log_line_per_kind(make_bot: BotFactory, caplog) -> None:
    caplog.set_level(logging.INFO)
    bot = await make_bot(USER_RATE_LIMIT="0")
    bot.slack.fail_next("files.completeUploadExternal", "file_uploads_disabled", times=3)
    for n in range(3):
        await bot.command(f"Contacts {n}")
    await bot.settle()
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("admin alert:")]
    assert len(lines) == 1
    assert "file_uploads_disabled" in lines[0] and "Ask a Slack admin to allow file uploads" in lines[0]
    assert "\n" not in lines[0]
    assert bot.slack.count("chat.postMessage") == 0


async def test_a_slow_admin_post_never_delays_the_reply(make_bot: BotFactory) -> None:
    bot = await make_bot(ADMIN_CHANNEL_ID=ADMIN)
    bot.slack.add_channel(ADMIN)
    bot.slack.slow_next("chat.postMessage", 3.0)
    bot.zoho.token_error = "invalid_code"
    started = time.monotonic()
    _, name = await bot.command("Contacts 1")
    reply = await _reply(bot, name, within=2.5)
    assert time.monotonic() - started < 2.0
    assert bot.code_of(reply) == "INVALID_REFRESH_TOKEN"
    assert _admin_posts(bot) == []  # the post is still on its way
    await bot.settle()
    assert len(_admin_posts(bot)) == 1


async def test_an_alert_slack_refuses_is_logged_and_the_command_unharmed(make_bot: BotFactory, caplog) -> None:
    caplog.set_level(logging.INFO)
    bot = await make_bot(ADMIN_CHANNEL_ID=ADMIN)  # the bot was never invited to the admin channel
    bot.zoho.token_error = "invalid_client"
    _, name = await bot.command("Contacts 1")
    await bot.settle()
    assert bot.code_of(bot.replies(name)[0]) == "INVALID_CLIENT"
    assert "admin alert could not be sent (channel_not_found)" in caplog.text

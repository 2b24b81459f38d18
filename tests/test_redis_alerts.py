"""An open admin alert survives a restart when the marks are in Redis: the process that starts after the admin
fixed a config var (Heroku restarts every dyno on a config change) posts the one "resolved" line."""

from __future__ import annotations

import pytest

from bot.fakes.zoho import Record
from tests.inprocess import Bot, BotFactory
from tests.redis_server import RedisServer

pytestmark = pytest.mark.redis
ADMIN = "C0ADMINS01"


async def test_the_process_after_a_restart_posts_the_one_resolved_line(make_bot: BotFactory,
                                                                       redis_server: RedisServer) -> None:
    settings = {"ADMIN_CHANNEL_ID": ADMIN, "USER_RATE_LIMIT": "0", "REDIS_URL": redis_server.url}
    before = await make_bot(**settings)
    before.slack.add_channel(ADMIN)
    before.zoho.add_record("Contacts", "5", Record(error="OAUTH_SCOPE_MISMATCH"))
    for _ in range(3):
        await before.command("Contacts 5")
    await before.settle()
    [alert] = admin_posts(before)
    assert "`OAUTH_SCOPE_MISMATCH`" in alert

    after = await make_bot(**settings)  # the restart: new processes, same Redis
    await after.command("Contacts 9")
    await after.settle()
    assert len(after.slack.uploads) == 1
    posts = admin_posts(after)
    assert len(posts) == 2 and "resolved" in posts[1] and "affected 3 commands" in posts[1]
    assert "`oauth_scope_mismatch`" in posts[1].lower()

    another = await make_bot(**settings)  # a second new process's first success owes nothing more
    await another.command("Contacts 10")
    await after.command("Contacts 11")
    await another.settle()
    await after.settle()
    assert len(after.slack.uploads) == 3 and len(admin_posts(after)) == 2


def admin_posts(bot: Bot) -> list[str]:
    return [m["text"] for m in bot.slack.messages if m.get("channel") == ADMIN]

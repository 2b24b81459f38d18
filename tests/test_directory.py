"""Slack's directory answers (users.info, usergroups.users.list, conversations.info) are cached and loaded once
per key."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from bot.fakes.slack import FakeSlack
from bot.slack.client import build_client
from bot.slack.directory import SlackDirectory
from tests.clock import Clock


class Client:
    """Plays AsyncWebClient's users.info; on its first answer it lets another command ask for the same user."""

    def __init__(self, then: Any) -> None:
        self.calls = 0
        self.then = then
        self.later: list[asyncio.Task[Any]] = []

    async def users_info(self, user: str, include_locale: bool = False) -> dict[str, Any]:
        self.calls += 1
        await asyncio.sleep(0)
        if self.calls == 1:
            # Queued now, it runs after the shared load has ended and before its first waiter resumes.
            asyncio.get_running_loop().call_soon(lambda: self.later.append(asyncio.ensure_future(self.then())))
        return {"user": {"id": user, "team_id": "T0TEST"}}


async def test_an_asker_arriving_as_the_shared_load_ends_finds_the_answer_without_a_second_call() -> None:
    directory: SlackDirectory
    client = Client(lambda: directory.user("U0ALICE"))
    directory = SlackDirectory(client)  # type: ignore[arg-type]
    first = await directory.user("U0ALICE")
    second = await client.later[0]
    assert first == second == {"id": "U0ALICE", "team_id": "T0TEST"}
    assert client.calls == 1


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        slack.add_channel("C1")
        yield slack


async def test_sharing_is_asked_once_per_ten_minutes_and_again_when_forgotten(fake: FakeSlack) -> None:
    clock = Clock()
    directory = SlackDirectory(build_client(fake.bot_token, fake.api_url, 5), clock=clock)
    fake.add_channel("C2", ext_shared=True)
    fake.add_channel("C3", org_shared=True)  # one Enterprise Grid: is_shared, but internal
    fake.add_channel("C4", pending_ext_shared=True)
    for _ in range(2):
        assert [await directory.sharing(c) for c in ("C1", "C2", "C3", "C4")] == [
            "internal", "external", "internal", "external"]
    assert fake.count("conversations.info") == 4
    clock.now += 599
    fake.share_channel("C1")
    assert await directory.sharing("C1") == "internal"  # still trusted: Slack said nothing yet
    await directory.forget_sharing("C1")  # what channel_shared does
    assert await directory.sharing("C1") == "external"
    assert fake.count("conversations.info") == 5
    clock.now += 601
    assert await directory.sharing("C2") == "external"
    assert fake.count("conversations.info") == 6


async def test_a_conversation_the_bot_cannot_see_is_invisible_and_not_kept(fake: FakeSlack) -> None:
    directory = SlackDirectory(build_client(fake.bot_token, fake.api_url, 5))
    fake.add_channel("G9", kind="private", bot_member=False)
    assert await directory.sharing("G9") == "invisible"
    assert await directory.sharing("G9") == "invisible"
    assert fake.count("conversations.info") == 2


async def test_any_other_failure_raises_and_is_not_kept(fake: FakeSlack) -> None:
    directory = SlackDirectory(build_client(fake.bot_token, fake.api_url, 5))
    fake.fail_next("conversations.info", "internal_error", times=5)
    with pytest.raises(SlackApiError):
        await directory.sharing("C1")


@pytest.mark.redis
async def test_with_redis_one_process_hearing_channel_shared_makes_every_process_ask_again(fake: FakeSlack,
                                                                                          tmp_path) -> None:
    """`channel_shared` reaches one worker; the others must not keep showing photos there for 10 minutes."""
    from bot.shared import SharedStore
    from bot.shared.sharing import SharedSharingCache
    from bot.slack.directory import MemorySharingCache
    from tests.redis_server import BINARY, NAMESPACE, RedisServer

    if BINARY is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run does it)")
    server = RedisServer(tmp_path).start()
    stores = [SharedStore(server.url, namespace=NAMESPACE) for _ in range(2)]
    try:
        client = build_client(fake.bot_token, fake.api_url, 5)
        one, two = (SlackDirectory(client, sharing=SharedSharingCache(s, MemorySharingCache())) for s in stores)
        assert await one.sharing("C1") == "internal"
        assert await two.sharing("C1") == "internal"
        assert fake.count("conversations.info") == 1  # the second process read the first one's answer
        fake.share_channel("C1")
        await one.forget_sharing("C1")  # only the first process heard the event
        assert await two.sharing("C1") == "external"
        assert fake.count("conversations.info") == 2
    finally:
        for store in stores:
            await store.aclose()
        server.stop()


async def test_a_forgotten_user_is_asked_about_again_and_their_new_locale_known(fake: FakeSlack) -> None:
    directory = SlackDirectory(build_client(fake.bot_token, fake.api_url, 5))
    fake.add_user("U0YOU", team_id="T0TEST", locale="en-US")
    await directory.user("U0YOU")
    fake.add_user("U0YOU", team_id="T0TEST", locale="ja-JP")
    await directory.user("U0YOU")
    assert directory.known_locale("U0YOU") == "en-US"  # kept: Slack is not asked within ten minutes
    directory.forget_user("U0YOU")  # what the demo's language picker does
    assert directory.known_locale("U0YOU") is None
    assert (await directory.user("U0YOU") or {}).get("locale") == "ja-JP"
    assert directory.known_locale("U0YOU") == "ja-JP"
    assert fake.count("users.info") == 2

"""Slack's directory answers (users.info, usergroups.users.list) are cached and loaded once per key."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.slack.directory import SlackDirectory


class Client:
    """Plays AsyncWebClient's users.info; on its first answer it lets another command ask for the same user."""

    def __init__(self, then: Any) -> None:
        self.calls = 0
        self.then = then
        self.later: list[asyncio.Task[Any]] = []

    async def users_info(self, user: str) -> dict[str, Any]:
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

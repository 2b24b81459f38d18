"""Work that goes on after Slack has had its 3-second answer, tracked so a shutdown can finish it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class Background:
    """Keeps a reference to every task it starts (asyncio only keeps weak ones) and drains them on exit."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self.accepting = True

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str | None = None) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self, grace: float) -> int:
        """Stop taking work, give what is in flight `grace` seconds, then cancel the rest.

        Returns how many tasks had to be cancelled; each cancelled task tells its requester itself.
        """
        self.accepting = False
        if not self._tasks:
            return 0
        log.info("shutdown: waiting up to %.0fs for %d command(s) in flight", grace, len(self._tasks))
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=5)
        return len(pending)

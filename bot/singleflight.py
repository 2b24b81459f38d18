"""One in-flight call per key: everyone asking for the same thing at the same time shares one answer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    """Zoho credits and Slack rate limits are shared: identical concurrent calls are made once.

    The shared call runs as its own task, so one caller being cancelled does not cancel it for the rest.
    """

    def __init__(self) -> None:
        self._tasks: dict[K, asyncio.Task[V]] = {}

    async def run(self, key: K, call: Callable[[], Awaitable[V]]) -> V:
        task = self._tasks.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(_await(call))
            self._tasks[key] = task
            task.add_done_callback(lambda _: self._tasks.pop(key, None))
        return await asyncio.shield(task)


async def _await(call: Callable[[], Awaitable[V]]) -> V:
    return await call()

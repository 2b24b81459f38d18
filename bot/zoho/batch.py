"""Requests for records of one module, made while a Zoho slot is awaited, go to Zoho as one call.

A caption needs the record's fields: one Zoho call, one of ZOHO_MAX_CONCURRENCY slots, one credit. Under load
those calls queue for a slot anyway, so the ids asked for while a call waits ride along with it: the batch
closes at the moment the call is sent (`Batch.close`), never after a timer. With a free slot a lone request
goes at once, alone; when every slot is busy, up to `limit` ids share one call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Generic, TypeVar

G = TypeVar("G", bound=Hashable)
V = TypeVar("V")


class Batch(Generic[V]):
    """The ids gathered for one call; the call closes it (`close`) just before it is sent."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.closed = False
        self._waiting: dict[str, asyncio.Future[V | None]] = {}
        self._askers: dict[str, int] = {}

    @property
    def full(self) -> bool:
        return self.closed or len(self._waiting) >= self.limit

    def add(self, key: str) -> asyncio.Future[V | None]:
        """The answer for `key` (None when the call did not name it); one future per distinct key."""
        future = self._waiting.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            future.add_done_callback(_quiet)
            self._waiting[key] = future
        self._askers[key] = self._askers.get(key, 0) + 1
        return future

    def leave(self, key: str) -> None:
        """An asker gave up; before the call is sent, an id nobody waits for any more is left out of it."""
        self._askers[key] = self._askers.get(key, 1) - 1
        if self._askers[key] <= 0 and not self.closed:
            del self._askers[key]
            future = self._waiting.pop(key, None)
            if future is not None:
                future.cancel()

    def close(self) -> tuple[str, ...]:
        """No more ids from now on: these are the ones the call names (none when every asker gave up)."""
        self.closed = True
        return tuple(self._waiting)

    def settle(self, found: Mapping[str, V]) -> None:
        for key, future in self._waiting.items():
            if not future.done():
                future.set_result(found.get(key))

    def fail(self, error: BaseException) -> None:
        for future in self._waiting.values():
            if future.done():
                continue
            if isinstance(error, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(error)


class Batcher(Generic[G, V]):
    """One open batch per group (a module, and whose credits pay); `call` sends it and maps ids to answers.

    The call runs as its own task, so the first asker being cancelled does not cancel it for the others.
    """

    def __init__(self, call: Callable[[G, Batch[V]], Awaitable[Mapping[str, V]]]) -> None:
        self._call = call
        self._open: dict[G, Batch[V]] = {}
        self._running: set[asyncio.Task[None]] = set()

    async def get(self, group: G, key: str, limit: int) -> V | None:
        """The answer for `key` from the group's open batch, or from a new one when none is open."""
        batch = self._open.get(group)
        if batch is None or batch.full:
            batch = Batch(limit)
            self._open[group] = batch
            task = asyncio.get_running_loop().create_task(self._run(group, batch))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        future = batch.add(key)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            batch.leave(key)
            raise

    async def _run(self, group: G, batch: Batch[V]) -> None:
        try:
            found = await self._call(group, batch)
        except BaseException as error:
            self._done(group, batch)
            batch.fail(error)
            if not isinstance(error, Exception):
                raise
        else:
            self._done(group, batch)
            batch.settle(found)

    def _done(self, group: G, batch: Batch[V]) -> None:
        batch.close()
        if self._open.get(group) is batch:
            del self._open[group]


def _quiet(future: asyncio.Future[object]) -> None:
    """An asker that gave up (timed out) never reads its answer; that is not an error worth a log line."""
    if not future.cancelled():
        future.exception()

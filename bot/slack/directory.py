"""Who someone is in Slack (users.info) and who is in a user group (usergroups.users.list), cached.

Access checks ask on every command; the answers change rarely, so they are kept for ten minutes and
the cache is bounded so memory stays flat however many people use the bot.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.singleflight import SingleFlight

CACHE_TTL = 600.0
CACHE_SIZE = 5000


class _TTLCache:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._loading: SingleFlight[str, Any] = SingleFlight()

    def get(self, key: str) -> tuple[bool, Any]:
        item = self._items.get(key)
        if item is None or self._clock() - item[0] >= CACHE_TTL:
            return False, None
        return True, item[1]

    def put(self, key: str, value: Any) -> None:
        self._items[key] = (self._clock(), value)
        self._items.move_to_end(key)
        while len(self._items) > CACHE_SIZE:
            self._items.popitem(last=False)

    async def fetch(self, key: str, load: Callable[[], Awaitable[Any]]) -> Any:
        """The cached value, or one load shared by everyone asking for `key` at the same time.

        The shared load stores its answer itself, before it ends: stored by the first waiter instead, an asker
        arriving between the load's end and that waiter's turn would find neither the load nor the answer.
        """
        hit, value = self.get(key)
        if hit:
            return value

        async def load_and_keep() -> Any:
            loaded = await load()
            self.put(key, loaded)
            return loaded

        return await self._loading.run(key, load_and_keep)


class SlackDirectory:
    def __init__(self, client: AsyncWebClient, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self._users = _TTLCache(clock)
        self._groups = _TTLCache(clock)

    async def user(self, user_id: str) -> dict[str, Any] | None:
        """The user's profile flags, or None when Slack cannot see them (someone from another org)."""
        return await self._users.fetch(user_id, lambda: self._load_user(user_id))

    async def group_members(self, group_id: str) -> frozenset[str]:
        return await self._groups.fetch(group_id, lambda: self._load_group(group_id))

    async def _load_user(self, user_id: str) -> dict[str, Any] | None:
        try:
            response = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            if data.get("error") != "user_not_found":
                raise
            return None
        return response.get("user") or None

    async def _load_group(self, group_id: str) -> frozenset[str]:
        response = await self.client.usergroups_users_list(usergroup=group_id)
        return frozenset(response.get("users") or ())

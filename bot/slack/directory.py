"""Who someone is in Slack (users.info) and who is in a user group (usergroups.users.list), cached.

Access checks ask on every command; the answers change rarely, so they are kept for ten minutes and
the cache is bounded so memory stays flat however many people use the bot.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

CACHE_TTL = 600.0
CACHE_SIZE = 5000


class _TTLCache:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()

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


class SlackDirectory:
    def __init__(self, client: AsyncWebClient, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self._users = _TTLCache(clock)
        self._groups = _TTLCache(clock)

    async def user(self, user_id: str) -> dict[str, Any] | None:
        """The user's profile flags, or None when Slack cannot see them (someone from another org)."""
        hit, value = self._users.get(user_id)
        if hit:
            return value
        try:
            response = await self.client.users_info(user=user_id)
            value = response.get("user") or None
        except SlackApiError as exc:
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            if data.get("error") != "user_not_found":
                raise
            value = None
        self._users.put(user_id, value)
        return value

    async def group_members(self, group_id: str) -> frozenset[str]:
        hit, value = self._groups.get(group_id)
        if hit:
            return value
        response = await self.client.usergroups_users_list(usergroup=group_id)
        members = frozenset(response.get("users") or ())
        self._groups.put(group_id, members)
        return members

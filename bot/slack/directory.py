"""Who someone is in Slack (users.info), who is in a user group (usergroups.users.list) and whether a
conversation is shared with another organisation (conversations.info), cached.

Access checks ask on every command; the answers change rarely, so they are kept for ten minutes and
the cache is bounded so memory stays flat however many people use the bot. A conversation's sharing is
forgotten as soon as Slack says it changed (`channel_shared` / `channel_unshared`), so a channel that
becomes shared is refused from the next request on.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.access import Sharing
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

    def forget(self, key: str) -> None:
        self._items.pop(key, None)

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


class SharingCache(Protocol):
    """channel id -> what Slack said about its sharing, for a while; in this process or in Redis (bot.shared)."""

    async def get(self, channel_id: str) -> Sharing | None: ...

    async def put(self, channel_id: str, sharing: Sharing) -> None: ...

    async def forget(self, channel_id: str) -> None: ...


class MemorySharingCache:
    """A SharingCache in this process: entries live CACHE_TTL seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._items = _TTLCache(clock)

    async def get(self, channel_id: str) -> Sharing | None:
        hit, value = self._items.get(channel_id)
        return value if hit else None

    async def put(self, channel_id: str, sharing: Sharing) -> None:
        self._items.put(channel_id, sharing)

    async def forget(self, channel_id: str) -> None:
        self._items.forget(channel_id)


class SlackDirectory:
    def __init__(self, client: AsyncWebClient, clock: Callable[[], float] = time.monotonic,
                 sharing: SharingCache | None = None) -> None:
        self.client = client
        self._users = _TTLCache(clock)
        self._groups = _TTLCache(clock)
        self._sharing: SharingCache = sharing if sharing is not None else MemorySharingCache(clock)
        self._sharing_loads: SingleFlight[str, Sharing] = SingleFlight()

    async def user(self, user_id: str) -> dict[str, Any] | None:
        """The user's profile flags, or None when Slack cannot see them (someone from another org)."""
        return await self._users.fetch(user_id, lambda: self._load_user(user_id))

    def forget_user(self, user_id: str) -> None:
        """Ask Slack about `user_id` again next time (the demo, when its stand-in's language is changed)."""
        self._users.forget(user_id)

    def known_locale(self, user_id: str) -> str | None:
        """The user's Slack locale if a lookup already holds it: the ack never waits for Slack."""
        hit, user = self._users.get(user_id)
        if not hit or not user:
            return None
        return user.get("locale") or None

    async def group_members(self, group_id: str) -> frozenset[str]:
        return await self._groups.fetch(group_id, lambda: self._load_group(group_id))

    async def sharing(self, channel_id: str, fresh: bool = False) -> Sharing:
        """Whether the conversation is shared with another organisation (`is_ext_shared` or, about to be,
        `is_pending_ext_shared`; `is_shared` alone is also true inside one Enterprise Grid, which is internal).

        "invisible" (channel_not_found: a DM or private channel the bot is not in) is not kept: once the bot is
        invited the answer changes. Any other failure raises (the caller refuses rather than guesses). `fresh`
        asks Slack whatever is kept: before joining a channel, whose `channel_shared` events the bot never heard.
        """
        known = None if fresh else await self._sharing.get(channel_id)
        if known is not None:
            return known
        answer = await self._sharing_loads.run(channel_id, lambda: self._load_sharing(channel_id))
        if answer != "invisible":
            await self._sharing.put(channel_id, answer)
        return answer

    async def forget_sharing(self, channel_id: str) -> None:
        """Slack said the conversation's sharing changed: ask again next time (every process, with Redis)."""
        await self._sharing.forget(channel_id)

    async def _load_sharing(self, channel_id: str) -> Sharing:
        try:
            response = await self.client.conversations_info(channel=channel_id)
        except SlackApiError as exc:
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            if data.get("error") == "channel_not_found":
                return "invisible"
            raise
        info = response.get("channel") or {}
        return "external" if info.get("is_ext_shared") or info.get("is_pending_ext_shared") else "internal"

    async def _load_user(self, user_id: str) -> dict[str, Any] | None:
        try:
            response = await self.client.users_info(user=user_id, include_locale=True)
        except SlackApiError as exc:
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            if data.get("error") != "user_not_found":
                raise
            return None
        return response.get("user") or None

    async def _load_group(self, group_id: str) -> frozenset[str]:
        response = await self.client.usergroups_users_list(usergroup=group_id)
        return frozenset(response.get("users") or ())

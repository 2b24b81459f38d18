"""Showing a pasted Zoho CRM record link as the record, with its photo.

The photo is uploaded once as a private file (files.completeUploadExternal without a channel: shared nowhere)
and shown through an `image` block that names it (`slack_file: {"id"}`). Slack completes uploads
asynchronously: a file named right after its upload can be refused as "invalid slack file" (`invalid_blocks`)
and accepted a moment later (slackapi/python-slack-sdk#1521, #1797). So `chat.unfurl` is retried with short
waits for about 8 seconds, and then the record is shown without its photo rather than not at all. Public
reports also say a file shared nowhere can stay refused for good (slackapi/python-slack-sdk#1658): a file still
refused after the wait is forgotten, so the same record is shown without a photo, at once, for the next 10 minutes.

A record's card and file id are kept for 10 minutes (`UnfurlCache`), so the same link pasted again costs no
Zoho photo call and no new upload. A record Zoho says has no photo is kept as such just as long: its link
unfurls to nothing (as the first time), and pasting it again asks Zoho nothing. Whether a channel may see it
at all (Slack Connect) is the pipeline's gate.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.deliver import Delivery, DeliveryError
from bot.i18n import ENGLISH
from bot.messages import Label
from bot.records import RecordCard
from bot.slack.blocks import unfurl_blocks
from bot.zoho import NoPhoto, Photo

log = logging.getLogger(__name__)

Shown = Literal["image", "text", "failed"]
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
Cached = tuple[RecordCard, str | None]
Entry = Cached | NoPhoto  # NoPhoto: Zoho said the record has none, so there is nothing to show

TTL = 600.0  # seconds a card or a file id is trusted
RETRY_WITHIN = 8.0  # seconds spent waiting for a fresh file to become usable
RETRY_DELAYS = (0.5, 1.0, 1.5, 2.0, 3.0)
SLACK_ERRORS = (SlackApiError, SlackRequestError, aiohttp.ClientError, TimeoutError)


class UnfurlCache(Protocol):
    """(module, record_id) -> (card, file id or None), or NoPhoto, for a while; in memory here, Redis can serve it
    later."""

    async def get(self, module: str, record_id: str) -> Entry | None: ...

    async def put(self, module: str, record_id: str, card: RecordCard, file_id: str | None) -> None: ...

    async def no_photo(self, module: str, record_id: str) -> None: ...


class MemoryUnfurlCache:
    """An UnfurlCache in this process: entries live `ttl` seconds; the oldest go first beyond `max_entries`."""

    def __init__(self, ttl: float = TTL, max_entries: int = 1000, clock: Clock = time.monotonic) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[tuple[str, str], tuple[float, Entry]] = OrderedDict()

    async def get(self, module: str, record_id: str) -> Entry | None:
        key = (module, record_id)
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self.clock() >= entry[0]:
            del self._entries[key]
            return None
        return entry[1]

    async def put(self, module: str, record_id: str, card: RecordCard, file_id: str | None) -> None:
        self._keep(module, record_id, (card, file_id))

    async def no_photo(self, module: str, record_id: str) -> None:
        self._keep(module, record_id, NoPhoto(module, record_id))

    def _keep(self, module: str, record_id: str, entry: Entry) -> None:
        key = (module, record_id)
        self._entries.pop(key, None)
        self._entries[key] = (self.clock() + self.ttl, entry)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


class Unfurler:
    """Uploads photos privately and unfurls record links with them."""

    def __init__(
        self,
        client: AsyncWebClient,
        cache: UnfurlCache | None = None,
        *,
        locale: str = ENGLISH,
        retry_within: float = RETRY_WITHIN,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.client = client
        self.cache: UnfurlCache = cache if cache is not None else MemoryUnfurlCache(clock=clock)
        self.locale = locale  # the channel's language (DEFAULT_LOCALE): everyone there reads an unfurl
        self.retry_within = retry_within
        self.retry_delays = tuple(retry_delays)
        self.clock = clock
        self.sleep = sleep

    async def private_file(self, photo: Photo) -> str:
        """Upload `photo` shared nowhere (no channel) and return its file id, for an image block to name."""
        response = await self.client.files_upload_v2(
            content=photo.content, filename=photo.filename,
            title=messages.photo_title(photo.module, photo.record_id, locale=self.locale),
        )
        file = response.get("file") or {}
        file_id = file.get("id") if isinstance(file, dict) else None
        if not file_id:
            raise SlackRequestError("files_upload_v2 gave no file id")
        return str(file_id)

    async def unfurl(
        self, channel: str, ts: str, url: str, card: RecordCard, file_id: str | None,
        *, unfurl_id: str | None = None, source: str | None = None,
    ) -> Shown:
        """Attach the record to the message: "image" with the photo, "text" without it, or "failed".

        With `unfurl_id` and `source` (a link still in the composer) those name the target instead of channel/ts.
        """
        target: dict[str, Any] = {"unfurl_id": unfurl_id, "source": source} if unfurl_id and source else {
            "channel": channel, "ts": ts}
        if file_id:
            shown = await self._with_image(target, url, card, file_id)
            if shown:
                return "image"
            if shown is None:
                # Never usable within the wait: likely refused for good (a file shared nowhere may stay
                # invisible to others), so the next paste within the TTL goes without it, at once.
                await self.cache.put(card.module, card.record_id, card, None)
        shown = await self._send(target, url, unfurl_blocks(card, None, locale=self.locale))
        return "text" if shown is None else "failed"

    async def _with_image(self, target: dict[str, Any], url: str, card: RecordCard, file_id: str) -> bool | None:
        """Try the image unfurl, waiting between tries while Slack says the file is not usable yet.

        True: shown with the photo; False: another failure; None: the file was still refused when time ran out.
        """
        blocks = unfurl_blocks(card, file_id, locale=self.locale)
        ends = self.clock() + self.retry_within
        delays = iter(self.retry_delays)
        while True:
            error = await self._send(target, url, blocks)
            if error is None:
                return True
            if error != "invalid_slack_file":
                return False
            delay = next(delays, self.retry_delays[-1] if self.retry_delays else 0.0)
            if self.clock() + delay > ends:
                log.info("unfurl: file %s still not usable after %.0f s; showing the record without it",
                         file_id, self.retry_within)
                return None
            await self.sleep(delay)

    async def _send(self, target: dict[str, Any], url: str, blocks: list[dict[str, Any]]) -> str | None:
        """One chat.unfurl; None when it worked, else a short reason (the log gets Slack's code)."""
        try:
            await self.client.chat_unfurl(unfurls={url: {"blocks": blocks}}, **target)
        except SLACK_ERRORS as exc:
            code = _error(exc)
            if code == "invalid_blocks" and _names_slack_file(exc):
                return "invalid_slack_file"
            log.info("unfurl: chat.unfurl failed (%s)", code)
            return code
        return None


def _error(exc: Exception) -> str:
    if isinstance(exc, SlackApiError) and isinstance(exc.response.data, dict):
        return str(exc.response.data.get("error") or exc.response.status_code)
    return type(exc).__name__


def _names_slack_file(exc: Exception) -> bool:
    """Whether an invalid_blocks answer is about a slack_file (or gives no detail, as some answers don't).

    The detail is in `response_metadata.messages` (what Slack's SDK has recorded chat.unfurl answering) or in
    an `errors` list (what public reports show chat.postMessage answering).
    """
    data = exc.response.data if isinstance(exc, SlackApiError) and isinstance(exc.response.data, dict) else {}
    metadata = data.get("response_metadata")
    messages = metadata.get("messages") if isinstance(metadata, dict) else None
    details = [*_strings(data.get("errors")), *_strings(messages)]
    if not details:
        return True
    return any("slack file" in d or "slack_file" in d for d in details)


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


class UnfurlDestination:
    """A pipeline destination that shows the photo as the unfurl of one pasted link.

    A record shown within the last 10 minutes comes from the cache (no Zoho photo call, no new upload), and one
    Zoho said has no photo is known as such (no Zoho call, nothing shown); otherwise the photo is uploaded
    privately and named in the unfurl's image block.
    """

    def __init__(self, unfurler: Unfurler, channel: str, ts: str, url: str, *,
                 unfurl_id: str | None = None, source: str | None = None) -> None:
        self.unfurler = unfurler
        self.channel = channel
        self.ts = ts
        self.url = url
        self.unfurl_id = unfurl_id
        self.source = source
        self.delivered: Delivery | None = None

    async def from_cache(self, module: str, record_id: str) -> Delivery | NoPhoto | None:
        cached = await self.unfurler.cache.get(module, record_id)
        if cached is None or isinstance(cached, NoPhoto):
            return cached
        card, file_id = cached
        return await self._show(card, file_id)

    async def no_photo(self, module: str, record_id: str) -> None:
        await self.unfurler.cache.no_photo(module, record_id)

    async def send(self, photo: Photo, label: Label) -> Delivery:
        card = label.card or RecordCard(photo.module, photo.record_id, name=label.title)
        try:
            file_id = await self.unfurler.private_file(photo)
        except SLACK_ERRORS as exc:
            raise DeliveryError(_error(exc), "private upload for an unfurl") from None
        await self.unfurler.cache.put(photo.module, photo.record_id, card, file_id)
        return await self._show(card, file_id)

    async def _show(self, card: RecordCard, file_id: str | None) -> Delivery:
        shown = await self.unfurler.unfurl(self.channel, self.ts, self.url, card, file_id,
                                           unfurl_id=self.unfurl_id, source=self.source)
        if shown == "failed":
            raise DeliveryError("SLACK_ERROR", "chat.unfurl failed")
        self.delivered = Delivery(self.channel)
        return self.delivered

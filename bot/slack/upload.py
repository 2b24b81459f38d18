"""Putting the photo into the conversation where it was asked for, or into the requester's DM.

slack_sdk's `files_upload_v2` does the three steps (getUploadURLExternal, upload, completeUploadExternal).
Each step is retried on its own by the client's retry handlers (bot.slack.retry), so the photo is never
uploaded twice: when files.completeUploadExternal's answer was lost and its repetition is refused because the
file is already shared, the photo is delivered. A bot must be a member of the channel: in a public channel we
join and upload again; anywhere else the photo goes to the requester by DM and they are told how to invite the
bot. A channel shared with another organisation is never joined: there the bot posts only where it was invited.
Photos never go anywhere else. A photo asked for from a message (the shortcut) goes into that message's thread
(`thread_ts` of files.completeUploadExternal); by DM it goes on its own, as that thread is in another conversation.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.access import Sharing
from bot.deliver import Delivery, DeliveryError
from bot.messages import Label
from bot.slack import retry
from bot.slack.retry import AttemptLog
from bot.zoho import Photo

log = logging.getLogger(__name__)

NOT_MEMBER = ("not_in_channel", "channel_not_found")
SAME_AS = {"token_revoked": "invalid_auth", "account_inactive": "invalid_auth", "not_authed": "invalid_auth"}
COMPLETE = "files.completeUploadExternal"


def slack_error(exc: Exception, attempts: AttemptLog | None = None) -> str:
    """The catalogue code for anything a Slack call raised once its retries were spent.

    Codes the words catalogue has no entry for become SLACK_ERROR (the raw code goes to the log).
    """
    code = _code(exc, attempts)
    code = SAME_AS.get(code, code)
    if code not in messages.CATALOGUE and code not in NOT_MEMBER:
        code = "SLACK_ERROR"
    return code


def _code(exc: Exception, attempts: AttemptLog | None) -> str:
    if isinstance(exc, SlackApiError):
        if exc.response.status_code == 429:
            return "ratelimited"
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        return str(data.get("error") or "SLACK_ERROR")
    if isinstance(exc, SlackRequestError) and attempts is not None:
        # The upload-URL step: slack_sdk raises this without the status, which the attempt log kept.
        return "ratelimited" if attempts.last_status(retry.UPLOAD_URL) == 429 else "SLACK_ERROR"
    return "SLACK_ERROR"


def already_completed(exc: Exception, attempts: AttemptLog) -> bool:
    """Whether files.completeUploadExternal refused a repetition because an earlier try, unheard, shared the file.

    Slack documents only that the method "can only be called once"; a repetition for a completed file may be
    refused with `file_not_found` (or answered `ok`, which needs nothing here).
    """
    if not isinstance(exc, SlackApiError) or retry.call_name(exc.response.api_url) != COMPLETE:
        return False
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    return data.get("error") == "file_not_found" and attempts.outcome_unknown(COMPLETE)


class SlackDestination:
    """Uploads one photo for one command: to `channel_id`, or to `user_id`'s DM when the bot can't be there."""

    def __init__(self, client: AsyncWebClient, channel_id: str, user_id: str,
                 sharing: Callable[..., Awaitable[Sharing]] | None = None, thread_ts: str = "") -> None:
        self.client = client
        self.channel_id = channel_id
        self.user_id = user_id
        self.thread_ts = thread_ts  # "" for the channel itself; else the thread in `channel_id` the photo joins
        self.sharing = sharing  # without it, no channel is joined (we could not tell whether it is shared outside)
        self.delivered: Delivery | None = None

    async def from_cache(self, module: str, record_id: str) -> Delivery | None:
        return None  # every command shares its own copy of the photo

    async def no_photo(self, module: str, record_id: str) -> None:
        return None  # every command asks Zoho afresh: a photo added a minute ago is shared

    async def send(self, photo: Photo, label: Label) -> Delivery:
        self.delivered = await self._send(photo, label)
        return self.delivered

    async def _send(self, photo: Photo, label: Label) -> Delivery:
        try:
            await self._upload(photo, label, self.channel_id, self.thread_ts)
            return Delivery(self.channel_id)
        except DeliveryError as error:
            if error.raw not in NOT_MEMBER:
                raise
        if await self._join():
            try:
                await self._upload(photo, label, self.channel_id, self.thread_ts)
                return Delivery(self.channel_id, joined=True)
            except DeliveryError as error:
                if error.raw not in NOT_MEMBER:
                    raise
        dm = await self._open_dm()
        await self._upload(photo, label, dm)
        return Delivery(dm, direct_message=True)

    async def _upload(self, photo: Photo, label: Label, channel_id: str, thread_ts: str = "") -> None:
        """One files_upload_v2; its calls are retried one by one by the client, never the upload as a whole."""
        with retry.recording() as attempts:
            try:
                await self.client.files_upload_v2(
                    channel=channel_id,
                    content=photo.content,
                    filename=photo.filename,
                    title=label.title,
                    initial_comment=label.comment,
                    thread_ts=thread_ts or None,
                )
            except (SlackApiError, SlackRequestError, aiohttp.ClientError, TimeoutError) as exc:
                if already_completed(exc, attempts):
                    log.info("slack upload: completed by a try whose answer was lost")
                    return
                raise DeliveryError(slack_error(exc, attempts), _detail(exc)) from None

    async def _join(self) -> bool:
        if self.channel_id.startswith("D") or not await self._internal():
            return False
        try:
            await self.client.conversations_join(channel=self.channel_id)
        except Exception as exc:  # noqa: BLE001
            code = slack_error(exc)
            log.info("slack: cannot join %s (%s); sending by DM", self.channel_id, code)
            return False
        return True

    async def _internal(self) -> bool:
        """Whether the channel is known to be shared with nobody outside the organisation (else: never join)."""
        if self.sharing is None:
            return False
        try:
            # Asked afresh: a channel the bot is not in sends it no channel_shared event, so a kept answer may be stale.
            internal = await self.sharing(self.channel_id, fresh=True) == "internal"
        except Exception as exc:  # noqa: BLE001 - cannot tell: do not join
            log.info("slack: cannot tell whether %s is shared outside (%s); not joining", self.channel_id,
                     type(exc).__name__)
            return False
        if not internal:
            log.info("slack: %s is shared with another organisation (or invisible); not joining", self.channel_id)
        return internal

    async def _open_dm(self) -> str:
        return await open_dm(self.client, self.user_id)


async def open_dm(client: AsyncWebClient, user_id: str) -> str:
    """The id of the bot's DM with `user_id`; DeliveryError (not_in_channel) when Slack won't open one."""
    try:
        response = await client.conversations_open(users=user_id)
    except Exception as exc:  # noqa: BLE001
        code = slack_error(exc)
        raise DeliveryError("not_in_channel", f"conversations.open: {code}") from None
    channel = response.get("channel") or {}
    if not channel.get("id"):
        raise DeliveryError("not_in_channel", "conversations.open gave no channel id")
    return str(channel["id"])


def _detail(exc: Exception) -> str:
    """Slack's own error code and the step, for the log; never the token (slack_sdk does not put it there)."""
    if isinstance(exc, SlackApiError):
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        return f"HTTP {exc.response.status_code} {data.get('error', '')} ({exc.response.api_url.rsplit('/', 1)[-1]})"
    return f"{type(exc).__name__}: {str(exc)[:160]}"

"""Putting the photo into the conversation where it was asked for, or into the requester's DM.

slack_sdk's `files_upload_v2` does the three steps (getUploadURLExternal, upload, completeUploadExternal).
A bot must be a member of the channel: in a public channel we join and retry once; anywhere else the
photo goes to the requester by DM and they are told how to invite the bot. Photos never go anywhere else.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.deliver import Delivery, DeliveryError
from bot.zoho import Photo

log = logging.getLogger(__name__)

NOT_MEMBER = ("not_in_channel", "channel_not_found")
SAME_AS = {"token_revoked": "invalid_auth", "account_inactive": "invalid_auth", "not_authed": "invalid_auth"}
MAX_RETRY_AFTER = 5.0  # wait for Slack's Retry-After only when it is this short
SERVER_RETRY_DELAY = 0.5
UPLOAD_STEP_RETRY_DELAY = 1.0  # Retry-After is not visible at the upload-URL step


def slack_error(exc: Exception) -> tuple[str, float | None, bool]:
    """(error code, Retry-After seconds, worth one more try) for anything a Slack call raised.

    Codes the words catalogue has no entry for become SLACK_ERROR (the raw code goes to the log).
    """
    code, retry_after, retryable = _classify(exc)
    code = SAME_AS.get(code, code)
    if code not in messages.CATALOGUE and code not in NOT_MEMBER:
        code = "SLACK_ERROR"
    return code, retry_after, retryable


def _classify(exc: Exception) -> tuple[str, float | None, bool]:
    if isinstance(exc, SlackRequestError) and "status: 429" in str(exc):
        # The upload-URL step: slack_sdk keeps neither status nor headers, only this message.
        return "ratelimited", UPLOAD_STEP_RETRY_DELAY, True
    if isinstance(exc, SlackApiError):
        response = exc.response
        status = response.status_code
        if status == 429:
            raw = response.headers.get("Retry-After", "1")
            retry_after = float(raw) if str(raw).strip().isdigit() else 1.0
            return "ratelimited", retry_after, retry_after <= MAX_RETRY_AFTER
        if status >= 500:
            return "SLACK_ERROR", SERVER_RETRY_DELAY, True
        data = response.data if isinstance(response.data, dict) else {}
        return str(data.get("error") or "SLACK_ERROR"), None, False
    if isinstance(exc, SlackRequestError | aiohttp.ClientError | asyncio.TimeoutError):
        return "SLACK_ERROR", SERVER_RETRY_DELAY, True
    raise exc


class SlackDestination:
    """Uploads one photo for one command: to `channel_id`, or to `user_id`'s DM when the bot can't be there."""

    def __init__(self, client: AsyncWebClient, channel_id: str, user_id: str) -> None:
        self.client = client
        self.channel_id = channel_id
        self.user_id = user_id
        self.delivered: Delivery | None = None

    async def send(self, photo: Photo) -> Delivery:
        self.delivered = await self._send(photo)
        return self.delivered

    async def _send(self, photo: Photo) -> Delivery:
        try:
            await self._upload(photo, self.channel_id)
            return Delivery(self.channel_id)
        except DeliveryError as error:
            if error.code not in NOT_MEMBER:
                raise
        if await self._join():
            try:
                await self._upload(photo, self.channel_id)
                return Delivery(self.channel_id, joined=True)
            except DeliveryError as error:
                if error.code not in NOT_MEMBER:
                    raise
        dm = await self._open_dm()
        await self._upload(photo, dm)
        return Delivery(dm, direct_message=True)

    async def _upload(self, photo: Photo, channel_id: str) -> None:
        """One upload, with one more try after a short Retry-After or a Slack server error."""
        for attempt in (1, 2):
            try:
                await self.client.files_upload_v2(
                    channel=channel_id,
                    content=photo.content,
                    filename=photo.filename,
                    title=messages.photo_title(photo.module, photo.record_id),
                    initial_comment=messages.photo_comment(self.user_id, photo.module, photo.record_id),
                )
                return
            except Exception as exc:  # noqa: BLE001 - classified below; anything unknown is re-raised
                code, delay, retryable = slack_error(exc)
                if attempt == 2 or not retryable or delay is None:
                    raise DeliveryError(code, _detail(exc)) from None
                log.info("slack upload: %s; retrying in %.1fs", code, delay)
                await asyncio.sleep(delay)

    async def _join(self) -> bool:
        if self.channel_id.startswith("D"):
            return False
        try:
            await self.client.conversations_join(channel=self.channel_id)
        except Exception as exc:  # noqa: BLE001
            code, _, _ = slack_error(exc)
            log.info("slack: cannot join %s (%s); sending by DM", self.channel_id, code)
            return False
        return True

    async def _open_dm(self) -> str:
        try:
            response = await self.client.conversations_open(users=self.user_id)
        except Exception as exc:  # noqa: BLE001
            code, _, _ = slack_error(exc)
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

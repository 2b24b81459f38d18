"""Private words for the person who asked, in Block Kit, and the way they always arrive.

A reply goes through the command's `response_url` first. That URL can fail (it expires after 30 minutes
and five uses; Slack can answer 404 or 5xx), so a reply that does not get through falls back to
`chat.postEphemeral` in the same channel (needs `chat:write`; works only where the bot is a member),
and where that fails too, to a direct message. Only if all three fail is the reply lost, and that is logged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.deliver import DeliveryError, Outcome
from bot.pipeline import Ticket, looked_for
from bot.slack.blocks import choice_blocks
from bot.slack.choices import choice_value
from bot.slack.upload import open_dm

log = logging.getLogger(__name__)

REPLY_TIMEOUT = 10.0  # for each response_url post
RESPONSE_URL_RETRY_DELAY = 0.5


def explanation_reply(explanation: messages.Said, reference: str) -> dict[str, Any]:
    """A private reply through response_url: the explanation, then the code and reference id."""
    return {"replace_original": False, **explanation_ack(explanation, reference)}


def explanation_ack(explanation: messages.Said, reference: str) -> dict[str, Any]:
    """The same, as the immediate answer to the command (ack takes no replace_original)."""
    return {
        "response_type": "ephemeral",
        "text": explanation.what,
        "blocks": explanation_blocks(explanation, reference),
    }


def explanation_blocks(explanation: messages.Said, reference: str) -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": explanation.text}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": messages.reference_line(explanation.code, reference)}],
        },
    ]


def note_reply(text: str) -> dict[str, Any]:
    return {"response_type": "ephemeral", "replace_original": False, "text": text}


class SlackReplier:
    """Replies privately to `user_id` about a command typed in `channel_id`; the person always hears."""

    def __init__(self, respond: AsyncRespond, client: AsyncWebClient, channel_id: str, user_id: str) -> None:
        self.respond = respond
        self.client = client
        self.channel_id = channel_id
        self.user_id = user_id
        self.route: str | None = None  # how the last reply arrived: response_url | ephemeral | dm

    async def explain(self, explanation: messages.Said, ref: str) -> None:
        await self._send(explanation_reply(explanation, ref), ref)

    async def note(self, text: str) -> None:
        await self._send(note_reply(text), "")

    async def choices(self, outcome: Outcome, ticket: Ticket) -> None:
        """The matches, each with a "Share photo" button whose value says who asked and where."""
        asker = ticket.asker
        searched = looked_for(ticket, locale=ticket.locale)
        total = len(outcome.choices) + outcome.more
        blocks = choice_blocks(
            outcome.choices, total, False, searched,
            lambda card: choice_value(card.module, card.record_id, asker.user, asker.channel, card.name,
                                      ticket.thread),
            locale=ticket.locale,
        )
        body = {"response_type": "ephemeral", "replace_original": False,
                "text": messages.choices_text(total, searched, locale=ticket.locale), "blocks": blocks}
        await self._send(body, ticket.ref)


    async def _send(self, body: dict[str, Any], ref: str) -> None:
        if await self._via_response_url(body, ref):
            self.route = "response_url"
            return
        message = {k: body[k] for k in ("text", "blocks") if k in body}
        if await self._via_ephemeral(message, ref):
            self.route = "ephemeral"
            return
        if await self._via_dm(message, ref):
            self.route = "dm"
            return
        self.route = None
        log.warning("command %s: the reply could not be delivered by any route; the user saw nothing", ref)

    async def _via_response_url(self, body: dict[str, Any], ref: str) -> bool:
        for attempt in (1, 2):
            try:
                response = await asyncio.wait_for(self.respond(**body), REPLY_TIMEOUT)
            except Exception as exc:  # noqa: BLE001 - any failure here means: try the next route
                log.warning("command %s: response_url failed (%s)", ref, type(exc).__name__)
                status = None
            else:
                status = response.status_code
                if status < 400:
                    return True
                log.warning("command %s: response_url answered HTTP %s", ref, status)
            if attempt == 1 and (status is None or status >= 500):
                await asyncio.sleep(RESPONSE_URL_RETRY_DELAY)
                continue
            return False
        return False

    async def _via_ephemeral(self, message: dict[str, Any], ref: str) -> bool:
        try:
            await self.client.chat_postEphemeral(channel=self.channel_id, user=self.user_id, **message)
        except Exception as exc:  # noqa: BLE001
            log.info("command %s: chat.postEphemeral failed (%s); trying a DM", ref, _error_code(exc))
            return False
        return True

    async def _via_dm(self, message: dict[str, Any], ref: str) -> bool:
        try:
            dm = await open_dm(self.client, self.user_id)
            await self.client.chat_postMessage(channel=dm, **message)
        except DeliveryError as error:
            log.warning("command %s: the reply by DM failed too (%s)", ref, error.detail)
            return False
        except Exception as exc:  # noqa: BLE001
            log.warning("command %s: the reply by DM failed too (%s)", ref, _error_code(exc))
            return False
        return True


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    data = getattr(response, "data", None)
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return type(exc).__name__


class QuietReplier:
    """For unfurls: the whole channel would see any words, so there are none (the audit line says what happened)."""

    async def explain(self, explanation: messages.Said, ref: str) -> None:
        log.info("unfurl %s: %s; staying silent", ref, explanation.code)

    async def note(self, text: str) -> None:
        return None

    async def choices(self, outcome: Outcome, ticket: Ticket) -> None:
        return None

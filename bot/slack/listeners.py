"""The /crmphoto listener: thin glue from Slack's payload to the use case and back.

The command is acknowledged at once (Slack's 3-second rule) with a private "fetching…" line, help, or
a hint; the fetch and upload go on in the background, and the one outcome is a photo in the channel
or a private explanation through response_url.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import audit, messages
from bot.background import Background
from bot.deliver import Outcome, deliver_photo
from bot.request import BadInput, HelpRequest, PhotoRequest, parse_command
from bot.slack.replies import explanation_reply, note_reply
from bot.slack.upload import SlackDestination
from bot.zoho import ZohoClient

log = logging.getLogger(__name__)

COMMAND_DEADLINE = 25.0  # seconds from the ack to an outcome; Heroku gives 30 s at shutdown


class PhotoCommand:
    """Handles `/crmphoto …` for one Zoho client and one set of background tasks."""

    def __init__(self, zoho: ZohoClient, background: Background, deadline: float = COMMAND_DEADLINE) -> None:
        self.zoho = zoho
        self.background = background
        self.deadline = deadline

    async def __call__(self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond,
                       client: AsyncWebClient) -> None:
        started = time.monotonic()
        base = {"ref": audit.new_reference(), "team": command.get("team_id"), "user": command.get("user_id"),
                "channel": command.get("channel_id")}
        parsed = parse_command(command.get("text"))
        if isinstance(parsed, HelpRequest):
            await ack(response_type="ephemeral", text=messages.help_text(self.zoho.modules.photo_modules()))
            audit.record(**base, outcome="help", ms=_ms(started))
            return
        if isinstance(parsed, BadInput):
            await ack(response_type="ephemeral", text=messages.input_hint(parsed.problem, parsed.detail))
            audit.record(**base, outcome="bad_input", code=parsed.problem, ms=_ms(started))
            return
        if not self.background.accepting:
            await ack(response_type="ephemeral", text=messages.shutting_down(parsed.module, parsed.record_id))
            audit.record(**base, module=parsed.module, record_id=parsed.record_id, outcome="refused",
                         code="SHUTTING_DOWN", ms=_ms(started))
            return
        await ack(response_type="ephemeral", text=messages.fetching(parsed.module, parsed.record_id))
        self.background.spawn(self.work(parsed, command, respond, client, started, base))

    async def work(self, request: PhotoRequest, command: dict[str, Any], respond: AsyncRespond,
                   client: AsyncWebClient, started: float, base: dict[str, Any]) -> None:
        """Runs after the ack: exactly one outcome, whatever happens."""
        ref = base["ref"]
        destination = SlackDestination(client, str(command.get("channel_id", "")), str(command.get("user_id", "")))
        try:
            outcome = await asyncio.wait_for(deliver_photo(request, self.zoho, destination), self.deadline)
        except TimeoutError:
            outcome = self._failed(request, "TIMEOUT")
        except asyncio.CancelledError:
            await self._reply(respond, note_reply(messages.shutting_down(request.module, request.record_id)), ref)
            audit.record(**base, module=request.module, record_id=request.record_id, outcome="cancelled",
                         code="SHUTTING_DOWN", ms=_ms(started))
            raise
        except Exception:
            log.exception("command %s: unexpected error", ref)
            outcome = self._failed(request, "UNEXPECTED")
        if outcome.explanation is not None:
            await self._reply(respond, explanation_reply(outcome.explanation, ref), ref)
        elif outcome.delivery is not None and outcome.delivery.direct_message:
            await self._reply(respond, note_reply(messages.sent_by_dm(outcome.module, outcome.record_id)), ref)
        if outcome.detail:
            log.info("command %s: %s %s/%s: %s", ref, outcome.code, outcome.module, outcome.record_id, outcome.detail)
        audit.record(**base, module=outcome.module, record_id=outcome.record_id,
                     outcome=_outcome_name(outcome), code=outcome.code, zoho_code=outcome.zoho_code,
                     ms=_ms(started), bytes=outcome.size)

    @staticmethod
    def _failed(request: PhotoRequest, code: str) -> Outcome:
        return Outcome(request.module, request.record_id, code,
                       messages.explain(code, request.module, request.record_id))

    @staticmethod
    async def _reply(respond: AsyncRespond, body: dict[str, Any], ref: str) -> None:
        """Private reply through response_url; a failure here is logged, there is nowhere else to say it."""
        try:
            response = await respond(**body)
            if response.status_code >= 400:
                log.warning("command %s: response_url answered HTTP %s; the user saw nothing",
                            ref, response.status_code)
        except Exception as exc:  # noqa: BLE001 - the reply is best effort once Slack refuses it
            log.warning("command %s: could not reply through response_url (%s)", ref, type(exc).__name__)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _outcome_name(outcome: Outcome) -> str:
    if outcome.delivery is None:
        return "explained"
    return "photo_dm" if outcome.delivery.direct_message else "photo"


def register(app: AsyncApp, zoho: ZohoClient, background: Background) -> None:
    """Wire the slash command; one register() per feature, like Slack's starter template."""
    app.command(messages.COMMAND)(PhotoCommand(zoho, background))

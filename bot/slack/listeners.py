"""The /crmphoto listener: thin glue from Slack's payload to the use case and back.

The command is acknowledged at once (Slack's 3-second rule) with a private "fetching…" line, help, a
hint or a refusal; the checks that need Slack's directory, the fetch and the upload go on in the
background, and the one outcome is a photo in the channel or a private explanation via response_url.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import audit, messages
from bot.access import BUDGET_EXHAUSTED, REFUSALS, DailyBudget, Gate
from bot.background import Background
from bot.deliver import Outcome, deliver_photo
from bot.request import BadInput, HelpRequest, PhotoRequest, parse_command
from bot.slack.directory import SlackDirectory
from bot.slack.replies import explanation_ack, explanation_reply, note_reply
from bot.slack.upload import SlackDestination
from bot.zoho import ZohoClient
from bot.zoho.client import counting_calls

log = logging.getLogger(__name__)

COMMAND_DEADLINE = 25.0  # seconds from the ack to an outcome
REPLY_TIMEOUT = 10.0  # for each response_url post


@dataclass
class Services:
    """What the listener needs, built once at start-up."""

    zoho: ZohoClient
    background: Background
    gate: Gate
    budget: DailyBudget
    directory: SlackDirectory
    deadline: float = COMMAND_DEADLINE


@dataclass(frozen=True)
class Context:
    """One command: who typed it, where, and its reference id."""

    ref: str
    team: str
    enterprise: str
    user: str
    channel: str
    started: float

    def audit(self, **fields: Any) -> None:
        audit.record(ref=self.ref, team=self.team, user=self.user, channel=self.channel,
                     ms=int((time.monotonic() - self.started) * 1000), **fields)


class PhotoCommand:
    """Handles `/crmphoto …`."""

    def __init__(self, services: Services) -> None:
        self.s = services

    async def __call__(self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond,
                       client: AsyncWebClient) -> None:
        ctx = Context(ref=audit.new_reference(), team=str(command.get("team_id") or ""),
                      enterprise=str(command.get("enterprise_id") or ""), user=str(command.get("user_id") or ""),
                      channel=str(command.get("channel_id") or ""), started=time.monotonic())
        try:
            await self._handle(ack, command, respond, client, ctx)
        except Exception:
            log.exception("command %s: unexpected error before the work started", ctx.ref)
            ctx.audit(outcome="explained", code="UNEXPECTED")
            if ack.response is None:
                await ack(**explanation_ack(messages.unexpected(), ctx.ref))

    async def _handle(self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond,
                      client: AsyncWebClient, ctx: Context) -> None:
        parsed = parse_command(command.get("text"))
        if isinstance(parsed, HelpRequest):
            await ack(response_type="ephemeral", text=messages.help_text(self.s.zoho.modules.photo_modules()))
            ctx.audit(outcome="help")
            return
        if isinstance(parsed, BadInput):
            await ack(response_type="ephemeral", text=messages.input_hint(parsed.problem, parsed.detail))
            ctx.audit(outcome="bad_input", code=parsed.problem)
            return
        refusal = "SHUTTING_DOWN" if not self.s.background.accepting else \
            self.s.gate.check_request(ctx.team, ctx.channel, ctx.user)
        if refusal:
            words = messages.explain(refusal, parsed.module, parsed.record_id)
            await ack(**explanation_ack(words, ctx.ref))
            ctx.audit(module=parsed.module, record_id=parsed.record_id, outcome="refused", code=refusal)
            return
        await ack(response_type="ephemeral", text=messages.fetching(parsed.module, parsed.record_id))
        self.s.background.spawn(self.work(parsed, ctx, respond, client))

    async def work(self, request: PhotoRequest, ctx: Context, respond: AsyncRespond, client: AsyncWebClient) -> None:
        """Runs after the ack: exactly one outcome, whatever happens."""
        calls = [0]
        try:
            with counting_calls() as calls:
                outcome = await asyncio.wait_for(self._outcome(request, ctx, client), self.s.deadline)
        except TimeoutError:
            outcome = _explained(request, "TIMEOUT")
        except asyncio.CancelledError:
            await self._reply(respond, explanation_reply(_explained(request, "SHUTTING_DOWN").explanation, ctx.ref),
                              ctx.ref)
            ctx.audit(module=request.module, record_id=request.record_id, outcome="cancelled", code="SHUTTING_DOWN")
            raise
        except Exception:
            log.exception("command %s: unexpected error", ctx.ref)
            outcome = _explained(request, "UNEXPECTED")
        finally:
            self.s.budget.spend(ctx.team, calls[0])
        if outcome.explanation is not None:
            await self._reply(respond, explanation_reply(outcome.explanation, ctx.ref), ctx.ref)
        elif outcome.delivery is not None and outcome.delivery.direct_message:
            await self._reply(respond, note_reply(messages.sent_by_dm(outcome.module, outcome.record_id)), ctx.ref)
        if outcome.detail:
            log.info("command %s: %s %s/%s: %s", ctx.ref, outcome.code, outcome.module, outcome.record_id,
                     outcome.detail)
        ctx.audit(module=outcome.module, record_id=outcome.record_id, outcome=_outcome_name(outcome),
                  code=outcome.code, zoho_code=outcome.zoho_code, bytes=outcome.size)

    async def _outcome(self, request: PhotoRequest, ctx: Context, client: AsyncWebClient) -> Outcome:
        directory = self.s.directory
        refusal = await self.s.gate.check_person(ctx.user, ctx.team, ctx.enterprise, directory.user,
                                                 directory.group_members)
        if refusal:
            return _explained(request, refusal)
        if not self.s.budget.allows(ctx.team):
            return _explained(request, BUDGET_EXHAUSTED)
        destination = SlackDestination(client, ctx.channel, ctx.user)
        return await deliver_photo(request, self.s.zoho, destination, allow_module=self.s.gate.module_allowed)

    @staticmethod
    async def _reply(respond: AsyncRespond, body: dict[str, Any], ref: str) -> None:
        """Private reply through response_url; a failure here is logged, there is nowhere else to say it."""
        try:
            response = await asyncio.wait_for(respond(**body), REPLY_TIMEOUT)
            if response.status_code >= 400:
                log.warning("command %s: response_url answered HTTP %s; the user saw nothing",
                            ref, response.status_code)
        except Exception as exc:  # noqa: BLE001 - the reply is best effort once Slack refuses it
            log.warning("command %s: could not reply through response_url (%s)", ref, type(exc).__name__)


def _explained(request: PhotoRequest, code: str) -> Outcome:
    return Outcome(request.module, request.record_id, code, messages.explain(code, request.module, request.record_id))


def _outcome_name(outcome: Outcome) -> str:
    if outcome.delivery is None:
        return "refused" if outcome.code in REFUSALS else "explained"
    return "photo_dm" if outcome.delivery.direct_message else "photo"


def register(app: AsyncApp, services: Services) -> None:
    """Wire the slash command; one register() per feature, like Slack's starter template."""
    app.command(messages.COMMAND)(PhotoCommand(services))

"""The one path every request takes, whichever door it came in by.

typed text → request → who may ask → budget → find the record → fetch → deliver → outcome → audit.
An adapter (the Slack listener, later a button or a pasted link) hands in what was typed and who asked,
answers at once with the `Ack` it gets back, then runs the admitted `Ticket` in the background with a
destination for the photo and a `Replier` for the words. Nothing here knows Slack's payloads.

Every command gets about 25 s, split so that a slow Zoho can never eat the time the upload needs:
Zoho gets what is left minus the Slack share, Slack gets the rest. A timeout names the slow side; once
the photo is in the channel the outcome is the photo, whatever the clock says.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot import audit, deadline, messages
from bot.access import BUDGET_EXHAUSTED, IDENTITY_UNKNOWN, RATE_LIMITED, REFUSALS, Gate
from bot.deliver import Delivery, Destination, Outcome, fetch, hand_over
from bot.limits import Budget, RateLimiter
from bot.request import BadInput, HelpRequest, PhotoRequest, parse_command
from bot.zoho import ZohoClient
from bot.zoho.client import metered

log = logging.getLogger(__name__)

BUSY = "BUSY"
SHUTTING_DOWN = "SHUTTING_DOWN"
TIMEOUT = "TIMEOUT"  # Zoho was the slow side
SLACK_TIMEOUT = "SLACK_TIMEOUT"
UNEXPECTED = "UNEXPECTED"


@dataclass(frozen=True)
class Timing:
    """How a command's time is shared out (seconds)."""

    deadline: float = 25.0  # from the ack to an outcome
    slack_share: float = 8.0  # kept back for the upload, however long Zoho takes
    directory: float = 5.0  # for Slack's users.info / usergroups lookups


@dataclass(frozen=True)
class Asker:
    """Who asked, and where: the conversation the photo may go to."""

    team: str
    user: str
    channel: str
    enterprise: str = ""


@dataclass(frozen=True)
class Ticket:
    """An admitted request: it holds one of the process's in-flight places until its outcome."""

    ref: str
    asker: Asker
    request: PhotoRequest
    started: float

    def audit(self, **fields: Any) -> None:
        a = self.asker
        audit.record(ref=self.ref, team=a.team, user=a.user, channel=a.channel,
                     ms=int((time.monotonic() - self.started) * 1000), **fields)


@dataclass(frozen=True)
class Ack:
    """What to answer at once: help, a hint about the typing, a refusal, or "fetching…" with a ticket."""

    text: str
    ref: str
    explanation: messages.Explanation | None = None
    ticket: Ticket | None = None


class Directory(Protocol):
    """Who someone is in the chat workspace, and who is in a user group (cached by the adapter)."""

    async def user(self, user_id: str) -> Mapping[str, Any] | None: ...

    async def group_members(self, group_id: str) -> frozenset[str]: ...


class Replier(Protocol):
    """Private words for the person who asked; the adapter makes sure they arrive somehow."""

    async def explain(self, explanation: messages.Explanation, ref: str) -> None: ...

    async def note(self, text: str) -> None: ...


class _TeamMeter:
    """Reserves each Zoho call against the workspace's daily budget and counts them for the audit line."""

    def __init__(self, budget: Budget, team: str) -> None:
        self.budget = budget
        self.team = team
        self.calls = 0

    async def reserve(self) -> bool:
        if not await self.budget.reserve(self.team):
            return False
        self.calls += 1
        return True

    async def release(self) -> None:
        self.calls -= 1
        await self.budget.release(self.team)


class Pipeline:
    """Admits requests (cheap checks, before the ack) and runs them to exactly one outcome."""

    def __init__(
        self,
        zoho: ZohoClient,
        gate: Gate,
        budget: Budget,
        rate: RateLimiter,
        directory: Directory,
        *,
        timing: Timing | None = None,
        max_in_flight: int = 50,
        accepting: Callable[[], bool] = lambda: True,
    ) -> None:
        self.zoho = zoho
        self.gate = gate
        self.budget = budget
        self.rate = rate
        self.directory = directory
        self.timing = timing or Timing()
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        self._accepting = accepting

    # --- before the ack ----------------------------------------------------------------------------
    async def receive(self, text: str | None, asker: Asker) -> Ack:
        """What to answer at once; never raises (an unexpected error becomes an apology with a reference)."""
        ref = audit.new_reference()
        started = time.monotonic()
        try:
            return await self._receive(text, asker, ref, started)
        except Exception:
            log.exception("command %s: unexpected error before the work started", ref)
            Ticket(ref, asker, PhotoRequest("", ""), started).audit(outcome="explained", code=UNEXPECTED)
            words = messages.unexpected()
            return Ack(words.what, ref, explanation=words)

    async def _receive(self, text: str | None, asker: Asker, ref: str, started: float) -> Ack:
        parsed = parse_command(text)
        blank = Ticket(ref, asker, PhotoRequest("", ""), started)
        if isinstance(parsed, HelpRequest):
            blank.audit(outcome="help")
            return Ack(messages.help_text(self.zoho.modules.photo_modules()), ref)
        if isinstance(parsed, BadInput):
            blank.audit(outcome="bad_input", code=parsed.problem)
            return Ack(messages.input_hint(parsed.problem, parsed.detail), ref)
        ticket = Ticket(ref, asker, parsed, started)
        refusal = await self._admission(asker)
        if refusal:
            words = messages.explain(refusal, parsed.module, parsed.record_id)
            ticket.audit(module=parsed.module, record_id=parsed.record_id,
                         outcome="refused" if refusal in REFUSALS else "explained", code=refusal)
            return Ack(words.what, ref, explanation=words)
        self.in_flight += 1
        return Ack(messages.fetching(parsed.module, parsed.record_id), ref, ticket=ticket)

    async def _admission(self, asker: Asker) -> str | None:
        if not self._accepting():
            return SHUTTING_DOWN
        if self.in_flight >= self.max_in_flight:
            return BUSY  # nothing is queued without limit: the person retries in a moment
        refusal = self.gate.check_request(asker.team, asker.channel, asker.user, asker.enterprise)
        if refusal:
            return refusal
        if not await self.rate.allow(asker.user):
            return RATE_LIMITED
        return None

    # --- after the ack -----------------------------------------------------------------------------
    async def run(self, ticket: Ticket, destination: Destination, replier: Replier) -> Outcome:
        """Exactly one outcome for an admitted ticket: the photo delivered, or words that say why not."""
        request = ticket.request
        meter = _TeamMeter(self.budget, ticket.asker.team)
        try:
            try:
                with metered(meter):
                    outcome = await self._work(ticket, destination)
            except asyncio.CancelledError:
                outcome = _delivered(request, destination) or _explained(request, SHUTTING_DOWN)
                if outcome.explanation is not None:
                    await replier.explain(outcome.explanation, ticket.ref)
                ticket.audit(module=request.module, record_id=request.record_id, zoho_calls=meter.calls,
                             outcome=_outcome_name(outcome) if outcome.delivered else "cancelled", code=outcome.code)
                raise
            except Exception:
                log.exception("command %s: unexpected error", ticket.ref)
                outcome = _delivered(request, destination) or _explained(request, UNEXPECTED)
        finally:
            self.in_flight -= 1
        if outcome.explanation is not None:
            await replier.explain(outcome.explanation, ticket.ref)
        elif outcome.delivery is not None and outcome.delivery.direct_message:
            await replier.note(messages.sent_by_dm(outcome.module, outcome.record_id))
        if outcome.detail:
            log.info("command %s: %s %s/%s: %s", ticket.ref, outcome.code, outcome.module, outcome.record_id,
                     outcome.detail)
        ticket.audit(module=outcome.module, record_id=outcome.record_id, outcome=_outcome_name(outcome),
                     code=outcome.code, zoho_code=outcome.zoho_code, bytes=outcome.size, zoho_calls=meter.calls)
        return outcome

    async def _work(self, ticket: Ticket, destination: Destination) -> Outcome:
        request, asker, t = ticket.request, ticket.asker, self.timing
        ends = ticket.started + t.deadline
        try:
            async with asyncio.timeout(min(t.directory, _left(ends))):
                refusal = await self.gate.check_person(asker.user, asker.team, asker.enterprise,
                                                       self.directory.user, self.directory.group_members)
        except TimeoutError:
            refusal = IDENTITY_UNKNOWN
        if refusal:
            return _explained(request, refusal)
        if not await self.budget.has_room(asker.team):
            return _explained(request, BUDGET_EXHAUSTED)

        zoho_time = max(0.0, _left(ends) - t.slack_share)
        try:
            with deadline.within(zoho_time):
                async with asyncio.timeout(zoho_time):
                    fetched = await fetch(request, self.zoho, self.gate.module_allowed)
        except TimeoutError:
            return _explained(request, TIMEOUT)
        if isinstance(fetched, Outcome):
            return fetched

        slack_time = _left(ends)
        try:
            with deadline.within(slack_time):
                async with asyncio.timeout(slack_time):
                    return await hand_over(fetched, destination)
        except TimeoutError:
            module = fetched.module
            return _delivered(request, destination, module) or _explained(request, SLACK_TIMEOUT, module)


def _left(ends: float) -> float:
    return max(0.0, ends - time.monotonic())


def _explained(request: PhotoRequest, code: str, module: str | None = None) -> Outcome:
    module = module or request.module
    return Outcome(module, request.record_id, code, messages.explain(code, module, request.record_id))


def _delivered(request: PhotoRequest, destination: Destination, module: str | None = None) -> Outcome | None:
    """The photo outcome if the destination already has the photo (a timeout or cancel came too late)."""
    delivery: Delivery | None = getattr(destination, "delivered", None)
    if delivery is None:
        return None
    return Outcome(module or request.module, request.record_id, "OK", delivery=delivery)


def _outcome_name(outcome: Outcome) -> str:
    if outcome.delivery is None:
        return "refused" if outcome.code in REFUSALS else "explained"
    return "photo_dm" if outcome.delivery.direct_message else "photo"

"""The one path every request takes, whichever door it came in by: a command, a button, a pasted link.

typed text → request → who may ask → budget → find the record → fetch → deliver → outcome → audit.
An adapter hands in what was typed (or clicked, or pasted) and who asked, answers at once with the
`Ack` it gets back, then runs the admitted `Ticket` in the background with a destination for the photo
and a `Replier` for the words. Nothing here knows Slack's payloads.

Every request gets about 25 s, split so that a slow Zoho can never eat the time the upload needs:
Zoho gets what is left minus the Slack share, Slack gets the rest. A timeout names the slow side; once
the photo is in the channel the outcome is the photo, whatever the clock says.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from bot import audit, deadline, i18n, identifiers, matching, messages
from bot.access import Gate, Sharing
from bot.alerts import Alerts
from bot.codes import REFUSALS, Code
from bot.deliver import (
    Delivery,
    DeliveryError,
    Destination,
    Outcome,
    explained,
    fetch_photo,
    hand_over,
    resolve,
    zoho_outcome,
)
from bot.escapes import unescape
from bot.limits import Budget, RateLimiter
from bot.records import RecordCard
from bot.request import BadInput, HelpRequest, PhotoRequest, SearchRequest, parse_command, parse_link
from bot.zoho import Module, NoPhoto, Photo, ZohoClient, ZohoError
from bot.zoho.client import metered

log = logging.getLogger(__name__)

Request = PhotoRequest | SearchRequest
Located = tuple[Module, str, RecordCard | None] | Outcome  # the record a request means, or why there is none
Via = Literal["command", "choice", "link", "shortcut"]
CHOICES_SHOWN = 5


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
    ext_shared: bool = False  # Slack's envelope said the conversation is shared with another organisation


@dataclass(frozen=True)
class Ticket:
    """An admitted request: it holds one of the process's in-flight places until its outcome."""

    ref: str
    asker: Asker
    request: Request
    started: float
    via: Via = "command"
    locale: str = i18n.ENGLISH  # the asker's words: at the ack what is known then, after it their Slack language
    thread: str = ""  # the thread the photo goes into: a shortcut's message, or a click on a shortcut's list
    also: tuple[Request, ...] = ()  # a shortcut's further identifiers, looked up after `request`

    @property
    def quiet(self) -> bool:
        """An unfurl speaks to the whole channel or not at all: no private words, no "requested by"."""
        return self.via == "link"

    def audit(self, **fields: Any) -> None:
        a = self.asker
        lookup = ",".join(r.kind if isinstance(r, SearchRequest) else "id" for r in (self.request, *self.also))
        audit.record(ref=self.ref, team=a.team, user=a.user, channel=a.channel, via=self.via, lookup=lookup,
                     ms=int((time.monotonic() - self.started) * 1000), **fields)


@dataclass(frozen=True)
class Ack:
    """What to answer at once: help, a hint about the typing, a refusal, or "fetching…" with a ticket."""

    text: str
    ref: str
    explanation: messages.Said | None = None
    ticket: Ticket | None = None


class Directory(Protocol):
    """Who someone is in the chat workspace, and who is in a user group (cached by the adapter)."""

    async def user(self, user_id: str) -> Mapping[str, Any] | None: ...

    def known_locale(self, user_id: str) -> str | None:
        """The user's language if a lookup already holds it, without asking (the ack never waits)."""
        ...

    async def group_members(self, group_id: str) -> frozenset[str]: ...

    async def sharing(self, channel_id: str, fresh: bool = False) -> Sharing:
        """Whether the conversation is shared with another organisation; raises when Slack won't say.

        `fresh`: ask Slack now rather than trust a kept answer."""
        ...


class Replier(Protocol):
    """Private words for the person who asked; the adapter makes sure they arrive somehow."""

    async def explain(self, said: messages.Said, ref: str) -> None: ...

    async def note(self, text: str) -> None: ...

    async def choices(self, outcome: Outcome, ticket: Ticket) -> None:
        """Several records matched, or one not exactly as typed: show them privately (in `ticket.locale`), each
        with a way to pick it (which comes back as a choice)."""
        ...


class _TeamMeter:
    """Reserves each Zoho call against the workspace's daily budget and counts them for the audit line."""

    def __init__(self, budget: Budget, team: str) -> None:
        self.budget = budget
        self.account = team  # whose credits: a shared (batched) Zoho call only serves commands of one workspace
        self.calls = 0

    async def reserve(self) -> bool:
        if not await self.budget.reserve(self.account):
            return False
        self.calls += 1
        return True

    async def release(self) -> None:
        self.calls -= 1
        await self.budget.release(self.account)


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
        search_modules: tuple[str, ...] = ("Contacts", "Leads"),
        default_locale: str = i18n.ENGLISH,
        alerts: Alerts | None = None,
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
        self.search_modules = search_modules
        self.default_locale = default_locale  # the channel's language, and the asker's until Slack says theirs
        self.alerts = alerts  # hears every outcome; admin-only failures reach the admin (bot/alerts.py)
        self._crm_user: dict[str, bool] = {}  # ticket ref -> whether the REQUIRE_CRM_USER check passed

    # --- before the ack ----------------------------------------------------------------------------
    async def receive(self, text: str | None, asker: Asker) -> Ack:
        """A command: what to answer at once; never raises (an unexpected error becomes an apology)."""
        return await self._guarded(asker, lambda ref, started: self._receive(text, asker, ref, started))

    async def receive_choice(self, module: str, record_id: str, asker: Asker, clicked_by: str, clicked_in: str,
                             name: str = "", thread: str = "") -> Ack:
        """A pick from a list of matches: honoured only for the person who asked, where they asked. `name` is the
        record's name as the list showed it ("" from a button made before names were carried); `thread` the
        thread a shortcut's list shares into ("" for a command's)."""

        async def admit(ref: str, started: float) -> Ack:
            request = PhotoRequest(module, record_id)
            ticket = Ticket(ref, asker, request, started, via="choice", locale=self._known_locale(asker),
                            thread=thread)
            # The list may have reached the asker by DM (when its reply URL failed): a click there is theirs too.
            where_ok = clicked_in == asker.channel or clicked_in.startswith("D")
            if clicked_by != asker.user or not where_ok:
                who = Asker(asker.team, clicked_by, clicked_in, asker.enterprise)
                return self._refuse(dataclasses.replace(ticket, asker=who), Code.NOT_YOUR_CHOICE)
            return await self._admit(ticket, messages.sharing(module, record_id, name, locale=ticket.locale))

        return await self._guarded(asker, admit)

    async def receive_link(self, url: str, asker: Asker) -> Ack:
        """A pasted record link to unfurl: the same rules as a command, and no words if it is not a record."""

        async def admit(ref: str, started: float) -> Ack:
            parsed = parse_link(unescape(url))  # Slack escapes `&` in it; the url itself goes back to Slack as sent
            if isinstance(parsed, BadInput):
                Ticket(ref, asker, PhotoRequest("", ""), started, via="link").audit(outcome="ignored",
                                                                                      code=parsed.problem)
                return Ack("", ref)
            return await self._admit(Ticket(ref, asker, parsed, started, via="link", locale=self.default_locale), "")

        return await self._guarded(asker, admit)

    async def receive_shortcut(self, text: str | None, asker: Asker, thread: str) -> Ack:
        """The "Show CRM photo" shortcut on a message: what in its text names someone (bot.identifiers, at most
        three), under every rule a command follows; the photo goes into the message's `thread`. A message that
        names nobody gets its explanation at once."""

        async def admit(ref: str, started: float) -> Ack:
            found = identifiers.find(text)
            locale = self._known_locale(asker)
            if not found:
                Ticket(ref, asker, PhotoRequest("", ""), started, via="shortcut").audit(
                    outcome="explained", code=Code.NOTHING_TO_FIND)
                said = messages.nothing_to_find().said(locale)
                return Ack(said.what, ref, explanation=said)
            ticket = Ticket(ref, asker, found[0], started, via="shortcut", locale=locale, thread=thread,
                            also=tuple(found[1:]))
            return await self._admit(ticket, messages.searching(looked_for(ticket, locale=locale), locale=locale))

        return await self._guarded(asker, admit)

    async def _guarded(self, asker: Asker, admit: Callable[[str, float], Any]) -> Ack:
        ref = audit.new_reference()
        started = time.monotonic()
        try:
            return await admit(ref, started)
        except Exception:
            log.exception("command %s: unexpected error before the work started", ref)
            Ticket(ref, asker, PhotoRequest("", ""), started).audit(outcome="explained", code=Code.UNEXPECTED)
            said = messages.unexpected().said(self._known_locale(asker))
            return Ack(said.what, ref, explanation=said)

    async def _receive(self, text: str | None, asker: Asker, ref: str, started: float) -> Ack:
        parsed = parse_command(text)
        locale = self._known_locale(asker)
        blank = Ticket(ref, asker, PhotoRequest("", ""), started, locale=locale)
        if isinstance(parsed, HelpRequest):
            blank.audit(outcome="help")
            return Ack(messages.help_text(self.zoho.modules.photo_modules(), self.search_modules, locale=locale), ref)
        if isinstance(parsed, BadInput):
            blank.audit(outcome="bad_input", code=parsed.problem)
            return Ack(messages.input_hint(parsed.problem, parsed.detail, locale=locale), ref)
        ticket = Ticket(ref, asker, parsed, started, locale=locale)
        if isinstance(parsed, SearchRequest):
            return await self._admit(ticket, messages.searching(parsed.label, locale=locale))
        return await self._admit(ticket, messages.fetching(parsed.module, parsed.record_id, locale=locale))

    def _known_locale(self, asker: Asker) -> str:
        """The asker's language for the ack: what a recent lookup said, else DEFAULT_LOCALE (no Slack call)."""
        return i18n.language(self.directory.known_locale(asker.user), self.default_locale)

    async def _admit(self, ticket: Ticket, text: str) -> Ack:
        refusal = await self._admission(ticket.asker, ticket.via)
        if refusal:
            return self._refuse(ticket, refusal)
        self.in_flight += 1
        return Ack(text, ticket.ref, ticket=ticket)

    def _refuse(self, ticket: Ticket, code: Code) -> Ack:
        module, record_id, about = _naming(ticket.request)
        said = messages.explain(code, module, record_id, about=about).said(ticket.locale)
        ticket.audit(module=module, record_id=record_id, code=code,
                     outcome="refused" if code in REFUSALS else "explained")
        return Ack(said.what, ticket.ref, explanation=said)

    async def _admission(self, asker: Asker, via: Via) -> Code | None:
        if not self._accepting():
            return Code.SHUTTING_DOWN
        if self.in_flight >= self.max_in_flight:
            return Code.BUSY  # nothing is queued without limit: the person retries in a moment
        refusal = self.gate.check_request(asker.team, asker.channel, asker.user, asker.enterprise) or \
            self.gate.check_envelope(via, asker.ext_shared)
        if refusal:
            return refusal
        if not await self.rate.allow(asker.user):
            return Code.RATE_LIMITED
        return None

    # --- after the ack -----------------------------------------------------------------------------
    async def run(self, ticket: Ticket, destination: Destination, replier: Replier) -> Outcome:
        """Exactly one outcome for an admitted ticket: the photo delivered, a list to pick from, or words."""
        meter = _TeamMeter(self.budget, ticket.asker.team)
        module, record_id, _ = _naming(ticket.request)
        # The asker's language, looked up side by side with the gates (the same users.info answer, asked once).
        locale = asyncio.ensure_future(self._asker_locale(ticket))
        try:
            try:
                with metered(meter):
                    outcome = await self._work(ticket, destination)
                ticket = dataclasses.replace(ticket, locale=await locale)
            except asyncio.CancelledError:
                locale.cancel()
                outcome = _delivered(module, record_id, destination) or \
                    explained(Code.SHUTTING_DOWN, module, record_id, _naming(ticket.request)[2])
                if outcome.explanation is not None and not ticket.quiet:
                    await replier.explain(outcome.explanation.said(ticket.locale), ticket.ref)
                ticket.audit(module=outcome.module, record_id=outcome.record_id, zoho_calls=meter.calls,
                             outcome=_outcome_name(outcome) if outcome.delivered else "cancelled", code=outcome.code,
                             crm_user=self._crm_user.pop(ticket.ref, None))
                raise
            except Exception:
                log.exception("command %s: unexpected error", ticket.ref)
                outcome = _delivered(module, record_id, destination) or \
                    explained(Code.UNEXPECTED, module, record_id, _naming(ticket.request)[2])
                ticket = dataclasses.replace(ticket, locale=await locale)  # it never raises, and is bounded
        finally:
            self.in_flight -= 1
        if self.alerts is not None:
            self.alerts.outcome(outcome.code)  # returns at once: alerting never delays the reply
        try:
            await self._tell(ticket, outcome, replier)
        except Exception:
            log.exception("command %s: the reply could not be made", ticket.ref)
        finally:  # the audit line is written whatever happened to the reply, a cancel included
            if outcome.detail:
                log.info("command %s: %s %s/%s: %s", ticket.ref, outcome.code, outcome.module, outcome.record_id,
                         outcome.detail)
            ticket.audit(module=outcome.module, record_id=outcome.record_id, outcome=_outcome_name(outcome),
                         code=outcome.code, zoho_code=outcome.zoho_code, bytes=outcome.size, zoho_calls=meter.calls,
                         crm_user=self._crm_user.pop(ticket.ref, None))
        return outcome

    @staticmethod
    async def _tell(ticket: Ticket, outcome: Outcome, replier: Replier) -> None:
        if ticket.quiet:
            return  # an unfurl that cannot show the photo stays silent; the audit line says why
        if outcome.code == Code.CHOICES:
            await replier.choices(outcome, ticket)
        elif outcome.explanation is not None:
            await replier.explain(outcome.explanation.said(ticket.locale), ticket.ref)
        elif outcome.delivery is not None and outcome.delivery.direct_message:
            await replier.note(messages.sent_by_dm(outcome.module, outcome.record_id, locale=ticket.locale))

    async def _asker_locale(self, ticket: Ticket) -> str:
        """The asker's Slack language (users.info, cached by the directory); the ack's when Slack doesn't say.

        An unfurl has no private words, so it never asks."""
        if ticket.quiet:
            return ticket.locale
        try:
            async with asyncio.timeout(self.timing.directory):
                user = await self.directory.user(ticket.asker.user)
        except Exception as exc:  # noqa: BLE001 - the words fall back to the ack's language, nothing else depends on it
            log.info("command %s: the asker's language is unknown (%s)", ticket.ref, type(exc).__name__)
            return ticket.locale
        return i18n.language((user or {}).get("locale"), self.default_locale)

    async def _work(self, ticket: Ticket, destination: Destination) -> Outcome:
        request, asker, t = ticket.request, ticket.asker, self.timing
        module_typed, record_id, about = _naming(request)
        ends = ticket.started + t.deadline
        refusal = await self._who_and_where(ticket, min(t.directory, _left(ends)))
        if refusal:
            return explained(refusal, module_typed, record_id, about)
        if not await self.budget.has_room(asker.team):
            return explained(Code.BUDGET_EXHAUSTED, module_typed, record_id, about)

        zoho_time = max(0.0, _left(ends) - t.slack_share)
        try:
            with deadline.within(zoho_time):
                async with asyncio.timeout(zoho_time):
                    found = await self._find(ticket)
                    if isinstance(found, Outcome):
                        return found
                    module, record_id, card = found
                    try:
                        cached = await destination.from_cache(module.api_name, record_id)
                    except DeliveryError as error:
                        words = messages.explain(error.code, module.api_name, record_id)
                        return Outcome(module.api_name, record_id, error.code, words, detail=error.detail)
                    if isinstance(cached, NoPhoto):
                        return explained(Code.NO_PHOTO, module.api_name, record_id)
                    if cached is not None:
                        return Outcome(module.api_name, record_id, Code.OK, delivery=cached)
                    fetched, card = await self._photo_and_card(module, record_id, card)
        except TimeoutError:
            return explained(Code.TIMEOUT, module_typed, record_id, about)
        if isinstance(fetched, Outcome):
            if fetched.code == Code.NO_PHOTO:
                await destination.no_photo(module.api_name, record_id)
            return fetched

        label = messages.photo_label(card, fetched.module, fetched.record_id, "" if ticket.quiet else asker.user,
                                     locale=self.default_locale)  # the channel reads it
        slack_time = _left(ends)
        try:
            with deadline.within(slack_time):
                async with asyncio.timeout(slack_time):
                    return await hand_over(fetched, destination, label)
        except TimeoutError:
            module_name = fetched.module
            return _delivered(module_name, record_id, destination) or \
                explained(Code.SLACK_TIMEOUT, module_name, record_id)

    async def _who_and_where(self, ticket: Ticket, within: float) -> Code | None:
        """The gates that ask Slack, side by side: who is asking, and whether the conversation is shared outside.

        Slack not answering in time refuses (IDENTITY_UNKNOWN, SHARING_UNKNOWN): never guess in the asker's favour.
        """
        asker = ticket.asker
        who = self.gate.check_person(asker.user, asker.team, asker.enterprise, self.directory.user,
                                     self.directory.group_members,
                                     noted=lambda ok: self._crm_user.__setitem__(ticket.ref, ok))
        where = self.gate.check_conversation(asker.channel, ticket.via, asker.ext_shared, self.directory.sharing)
        person, conversation = await asyncio.gather(_within(who, within, Code.IDENTITY_UNKNOWN),
                                                    _within(where, within, Code.SHARING_UNKNOWN))
        return person or conversation

    # --- find the record ---------------------------------------------------------------------------
    async def _locate(self, request: Request) -> tuple[Module, str, RecordCard | None] | Outcome:
        """The module and record the request means (and its card, when a search already read it)."""
        if isinstance(request, PhotoRequest):
            module = await resolve(request.module, request.record_id, self.zoho, self.gate.module_allowed)
            return module if isinstance(module, Outcome) else (module, request.record_id, None)
        scope = await self._search_scope(request)
        if isinstance(scope, Outcome):
            return scope
        modules, value = scope
        about = messages.searched(value, [m.api_name for m in modules])
        if not modules:
            return explained(Code.MODULE_NOT_ALLOWED, request.module or "", "", about)
        hits = None
        for module in modules:
            try:
                hits = await self.zoho.search(module, request.kind, value, limit=CHOICES_SHOWN)
            except ZohoError as error:
                return zoho_outcome(error, module.api_name, "", self.zoho.modules.photo_modules(), about)
            if hits.total:
                break
        if hits is None or not hits.total or not hits.cards:
            return explained(Code.NO_MATCH, modules[0].api_name, "", about)
        if hits.total == 1:
            card = hits.cards[0]
            if matching.exact(request.kind, value, card):
                return next(m for m in modules if m.api_name == hits.module), card.record_id, card
            # Zoho's search is looser than what was typed (a `word` matches notes and titles too): the asker
            # sees the one record privately and confirms before the channel sees anything.
            return Outcome(hits.module, "", Code.CHOICES, choices=hits.cards, detail="1 match, not exact")
        more = hits.total - len(hits.cards)
        return Outcome(hits.module, "", Code.CHOICES, choices=hits.cards, more=more if not hits.more else max(more, 1),
                       detail=f"{hits.total}{'+' if hits.more else ''} matches")

    async def _search_scope(self, request: SearchRequest) -> tuple[list[Module], str] | Outcome:
        """Where to search and for what: the typed module, a module the first words name, or SEARCH_MODULES."""
        if request.module:
            module = await resolve(request.module, "", self.zoho, self.gate.module_allowed)
            return module if isinstance(module, Outcome) else ([module], request.value)
        words = request.words
        for n in range(min(3, len(words) - 1), 0, -1):
            module = await self.zoho.modules.known(" ".join(words[:n]))
            if module is None:
                continue
            if not module.has_photos or not self.gate.module_allowed(module.api_name):
                return await resolve(" ".join(words[:n]), "", self.zoho, self.gate.module_allowed)  # says why
            return [module], " ".join(words[n:])
        modules = []
        for name in self.search_modules:
            module = await self.zoho.modules.known(name)
            if module is not None and module.has_photos and self.gate.module_allowed(module.api_name):
                modules.append(module)
        return modules, request.value

    # --- a message's several identifiers (the shortcut) -------------------------------------------------------
    async def _find(self, ticket: Ticket) -> Located:
        """The record a ticket means. A shortcut's identifiers are looked up one by one, stopping once the list
        would be full or Zoho fails in a way the next lookup would share, and their answers combined (`_combined`)."""
        if ticket.via != "shortcut":
            return await self._locate(ticket.request)
        answers: list[Located] = []
        for request in (ticket.request, *ticket.also):
            answer = await self._locate(request)
            answers.append(answer)
            if isinstance(answer, Outcome) and answer.code not in ABOUT_ONE_IDENTIFIER:
                break  # Zoho refuses or fails: the next identifier would fare no better
            if len(_records(answers)) >= CHOICES_SHOWN:
                break
        return await self._combined(ticket, answers)

    async def _combined(self, ticket: Ticket, answers: list[Located]) -> Located:
        """One record, named exactly by some identifier and matched by nothing else: that record. Several records
        (or one only loosely matched): the private list, exactly named ones first. None: the first failure that
        was not "no match", else words saying what the shortcut looked for."""
        records = _records(answers)
        if len(records) == 1:
            [(key, (module, card))] = records.items()
            if module is not None:  # named exactly (a loose match has no resolved module)
                return module, key[1], card
        if records:
            shown = list(records.items())[:CHOICES_SHOWN]
            cards = [card or await self._card(module, key) for key, (module, card) in shown]
            more = sum(a.more for a in answers if isinstance(a, Outcome)) + max(0, len(records) - CHOICES_SHOWN)
            return Outcome(cards[0].module, "", Code.CHOICES, choices=tuple(cards), more=more,
                           detail=f"{len(records)} records for {len(answers)} identifiers")
        failed = next((a for a in answers if isinstance(a, Outcome) and a.code != Code.NO_MATCH), None)
        if failed is not None:
            return failed
        words = messages.shortcut_no_match(_named(ticket))
        return Outcome(ticket.request.module or "", "", Code.NO_MATCH, words)

    async def _card(self, module: Module | None, key: tuple[str, str]) -> RecordCard:
        """Who a linked record is, for the list; without its fields, a nameless entry (the click still works)."""
        if module is not None:
            try:
                return await self.zoho.record_card(module, key[1])
            except ZohoError as error:
                log.warning("record %s/%s: its fields could not be read for the list (%s)", *key, error.code)
        return RecordCard(key[0], key[1], "")

    async def _photo_and_card(
        self, module: Module, record_id: str, card: RecordCard | None
    ) -> tuple[Photo | Outcome, RecordCard | None]:
        """The photo and who the record is, fetched side by side so the caption costs no time."""
        if card is None:
            details = self.zoho.record_card(module, record_id)
        else:
            details = _with_link(card, self.zoho.record_link(module, record_id))
        photo, card_or_error = await asyncio.gather(fetch_photo(module, record_id, self.zoho), details,
                                                    return_exceptions=True)
        if isinstance(photo, BaseException):
            raise photo
        if isinstance(card_or_error, BaseException):
            if isinstance(card_or_error, asyncio.CancelledError):
                raise card_or_error
            log.warning("record %s/%s: its fields could not be read (%s); the caption says less",
                        module.api_name, record_id, getattr(card_or_error, "code", type(card_or_error).__name__))
            return photo, card
        return photo, card_or_error


# A shortcut's lookup that failed for a reason of its own (the next identifier may still find someone).
ABOUT_ONE_IDENTIFIER = frozenset({
    Code.CHOICES, Code.NO_MATCH, Code.MODULE_NOT_ALLOWED, Code.UNKNOWN_MODULE, Code.INVALID_MODULE,
    Code.MODULE_WITHOUT_PHOTOS, Code.SEARCH_TOO_SHORT, Code.SEARCH_TOO_LONG, Code.SEARCH_BAD_EMAIL,
    Code.SEARCH_BAD_PHONE, Code.INVALID_QUERY,
})


def _records(answers: list[Located]) -> dict[tuple[str, str], tuple[Module | None, RecordCard | None]]:
    """Every record the answers name, once, keyed by module and id: those named exactly first (with their module),
    then the loose matches in the order they came; each with the first card any answer had for it."""
    exact: dict[tuple[str, str], tuple[Module | None, RecordCard | None]] = {}
    loose: dict[tuple[str, str], RecordCard] = {}
    for answer in answers:
        if isinstance(answer, tuple):
            module, record_id, card = answer
            _, had = exact.get((module.api_name, record_id), (None, None))
            exact[(module.api_name, record_id)] = (module, had or card)
        elif answer.code == Code.CHOICES:
            for card in answer.choices:
                loose.setdefault((card.module, card.record_id), card)
    for key, (module, card) in exact.items():
        exact[key] = (module, card or loose.get(key))
    return exact | {key: (None, card) for key, card in loose.items() if key not in exact}


def _named(ticket: Ticket) -> list[str]:
    """A shortcut's identifiers, as replies name them."""
    return [identifiers.label(r) for r in (ticket.request, *ticket.also)]


def looked_for(ticket: Ticket, *, locale: str) -> str:
    """What was searched, as replies name it: a search's words, a shortcut's identifiers (`a, b or c`), or ""."""
    if ticket.via == "shortcut":
        return i18n.either(locale, _named(ticket))
    return ticket.request.label if isinstance(ticket.request, SearchRequest) else ""


async def _with_link(card: RecordCard, link: Any) -> RecordCard:
    """The card a search gave, plus the web link when it can be had (without it, the card as it is)."""
    try:
        return dataclasses.replace(card, link=await link)
    except ZohoError as error:
        log.warning("record %s/%s: no link to it (%s)", card.module, card.record_id, error.code)
        return card


def _naming(request: Request) -> tuple[str, str, messages.Searched | None]:
    """(module, record id, words for a search) for replies and the audit line."""
    if isinstance(request, SearchRequest):
        return request.module or "", "", messages.searched(request.value, [request.module] if request.module else [])
    return request.module, request.record_id, None


async def _within(check: Awaitable[Code | None], seconds: float, late: Code) -> Code | None:
    """A gate's answer, or `late` when it takes longer than `seconds`."""
    try:
        async with asyncio.timeout(seconds):
            return await check
    except TimeoutError:
        return late


def _left(ends: float) -> float:
    return max(0.0, ends - time.monotonic())


def _delivered(module: str, record_id: str, destination: Destination) -> Outcome | None:
    """The photo outcome if the destination already has the photo (a timeout or cancel came too late)."""
    delivery: Delivery | None = getattr(destination, "delivered", None)
    if delivery is None:
        return None
    return Outcome(module, record_id, Code.OK, delivery=delivery)


def _outcome_name(outcome: Outcome) -> str:
    if outcome.code == Code.CHOICES:
        return "choices"
    if outcome.delivery is None:
        return "refused" if outcome.code in REFUSALS else "explained"
    return "photo_dm" if outcome.delivery.direct_message else "photo"

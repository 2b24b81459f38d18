"""Where we talk to Zoho CRM: one pooled async HTTP client, the token, retries and the concurrency cap.

CRM calls: the module list (cached), a record's photo, record search, one record's card, the
org's domain name (once per process, for web links) and the active users (REQUIRE_CRM_USER, cached).
Each goes through `_get`, which adds the token, caps calls in flight at ZOHO_MAX_CONCURRENCY (Zoho's
per-org limit), refreshes the token once on INVALID_TOKEN, and retries what is worth retrying.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import re
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import replace
from typing import Any, Protocol

import httpx

from bot import deadline
from bot.config import ZohoSettings
from bot.ids import API_NAME
from bot.limits import ByteBudget
from bot.records import RecordCard, SearchHits, SearchKind
from bot.shared import SharedStore
from bot.shared.lease import FleetSlots
from bot.shared.modules import SharedModuleList
from bot.shared.token import SharedToken
from bot.singleflight import SingleFlight
from bot.zoho import errors
from bot.zoho import search as zsearch
from bot.zoho.batch import Batch, Batcher
from bot.zoho.modules import CACHE_TTL, Module, ModuleCatalog
from bot.zoho.org import OrgDomain, web_link
from bot.zoho.photo import MAX_PHOTO_BYTES, NoPhoto, Photo, build_photo, clean_record_id, photo_path
from bot.zoho.records import card_fields, card_from_record
from bot.zoho.token import TokenManager
from bot.zoho.users import CrmUsers

log = logging.getLogger(__name__)

WHOLE_SECONDS = re.compile(r"[0-9]+", re.ASCII)
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=10.0, write=10.0, pool=30.0)
# Record ids in one Get Records call: v8's page gives no number; 100 is the most Zoho's older API documented for
# a list of ids (getRecordById's `idlist`), and a list of 100 ids stays far below URL length limits.
MAX_IDS = 100
Target = Callable[[], tuple[str, dict[str, str] | None]]  # (path, query params), asked for when the call is sent
CardGroup = tuple[Module, str | None]  # a module, and whose credits pay (a meter's account)


class NothingToAsk(Exception):
    """A `Target` with nothing left to ask for: the call is not sent."""


class CallMeter(Protocol):
    """Decides, just before each Zoho call is sent, whether it may be (credits are the company's).

    A meter may name an `account` (whose credits it spends): calls are only ever shared between commands
    of one account.
    """

    async def reserve(self) -> bool: ...

    async def release(self) -> None: ...


_meter: ContextVar[CallMeter | None] = ContextVar("zoho_meter", default=None)


@contextmanager
def metered(meter: CallMeter) -> Iterator[CallMeter]:
    """Every Zoho API call made inside the block (retries included) is reserved with `meter` first."""
    token = _meter.set(meter)
    try:
        yield meter
    finally:
        _meter.reset(token)


class RetryPolicy:
    """Exponential backoff with jitter: at most `tries` tries and about `budget` seconds in all."""

    def __init__(self, tries: int = 3, base: float = 0.5, cap: float = 8.0, budget: float = 15.0) -> None:
        self.tries = tries
        self.base = base
        self.cap = cap
        self.budget = budget

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        return random.uniform(0.5, 1.0) * min(self.cap, self.base * 2**attempt)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if WHOLE_SECONDS.fullmatch(value.strip()):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_from_response(response: httpx.Response, body: bytes) -> errors.ZohoError:
    """Zoho's error JSON (`API_Exception`) as a ZohoError; anything else as INVALID_RESPONSE."""
    status = response.status_code
    retry_after = _retry_after(response)
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("data"), list) and data["data"]:
        data = data["data"][0] if isinstance(data["data"][0], dict) else data
    if isinstance(data, dict) and isinstance(data.get("code"), str):
        details = data.get("details") if isinstance(data.get("details"), dict) else {}
        return errors.ZohoError(
            data["code"], str(data.get("message", "")), status=status, details=details, retry_after=retry_after
        )
    if status == 429:
        return errors.ZohoError("TOO_MANY_REQUESTS", "too many requests", status=status, retry_after=retry_after)
    if status >= 500:
        return errors.ZohoError("INTERNAL_ERROR", f"Zoho answered HTTP {status}", status=status)
    return errors.ZohoError(
        errors.INVALID_RESPONSE, f"unexpected answer (HTTP {status}, not Zoho's error JSON)", status=status
    )


class ZohoClient:
    """Fetches record photos from Zoho CRM under the service token."""

    def __init__(
        self,
        settings: ZohoSettings,
        *,
        http: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        photo_bytes: ByteBudget | None = None,
    ) -> None:
        self.settings = settings
        self._photo_bytes = photo_bytes
        self._http = http or httpx.AsyncClient(
            timeout=DEFAULT_TIMEOUT,
            limits=httpx.Limits(
                max_connections=settings.max_concurrency + 2, max_keepalive_connections=settings.max_concurrency
            ),
            follow_redirects=False,
        )
        self._retry = retry or RetryPolicy()
        self._clock = clock
        self._slots = asyncio.Semaphore(settings.max_concurrency)
        self.tokens = TokenManager(settings, self._http, clock=clock)
        self.modules = ModuleCatalog(self._fetch_modules, clock=clock)
        self._inflight: SingleFlight[tuple[str, str], Photo | NoPhoto] = SingleFlight()
        self.org = OrgDomain(self._fetch_org, clock=clock)
        self.users = CrmUsers(self.users_page, clock=clock)
        self._fleet: FleetSlots | None = None
        self._store: SharedStore | None = None
        self._cards: Batcher[CardGroup, dict[str, Any]] = Batcher(self._fetch_cards)
        self._unbatchable: set[str] = set()  # modules whose list call Zoho refused: read one record at a time

    def share(self, store: SharedStore) -> None:
        """Share the token, the module list and the concurrency cap with every process using `store`.

        ZOHO_MAX_CONCURRENCY is Zoho's per-org limit, so with Redis it caps the whole fleet's calls in flight.
        Photos themselves (and the in-process SingleFlight) stay local.
        """
        self.tokens.shared = SharedToken(store)
        self.modules.shared = SharedModuleList(store, CACHE_TTL)
        self._fleet = FleetSlots(store, self.settings.max_concurrency)
        self._store = store

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        """One of ZOHO_MAX_CONCURRENCY slots: this process's, and the fleet's when shared."""
        async with self._slots:
            if self._fleet is None:
                yield
                return
            async with self._fleet.slot():
                yield

    async def aclose(self) -> None:
        """Close the HTTP pool and, when shared, the Redis connections (the subscription included)."""
        await self._http.aclose()
        if self._fleet is not None:
            await self._fleet.aclose()
        if self._store is not None:
            await self._store.aclose()

    async def __aenter__(self) -> ZohoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def resolve_module(self, typed: str) -> Module:
        """The module `typed` names, if it has photos; raises ModuleProblem otherwise."""
        return await self.modules.resolve(typed)

    async def fetch_photo(self, module: Module | str, record_id_typed: str) -> Photo | NoPhoto:
        """The photo of a record, or NoPhoto; raises ZohoError (ModuleProblem before any photo call).

        Identical requests arriving together share one Zoho call: credits are the company's.
        """
        record_id = clean_record_id(record_id_typed)
        if isinstance(module, str):
            module = await self.modules.resolve(module)
        api_name = module.api_name
        return await self._inflight.run((api_name, record_id), lambda: self._fetch_photo(api_name, record_id))

    async def _fetch_photo(self, api_name: str, record_id: str) -> Photo | NoPhoto:
        path = photo_path(self.settings.api_version, api_name, record_id)
        module = Module(api_name)
        lease = await self._room_for_a_photo()
        photo: Photo | None = None
        try:
            async with self._get(path) as response:
                if response.status_code != 204:
                    lease = self._fit_lease(lease, response)
                    content = await self._read_limited(response)
                    photo = build_photo(
                        module.api_name,
                        record_id,
                        content,
                        response.headers.get("Content-Type"),
                        response.headers.get("Content-Disposition"),
                    )
        except BaseException:
            self._return_lease(lease)
            raise
        if photo is None:
            self._return_lease(lease)
            return NoPhoto(module.api_name, record_id)
        if self._photo_bytes is not None:
            # Hold the lease for exactly as long as the bytes live: freed photo, freed room.
            held = min(lease, len(photo.content))
            self._photo_bytes.release(lease - held)
            weakref.finalize(photo, self._photo_bytes.release, held)
        return photo

    async def search(self, module: Module, kind: SearchKind, value: str, *, limit: int = 5) -> SearchHits:
        """Records of `module` matching an email, a phone number or a word: the first `limit` as cards.

        The value is checked first (a ZohoError with our own SEARCH_* code, no call) and travels only
        as a URL-encoded query parameter. A token without the search scope gives SEARCH_NOT_ENABLED.
        """
        if kind not in zsearch.MAX_LENGTH:
            raise ValueError(f"unknown search kind {kind!r}")
        cleaned = zsearch.clean_value(kind, value)
        path = f"/crm/{self.settings.api_version}/{_api_name(module)}/search"
        params = {kind: cleaned, "per_page": str(zsearch.PER_PAGE)}
        try:
            async with self._get(path, params) as response:
                if response.status_code == 204:
                    return zsearch.no_hits(module)
                body = await self._read_limited(response)
        except errors.ZohoError as exc:
            if exc.code == "OAUTH_SCOPE_MISMATCH":
                raise zsearch.not_enabled(module, exc) from None
            raise
        hits = zsearch.hits_from_body(module, body, max(0, limit))
        if not hits.cards:
            return hits
        domain = await self.org.get()
        if domain is None:
            return hits
        cards = tuple(replace(c, link=web_link(self.settings.dc, domain, module, c.record_id)) for c in hits.cards)
        return replace(hits, cards=cards)

    async def record_card(self, module: Module, record_id: str) -> RecordCard:
        """One record's name, identifying field and web link.

        Cards asked for while a Zoho slot is awaited share one call (bot.zoho.batch): a lone one is
        `GET /crm/{v}/{module}/{id}`, several are `GET /crm/{v}/{module}?ids=…&fields=…` ("Get Records":
        the list form needs `fields`, so only modules whose caption fields are known are batched).
        """
        rid = clean_record_id(record_id)
        _api_name(module)
        fields = card_fields(module)
        limit = MAX_IDS if fields is not None and module.api_name not in self._unbatchable else 1
        meter = _meter.get()
        item = await self._cards.get((module, getattr(meter, "account", None)), rid, limit)
        if item is None:
            raise errors.ZohoError(errors.RECORD_NOT_FOUND, "Zoho has no such record", status=204, details={"id": rid})
        card = card_from_record(module, item, record_id=rid, link=await self.record_link(module, rid))
        if card is None:
            raise errors.ZohoError(errors.INVALID_RESPONSE, "record answer has no 'data'", status=200)
        return card

    async def _fetch_cards(self, group: CardGroup, batch: Batch[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The records a batch names, by id (ids Zoho does not return are left out)."""
        module, _ = group
        base = f"/crm/{self.settings.api_version}/{module.api_name}"
        asked: tuple[str, ...] = ()

        def target() -> tuple[str, dict[str, str] | None]:
            nonlocal asked
            asked = batch.close()
            if not asked:
                raise NothingToAsk  # every asker gave up while the call waited for a slot: no credit spent
            if len(asked) == 1:
                return f"{base}/{asked[0]}", None
            return base, {"ids": ",".join(asked), "fields": ",".join(card_fields(module) or ())}

        try:
            async with self._get(target) as response:
                if response.status_code == 204:
                    return {}
                body = await self._read_limited(response)
        except NothingToAsk:
            return {}
        except errors.ZohoError as exc:
            if len(asked) > 1 and exc.status == 400 and module.api_name not in self._unbatchable:
                self._unbatchable.add(module.api_name)
                log.warning("zoho: %s refused a list of %d records (%s); its records are read one at a time from now",
                            module.api_name, len(asked), exc.code)
            raise
        answer = errors.json_answer(body, "record answer")
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, list):
            raise errors.ZohoError(errors.INVALID_RESPONSE, "record answer has no 'data'", status=200)
        items = [item for item in data if isinstance(item, dict)]
        if len(asked) == 1:
            return {asked[0]: items[0]} if items else {}
        return {str(item.get("id")): item for item in items if str(item.get("id")) in asked}

    async def record_link(self, module: Module, record_id: str) -> str | None:
        """The record in Zoho CRM's web UI, or None when the org's domain name is not known."""
        rid = clean_record_id(record_id)
        domain = await self.org.get()
        return None if domain is None else web_link(self.settings.dc, domain, module, rid)

    async def _fetch_org(self) -> bytes:
        async with self._get(f"/crm/{self.settings.api_version}/org") as response:
            return await self._read_limited(response)

    async def users_page(self, page: int, per_page: int) -> bytes:
        """One page of the active CRM users (`GET /crm/{v}/users?type=ActiveUsers`), for bot.zoho.users."""
        params = {"type": "ActiveUsers", "page": str(page), "per_page": str(per_page)}
        async with self._get(f"/crm/{self.settings.api_version}/users", params) as response:
            if response.status_code == 204:
                return b'{"users": [], "info": {"more_records": false}}'
            return await self._read_limited(response)

    async def _room_for_a_photo(self) -> int:
        """Wait for room to hold the largest photo, before any Zoho slot is taken.

        The size is only known from the answer, but a call waiting for memory must not hold a slot (with Redis,
        the fleet's) that a search or a card could use meanwhile: reserve the most a photo may be, then cut it
        down to the photo's Content-Length (`_fit_lease`) as soon as the answer starts.
        """
        if self._photo_bytes is None:
            return 0
        size = min(MAX_PHOTO_BYTES, self._photo_bytes.limit)
        await self._photo_bytes.acquire(size)
        return size

    def _fit_lease(self, lease: int, response: httpx.Response) -> int:
        """Give back what the photo's Content-Length shows it will not need; no length keeps it all."""
        length = response.headers.get("Content-Length", "")
        if not (length.isascii() and length.isdigit()) or int(length) >= lease:
            return lease
        self._return_lease(lease - int(length))
        return int(length)

    def _return_lease(self, lease: int) -> None:
        if self._photo_bytes is not None:
            self._photo_bytes.release(lease)

    async def _fetch_modules(self) -> list[dict[str, Any]]:
        async with self._get(f"/crm/{self.settings.api_version}/settings/modules") as response:
            body = await self._read_limited(response)
        data = errors.json_answer(body, "module list")
        modules = data.get("modules") if isinstance(data, dict) else None
        if not isinstance(modules, list):
            raise errors.ZohoError(errors.INVALID_RESPONSE, "module list has no 'modules'", status=200)
        return [m for m in modules if isinstance(m, dict)]

    @staticmethod
    async def _read_limited(response: httpx.Response) -> bytes:
        length = response.headers.get("Content-Length", "")
        if WHOLE_SECONDS.fullmatch(length) and int(length) > MAX_PHOTO_BYTES:
            raise errors.ZohoError(errors.PHOTO_TOO_LARGE, f"{int(length)} bytes", status=response.status_code)
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_PHOTO_BYTES:
                    raise errors.ZohoError(
                        errors.PHOTO_TOO_LARGE, f"more than {MAX_PHOTO_BYTES} bytes", status=response.status_code
                    )
                chunks.append(chunk)
        except httpx.TimeoutException:
            raise errors.ZohoError(errors.TIMEOUT, "Zoho stopped sending the photo") from None
        except httpx.TransportError as exc:
            raise errors.ZohoError(errors.CONNECTION_ERROR, type(exc).__name__) from None
        return b"".join(chunks)

    @asynccontextmanager
    async def _get(self, path: str | Target, params: dict[str, str] | None = None) -> AsyncIterator[httpx.Response]:
        """A successful (2xx) streamed response for `path`, after token refresh and retries.

        `params` travel only in the query string, percent-encoded by httpx (0.28 and later encode a
        typed `%` too: encode/httpx#3187). A `Target` gives the path and params at the moment the call is
        sent, once a slot is held (a batch stays open until then).
        """
        started = self._clock()
        attempt = 0
        refreshed = False
        while True:
            token = await self.tokens.get()
            failure: errors.ZohoError
            async with self._slot():
                where, query = path() if callable(path) else (path, params)
                meter = _meter.get()
                if meter is not None and not await meter.reserve():
                    raise errors.ZohoError(errors.BUDGET_EXHAUSTED, "the daily budget of Zoho calls is used up")
                try:
                    request = self._http.build_request(
                        "GET", f"{token.api_domain}{where}", params=query,
                        headers={"Authorization": f"Zoho-oauthtoken {token.value}"},
                    )
                    response = await self._http.send(request, stream=True)
                except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                    if meter is not None:
                        await meter.release()  # the call never reached Zoho: no credit spent
                    code = errors.CONNECTION_ERROR if isinstance(exc, httpx.ConnectError) else errors.TIMEOUT
                    failure = errors.ZohoError(code, f"could not reach Zoho ({type(exc).__name__})")
                except httpx.TimeoutException:
                    failure = errors.ZohoError(errors.TIMEOUT, "Zoho did not answer in time")
                except httpx.TransportError as exc:
                    failure = errors.ZohoError(errors.CONNECTION_ERROR, f"could not reach Zoho ({type(exc).__name__})")
                else:
                    try:
                        if 200 <= response.status_code < 300:
                            yield response
                            return
                        body = await self._read_limited(response)
                        failure = error_from_response(response, body)
                    finally:
                        await response.aclose()
            if failure.expired_token and not refreshed:
                refreshed = True
                self.tokens.invalidate(token)
                log.info("zoho: %s; refreshing the access token once", failure.code)
                continue
            attempt += 1
            if not failure.retryable or attempt >= self._retry.tries:
                raise failure
            delay = self._retry.delay(attempt - 1, failure.retry_after)
            if self._clock() - started + delay > self._retry.budget or not deadline.fits(delay):
                raise failure
            log.info("zoho: %s; retry %d in %.1fs", failure.code, attempt, delay)
            await asyncio.sleep(delay)


def _api_name(module: Module) -> str:
    """The module's api name, checked: only letters, digits and underscores ever reach a path."""
    if not API_NAME.fullmatch(module.api_name):
        raise errors.ZohoError(errors.UNKNOWN_MODULE, "not a module api name")
    return module.api_name

"""The one use case: deliver a record's photo, or an explanation of why not.

Data flows one way: request -> Zoho result -> delivery -> outcome. The destination (Slack, or a file
for the admin command line) is passed in, so this module knows neither Slack nor the terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot import i18n, messages
from bot.codes import Code
from bot.messages import Label
from bot.records import RecordCard
from bot.request import PhotoRequest
from bot.zoho import Module, ModuleProblem, NoPhoto, Photo, ZohoClient, ZohoError


@dataclass(frozen=True)
class Delivery:
    """Where the photo went."""

    channel_id: str
    direct_message: bool = False
    joined: bool = False


class DeliveryError(Exception):
    """The destination would not take the photo; `code` picks the words, `raw` is what the service said."""

    def __init__(self, code: str, detail: str = "") -> None:
        self.raw = str(code)
        self.code = Code.of(code, Code.SLACK_ERROR)
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else str(code))


class Destination(Protocol):
    """Where a photo goes. `delivered` is set the moment the photo has really arrived, so a timeout or a
    shutdown that comes a moment later cannot turn a shared photo into an apology."""

    delivered: Delivery | None

    async def from_cache(self, module: str, record_id: str) -> Delivery | NoPhoto | None:
        """Deliver without a new fetch when this destination already holds the record's photo; NoPhoto when it
        remembers that Zoho had none (either way Zoho is not asked again); None to fetch as usual."""
        ...

    async def no_photo(self, module: str, record_id: str) -> None:
        """Zoho says the record has no photo: a destination that remembers records (an unfurl) keeps that too."""
        ...

    async def send(self, photo: Photo, label: Label) -> Delivery: ...


@dataclass(frozen=True)
class Outcome:
    """Exactly one per request: the photo was delivered, a list to choose from, or here is why not."""

    module: str  # the resolved api name when known, else what was typed
    record_id: str
    code: Code
    explanation: messages.Explanation | None = None
    delivery: Delivery | None = None
    zoho_code: str | None = None
    size: int = 0
    detail: str = ""  # for the log: Zoho's message, Slack's error detail
    choices: tuple[RecordCard, ...] = ()
    more: int = 0  # matches beyond `choices`

    @property
    def delivered(self) -> bool:
        return self.delivery is not None


def _allow_all(api_name: str) -> bool:
    return True


def zoho_outcome(error: ZohoError, module: str, record_id: str, photo_modules: list[str],
                 about: messages.Subject | None = None) -> Outcome:
    """A Zoho failure as an explained outcome (a code we don't know keeps Zoho's own for the reference)."""
    if isinstance(error, ModuleProblem):
        words = messages.explain(Code.of(error.code), module, record_id, typed=error.typed,
                                 photo_modules=error.photo_modules, suggestion=error.suggestion)
        return Outcome(module, record_id, Code.of(error.code), words)
    code = Code.of(error.code)
    words = messages.explain(code, module, record_id, photo_modules=photo_modules, shown=error.code, about=about)
    status = f"HTTP {error.status} " if error.status is not None else ""
    detail = f"{status}{error.message} {error.details or ''}".strip()
    return Outcome(module, record_id, code, words, zoho_code=error.code, detail=detail)


def explained(code: Code, module: str, record_id: str, about: messages.Subject | None = None) -> Outcome:
    return Outcome(module, record_id, code, messages.explain(code, module, record_id, about=about))


async def resolve(typed: str, record_id: str, zoho: ZohoClient,
                  allow_module: Callable[[str], bool] = _allow_all) -> Module | Outcome:
    """The module `typed` names, if it has photos and the admin allows it; else the outcome that says why not."""
    try:
        module = await zoho.resolve_module(typed)
    except ZohoError as error:
        return zoho_outcome(error, typed, record_id, zoho.modules.photo_modules())
    if not allow_module(module.api_name):
        return explained(Code.MODULE_NOT_ALLOWED, module.api_name, record_id)
    return module


async def fetch_photo(module: Module, record_id: str, zoho: ZohoClient) -> Photo | Outcome:
    """The record's photo, or the outcome that explains why there is none."""
    try:
        result = await zoho.fetch_photo(module, record_id)
    except ZohoError as error:
        return zoho_outcome(error, module.api_name, record_id, zoho.modules.photo_modules())
    if isinstance(result, NoPhoto):
        return explained(Code.NO_PHOTO, result.module, result.record_id)
    return result


async def fetch(
    request: PhotoRequest, zoho: ZohoClient, allow_module: Callable[[str], bool] = _allow_all
) -> Photo | Outcome:
    """Resolve the module, then fetch the photo; every failure becomes an explained outcome."""
    module = await resolve(request.module, request.record_id, zoho, allow_module)
    if isinstance(module, Outcome):
        return module
    return await fetch_photo(module, request.record_id, zoho)


async def hand_over(photo: Photo, destination: Destination, label: Label | None = None) -> Outcome:
    """Give the photo to `destination`; a refusal becomes an explained outcome."""
    label = label or messages.photo_label(None, photo.module, photo.record_id, locale=i18n.ADMIN)  # the CLI's file
    try:
        delivery = await destination.send(photo, label)
    except DeliveryError as error:
        words = messages.explain(error.code, photo.module, photo.record_id)
        return Outcome(photo.module, photo.record_id, error.code, words, size=len(photo.content),
                       detail=error.detail or error.raw)
    return Outcome(photo.module, photo.record_id, Code.OK, delivery=delivery, size=len(photo.content))


async def deliver_photo(
    request: PhotoRequest,
    zoho: ZohoClient,
    destination: Destination,
    allow_module: Callable[[str], bool] = _allow_all,
) -> Outcome:
    """Fetch the photo and hand it to `destination` (the admin command line's whole job)."""
    fetched = await fetch(request, zoho, allow_module)
    if isinstance(fetched, Outcome):
        return fetched
    return await hand_over(fetched, destination)

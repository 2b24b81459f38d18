"""The one use case: deliver a record's photo, or an explanation of why not.

Data flows one way: request -> Zoho result -> delivery -> outcome. The destination (Slack, or a file
for the admin command line) is passed in, so this module knows neither Slack nor the terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot import messages
from bot.request import PhotoRequest
from bot.zoho import ModuleProblem, NoPhoto, Photo, ZohoClient, ZohoError


@dataclass(frozen=True)
class Delivery:
    """Where the photo went."""

    channel_id: str
    direct_message: bool = False
    joined: bool = False


class DeliveryError(Exception):
    """The destination would not take the photo; `code` picks the words."""

    def __init__(self, code: str, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)


class Destination(Protocol):
    """Where a photo goes. `delivered` is set the moment the photo has really arrived, so a timeout or a
    shutdown that comes a moment later cannot turn a shared photo into an apology."""

    delivered: Delivery | None

    async def send(self, photo: Photo) -> Delivery: ...


@dataclass(frozen=True)
class Outcome:
    """Exactly one per command: the photo was delivered, or here is why not."""

    module: str  # the resolved api name when known, else what was typed
    record_id: str
    code: str  # "OK", or the code the explanation is for
    explanation: messages.Explanation | None = None
    delivery: Delivery | None = None
    zoho_code: str | None = None
    size: int = 0
    detail: str = ""  # for the log: Zoho's message, Slack's error detail

    @property
    def delivered(self) -> bool:
        return self.delivery is not None


def _allow_all(api_name: str) -> bool:
    return True


async def fetch(
    request: PhotoRequest, zoho: ZohoClient, allow_module: Callable[[str], bool] = _allow_all
) -> Photo | Outcome:
    """The photo, or the outcome that explains why there is none."""
    try:
        module = await zoho.resolve_module(request.module)
        if not allow_module(module.api_name):
            words = messages.explain("MODULE_NOT_ALLOWED", module.api_name, request.record_id)
            return Outcome(module.api_name, request.record_id, "MODULE_NOT_ALLOWED", words)
        result = await zoho.fetch_photo(module, request.record_id)
    except ModuleProblem as problem:
        words = messages.explain(
            problem.code,
            request.module,
            request.record_id,
            typed=request.module,
            photo_modules=problem.photo_modules,
            suggestion=problem.suggestion,
        )
        return Outcome(request.module, request.record_id, problem.code, words, zoho_code=None)
    except ZohoError as error:
        words = messages.explain(
            error.code, request.module, request.record_id, photo_modules=zoho.modules.photo_modules()
        )
        detail = f"HTTP {error.status} {error.message} {error.details or ''}".strip()
        return Outcome(request.module, request.record_id, error.code, words, zoho_code=error.code, detail=detail)
    if isinstance(result, NoPhoto):
        words = messages.explain("NO_PHOTO", result.module, result.record_id)
        return Outcome(result.module, result.record_id, "NO_PHOTO", words)
    return result


async def hand_over(photo: Photo, destination: Destination) -> Outcome:
    """Give the photo to `destination`; a refusal becomes an explained outcome."""
    try:
        delivery = await destination.send(photo)
    except DeliveryError as error:
        words = messages.explain(error.code, photo.module, photo.record_id)
        return Outcome(photo.module, photo.record_id, error.code, words, size=len(photo.content), detail=error.detail)
    return Outcome(photo.module, photo.record_id, "OK", delivery=delivery, size=len(photo.content))


async def deliver_photo(
    request: PhotoRequest,
    zoho: ZohoClient,
    destination: Destination,
    allow_module: Callable[[str], bool] = _allow_all,
) -> Outcome:
    """Fetch the photo and hand it to `destination`; every failure becomes an explained outcome."""
    fetched = await fetch(request, zoho, allow_module)
    if isinstance(fetched, Outcome):
        return fetched
    return await hand_over(fetched, destination)

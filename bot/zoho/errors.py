"""Every way a Zoho call can fail, as one typed error.

Zoho's own codes (INVALID_MODULE, NO_PERMISSION, …) are kept as they are; failures that never got a
Zoho answer get codes of our own (TIMEOUT, CONNECTION_ERROR, …) so the words catalogue can explain
each one. Nothing here ever holds a token or the client secret.
"""

from __future__ import annotations

import json
from typing import Any

from bot.codes import Code

# Codes that do not come from Zoho's CRM API but describe what happened on the way to it.
TIMEOUT = Code.TIMEOUT
CONNECTION_ERROR = Code.CONNECTION_ERROR
INVALID_RESPONSE = Code.INVALID_RESPONSE
PHOTO_TOO_LARGE = Code.PHOTO_TOO_LARGE
TOKEN_THROTTLED = Code.TOKEN_THROTTLED
INVALID_CLIENT = Code.INVALID_CLIENT
INVALID_REFRESH_TOKEN = Code.INVALID_REFRESH_TOKEN
TOKEN_ERROR = Code.TOKEN_ERROR
UNKNOWN_MODULE = Code.UNKNOWN_MODULE
MODULE_WITHOUT_PHOTOS = Code.MODULE_WITHOUT_PHOTOS
INVALID_RECORD_ID = Code.INVALID_RECORD_ID
BUDGET_EXHAUSTED = Code.BUDGET_EXHAUSTED  # our own daily budget refused the call before it was sent
# Search and record cards: what was typed is refused before any call, or Zoho's answer is explained.
SEARCH_TOO_SHORT = Code.SEARCH_TOO_SHORT  # fewer than 2 characters (2 digits for a phone) after trimming
SEARCH_TOO_LONG = Code.SEARCH_TOO_LONG
SEARCH_BAD_EMAIL = Code.SEARCH_BAD_EMAIL  # not shaped like an email address
SEARCH_BAD_PHONE = Code.SEARCH_BAD_PHONE  # characters other than digits and + ( ) - . space
SEARCH_NOT_ENABLED = Code.SEARCH_NOT_ENABLED  # the token lacks a search scope; details["scope"] names it
RECORD_NOT_FOUND = Code.RECORD_NOT_FOUND  # Zoho answered 204 for a single record


class ZohoError(Exception):
    """A Zoho call that did not give a photo: Zoho's code, HTTP status, Zoho's message and details."""

    def __init__(
        self,
        code: str,
        message: str = "",
        *,
        status: int | None = None,
        details: dict[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.code = code
        self.status = status
        self.message = message
        self.details = details or {}
        self.retry_after = retry_after
        super().__init__(f"{code} (HTTP {status}): {message}" if status else f"{code}: {message}")

    @property
    def retryable(self) -> bool:
        """Worth another try: Zoho was busy or broken, or the network failed."""
        return (
            self.code in (TIMEOUT, CONNECTION_ERROR, "INTERNAL_ERROR", "TOO_MANY_REQUESTS")
            or (self.status is not None and (self.status >= 500 or self.status == 429))
        )

    @property
    def expired_token(self) -> bool:
        return self.code in ("INVALID_TOKEN", "AUTHENTICATION_FAILURE")


class TokenError(ZohoError):
    """The accounts server would not give an access token (throttled, wrong client, revoked token)."""


class ModuleProblem(ZohoError):
    """What was typed is not a module with photos; answered without calling the photo endpoint."""

    def __init__(
        self, code: str, typed: str, *, photo_modules: list[str], suggestion: str | None = None
    ) -> None:
        self.typed = typed
        self.photo_modules = photo_modules
        self.suggestion = suggestion
        super().__init__(code, f"{typed!r} is not a module with photos")


def json_answer(body: bytes, what: str) -> Any:
    """A 200's JSON body, or INVALID_RESPONSE naming what it should have been."""
    try:
        return json.loads(body)
    except ValueError:
        raise ZohoError(INVALID_RESPONSE, f"{what} is not JSON", status=200) from None

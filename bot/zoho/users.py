"""Who has a Zoho CRM seat: the active users' email addresses, for the REQUIRE_CRM_USER policy.

Zoho CRM API "Get Users" (https://www.zoho.com/crm/developer/docs/api/v8/get-users.html; scope
`ZohoCRM.users.READ`): `GET /crm/{v}/users?type=ActiveUsers&page=N&per_page=200` answers
`{"users": [{"email", "status", ...}], "info": {"page", "per_page", "count", "more_records"}}`.
Every page is read (an org can have more users than one page holds). The set is kept ten minutes and
loaded by one caller however many commands ask at once: each load costs the company's API credits.
Addresses are compared casefolded and never logged.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from bot.singleflight import SingleFlight
from bot.zoho import errors

CACHE_TTL = 600.0
PER_PAGE = 200  # the most Zoho gives per page
MAX_PAGES = 100  # 20,000 users: beyond it something is wrong with the answers, not the org


def page_of_users(body: bytes) -> tuple[frozenset[str], bool]:
    """(casefolded emails of the active users on this page, whether more pages follow)."""
    answer = errors.json_answer(body, "users answer")
    users = answer.get("users") if isinstance(answer, dict) else None
    if not isinstance(users, list):
        raise errors.ZohoError(errors.INVALID_RESPONSE, "users answer has no 'users'", status=200)
    emails = frozenset(
        u["email"].strip().casefold() for u in users
        if isinstance(u, dict) and isinstance(u.get("email"), str) and u.get("status", "active") == "active"
    )
    info = answer.get("info") if isinstance(answer.get("info"), dict) else {}
    return emails, info.get("more_records") is True


class CrmUsers:
    """Answers "is this email an active CRM user's?" from a cached set of every active user's email."""

    def __init__(self, fetch_page: Callable[[int, int], Awaitable[bytes]],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch_page = fetch_page
        self._clock = clock
        self._emails: frozenset[str] = frozenset()
        self._loaded_at: float | None = None
        self._flight: SingleFlight[str, frozenset[str]] = SingleFlight()

    async def has(self, email: str) -> bool:
        """Raises ZohoError when the list cannot be had (the caller refuses rather than guesses)."""
        return email.strip().casefold() in await self.emails()

    async def emails(self) -> frozenset[str]:
        if self._loaded_at is not None and self._clock() - self._loaded_at < CACHE_TTL:
            return self._emails
        return await self._flight.run("users", self._load)

    async def _load(self) -> frozenset[str]:
        found: set[str] = set()
        for page in range(1, MAX_PAGES + 1):
            emails, more = page_of_users(await self._fetch_page(page, PER_PAGE))
            found |= emails
            if not more:
                break
        self._emails = frozenset(found)
        self._loaded_at = self._clock()
        return self._emails

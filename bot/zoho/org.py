"""Links to records in Zoho CRM's web UI, and the one org fact they need.

A record's web link is `https://<CRM web host>/crm/<org domain_name>/tab/<module_name>/<record id>`:
the web host comes from the data-centre table, the tab is the internal module name (`Potentials` for
Deals, `CustomModule1` …), and the org's `domain_name` from `GET /crm/{v}/org` (Zoho CRM API
"Organization API", https://www.zoho.com/crm/developer/docs/api/v8/get-org-data.html; scope
`ZohoCRM.org.READ`). The org is asked once per process, by one caller however many ask at once; if it
cannot be had, links are left out (never an error) and it is asked again at most every 10 minutes.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable

from bot.datacentres import BY_KEY, DEFAULT
from bot.singleflight import SingleFlight
from bot.zoho import errors
from bot.zoho.modules import Module

log = logging.getLogger(__name__)

RETRY_AFTER_FAILURE = 600.0
DOMAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}")


def domain_from_body(body: bytes) -> str | None:
    """`org[0].domain_name` of Zoho's answer; None when the org has none (or an unusable one)."""
    answer = errors.json_answer(body, "org answer")
    orgs = answer.get("org") if isinstance(answer, dict) else None
    if not isinstance(orgs, list) or not orgs or not isinstance(orgs[0], dict):
        raise errors.ZohoError(errors.INVALID_RESPONSE, "org answer has no 'org'", status=200)
    domain = orgs[0].get("domain_name")
    return domain if isinstance(domain, str) and DOMAIN_NAME.fullmatch(domain) else None


def web_link(dc: str, domain_name: str, module: Module, record_id: str) -> str:
    """The record in the web UI of the data centre `dc` (ZOHO_DC)."""
    host = BY_KEY.get(dc, DEFAULT).crm_web_host
    return f"https://{host}/crm/{domain_name}/tab/{module.tab_name}/{record_id}"


class OrgDomain:
    """The org's domain name, fetched once per process; a failed fetch means no links for a while."""

    def __init__(self, fetch: Callable[[], Awaitable[bytes]], clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._clock = clock
        self._known = False
        self._domain: str | None = None
        self._failed_at: float | None = None
        self._warned = False
        self._flight: SingleFlight[str, str | None] = SingleFlight()

    async def get(self) -> str | None:
        """The domain name, or None (no domain name, or not known right now); never raises ZohoError."""
        if self._known:
            return self._domain
        if self._failed_at is not None and self._clock() - self._failed_at < RETRY_AFTER_FAILURE:
            return None
        return await self._flight.run("org", self._load)

    async def load(self) -> str | None:
        """Ask Zoho now, raising any ZohoError instead of leaving links out (for `python -m bot doctor`)."""
        domain = domain_from_body(await self._fetch())
        self._known, self._domain, self._failed_at = True, domain, None
        return domain

    async def _load(self) -> str | None:
        try:
            domain = domain_from_body(await self._fetch())
        except errors.ZohoError as exc:
            if exc.code == errors.BUDGET_EXHAUSTED:
                return None  # one workspace's budget says nothing about the org
            self._failed_at = self._clock()
            if not self._warned:
                self._warned = True
                log.warning("zoho org: could not read the org's domain name (%s); record links are left out "
                            "and it is asked again in %d minutes", exc.code, RETRY_AFTER_FAILURE // 60)
            else:
                log.info("zoho org: still no domain name (%s)", exc.code)
            return None
        self._known = True
        self._domain = domain
        if domain is None:
            log.info("zoho org: the org has no domain name; record links are left out")
        return domain

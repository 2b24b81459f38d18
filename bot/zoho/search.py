"""Zoho CRM record search: what may be searched for, and what Zoho's answer means.

`GET /crm/{v}/{module}/search?email=…|phone=…|word=…` (Zoho CRM API v8 "Search Records",
https://www.zoho.com/crm/developer/docs/api/v8/search-records.html; OAS `module_search.json`): needs
`ZohoCRM.modules.{module}.READ` and `ZohoSearch.securesearch.READ`; answers `{"data": […], "info": {…,
"more_records"}}`, or 204 when nothing matches. Values too short for Zoho (2 characters at least:
Zoho's search error "minimum field value length is not 2", Zoho community thread
https://help.zoho.com/portal/en/community/topic/search-records-error-api-call-cannot-be-completed-as-the-minimum-field-value-length-is-not-2-in-criteria-value)
or of the wrong shape are refused here, before a credit is spent.
"""

from __future__ import annotations

import re

from bot.records import RecordCard, SearchHits, SearchKind
from bot.zoho import errors
from bot.zoho.modules import Module
from bot.zoho.records import card_from_record

MIN_LENGTH = 2
MAX_LENGTH = {"email": 254, "phone": 30, "word": 100}  # 254: the longest address SMTP carries (RFC 5321)
PER_PAGE = 50  # enough to tell "a few" from "many" in one call; Zoho's own default and maximum are 200
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
PHONE = re.compile(r"[0-9+().\- ]+")
SEARCH_SCOPE = "ZohoSearch.securesearch.READ"


def clean_value(kind: SearchKind, value: str) -> str:
    """The value to send, trimmed; a typed ZohoError (our own code) when Zoho could not use it."""
    cleaned = value.strip()
    if len(cleaned) > MAX_LENGTH[kind]:
        raise errors.ZohoError(errors.SEARCH_TOO_LONG, f"a {kind} search is at most {MAX_LENGTH[kind]} characters",
                               details={"kind": kind, "limit": MAX_LENGTH[kind]})
    if kind == "email":
        if not EMAIL.fullmatch(cleaned):
            raise errors.ZohoError(errors.SEARCH_BAD_EMAIL, "not an email address", details={"kind": kind})
    elif kind == "phone":
        if not PHONE.fullmatch(cleaned):
            raise errors.ZohoError(errors.SEARCH_BAD_PHONE, "a phone number has digits and + ( ) - . only",
                                   details={"kind": kind})
        if sum(c.isdigit() for c in cleaned) < MIN_LENGTH:
            raise errors.ZohoError(errors.SEARCH_TOO_SHORT, f"at least {MIN_LENGTH} digits",
                                   details={"kind": kind, "minimum": MIN_LENGTH})
    elif len(cleaned) < MIN_LENGTH:
        raise errors.ZohoError(errors.SEARCH_TOO_SHORT, f"at least {MIN_LENGTH} characters",
                               details={"kind": kind, "minimum": MIN_LENGTH})
    return cleaned


def module_scope(module: Module) -> str:
    """The read scope Zoho names for the module (custom modules share `custom`)."""
    name = "custom" if module.generated_type == "custom" else module.api_name.lower()
    return f"ZohoCRM.modules.{name}.READ"


def not_enabled(module: Module, cause: errors.ZohoError) -> errors.ZohoError:
    """OAUTH_SCOPE_MISMATCH on search: installs made before search lack its scope; say which one."""
    return errors.ZohoError(
        errors.SEARCH_NOT_ENABLED,
        f"the Zoho token may not search (needs {SEARCH_SCOPE})",
        status=cause.status,
        details={"scope": SEARCH_SCOPE, "module_scope": module_scope(module), "zoho_code": cause.code},
    )


def hits_from_body(module: Module, body: bytes, limit: int) -> SearchHits:
    """The first `limit` cards of a 200 answer, with how many Zoho returned and whether it has more."""
    answer = errors.json_answer(body, "search answer")
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, list):
        raise errors.ZohoError(errors.INVALID_RESPONSE, "search answer has no 'data'", status=200)
    info = answer.get("info")
    more = isinstance(info, dict) and info.get("more_records") is True
    cards: list[RecordCard] = []
    for item in data:
        if len(cards) >= limit:
            break
        card = card_from_record(module, item)
        if card is not None:
            cards.append(card)
    return SearchHits(module=module.api_name, cards=tuple(cards), total=len(data), more=more)


def no_hits(module: Module) -> SearchHits:
    """Zoho's 204: nothing matched."""
    return SearchHits(module=module.api_name, cards=(), total=0, more=False)

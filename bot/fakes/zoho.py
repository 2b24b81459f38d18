"""A fake Zoho: the accounts server (token endpoint) and the CRM API, as one real HTTP server.

Faithful to shared/reference (FACTS.md, the "Download a Photo" page and Zoho's v8 OpenAPI files, repository
zoho/crm-oas; the copies in tests/reference/ say which commit). tests/test_vendor_shapes.py drives every route
and every error below over HTTP and holds each answer to the OAS response schema of the operation it answers
(or to a row of its BEYOND_OAS table, which names the source for what the OAS files do not say):
- `POST /oauth/v2/token` (refresh-token grant, query string or form): success names `api_domain`
  (this server); failures come as HTTP 200 with an `error` key; the 11th token within 10 minutes
  gets `Access Denied` and the client stays blocked for the rest of the window (Zoho Accounts, "Refresh
  access token": https://www.zoho.com/accounts/protocol/oauth/web-apps/access-token-expiry.html). Every token request's
  `grant_type` is kept in `token_grants`, so a test can show a refresh really was asked for, and its whole form
  in `token_forms`, so a test can show which client id, secret and refresh token reached which data centre.
- Token endpoint faults (`fail_next("token", ...)`): a 5xx page, a hang-up, or (with `token_latency`)
  an answer slower than the client waits. Zoho documents none of these for its accounts server; they are
  the generic failures of any HTTP service (RFC 9110 §15.6 for 5xx), scripted so the token cache's
  handling of a failed early refresh can be shown.
- The self client's grant code (`grant_type=authorization_code` with `client_id`, `client_secret`, `code`; FACTS.md
  "Zoho self client"): `grant_code()` plays the console's Generate Code tab. A code works once and only for the
  minutes it was made for (Zoho offers 3 to 10); a used, expired or unknown code answers `invalid_code`, an unknown
  client `invalid_client`. Success names a new refresh token (kept in `refresh_tokens`, valid for later refreshes
  here) beside the access token, `api_domain` and `expires_in`, and no `scope` unless `token_scope` is set.
- `GET /crm/{v}/settings/modules` answers `{"modules": [...]}`, each with every key the OAS `modules` schema
  (modules.json) requires (`MODULE_DEFAULTS`, plus the ones the bot reads); OAUTH_SCOPE_MISMATCH (401) when the
  token lacks the settings scope. English labels by default; `modules = org_modules("de" | "fr" | "ja")` answers
  as an org in that language does (labels translated, API and module names as they are).
- `GET /crm/{v}/{module}/{id}/photo` answers 200 with image bytes, 204 for no photo (with a JSON
  content type and an empty body, as Zoho does), or the error JSON `{code, details, message, status}`
  of `API_Exception` with the HTTP status the seed page gives each code.
- `GET /crm/{v}/{module}/search?email=|phone=|word=|criteria=` (Zoho CRM API v8 "Search Records",
  https://www.zoho.com/crm/developer/docs/api/v8/search-records.html, and the OAS `module_search.json`):
  `{"data": [...], "info": {"per_page", "count", "page", "more_records"}}`, 204 with no body when nothing
  matches, `per_page` (default and most 200) and `page`; only one of the four is used, in the page's
  order criteria, email, phone, word; none of them gives EXPECTED_PARAM_MISSING (OAS `Mandatory_Param_Missing`);
  a criteria not shaped `(field:operator:value)` gives INVALID_QUERY "Invalid query formed" (OAS
  `InvalidQuery`); OAUTH_SCOPE_MISMATCH when `scope_for_search` is False (the page's scopes include
  `ZohoSearch.securesearch.READ`). Matching: email exact and case-insensitive on any `*Email*` field;
  phone on the digits of any `*Phone*`/`Mobile` field; word a case-insensitive substring of any text
  field (lookups by their `name`): not only the name fields but titles and notes too, as README's "What people
  can type" says of Zoho ("it matches the name fields and the other text fields of the record, as Zoho CRM's own
  search box does"). Which word orders and accents Zoho's full-text search also matches is not documented,
  so the fake does not guess. A word shorter than 2 characters gives INVALID_QUERY (the length is Zoho's
  documented minimum, from a Zoho community thread; the code for it is assumed). A `per_page` outside 1..200 or
  a `page` below 1 gives INVALID_REQUEST: no page says what Zoho answers, and module_search.json closes the list
  of this operation's 400 answers, of which `Invalid_Request` is the generic one.
- An unknown module, or one not supported in the API, gives INVALID_MODULE with `details.resource_path_index`
  0 (module_search.json `Invlaid_Value_URL`, record_photo.json `InvalidRecord`).
- `GET /crm/{v}/{module}/{id}` ("Get Records", https://www.zoho.com/crm/developer/docs/api/v8/get-records.html):
  `{"data": [{...fields, "id"}]}`; INVALID_DATA for an unknown id, 204 for a record scripted with
  `exists=False` (assumed: no doc says what a deleted record answers).
- `GET /crm/{v}/{module}?ids=a,b&fields=X,Y` (the list form of the same "Get Records" page): `fields` is
  mandatory there (REQUIRED_PARAM_MISSING without it; at most 50 names); answers
  `{"data": [{requested fields…, "id"}], "info": {…}}` with the ids it has, in the order asked, and 204 when it has
  none. Assumed, not documented: a field the module lacks (see `field_names`) gives INVALID_DATA with the
  field's api name; more than 100 ids gives LIMIT_EXCEEDED; an id it lacks is left out rather than failing.
- `GET /crm/{v}/org` ("Organization API", https://www.zoho.com/crm/developer/docs/api/v8/get-org-data.html):
  `{"org": [{"domain_name", "id", "company_name"}]}`; `org_domain = None` sends `domain_name: null`;
  OAUTH_SCOPE_MISMATCH when `scope_for_org` is False (scope `ZohoCRM.org.READ`).
- `GET /crm/{v}/users?type=ActiveUsers&page=&per_page=` ("Get Users",
  https://www.zoho.com/crm/developer/docs/api/v8/get-users.html; scope `ZohoCRM.users.READ`):
  `{"users": [{"id", "email", "status", "full_name"}], "info": {"page", "per_page", "count", "more_records"}}`
  from `crm_users` (email -> status); `type=ActiveUsers` keeps the active ones; `per_page` default and
  most 200; OAUTH_SCOPE_MISMATCH when `scope_for_users` is False. Its HTTP 500 is spelled
  INTERNAL_SERVER_ERROR (users.json `InternalError`), so `fail_next("users", code="INTERNAL_ERROR")` answers that.
Tests, the benchmark and any demo script share it.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qs

from aiohttp import web

from bot.fakes.server import ThreadedServer

CLIENT_ID = "1000.TESTCLIENTID"
CLIENT_SECRET = "test-client-secret-dummy"
REFRESH_TOKEN = "test-refresh-token-dummy"

# Each error code on the seed page (plus the generic ones) with its HTTP status and message.
ERRORS: dict[str, tuple[int, str]] = {
    "INVALID_MODULE": (400, "the module name given seems to be invalid"),
    "INVALID_URL_PATTERN": (404, "Please check if the URL trying to access is a correct one"),
    "OAUTH_SCOPE_MISMATCH": (401, "invalid oauth scope to access this URL"),
    "NO_PERMISSION": (403, "permission denied"),
    "INTERNAL_ERROR": (500, "Internal Server Error"),
    "INVALID_REQUEST_METHOD": (400, "The http request method type is not a valid one"),
    "AUTHORIZATION_FAILED": (400, "User does not have sufficient privilege to download images"),
    "RECORD_LOCKED": (400, "cannot get the record image that is not approved yet"),
    "NOT_APPROVED": (400, "cannot get the record image that is not approved yet"),
    "INVALID_DATA": (400, "the id given seems to be invalid"),
    "INVALID_TOKEN": (401, "invalid oauth token"),
    "AUTHENTICATION_FAILURE": (401, "Authentication failed"),
    "TOO_MANY_REQUESTS": (429, "You have reached the maximum concurrency limit"),
}
# Codes only the search endpoint gives (OAS `module_search.json`), kept apart: ERRORS is the photo page's list.
SEARCH_ERRORS: dict[str, tuple[int, str]] = {
    "INVALID_QUERY": (400, "Invalid query formed"),
    "REQUIRED_PARAM_MISSING": (400, "One of the expected parameter is missing"),
    "LIMIT_EXCEEDED": (400, "limit exceeded"),
    "EXPECTED_PARAM_MISSING": (400, "One of the expected parameter is missing"),
    "INVALID_REQUEST": (400, "invalid request"),
}
# The code Zoho's OAS gives the users API's HTTP 500 (users.json `InternalError`); `fail_next("users",
# code="INTERNAL_ERROR")` answers with it, as /users spells an internal error.
USERS_ERRORS: dict[str, tuple[int, str]] = {"INTERNAL_SERVER_ERROR": (500, "Internal Server Error")}
ALL_ERRORS = {**ERRORS, **SEARCH_ERRORS, **USERS_ERRORS}
SPELLING: dict[str, dict[str, str]] = {"users": {"INTERNAL_ERROR": "INTERNAL_SERVER_ERROR"}}

RECORD_PATH = re.compile(r"/crm/[^/]+/(?!settings/)[A-Za-z][A-Za-z0-9_]*/(?!search$)[^/]+")
RECORDS_PATH = re.compile(r"/crm/[^/]+/(?!org$|users$|settings$)[A-Za-z][A-Za-z0-9_]*")
ORG_PATH = re.compile(r"/crm/[^/]+/org")
USERS_PATH = re.compile(r"/crm/[^/]+/users")
CRITERIA = re.compile(r"\([A-Za-z][A-Za-z0-9_]*:[a-z_]+:[^()]+\)")

# A 1x1 JPEG, enough to be a real image.
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f14"
    "1d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100"
    "ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000"
    "017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a2526272829"
    "2a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a9293"
    "9495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8"
    "e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9"
)


# The standard fields each module of the fake org has (Zoho CRM's standard fields; a custom module has Name,
# Email and Owner). A record's scripted fields are added to its module's.
FIELD_NAMES: dict[str, set[str]] = {
    "Leads": {"Full_Name", "First_Name", "Last_Name", "Company", "Email", "Designation", "Phone", "Mobile"},
    "Contacts": {"Full_Name", "First_Name", "Last_Name", "Account_Name", "Email", "Title", "Phone", "Mobile"},
    "Accounts": {"Account_Name", "Phone", "Website"},
    "Deals": {"Deal_Name", "Account_Name", "Stage"},
    "Products": {"Product_Name"},
    "Vendors": {"Vendor_Name", "Email", "Phone"},
}
CUSTOM_FIELD_NAMES = {"Name", "Email", "Owner"}
MAX_LIST_IDS = 100
MAX_LIST_FIELDS = 50

DISPLAY_FIELDS = {"Leads": "Full_Name", "Contacts": "Full_Name", "Accounts": "Account_Name", "Deals": "Deal_Name",
                  "Tasks": "Subject", "Products": "Product_Name", "Vendors": "Vendor_Name"}


# Every other key Zoho's OAS `modules` schema (modules.json) marks required, with a standard module's values;
# module_entry() adds the ones the bot reads. Lists a module answer carries elsewhere (fields, layouts, profiles,
# related lists) are empty here: the bot reads none of them.
MODULE_DEFAULTS: dict[str, Any] = {
    "common.search_supported": True, "deletable": False, "description": None, "creatable": True,
    "recycle_bin_on_delete": True, "inventory_template_supported": False, "modified_time": None,
    "presence_sub_menu": True, "triggers_supported": True, "chart_view": False, "isBlueprintSupported": True,
    "visibility": 1, "convertable": False, "editable": True, "emailTemplate_support": True,
    "email_parser_supported": False, "filter_supported": True, "show_as_tab": True, "web_link": None,
    "sequence_number": 1, "viewable": True, "quick_create": True, "feeds_required": False, "scoring_supported": True,
    "webform_supported": True, "arguments": [], "chart_view_supported": True, "profile_count": 1,
    "business_card_field_limit": 5, "track_current_data": True, "modified_by": {"name": "Fake Admin", "id": "1"},
    "profiles": [], "parent_module": {}, "activity_badge": "Disabled", "$field_states": [], "business_card_fields": [],
    "per_page": None, "$properties": [], "$on_demand_properties": [], "search_layout_fields": [],
    "kanban_view_supported": False, "lookup_field_properties": {"fields": []}, "kanban_view": False,
    "related_lists": [], "filter_status": True, "layouts": [], "fields": [], "custom_view": {}, "zia_view": False,
    "default_mapping_fields": [], "layout_associations": [],
    "related_list_properties": {"sort_by": {}, "fields": [], "sort_order": None},
}


def module_entry(
    api_name: str, singular: str, plural: str, generated_type: str = "default", module_name: str | None = None,
    api_supported: bool = True, display_field: str | None = None,
) -> dict[str, Any]:
    """One module of `/settings/modules`; `display_field` is an object, as the OAS `modules` schema has it."""
    display = display_field or DISPLAY_FIELDS.get(api_name) or ("Name" if generated_type == "custom" else None)
    return {
        **MODULE_DEFAULTS,
        "display_field": {"api_name": display, "id": str(abs(hash((api_name, display))) % 10**18)} if display else None,
        "api_name": api_name,
        "module_name": module_name or api_name,
        "singular_label": singular,
        "plural_label": plural,
        "generated_type": generated_type,
        "api_supported": api_supported,
        "visible": True,
        "status": "visible",
        "id": str(abs(hash(api_name)) % 10**18),
    }


DEFAULT_MODULES = [
    module_entry("Leads", "Lead", "Leads"),
    module_entry("Contacts", "Contact", "Contacts"),
    module_entry("Accounts", "Account", "Accounts"),
    module_entry("Deals", "Deal", "Deals", module_name="Potentials"),
    module_entry("Tasks", "Task", "Tasks"),
    module_entry("Products", "Product", "Products"),
    module_entry("Vendors", "Vendor", "Vendors"),
    module_entry("Documents", "Document", "Documents", api_supported=False),
    module_entry("Properties", "Property", "Properties", "custom", module_name="CustomModule1"),
]

# The standard modules' labels in an org whose CRM language is German, French or Japanese (singular, plural), as
# Zoho CRM's own help in that language names them (zoho.com/de/crm/help "Zoho CRM kennenlernen", help.zoho.com
# fr "Comprendre votre compte CRM", ja "標準タブと標準項目"); the custom module's are what its admin would call it.
# The API names and module names stay the English ones: Zoho never translates those.
ORG_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "de": {"Leads": ("Lead", "Leads"), "Contacts": ("Kontakt", "Kontakte"), "Accounts": ("Konto", "Konten"),
           "Deals": ("Geschäftsabschluss", "Geschäftsabschlüsse"), "Tasks": ("Aufgabe", "Aufgaben"),
           "Products": ("Produkt", "Produkte"), "Vendors": ("Lieferant", "Lieferanten"),
           "Documents": ("Dokument", "Dokumente"), "Properties": ("Immobilie", "Immobilien")},
    "fr": {"Leads": ("Lead", "Leads"), "Contacts": ("Contact", "Contacts"), "Accounts": ("Compte", "Comptes"),
           "Deals": ("Transaction", "Transactions"), "Tasks": ("Tâche", "Tâches"),
           "Products": ("Produit", "Produits"), "Vendors": ("Fournisseur", "Fournisseurs"),
           "Documents": ("Document", "Documents"), "Properties": ("Bien immobilier", "Biens immobiliers")},
    "ja": {"Leads": ("見込み客", "見込み客"), "Contacts": ("連絡先", "連絡先"), "Accounts": ("取引先", "取引先"),
           "Deals": ("商談", "商談"), "Tasks": ("タスク", "タスク"), "Products": ("商品", "商品"),
           "Vendors": ("仕入先", "仕入先"), "Documents": ("ドキュメント", "ドキュメント"),
           "Properties": ("物件", "物件")},
}


def org_modules(language: str, **renamed: tuple[str, str]) -> list[dict[str, Any]]:
    """The default org's module list as an org in `language` ("de", "fr", "ja") answers it: every module's
    singular and plural label in that language, API and module names unchanged. `renamed` gives a module the
    labels its admin chose instead (`Accounts=("Société", "Sociétés")`), as Setup > Modules lets them."""
    labels = {**ORG_LABELS[language], **renamed}
    return [{**entry, "singular_label": labels[entry["api_name"]][0], "plural_label": labels[entry["api_name"]][1]}
            for entry in DEFAULT_MODULES]


@dataclass
class Record:
    """What the fake answers for one record's photo."""

    content: bytes | None = TINY_JPEG
    content_type: str = "image/jpeg"
    disposition: str | None = None
    error: str | None = None  # a code from ERRORS: answer with that error instead
    fields: dict[str, Any] = field(default_factory=dict)  # e.g. Full_Name, Email, Account_Name {name, id}
    exists: bool = True  # False: the record itself answers 204
    delay: float = 0.0  # seconds this record's photo takes to come (on top of `latency`): a slow record


@dataclass
class GrantCode:
    expires_at: float  # time.monotonic()
    used: bool = False


@dataclass
class Seen:
    method: str
    path: str
    query: str  # as sent, still percent-encoded
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)
    form: dict[str, str] | None = None  # the token endpoint's form body, once read


class FakeZoho(ThreadedServer):
    """Zoho's accounts server and CRM API; tests script records, faults and latency.

    `FakeZoho.observer`, when set, is given every request any instance receives (as a `Seen`): the test suite
    holds each request the bot sends to Zoho's OpenAPI files with it (tests/conftest.py).
    """

    observer: ClassVar[Callable[[Seen], None] | None] = None

    def __init__(self, *, latency: float = 0.0, token_latency: float = 0.0, expires_in: int = 3600) -> None:
        super().__init__()
        self.latency = latency
        self.token_latency = token_latency
        self.expires_in = expires_in
        self.modules: list[dict[str, Any]] = list(DEFAULT_MODULES)
        self.records: dict[tuple[str, str], Record] = {}
        self.default_record: Record | None = Record()
        self.scope_for_modules = True
        self.scope_for_search = True
        self.scope_for_org = True
        self.scope_for_users = True
        self.crm_users: dict[str, str] = {}  # email -> "active" | "disabled" | "deleted"
        self.org_domain: str | None = "org7000001"
        self.org_id = "7000001"
        self.api_domain: str | None = None  # what the token answer names; this server by default
        self.accept_tokens_from: FakeZoho | None = None  # another fake whose tokens are valid here
        # The self client this fake knows, and how its access tokens look: two fakes with different values
        # play two deployments (two orgs) whose tokens must never cross.
        self.client_id, self.client_secret, self.refresh_token = CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN
        self.token_prefix = "1000.test-access-"
        self.grant_codes: dict[str, GrantCode] = {}
        self.refresh_tokens: list[str] = []  # minted for grant codes; each also refreshes here
        self.token_error: str | None = None  # "invalid_client" | "invalid_code" | "Access Denied"
        self.token_limit = 10  # per 10 minutes, like Zoho
        self.token_scope: str | None = None  # the token answer's `scope` field; None leaves it out
        self._faults: dict[str, deque[tuple[int, str | None, dict[str, str]]]] = {}
        self._lock = threading.Lock()
        self._token_times: deque[float] = deque()
        self._valid_tokens: set[str] = set()
        self.seen: list[Seen] = []
        self.field_names: dict[str, set[str]] = {module: set(names) for module, names in FIELD_NAMES.items()}
        self.token_requests = 0
        self.token_grants: list[str] = []
        self.token_forms: list[dict[str, str]] = []
        self.tokens_issued = 0
        self.in_flight = 0
        self.max_in_flight = 0

    # --- scripting -------------------------------------------------------------------------------
    def add_record(self, module: str, record_id: str, record: Record | None = None) -> None:
        with self._lock:
            self.records[(module, record_id)] = record or Record()

    def fail_next(
        self, kind: str, times: int = 1, *, status: int | None = None, code: str | None = None,
        body: str | None = None, headers: dict[str, str] | None = None,
    ) -> None:
        """The next `times` calls of `kind` ("photo", "modules", "token") fail: with Zoho's `code`, or a raw
        `status`/`body` (for non-JSON answers), or, with status 0, by hanging up the connection."""
        if code is not None and status is None:
            status = ALL_ERRORS[code][0]
        with self._lock:
            queue = self._faults.setdefault(kind, deque())
            for _ in range(times):
                queue.append((status or 500, body if code is None else code, dict(headers or {})))

    def grant_code(self, minutes: float = 10.0) -> str:
        """A new grant code, as the self client's Generate Code tab makes one: usable once, for `minutes`."""
        with self._lock:
            code = f"1000.test-grant-{len(self.grant_codes) + 1:04d}"
            self.grant_codes[code] = GrantCode(expires_at=time.monotonic() + minutes * 60)
        return code

    def _redeem(self, code: str, now: float) -> bool:
        """Whether `code` is a grant code still unused and unexpired; it is used up either way."""
        with self._lock:
            grant = self.grant_codes.get(code)
            if grant is None or grant.used or now >= grant.expires_at:
                return False
            grant.used = True
            return True

    def revoke_tokens(self) -> None:
        """Every access token issued so far stops working (INVALID_TOKEN)."""
        with self._lock:
            self._valid_tokens.clear()

    def valid_tokens(self) -> set[str]:
        with self._lock:
            return set(self._valid_tokens)

    def photo_calls(self) -> int:
        with self._lock:
            return sum(1 for s in self.seen if s.path.endswith("/photo"))

    def module_calls(self) -> int:
        with self._lock:
            return sum(1 for s in self.seen if s.path.endswith("/settings/modules"))

    def search_calls(self) -> int:
        with self._lock:
            return sum(1 for s in self.seen if s.path.endswith("/search"))

    def record_calls(self) -> int:
        """Get Records calls: one record by its path, or a list by `ids=`."""
        with self._lock:
            return sum(1 for s in self.seen if RECORD_PATH.fullmatch(s.path) or RECORDS_PATH.fullmatch(s.path))

    def records_list_calls(self) -> list[list[str]]:
        """The ids each list call (`GET /{module}?ids=…`) named, in order."""
        with self._lock:
            seen = [s for s in self.seen if RECORDS_PATH.fullmatch(s.path)]
        return [parse_qs(s.query).get("ids", [""])[0].split(",") for s in seen]

    def org_calls(self) -> int:
        with self._lock:
            return sum(1 for s in self.seen if ORG_PATH.fullmatch(s.path))

    def users_calls(self) -> int:
        with self._lock:
            return sum(1 for s in self.seen if USERS_PATH.fullmatch(s.path))

    def reset_counts(self) -> None:
        with self._lock:
            self.seen.clear()
            self.token_requests = 0
            self.token_grants.clear()
            self.token_forms.clear()
            self.max_in_flight = 0

    # --- server ------------------------------------------------------------------------------------
    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/oauth/v2/token", self._token)
        app.router.add_route("*", "/crm/{version}/settings/modules", self._modules)
        app.router.add_route("*", "/crm/{version}/org", self._org)
        app.router.add_route("*", "/crm/{version}/users", self._users)
        app.router.add_route("*", "/crm/{version}/{module}", self._records_list)
        app.router.add_route("*", "/crm/{version}/{module}/search", self._search)
        app.router.add_route("*", "/crm/{version}/{module}/{record}/photo", self._photo)
        app.router.add_route("*", "/crm/{version}/{module}/{record}", self._record_get)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        return app

    def _record(self, request: web.Request) -> Seen:
        seen = Seen(request.method, request.path, request.rel_url.raw_query_string, dict(request.headers))
        with self._lock:
            self.seen.append(seen)
        observer = FakeZoho.observer
        if observer is not None:
            observer(seen)
        return seen

    @staticmethod
    def _error(code: str, status: int | None = None, details: dict[str, Any] | None = None,
               message: str | None = None, headers: dict[str, str] | None = None) -> web.Response:
        default_status, default_message = ALL_ERRORS.get(code, (400, "error"))
        body = {"code": code, "details": details or {}, "message": message or default_message, "status": "error"}
        return web.json_response(body, status=status or default_status, headers=headers)

    def _take_fault(self, kind: str, request: web.Request) -> web.Response | None:
        with self._lock:
            queue = self._faults.get(kind)
            fault = queue.popleft() if queue else None
        if fault is None:
            return None
        status, code_or_body, headers = fault
        code_or_body = SPELLING.get(kind, {}).get(code_or_body or "", code_or_body)
        if status == 0:
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=500)
        if code_or_body in ALL_ERRORS:
            return self._error(code_or_body, status, headers=headers)
        return web.Response(status=status, text=code_or_body or "<html>Service Unavailable</html>",
                            content_type="text/html", headers=headers)

    async def _token(self, request: web.Request) -> web.Response:
        seen = self._record(request)
        form = dict(request.query)
        if request.can_read_body:
            seen.form = {k: str(v) for k, v in (await request.post()).items()}
            form.update(seen.form)
        with self._lock:  # counted on arrival: a request the client gave up on still reached Zoho
            self.token_requests += 1
            self.token_grants.append(form.get("grant_type", ""))
            self.token_forms.append(dict(form))
        if self.token_latency:
            await asyncio.sleep(self.token_latency)
        fault = self._take_fault("token", request)
        if fault is not None:
            return fault
        now = time.monotonic()
        with self._lock:
            while self._token_times and now - self._token_times[0] > 600:
                self._token_times.popleft()
            throttled = len(self._token_times) >= self.token_limit
        if self.token_error == "Access Denied" or throttled:
            return web.json_response({
                "error": "Access Denied",
                "error_description": "You have made too many requests continuously. Please try again after some time.",
                "status": "failure",
            })
        grant = form.get("grant_type")
        if grant not in ("refresh_token", "authorization_code"):
            return web.json_response({"error": "unsupported_grant_type"})
        if self.token_error == "invalid_client" or form.get("client_id") != self.client_id \
                or form.get("client_secret") != self.client_secret:
            return web.json_response({"error": "invalid_client"})
        if grant == "authorization_code":
            known = self.token_error != "invalid_code" and self._redeem(form.get("code", ""), now)
        else:
            with self._lock:
                refresh = form.get("refresh_token")
                known = self.token_error != "invalid_code" and (
                    refresh == self.refresh_token or refresh in self.refresh_tokens)
        if not known:
            return web.json_response({"error": "invalid_code"})
        with self._lock:
            self._token_times.append(now)
            self.tokens_issued += 1
            token = f"{self.token_prefix}{self.tokens_issued:04d}"
            self._valid_tokens.add(token)
            minted = {}
            if grant == "authorization_code":
                minted = {"refresh_token": f"1000.test-refresh-{len(self.refresh_tokens) + 1:04d}"}
                self.refresh_tokens.append(minted["refresh_token"])
        answer: dict[str, Any] = {
            "access_token": token,
            **minted,
            "api_domain": self.api_domain or self.url,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }
        if self.token_scope is not None:
            answer["scope"] = self.token_scope
        return web.json_response(answer)

    def _authorized(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme != "Zoho-oauthtoken" or not token:
            return self._error("AUTHENTICATION_FAILURE")
        with self._lock:
            valid = token in self._valid_tokens
        if not valid and self.accept_tokens_from is not None:
            valid = token in self.accept_tokens_from.valid_tokens()
        return None if valid else self._error("INVALID_TOKEN")

    async def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self.latency:
            await asyncio.sleep(self.latency)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    async def _crm(
        self, kind: str, request: web.Request, answer: Callable[[web.Request], web.StreamResponse], delay: float = 0.0
    ) -> web.StreamResponse:
        """What every CRM call goes through at Zoho: method, token, then scripted faults, then the answer."""
        self._record(request)
        await self._enter()
        try:
            if request.method != "GET":
                return self._error("INVALID_REQUEST_METHOD")
            denied = self._authorized(request)
            if denied is not None:
                return denied
            fault = self._take_fault(kind, request)
            if fault is not None:
                return fault
            if delay:
                await asyncio.sleep(delay)
            return answer(request)
        finally:
            self._leave()

    async def _modules(self, request: web.Request) -> web.StreamResponse:
        return await self._crm("modules", request, self._answer_modules)

    async def _photo(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            record = self.records.get((request.match_info["module"], request.match_info["record"]))
        return await self._crm("photo", request, self._answer_photo, delay=record.delay if record else 0.0)

    def _answer_modules(self, request: web.Request) -> web.StreamResponse:
        if not self.scope_for_modules:
            return self._error("OAUTH_SCOPE_MISMATCH")
        return web.json_response({"modules": self.modules})

    async def _org(self, request: web.Request) -> web.StreamResponse:
        return await self._crm("org", request, self._answer_org)

    async def _users(self, request: web.Request) -> web.StreamResponse:
        return await self._crm("users", request, self._answer_users)

    def _answer_users(self, request: web.Request) -> web.StreamResponse:
        if not self.scope_for_users:
            return self._error("OAUTH_SCOPE_MISMATCH")
        page = int(request.query.get("page", "1") or 1)
        per_page = min(200, int(request.query.get("per_page", "200") or 200))
        wanted = {"ActiveUsers": {"active"}, "DeactiveUsers": {"disabled"}}.get(request.query.get("type", ""))
        with self._lock:
            users = [(email, status) for email, status in self.crm_users.items() if wanted is None or status in wanted]
        chunk = users[(page - 1) * per_page: page * per_page]
        body = [{"id": str(4876876000000100000 + i), "email": email, "status": status,
                 "full_name": email.split("@")[0]} for i, (email, status) in enumerate(chunk)]
        more = page * per_page < len(users)
        return web.json_response({"users": body, "info": {"page": page, "per_page": per_page, "count": len(body),
                                                          "more_records": more}})

    async def _search(self, request: web.Request) -> web.StreamResponse:
        return await self._crm("search", request, self._answer_search)

    async def _record_get(self, request: web.Request) -> web.StreamResponse:
        return await self._crm("record", request, self._answer_record)

    async def _records_list(self, request: web.Request) -> web.StreamResponse:
        return await self._crm("record", request, self._answer_records_list)

    def _answer_records_list(self, request: web.Request) -> web.StreamResponse:
        module = request.match_info["module"]
        problem = self._module_problem(module)
        if problem is not None:
            return problem
        fields = [f for f in request.query.get("fields", "").split(",") if f]
        if not fields:
            return self._error("REQUIRED_PARAM_MISSING", details={"param_name": "fields"})
        ids = [i for i in request.query.get("ids", "").split(",") if i]
        if len(fields) > MAX_LIST_FIELDS or len(ids) > MAX_LIST_IDS:
            return self._error("LIMIT_EXCEEDED", details={"param_name": "fields" if ids else "ids"})
        if not all(i.isdigit() for i in ids):
            return self._error("INVALID_DATA", details={"param_name": "ids"})
        custom = any(m["api_name"] == module and m.get("generated_type") == "custom" for m in self.modules)
        with self._lock:
            known = set(CUSTOM_FIELD_NAMES if custom else self.field_names.get(module, set()))
            chosen = [(rid, self.records.get((module, rid), self.default_record)) for rid in ids]
        for _, record in chosen:
            if record is not None:
                known |= set(record.fields)
        unknown = next((f for f in fields if f not in known), None)
        if unknown is not None:
            return self._error("INVALID_DATA", message="invalid field api name", details={"api_name": unknown})
        data = [{**{f: r.fields.get(f) for f in fields}, "id": rid} for rid, r in chosen
                if r is not None and r.exists and r.error is None]
        if not data:
            return web.Response(status=204)
        return web.json_response({"data": data, "info": {"per_page": 200, "count": len(data), "page": 1,
                                                         "more_records": False}})

    def _module_problem(self, module: str) -> web.Response | None:
        known = {m["api_name"]: m for m in self.modules}
        if module not in known:
            return self._error("INVALID_MODULE", details={"resource_path_index": 0})
        if known[module].get("api_supported") is False:
            return self._error("INVALID_MODULE", message="The given module is not supported in API",
                               details={"resource_path_index": 0})
        return None

    def _answer_org(self, request: web.Request) -> web.StreamResponse:
        if not self.scope_for_org:
            return self._error("OAUTH_SCOPE_MISMATCH")
        return web.json_response(
            {"org": [{"domain_name": self.org_domain, "id": self.org_id, "company_name": "Fake Co"}]}
        )

    def _answer_search(self, request: web.Request) -> web.StreamResponse:
        module = request.match_info["module"]
        problem = self._module_problem(module)
        if problem is not None:
            return problem
        if not self.scope_for_search:
            return self._error("OAUTH_SCOPE_MISMATCH")
        kind = next((k for k in ("criteria", "email", "phone", "word") if k in request.query), None)
        if kind is None:
            return self._error("EXPECTED_PARAM_MISSING", message="One of the expected parameter is missing",
                               details={"param_names": ["criteria", "email", "phone", "word"]})
        value = request.query[kind]
        try:
            per_page = int(request.query.get("per_page", "200"))
            page = int(request.query.get("page", "1"))
        except ValueError:
            return self._error("INVALID_REQUEST", message="invalid request", details={"param_name": "per_page"})
        if not 1 <= per_page <= 200 or page < 1:
            return self._error("INVALID_REQUEST", message="invalid request", details={"param_name": "per_page"})
        matches = self._matcher(kind, value)
        if matches is None:
            return self._error("INVALID_QUERY", message="Invalid query formed",
                               details={"api_name": kind, "reason": "invalid value", "value": value})
        with self._lock:
            found = [{**r.fields, "id": rid} for (m, rid), r in self.records.items()
                     if m == module and r.fields and r.exists and matches(r.fields)]
        chunk = found[(page - 1) * per_page: page * per_page]
        if not chunk:
            return web.Response(status=204)
        info = {"per_page": per_page, "count": len(chunk), "page": page,
                "more_records": len(found) > page * per_page}
        return web.json_response({"data": chunk, "info": info})

    @staticmethod
    def _matcher(kind: str, value: str) -> Callable[[dict[str, Any]], bool] | None:
        """How a record is matched for `kind`, or None when Zoho would call the query malformed."""
        def texts(fields: dict[str, Any], keep: Callable[[str], bool]) -> list[str]:
            values = [(k, v.get("name") if isinstance(v, dict) else v) for k, v in fields.items() if keep(k)]
            return [v for _, v in values if isinstance(v, str)]

        if kind == "criteria":
            if not CRITERIA.fullmatch(value):
                return None
            field_name, _, wanted = value.strip("()").split(":", 2)
            return lambda f: wanted.casefold() in (t.casefold() for t in texts(f, lambda k: k == field_name))
        if kind == "email":
            return lambda f: value.strip().casefold() in (t.casefold() for t in texts(f, lambda k: "Email" in k))
        if kind == "phone":
            digits = re.sub(r"\D", "", value)
            if not digits:
                return None
            is_phone = lambda k: "Phone" in k or k == "Mobile"  # noqa: E731
            return lambda f: digits in (re.sub(r"\D", "", t) for t in texts(f, is_phone))
        word = value.strip().casefold()
        if len(word) < 2:
            return None
        return lambda f: any(word in t.casefold() for t in texts(f, lambda k: True))

    def _find_record(self, request: web.Request) -> tuple[str, Record | None] | web.StreamResponse:
        """The record a CRM path names, after Zoho's checks of the module and the id (or the error they give)."""
        module, record_id = request.match_info["module"], request.match_info["record"]
        problem = self._module_problem(module)
        if problem is not None:
            return problem
        if not record_id.isdigit():
            return self._error("INVALID_DATA", details={"resource_path_index": 1})
        with self._lock:
            return record_id, self.records.get((module, record_id), self.default_record)

    def _answer_record(self, request: web.Request) -> web.StreamResponse:
        found = self._find_record(request)
        if isinstance(found, web.StreamResponse):
            return found
        record_id, record = found
        if record is None or record.error == "INVALID_DATA":
            return self._error("INVALID_DATA", details={"id": record_id})
        if record.error in ("NO_PERMISSION", "OAUTH_SCOPE_MISMATCH", "INTERNAL_ERROR"):
            return self._error(record.error, details={"id": record_id})
        if not record.exists:
            return web.Response(status=204)
        return web.json_response({"data": [{**record.fields, "id": record_id}]})

    def _answer_photo(self, request: web.Request) -> web.StreamResponse:
        found = self._find_record(request)
        if isinstance(found, web.StreamResponse):
            return found
        record_id, record = found
        if record is None:
            return self._error("INVALID_DATA", details={"id": record_id})
        if record.error:
            details = {"id": record_id}
            if record.error == "RECORD_LOCKED":
                details["action"] = "zia_vision_processing"
            return self._error(record.error, details=details)
        if record.content is None:
            return web.Response(status=204, content_type="application/json")
        headers = {"Content-Disposition": record.disposition} if record.disposition else {}
        return web.Response(body=record.content, content_type=record.content_type, headers=headers)

    async def _not_found(self, request: web.Request) -> web.Response:
        self._record(request)
        return self._error("INVALID_URL_PATTERN")

    def body_of(self, code: str) -> dict[str, Any]:
        """The exact JSON body the fake sends for `code` (for schema checks)."""
        return json.loads(self._error(code).text or "{}")

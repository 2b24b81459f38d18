"""The fakes answer like the vendors document, and the bot asks and accepts what they document.

Held to the vendors' own published material, copied into tests/reference/ (README there: where from, which
commit): Zoho's OpenAPI files for CRM API v8 and the payload and answer samples Slack's Java SDK records from
the real API. What those files do not say is in the BEYOND_OAS table of tests/zoho_oas.py, each row with its
source. Tests marked `zoho_requests_by_test` drive the fake Zoho themselves; the others' requests to Zoho are the
bot's, and tests/conftest.py holds them to the OAS as in every other test.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import httpx
import jsonschema
import pytest
from aiohttp.test_utils import make_mocked_request

from bot.fakes import slack as fs
from bot.fakes import socket_mode
from bot.fakes import zoho as fz
from bot.fakes.socket_mode import FakeSlackSocketMode
from bot.fakes.zoho import ERRORS, FakeZoho, Record
from tests import zoho_oas

TOKEN_ANSWER = {"access_token": str, "api_domain": str, "token_type": str, "expires_in": int, "scope": str}
TOKEN_FAILURE = {"error": str, "error_description": str, "status": str}
TOKEN_ERRORS = {"invalid_client", "invalid_code", "Access Denied", "unsupported_grant_type"}
PHOTO_TYPES = {"image/jpeg", "image/png", "image/gif", "image/bmp", "application/x-download"}
PHOTO_PAGE = zoho_oas.REFERENCE / "zoho-download-a-photo.txt"


def photo_page_codes() -> dict[str, int]:
    """Each error code the "Download a Photo" page lists, with its HTTP status ("- INVALID_MODULEHTTP 400")."""
    return {code: int(status) for code, status in re.findall(r"([A-Z_]{4,})HTTP ([0-9]{3})", PHOTO_PAGE.read_text())}


PHOTO_OAS_400 = set(zoho_oas.documents()["record_photo"]["components"]["schemas"]["error"]["properties"]["code"][
    "enum"])
PHOTO_400_BEYOND = {code for code, status in photo_page_codes().items() if status == 400} - PHOTO_OAS_400
NO_BODY_204 = {"GET /crm/v8/{module}/search (module_search.json)": "search_204",
               "GET /crm/v8/{module_api_name} (record.json)": "records_204",
               "GET /crm/v8/{module_api_name}/{id} (record.json)": "record_204"}


# --- the fake Zoho's own code: its routes and the errors each can give -------------------------------------------

def fake_routes() -> dict[str, str]:
    """The fake's route table: canonical path -> handler name."""
    return {route.resource.canonical: route.handler.__name__ for route in FakeZoho().build_app().router.routes()
            if route.resource is not None}


def _strings(node: ast.expr | None) -> set[str]:
    """The string constants an expression can be (`"a"`, or `"a" if x else "b"`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body) | _strings(node.orelse)
    return set()


def errors_in_source(module: ModuleType, class_name: str, raiser: str) -> dict[str, set[str]]:
    """Per method of a fake: every literal error code it can answer, through the methods and module functions it
    uses: the first argument of `raiser(...)` calls and the value of every `{"error": ...}`. Read from the source,
    so an error added to a fake without a case here fails the coverage tests."""
    tree = ast.parse(inspect.getsource(module))
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name)
    functions.update({n.name: n for n in cls.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)})
    direct: dict[str, set[str]] = {name: set() for name in functions}
    uses: dict[str, set[str]] = {name: set() for name in functions}
    for name, node in functions.items():
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "self":
                uses[name].add(sub.attr)
            if isinstance(sub, ast.Call):
                called = sub.func.attr if isinstance(sub.func, ast.Attribute) else getattr(sub.func, "id", "")
                uses[name].add(called)
                if called == raiser and sub.args:
                    direct[name] |= _strings(sub.args[0])
            if isinstance(sub, ast.Dict):
                for key, value in zip(sub.keys, sub.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "error":
                        direct[name] |= _strings(value)

    def reach(name: str, seen: set[str]) -> set[str]:
        seen.add(name)
        codes = set(direct.get(name, ()))
        for used in uses.get(name, ()):
            if used in functions and used not in seen:
                codes |= reach(used, seen)
        return codes

    return {name: reach(name, set()) for name in functions}


# --- driving the fake over HTTP --------------------------------------------------------------------------------

@dataclass
class Case:
    """One answer the fake can give: how to script it, the request, and what it should be."""

    name: str
    method: str
    path: str
    status: int | None  # None: whatever the fake answers, it must fit
    code: str | None = None  # Zoho's `code` (or the token endpoint's `error`) the answer must carry
    params: dict[str, str] = field(default_factory=dict)
    setup: Callable[[FakeZoho], None] | None = None
    token: bool = True  # send a valid access token
    headers: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] | None = None


def _set(**values: Any) -> Callable[[FakeZoho], None]:
    def apply(fake: FakeZoho) -> None:
        for key, value in values.items():
            setattr(fake, key, value)
    return apply


def _record(module: str, rid: str, record: Record) -> Callable[[FakeZoho], None]:
    return lambda fake: fake.add_record(module, rid, record)


def _fault(kind: str, code: str) -> Callable[[FakeZoho], None]:
    return lambda fake: fake.fail_next(kind, code=code)


def _jane(fake: FakeZoho) -> None:
    for n in range(3):
        fake.add_record("Contacts", f"400000000002{n}", Record(fields={
            "Full_Name": "Jane Doe", "Email": "jane@example.com", "Phone": "+1 555 0100",
            "Account_Name": {"name": "Acme", "id": "4000000000900"}}))


V = "/crm/v8"
FORM = {"grant_type": "refresh_token", "client_id": fz.CLIENT_ID, "client_secret": fz.CLIENT_SECRET,
        "refresh_token": fz.REFRESH_TOKEN}
# The generic faults any CRM call can meet (FACTS.md:53-54, past the concurrency cap; the photo page's INTERNAL_ERROR).
TRANSIENT = ("INTERNAL_ERROR", "TOO_MANY_REQUESTS")
KINDS = {  # a request of each kind of CRM call, by the name fail_next() knows it
    "modules": f"{V}/settings/modules", "org": f"{V}/org", "users": f"{V}/users",
    "search": f"{V}/Contacts/search?word=jane&per_page=50", "record": f"{V}/Contacts/4000000000020",
    "photo": f"{V}/Contacts/4000000000020/photo"}
LIST = f"{V}/Contacts?ids=4000000000020,4000000000021&fields=Full_Name"  # also kind "record"


def cases() -> Iterator[Case]:
    # accounts server
    yield Case("token", "POST", "/oauth/v2/token", 200, data=FORM, token=False)
    yield Case("token in the query", "POST", "/oauth/v2/token", 200, params=FORM, token=False)
    yield Case("token with scope", "POST", "/oauth/v2/token", 200, data=FORM, token=False,
               setup=_set(token_scope="ZohoCRM.modules.ALL"))
    yield Case("token, wrong client", "POST", "/oauth/v2/token", 200, "invalid_client", token=False,
               data={**FORM, "client_id": "1000.OTHER"})
    yield Case("token, revoked", "POST", "/oauth/v2/token", 200, "invalid_code", token=False,
               data={**FORM, "refresh_token": "revoked"})
    yield Case("token, throttled", "POST", "/oauth/v2/token", 200, "Access Denied", token=False, data=FORM,
               setup=_set(token_error="Access Denied"))
    yield Case("token, other grant", "POST", "/oauth/v2/token", 200, "unsupported_grant_type", token=False,
               data={**FORM, "grant_type": "password"})
    # modules
    yield Case("modules", "GET", f"{V}/settings/modules", 200)
    for language in fz.ORG_LABELS:
        yield Case(f"modules, an org in {language}", "GET", f"{V}/settings/modules", 200,
                   setup=_set(modules=fz.org_modules(language)))
    yield Case("modules without scope", "GET", f"{V}/settings/modules", 401, "OAUTH_SCOPE_MISMATCH",
               setup=_set(scope_for_modules=False))
    # org
    yield Case("org", "GET", f"{V}/org", 200)
    yield Case("org without domain name", "GET", f"{V}/org", 200, setup=_set(org_domain=None))
    yield Case("org without scope", "GET", f"{V}/org", 401, "OAUTH_SCOPE_MISMATCH", setup=_set(scope_for_org=False))
    # users
    many = {f"user{n}@example.com": ("active", "disabled")[n % 2] for n in range(5)}
    yield Case("users", "GET", f"{V}/users", 200, params={"type": "ActiveUsers", "page": "1", "per_page": "2"},
               setup=_set(crm_users=many))
    yield Case("users, none", "GET", f"{V}/users", 200, params={"type": "ActiveUsers"})
    yield Case("users without scope", "GET", f"{V}/users", 401, "OAUTH_SCOPE_MISMATCH",
               setup=_set(scope_for_users=False))
    # search
    for kind, value in (("word", "jane"), ("email", "jane@example.com"), ("phone", "+1 555 0100"),
                        ("criteria", "(Email:equals:jane@example.com)")):
        yield Case(f"search by {kind}", "GET", f"{V}/Contacts/search", 200, params={kind: value, "per_page": "2"},
                   setup=_jane)
    yield Case("search, nothing", "GET", f"{V}/Contacts/search", 204, params={"word": "nobody", "per_page": "50"})
    yield Case("search, unknown module", "GET", f"{V}/Nope/search", 400, "INVALID_MODULE",
               params={"word": "jane", "per_page": "50"})
    yield Case("search, module not in API", "GET", f"{V}/Documents/search", 400, "INVALID_MODULE",
               params={"word": "jane", "per_page": "50"})
    yield Case("search without scope", "GET", f"{V}/Contacts/search", 401, "OAUTH_SCOPE_MISMATCH",
               params={"word": "jane", "per_page": "50"}, setup=_set(scope_for_search=False))
    yield Case("search, no criterion", "GET", f"{V}/Contacts/search", 400, "EXPECTED_PARAM_MISSING",
               params={"per_page": "50"})
    yield Case("search, per_page too big", "GET", f"{V}/Contacts/search", 400, None,
               params={"word": "jane", "per_page": "500"})
    yield Case("search, malformed criteria", "GET", f"{V}/Contacts/search", 400, "INVALID_QUERY",
               params={"criteria": "Email=jane", "per_page": "50"})
    yield Case("search, short word", "GET", f"{V}/Contacts/search", 400, "INVALID_QUERY",
               params={"word": "j", "per_page": "50"})
    # one record, several records
    yield Case("record", "GET", f"{V}/Contacts/4000000000020", 200, setup=_jane)
    yield Case("record, deleted", "GET", f"{V}/Contacts/4000000000020", 204,
               setup=_record("Contacts", "4000000000020", Record(exists=False)))
    yield Case("record, bad id", "GET", f"{V}/Contacts/x1", 400, "INVALID_DATA")
    yield Case("record, unknown module", "GET", f"{V}/Nope/1", 400, "INVALID_MODULE")
    yield Case("record, unknown id", "GET", f"{V}/Contacts/1", 400, "INVALID_DATA", setup=_set(default_record=None))
    yield Case("records", "GET", f"{V}/Contacts", 200, setup=_jane,
               params={"ids": "4000000000020,4000000000021", "fields": "Full_Name,Email,Account_Name"})
    yield Case("records, none", "GET", f"{V}/Contacts", 204, setup=_set(default_record=None),
               params={"ids": "1,2", "fields": "Full_Name"})
    yield Case("records without fields", "GET", f"{V}/Contacts", 400, "REQUIRED_PARAM_MISSING", params={"ids": "1,2"})
    yield Case("records, too many ids", "GET", f"{V}/Contacts", 400, "LIMIT_EXCEEDED",
               params={"ids": ",".join(str(n) for n in range(1, 102)), "fields": "Full_Name"})
    yield Case("records, bad id", "GET", f"{V}/Contacts", 400, "INVALID_DATA", params={"ids": "1,x", "fields": "Email"})
    yield Case("records, unknown field", "GET", f"{V}/Contacts", 400, "INVALID_DATA",
               params={"ids": "1,2", "fields": "Nope"})
    yield Case("records, unknown module", "GET", f"{V}/Nope", 400, "INVALID_MODULE",
               params={"ids": "1", "fields": "Name"})
    # photo
    yield Case("photo", "GET", f"{V}/Contacts/1/photo", 200)
    yield Case("photo, png with a file name", "GET", f"{V}/Contacts/2/photo", 200, setup=_record(
        "Contacts", "2", Record(content=b"\x89PNG\r\n\x1a\n", content_type="image/png",
                                disposition="attachment; filename*=UTF-8''x.png")))
    yield Case("photo, none", "GET", f"{V}/Contacts/3/photo", 204, setup=_record("Contacts", "3", Record(content=None)))
    yield Case("photo, bad id", "GET", f"{V}/Contacts/x/photo", 400, "INVALID_DATA")
    yield Case("photo, unknown module", "GET", f"{V}/Nope/1/photo", 400, "INVALID_MODULE")
    yield Case("photo, module not in API", "GET", f"{V}/Documents/1/photo", 400, "INVALID_MODULE")
    for code in ERRORS:  # every code the photo page names, scripted on a record
        yield Case(f"photo, {code}", "GET", f"{V}/Contacts/9/photo", ERRORS[code][0], code,
                   setup=_record("Contacts", "9", Record(error=code)))
        yield Case(f"record, {code}", "GET", f"{V}/Contacts/9", None,
                   setup=_record("Contacts", "9", Record(error=code, fields={"Full_Name": "Jo"})))
    # what every CRM call goes through
    for kind, path in [*KINDS.items(), ("record", LIST)]:
        yield Case(f"{path} without a token", "GET", path, 401, "AUTHENTICATION_FAILURE", token=False, setup=_jane)
        yield Case(f"{path} with a stale token", "GET", path, 401, "INVALID_TOKEN", token=False, setup=_jane,
                   headers={"Authorization": "Zoho-oauthtoken 1000.stale"})
        yield Case(f"{path}, PATCH", "PATCH", path, 400, "INVALID_REQUEST_METHOD")
        for code in TRANSIENT:
            spelled = fz.SPELLING.get(kind, {}).get(code, code)
            yield Case(f"{path}, {code}", "GET", path, ERRORS[code][0], spelled, setup=_fault(kind, code))
    yield Case("unknown path", "GET", f"{V}/Contacts/1/photo/big", 404, "INVALID_URL_PATTERN")


CASES = list(cases())
ROUTER = FakeZoho().build_app().router


@dataclass
class Answer:
    case: Case
    route: str
    status: int
    content_type: str
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


def route_of(method: str, path: str) -> str:
    """The fake's route that serves `method path` (its canonical path)."""
    match = asyncio.run(ROUTER.resolve(make_mocked_request(method, path)))
    return match.route.resource.canonical


def drive(case: Case) -> Answer:
    with FakeZoho() as fake, httpx.Client(base_url=fake.url) as http:
        token = http.post("/oauth/v2/token", data=FORM).json()["access_token"]
        fake.reset_counts()
        if case.setup is not None:
            case.setup(fake)
        headers = {"Authorization": f"Zoho-oauthtoken {token}"} if case.token else {}
        response = http.request(case.method, case.path, params=case.params, data=case.data,
                                headers={**headers, **case.headers})
    return Answer(case, route_of(case.method, case.path.split("?")[0]), response.status_code,
                  response.headers.get("Content-Type", ""), response.content)


@pytest.fixture(scope="module")
def answers() -> list[Answer]:
    return [drive(case) for case in CASES]


def check_answer(answer: Answer) -> None:
    """The answer fits Zoho's OAS for the operation its request names, or the BEYOND_OAS row that covers it."""
    case = answer.case
    if case.status is not None:
        assert answer.status == case.status, f"{case.name}: {answer.status} {answer.content[:200]!r}"
    if case.path.startswith("/oauth/"):
        body = answer.json()
        shape = TOKEN_FAILURE if "error" in body else TOKEN_ANSWER
        assert answer.status == 200 and set(body) <= set(shape), (case.name, body)
        assert all(isinstance(body[k], shape[k]) for k in body), (case.name, body)
        assert body.get("error", "") in TOKEN_ERRORS | {""} and body.get("token_type", "Bearer") == "Bearer"
        assert (body.get("error") or None) == case.code, (case.name, body)
        return
    path = case.path.split("?")[0]
    operation = zoho_oas.find_operation(case.method, path)
    if operation is None:  # a path or method Zoho's files do not have: only an error can answer it
        assert answer.status >= 400, case.name
        zoho_oas.validate_component("common", "API_Exception", answer.json())
        return
    if answer.status == 204:
        assert answer.content == b"", case.name
        if "204" not in operation.spec["responses"]:
            assert operation.name in NO_BODY_204, f"{operation.name}: a 204 no row of BEYOND_OAS covers"
            assert NO_BODY_204[operation.name] in zoho_oas.BEYOND_OAS
        return
    if answer.status == 200 and answer.content_type.startswith(("image/", "application/x-download")):
        assert operation.file == "record_photo", case.name
        assert answer.content_type.split(";")[0] in PHOTO_TYPES  # BEYOND_OAS["photo_types"]
        return
    body = answer.json()
    if case.code is not None:
        assert body.get("code") == case.code, (case.name, body)
    if operation.file == "record_photo" and answer.status == 400 and body.get("code") in PHOTO_400_BEYOND:
        zoho_oas.validate_component("common", "API_Exception", body)
        return
    zoho_oas.validate(operation, answer.status, answer.content_type, body)


@pytest.mark.zoho_requests_by_test
@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.name for c in CASES])
def test_every_answer_of_the_fake_zoho_fits_the_oas(answers: list[Answer], index: int) -> None:
    try:
        check_answer(answers[index])
    except jsonschema.ValidationError as exc:
        pytest.fail(f"{answers[index].case.name}: {zoho_oas.explain(exc)}")


def test_the_fakes_photo_errors_have_the_statuses_of_the_photo_page() -> None:
    page = photo_page_codes()
    assert page and {code: ERRORS[code][0] for code in page} == page


@pytest.mark.zoho_requests_by_test
def test_every_route_and_every_error_of_the_fake_zoho_has_a_case(answers: list[Answer]) -> None:
    routes = fake_routes()
    assert {a.route for a in answers} == set(routes)  # a new route needs its cases above
    codes = errors_in_source(fz, "FakeZoho", "_error")
    for route, handler in routes.items():
        given = {a.json().get("code") or a.json().get("error") for a in answers
                 if a.route == route and a.content_type.startswith("application/json") and a.content}
        assert codes[handler] <= given, f"{route}: no case gives {sorted(codes[handler] - given)}"


# --- (Slack) every key a fake Slack answer sends is in the SDK's sample of that method, with the same type ---------

SAMPLES = zoho_oas.REFERENCE / "slack-samples"
WEB_TOKEN = "xoxb-test-dummy"


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object", type(None): "null"}[type(value)]


def keys_not_in_sample(answer: Any, sample: Any, where: str = "") -> list[str]:
    """Keys (with their path) the answer has and the sample lacks, or has with another JSON type.

    A sample list holds one item (or none, where the README says it was emptied): each answer item is held to
    that one item, and an empty sample list says nothing about items.
    """
    if json_type(answer) != json_type(sample):
        return [f"{where or '/'}: {json_type(answer)}, the sample has {json_type(sample)}"]
    if isinstance(answer, dict):
        return [problem for key, value in answer.items()
                for problem in ([f"{where}/{key}: not in the sample"] if key not in sample
                                else keys_not_in_sample(value, sample[key], f"{where}/{key}"))]
    if isinstance(answer, list) and sample:
        return [problem for i, item in enumerate(answer) for problem in keys_not_in_sample(item, sample[0],
                                                                                        f"{where}[{i}]")]
    return []


@dataclass
class Call:
    """One Web API call to the fake Slack, how to set it up, and the `error` its answer must carry (None: ok)."""

    method: str
    params: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    setup: Callable[[Any], None] | None = None
    token: str | None = WEB_TOKEN
    as_json: bool = False
    raw: bytes | None = None  # a JSON-typed body sent as it is


def _upload(slack: Any, http: httpx.Client, length: int = 3) -> str:
    """A file whose bytes reached the upload URL, ready for files.completeUploadExternal."""
    answer = http.post("/api/files.getUploadURLExternal", params={"filename": "p.jpg", "length": length},
                       headers={"Authorization": f"Bearer {WEB_TOKEN}"}).json()
    http.post(answer["upload_url"], content=b"x" * length)
    return answer["file_id"]


def slack_calls() -> Iterator[Call]:
    def channels(fake: Any) -> None:
        fake.add_channel("C1")
        fake.add_channel("C2", bot_member=False)
        fake.add_channel("G1", "private", bot_member=False)
        fake.add_channel("C3", archived=True)
        fake.add_channel("C4", ext_shared=True)
        fake.add_user("U0GUEST", is_restricted=True, profile={"email": "guest@example.com"})
        fake.add_usergroup("S1", ["U0ALICE"])

    yield Call("auth.test")
    yield Call("auth.test", error="not_authed", token=None)
    yield Call("auth.test", error="invalid_auth", token="xoxb-wrong")
    yield Call("files.getUploadURLExternal", {"filename": "p.jpg", "length": "3"})
    yield Call("files.getUploadURLExternal", {"filename": "p.jpg"}, "invalid_arguments")
    yield Call("files.getUploadURLExternal", {"filename": "p.jpg", "length": "x"}, "invalid_arguments")
    yield Call("files.getUploadURLExternal", {"filename": "p.jpg", "length": "0"}, "missing_argument")
    for channel, error in (("C1", None), ("", None), ("C2", "not_in_channel"), ("G1", "channel_not_found"),
                           ("C3", "is_archived")):
        yield Call("files.completeUploadExternal", {"files": "UPLOADED", "channel_id": channel}, error, channels)
    yield Call("files.completeUploadExternal", {"files": json.dumps([{"id": "F0NOPE"}])}, "file_not_found")
    yield Call("files.completeUploadExternal", {"files": "[1]"}, "invalid_arguments")
    yield Call("files.completeUploadExternal", {"files": "AGAIN"}, "file_not_found")
    yield Call("files.completeUploadExternal", {"files": "AGAIN"}, None, _set(repeat_complete="ok"))
    for channel, error in (("C2", None), ("C1", None), ("G1", "method_not_supported_for_channel_type"),
                           ("C3", "is_archived"), ("C9", "channel_not_found")):
        yield Call("conversations.join", {"channel": channel}, error, channels)
    yield Call("conversations.open", {"users": "U0ALICE"})
    yield Call("conversations.open", {"users": "U0ALICE"}, None,
               lambda fake: fake.add_channel("DU0ALICE", "im"))
    yield Call("conversations.open", {}, "users_list_not_supplied")
    yield Call("conversations.open", {"users": ","}, "not_enough_users")
    yield Call("conversations.open", {"users": "U0ALICE,U0BOB"}, "method_not_supported_for_channel_type")
    for channel, error in (("C1", None), ("C2", "not_in_channel"), ("G1", "channel_not_found"),
                           ("C3", "is_archived")):
        yield Call("chat.postMessage", {"channel": channel, "text": "hi", "blocks": [{"type": "divider"}]}, error,
                   channels, as_json=True)
    yield Call("chat.postMessage", {"channel": "C1"}, "no_text", channels, as_json=True)
    for channel, error in (("C1", None), ("C2", "not_in_channel"), ("G1", "channel_not_found"),
                           ("C3", "is_archived")):
        yield Call("chat.postEphemeral", {"channel": channel, "user": "U0ALICE", "text": "hi"}, error, channels,
                   as_json=True)
    yield Call("chat.postEphemeral", {"channel": "C1", "user": "U0ALICE"}, "no_text", channels, as_json=True)
    yield Call("chat.postEphemeral", {"channel": "C1", "text": "hi"}, "invalid_arguments", channels, as_json=True)
    image = {"type": "image", "alt_text": "p", "image_url": "https://example.com/p.jpg"}
    unfurls = {"https://crm.zoho.com/x": {"blocks": [image]}}
    for params, error in (({"channel": "C1", "ts": "1.2", "unfurls": unfurls}, None),
                          ({"unfurl_id": "U1", "source": "composer", "unfurls": unfurls}, None),
                          ({"unfurls": unfurls}, "missing_channel"),
                          ({"channel": "C1", "unfurls": unfurls}, "missing_ts"),
                          ({"unfurl_id": "U1", "source": "elsewhere", "unfurls": unfurls}, "invalid_arguments"),
                          ({"channel": "C9", "ts": "1.2", "unfurls": unfurls}, "cannot_find_channel"),
                          ({"channel": "C1", "ts": "1.2"}, "missing_unfurls"),
                          ({"channel": "C1", "ts": "1.2", "unfurls": {"u": 1}}, "invalid_unfurls_format"),
                          ({"channel": "C1", "ts": "1.2", "unfurls": {"u": {"blocks": [
                              {"type": "image", "slack_file": {"id": "F0NOPE"}}]}}}, "invalid_blocks")):
        yield Call("chat.unfurl", params, error, channels, as_json=True)
    for channel, error in (("C1", None), ("C4", None), ("G1", "channel_not_found")):
        yield Call("conversations.info", {"channel": channel}, error, channels)
    yield Call("users.info", {"user": "U0ALICE"})
    yield Call("users.info", {"user": "U0GUEST"}, None, channels)
    yield Call("users.info", {"user": "U0ALICE"}, None, _set(email_scope=False))
    yield Call("users.info", {"user": "U0NOBODY"}, "user_not_found")
    yield Call("usergroups.users.list", {"usergroup": "S1"}, None, channels)
    yield Call("usergroups.users.list", {"usergroup": "S9"}, "no_such_subteam")
    yield Call("chat.postMessage", {"channel": "C1", "text": "hi"}, "ratelimited", as_json=True,
               setup=lambda fake: fake.fail_next("chat.postMessage", "ratelimited", status=429))
    yield Call("apps.connections.open", token="xapp-test-dummy")
    yield Call("apps.connections.open", error="not_authed", token=None)
    yield Call("apps.connections.open", error="invalid_auth", token="xapp-wrong")
    yield Call("apps.connections.open", error="not_allowed_token_type", token=WEB_TOKEN)


def generic_calls(method: str) -> Iterator[Call]:
    """What any Web API method answers before its own work: no token, a wrong token, a body that is not JSON."""
    yield Call(method, error="not_authed", token=None)
    yield Call(method, error="invalid_auth", token="xoxb-wrong")
    yield Call(method, error="invalid_json", raw=b"{not json")
    if method in MISSING_ARGUMENT:
        yield Call(method, {}, MISSING_ARGUMENT[method], as_json=method.startswith("chat."))


MISSING_ARGUMENT = {method: "invalid_arguments" for method in (
    "files.getUploadURLExternal", "files.completeUploadExternal", "conversations.join", "chat.postMessage",
    "chat.postEphemeral", "conversations.info", "users.info", "usergroups.users.list")}


SLACK_CALLS = [*slack_calls(), *(call for method in fs.FakeSlack()._handlers for call in generic_calls(method))]


def call_fake_slack(call: Call) -> tuple[int, dict[str, Any]]:
    with FakeSlackSocketMode() as fake, httpx.Client(base_url=fake.url) as http:
        if call.setup is not None:
            call.setup(fake)
        params = dict(call.params)
        if params.get("files") in ("UPLOADED", "AGAIN"):
            file_id = _upload(fake, http)
            if params["files"] == "AGAIN":
                http.post("/api/files.completeUploadExternal", params={"files": json.dumps([{"id": file_id}])},
                          headers={"Authorization": f"Bearer {WEB_TOKEN}"})
            params["files"] = json.dumps([{"id": file_id}])
        if params.get("channel_id") == "":
            del params["channel_id"]
        headers = {"Authorization": f"Bearer {call.token}"} if call.token else {}
        if call.raw is not None:
            response = http.post(f"/api/{call.method}", content=call.raw,
                                 headers={**headers, "Content-Type": "application/json"})
        elif call.as_json:
            response = http.post(f"/api/{call.method}", json=params, headers=headers)
        else:
            response = http.post(f"/api/{call.method}", params=params, headers=headers)
    return response.status_code, response.json()


@pytest.mark.parametrize("call", SLACK_CALLS, ids=[f"{c.method}-{c.error or 'ok'}" for c in SLACK_CALLS])
def test_every_key_of_a_fake_slack_answer_is_in_the_sdk_sample(call: Call) -> None:
    status, answer = call_fake_slack(call)
    assert answer.get("error") == call.error and answer["ok"] is (call.error is None), answer
    assert status == (429 if call.error == "ratelimited" else 200)
    sample = json.loads((SAMPLES / f"{call.method}.json").read_text())
    assert keys_not_in_sample(answer, sample) == [], answer


def test_every_method_and_every_error_of_the_fake_slack_has_a_call() -> None:
    handlers = {method: handler.__name__ for method, handler in fs.FakeSlack()._handlers.items()}
    called = {call.method for call in SLACK_CALLS}
    assert called == {*handlers, "apps.connections.open"}  # a new method needs its calls above (and its sample)
    codes = errors_in_source(fs, "FakeSlack", "SlackError")
    wanted = {method: (codes[handler] | codes["_api"]) - {"unknown_method"} for method, handler in handlers.items()}
    wanted["apps.connections.open"] = errors_in_source(socket_mode, "FakeSlackSocketMode", "SlackError")["_api"]
    for method, errors in wanted.items():
        given = {call.error for call in SLACK_CALLS if call.method == method}
        assert errors <= given, f"{method}: no call answers {sorted(errors - given)}"


# --- (Zoho) every request the bot sends is an operation of the OAS, with only its query parameters ---------------

@pytest.mark.parametrize(("method", "path", "query", "form", "problem"), [
    ("GET", "/crm/v8/Contacts/search", "word=jane&per_page=50", None, None),
    ("GET", "/crm/v8/Contacts/search", "word=jane&per_page=50&page=2", None, "'page' is not a query parameter"),
    ("GET", "/crm/v8/Contacts/search", "word=jane", None, "requires 'per_page'"),
    ("GET", "/crm/v8/Contacts/search", "word=jane&per_page=500", None, "not within 1..200"),
    ("GET", "/crm/v8/Contacts/search", "word=jane&per_page=many", None, "is not an integer"),
    ("GET", "/crm/v8/users", "type=ActiveUsers&page=1&per_page=200", None, None),
    ("GET", "/crm/v8/users", "type=AllUsers", None, "is not one of"),
    ("GET", "/crm/v8/settings/modules", "status=gone", None, "is not one of"),
    ("GET", "/crm/v8/Contacts", "ids=1,2&fields=Email", None, None),
    ("GET", "/crm/v8/Contacts/1/photo", "size=big", None, "'size' is not a query parameter"),
    ("GET", "/crm/v2/Contacts/1/photo", "", None, "no operation"),
    ("PATCH", "/crm/v8/org", "", None, "no operation"),
    ("POST", "/oauth/v2/token", "", dict(FORM), None),
    ("POST", "/oauth/v2/token", "&".join(f"{k}={v}" for k, v in FORM.items()), None, None),
    ("POST", "/oauth/v2/token", "", {**FORM, "scope": "ZohoCRM.modules.ALL"}, "not ['client_id'"),
    ("POST", "/oauth/v2/token", "", {**FORM, "grant_type": "password"}, "is not a token request"),
    ("GET", "/oauth/v2/token", "", dict(FORM), "is not a token request"),
])
def test_the_request_rules_find_what_zoho_does_not_define(method: str, path: str, query: str,
                                                        form: dict[str, str] | None, problem: str | None) -> None:
    problems = zoho_oas.request_problems(method, path, query, form)
    assert (problems == []) if problem is None else any(problem in p for p in problems), problems


BOT_OPERATIONS = {  # every kind of call bot/zoho/client.py makes, by the OAS operation it names
    "GET /crm/v8/settings/modules (modules.json)", "GET /crm/v8/{module}/{record}/photo (record_photo.json)",
    "GET /crm/v8/{module}/search (module_search.json)", "GET /crm/v8/{module_api_name}/{id} (record.json)",
    "GET /crm/v8/{module_api_name} (record.json)", "GET /crm/v8/org (org.json)", "GET /crm/v8/users (users.json)",
}


async def test_each_kind_of_zoho_call_the_bot_makes_is_an_operation_of_the_oas(
        fake_zoho: FakeZoho, monkeypatch: pytest.MonkeyPatch) -> None:
    """The flows of the bot's Zoho client, one of each kind (tests/conftest.py holds every other test's calls to the
    same rules): all are operations Zoho's files define, with the parameters they define."""
    from bot.zoho import Module
    from tests.conftest import make_client

    seen: list[fz.Seen] = []
    monkeypatch.setattr(FakeZoho, "observer", seen.append)
    _jane(fake_zoho)
    fake_zoho.crm_users = {"alice@example.com": "active"}
    contacts = Module("Contacts")
    client = make_client(fake_zoho)
    try:
        await client.modules.load()
        await client.fetch_photo("Contacts", "4000000000020")
        for kind, value in (("email", "jane@example.com"), ("phone", "+1 555 0100"), ("word", "Jane")):
            await client.search(contacts, kind, value)
        await client.record_card(contacts, "4000000000020")
        await asyncio.gather(*(client.record_card(contacts, f"400000000002{n}") for n in range(3)))
        await client.users_page(1, 200)
    finally:
        await client.aclose()
    problems = [p for s in seen for p in zoho_oas.request_problems(s.method, s.path, s.query, s.form)]
    assert problems == []
    operations = {zoho_oas.find_operation(s.method, s.path) for s in seen if s.path != zoho_oas.TOKEN_PATH}
    assert {op.name for op in operations if op is not None} == BOT_OPERATIONS
    assert [s.form["grant_type"] for s in seen if s.path == zoho_oas.TOKEN_PATH and s.form] == ["refresh_token"]


# --- (Slack) the bot accepts what Slack really sends: the SDK's full-shape samples, filled in ----------------------

ENTERPRISE = {"id": "E0GRID0001", "name": "Acme Grid"}
JANE_ID = "4876876000000624001"
JANE = {"Full_Name": "Jane Doe", "First_Name": "Jane", "Last_Name": "Doe", "Email": "jane@acme.com",
        "Account_Name": {"name": "Acme Corp", "id": "99"}}


def sample(name: str) -> Any:
    return json.loads((SAMPLES / f"{name}.json").read_text())


def full_command(text: str, *, channel: str, response_url: str, enterprise_install: bool) -> dict[str, str]:
    """Every field of the SDK's slash-command sample, with an Enterprise Grid's values."""
    return {"token": "deprecated-verification-token", "api_app_id": "A0TEST", "team_id": "T0TEST",
            "team_domain": "acme-sales", "enterprise_id": ENTERPRISE["id"], "enterprise_name": ENTERPRISE["name"],
            "channel_id": channel, "channel_name": "sales", "user_id": "U0ALICE", "user_name": "alice",
            "command": "/crmphoto", "text": text, "response_url": response_url, "trigger_id": "1337.42.abcdef",
            "is_enterprise_install": str(enterprise_install).lower()}


def full_click(value: str, *, channel: str, response_url: str, ephemeral: bool) -> dict[str, Any]:
    """A block_actions payload as Slack sends it from a Grid workspace: keys and types of the SDK's sample."""
    payload: dict[str, Any] = {
        "type": "block_actions", "enterprise": dict(ENTERPRISE),
        "team": {"id": "T0TEST", "domain": "acme-sales", "enterprise_id": ENTERPRISE["id"],
                 "enterprise_name": ENTERPRISE["name"]},
        "user": {"id": "U0ALICE", "username": "alice", "name": "alice", "team_id": "T0TEST"},
        "api_app_id": "A0TEST", "token": "deprecated-verification-token",
        "container": {"type": "message", "message_ts": "1700000000.000301", "channel_id": channel,
                      "is_ephemeral": ephemeral},
        "trigger_id": "1337.42.abcdef", "channel": {"id": channel, "name": "directmessage" if channel[0] == "D"
                                                    else "sales"},
        "response_url": response_url, "is_enterprise_install": False,
        "actions": [{"action_id": "crmphoto_share", "block_id": "choice-0", "value": value, "type": "button",
                     "text": {"type": "plain_text", "text": "Share photo", "emoji": True},
                     "action_ts": "1700000001.000100"}],
    }
    if not ephemeral:  # a message Slack keeps (the list sent by DM) comes with the message itself
        payload["message"] = {"type": "message", "user": "U0BOT", "bot_id": "B0BOT", "team": "T0TEST",
                              "text": "2 records match", "ts": "1700000000.000301"}
    return payload


def full_link_event(url: str, *, channel: str, source: str, ext_shared: bool) -> dict[str, Any]:
    """A link_shared envelope with every key of the SDK's sample, filled in as Slack sends them."""
    composer = source == "composer"
    message_ts = "U0ALICE-909b5454-75f8-4ac4-b325-1b40e230bbd8-gryl3kb80b3wm49ihzoo35fyqoq08n2y" if composer \
        else "1700000000.000402"
    return {
        "token": "deprecated-verification-token", "enterprise_id": ENTERPRISE["id"], "team_id": "T0TEST",
        "api_app_id": "A0TEST", "type": "event_callback", "authed_users": ["U0BOT"], "authed_teams": ["T0TEST"],
        "authorizations": [{"enterprise_id": ENTERPRISE["id"], "team_id": "T0TEST", "user_id": "U0BOT",
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": ext_shared, "event_id": f"Ev0FULL{source}", "event_time": 1700000000,
        "event_context": "4-eyJldCI6ImxpbmtfZXhhbXBsZSJ9",
        "event": {"type": "link_shared", "channel": "COMPOSER" if composer else channel, "user": "U0ALICE",
                  "message_ts": message_ts, "thread_ts": "1700000000.000400",
                  "links": [{"domain": "crm.zoho.com", "url": url}], "is_bot_user_member": True,
                  "unfurl_id": f"{channel}.{message_ts}.abcdef", "source": source, "event_ts": message_ts},
    }


def full_shortcut(text: str, *, channel: str, response_url: str, thread_ts: str | None) -> dict[str, Any]:
    """A message_action payload from a Grid workspace with the SDK sample's top-level keys, filled in as Slack sends
    them (a user's message: `client_msg_id`, `blocks` of rich text; a reply's `thread_ts` and `parent_user_id`)."""
    message: dict[str, Any] = {
        "type": "message", "user": "U0BOB", "team": "T0TEST", "text": text, "ts": "1700000000.000501",
        "client_msg_id": "2f2b3c6e-8a57-4b8a-9a52-6f1f0a0e1c11",
        "blocks": [{"type": "rich_text", "block_id": "b1", "elements": []}],
    }
    if thread_ts is not None:
        message.update(thread_ts=thread_ts, parent_user_id="U0CAROL")
    return {
        "type": "message_action", "callback_id": "crmphoto_message", "trigger_id": "1337.42.abcdef",
        "message_ts": "1700000000.000501", "response_url": response_url, "message": message,
        "enterprise": dict(ENTERPRISE),
        "team": {"id": "T0TEST", "domain": "acme-sales", "enterprise_id": ENTERPRISE["id"],
                 "enterprise_name": ENTERPRISE["name"]},
        "user": {"id": "U0ALICE", "name": "alice", "team_id": "T0TEST"},
        "channel": {"id": channel, "name": "sales"},
        "token": "deprecated-verification-token", "action_ts": "1700000002.000200", "is_enterprise_install": False,
    }


def test_the_filled_in_samples_keep_the_samples_keys_and_types() -> None:
    command = full_command("x", channel="C1", response_url="https://hooks.slack.com/x", enterprise_install=True)
    assert set(command) == set(sample("slash-commands_SlashCommandPayload"))  # a form: every value is a string
    clicks = [full_click("v", channel=c, response_url="u", ephemeral=e) for c, e in (("C1", True), ("D1", False))]
    for click in clicks:
        assert keys_not_in_sample(click, sample("interactive-components_BlockActionPayload")) == []
    assert {"enterprise", "is_enterprise_install"} <= set(clicks[0]) and "enterprise_id" in clicks[0]["team"]
    for source in ("composer", "conversations_history"):
        event = full_link_event("https://x", channel="C1", source=source, ext_shared=True)
        assert keys_not_in_sample(event, sample("events_LinkSharedPayload")) == []
        assert set(event) == set(sample("events_LinkSharedPayload"))
    for thread_ts in (None, "1700000000.000400"):
        shortcut = full_shortcut("x", channel="C1", response_url="u", thread_ts=thread_ts)
        assert keys_not_in_sample(shortcut, sample("interactive-components_MessageShortcutPayload")) == []
        assert set(shortcut) == set(sample("interactive-components_MessageShortcutPayload"))


def test_what_the_harness_sends_is_in_the_samples() -> None:
    """bot/fakes/harness.py builds what Slack posts for the other tests: only keys Slack is seen to send."""
    from urllib.parse import parse_qs

    from bot.fakes import harness

    command = parse_qs(harness.command_body("x", channel="C1").decode())
    assert set(command) <= set(sample("slash-commands_SlashCommandPayload"))
    click = json.loads(parse_qs(harness.block_actions_body(value="v", channel="C1").decode())["payload"][0])
    assert keys_not_in_sample(click, sample("interactive-components_BlockActionPayload")) == []
    event = json.loads(harness.link_shared_body(links=["https://x"], channel="C1"))
    assert keys_not_in_sample(event, sample("events_LinkSharedPayload")) == []
    for thread_ts in (None, "1700000000.000400"):
        body = harness.message_shortcut_body("x", channel="C1", thread_ts=thread_ts)
        shortcut = json.loads(parse_qs(body.decode())["payload"][0])
        assert keys_not_in_sample(shortcut, sample("interactive-components_MessageShortcutPayload")) == []
        assert shortcut["type"] == "message_action" and ("thread_ts" in shortcut["message"]) == (thread_ts is not None)


@pytest.mark.parametrize("enterprise_install", [False, True])
async def test_a_full_slash_command_from_an_enterprise_grid_gets_its_photo(make_bot: Any,
                                                                         enterprise_install: bool) -> None:
    from urllib.parse import urlencode

    from bot.fakes.harness import sign
    from tests.inprocess import CHANNEL

    bot = await make_bot()
    bot.zoho.add_record("Contacts", JANE_ID, Record(fields=JANE))
    body = urlencode(full_command(f"Contacts {JANE_ID}", channel=CHANNEL, response_url=bot.slack.response_url("g"),
                                  enterprise_install=enterprise_install)).encode()
    response = await bot.client.post("/slack/events", content=body, headers=sign(body))
    assert response.status_code == 200 and response.json()["response_type"] == "ephemeral"
    await bot.settle()
    [upload] = bot.slack.uploads
    assert (upload["channel_id"], upload["title"]) == (CHANNEL, "Jane Doe") and bot.zoho.photo_calls() == 1


@pytest.mark.parametrize("where", ["ephemeral", "dm"])
async def test_a_full_click_from_an_ephemeral_list_or_a_dm_shares_that_record(make_bot: Any, where: str) -> None:
    from urllib.parse import urlencode

    from bot.fakes.harness import sign
    from tests.inprocess import CHANNEL
    from tests.test_lookup import buttons, person

    bot = await make_bot()
    bot.slack.add_channel("DU0ALICE", "im")
    for i, email in enumerate(("jd1@acme.com", "jd2@beta.io")):
        bot.zoho.add_record("Contacts", f"70000000{i}", Record(fields=person("Jane Doe", email, f"Org {i}")))
    _, name = await bot.command("Jane Doe")
    await bot.settle()
    value = buttons(bot.replies(name)[0])[1]["value"]
    clicked_in = CHANNEL if where == "ephemeral" else "DU0ALICE"
    payload = full_click(value, channel=clicked_in, response_url=bot.slack.response_url("clicked"),
                         ephemeral=where == "ephemeral")
    body = urlencode({"payload": json.dumps(payload)}).encode()
    response = await bot.client.post("/slack/events", content=body, headers=sign(body))
    assert response.status_code == 200
    await bot.settle()
    [upload] = bot.slack.uploads
    assert (upload["channel_id"], upload["title"]) == (CHANNEL, "Jane Doe") and "Org 1" in upload["initial_comment"]
    assert bot.replies("clicked")[0]["replace_original"] is True


@pytest.mark.parametrize(("source", "ext_shared", "env", "unfurled"), [
    ("conversations_history", False, {}, True),
    ("composer", False, {"UNFURL_SHARED_CHANNELS": "true"}, True),
    ("composer", False, {}, False),  # no conversation yet: counted as shared (bot/access.py)
    ("conversations_history", True, {}, False),
    ("conversations_history", True, {"UNFURL_SHARED_CHANNELS": "true"}, True),
])
async def test_a_full_link_shared_event_is_unfurled_where_it_may_be(make_bot: Any, source: str, ext_shared: bool,
                                                                   env: dict[str, str], unfurled: bool) -> None:
    from bot.fakes.harness import sign_event
    from tests.inprocess import CHANNEL

    bot = await make_bot(**env)
    bot.zoho.add_record("Contacts", JANE_ID, Record(fields=JANE))
    url = f"https://crm.zoho.com/crm/org7000001/tab/Contacts/{JANE_ID}"
    event = full_link_event(url, channel=CHANNEL, source=source, ext_shared=ext_shared)
    body = json.dumps(event).encode()
    response = await bot.client.post("/slack/events", content=body, headers=sign_event(body))
    assert response.status_code == 200
    await bot.settle()
    assert bot.slack.count("conversations.info") == (1 if source != "composer" and not ext_shared else 0)
    if not unfurled:
        assert bot.slack.unfurls == [] and bot.zoho.photo_calls() == 0
        return
    [done] = bot.slack.unfurls  # named by the event's unfurl_id and source, wherever the link was pasted
    assert list(done["unfurls"]) == [url] and bot.zoho.photo_calls() == 1
    assert (done["unfurl_id"], done["source"]) == (event["event"]["unfurl_id"], source)


@pytest.mark.parametrize("thread_ts", [None, "1700000000.000400"])
async def test_a_full_message_shortcut_from_an_enterprise_grid_shares_into_the_thread(make_bot: Any,
                                                                                      thread_ts: str | None) -> None:
    from urllib.parse import urlencode

    from bot.fakes.harness import sign
    from tests.inprocess import CHANNEL

    bot = await make_bot()
    bot.zoho.add_record("Contacts", JANE_ID, Record(fields=JANE))
    payload = full_shortcut("Please call <mailto:jane@acme.com|jane@acme.com>", channel=CHANNEL,
                            response_url=bot.slack.response_url("sc"), thread_ts=thread_ts)
    body = urlencode({"payload": json.dumps(payload)}).encode()
    response = await bot.client.post("/slack/events", content=body, headers=sign(body))
    assert response.status_code == 200 and response.text == ""
    await bot.settle()
    [upload] = bot.slack.uploads
    assert (upload["channel_id"], upload["title"]) == (CHANNEL, "Jane Doe")
    assert upload["thread_ts"] == (thread_ts or "1700000000.000501")
    assert bot.zoho.search_calls() == 1 and bot.zoho.photo_calls() == 1

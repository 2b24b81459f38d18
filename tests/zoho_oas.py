"""Zoho's own OpenAPI files for CRM API v8 (tests/reference/zoho-oas-v8-*.json), as something a test can ask.

Which operation a request names, whether its query parameters are ones that operation defines (with values
of the right type and within its enums), and whether an answer fits the operation's response schema. Used by
tests/test_vendor_shapes.py (every answer the fake Zoho gives) and tests/conftest.py (every request the bot
sends, in every test).

How the files are read, and why:
- `$ref`s resolve from the local copies (a `referencing` registry keyed by the URLs the files use for each
  other); a `$ref` into a file we do not hold (tags.json, fields.json, …) validates as any object.
- OpenAPI 3.0 schemas are JSON Schema draft 4 plus `nullable`: `nullable: true` adds `null` to the type.
- Zoho's files use `oneOf` for "one of these shapes" where the shapes overlap (record_photo's `error.details`
  is `oneOf: [{"type": "object"}, InvalidDetails, …]`, so every details object with an `id` matches two), so a
  strict `oneOf` would reject the very bodies the files describe: it is read as `anyOf`.
- Where two files define the same path, module_search.json and record_photo.json win for theirs (they are the
  pages the bot was built from); otherwise the path with more literal segments wins (`/settings/modules`
  over `/{module_api_name}/{id}`), then the first in the file.
- An error status an operation does not list validates against common.json's `API_Exception` (Zoho's one
  error shape, FACTS.md "Errors are JSON {code, details, message, status}").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import jsonschema
from referencing import Registry
from referencing.jsonschema import DRAFT4

REFERENCE = Path(__file__).resolve().parent / "reference"
# What the OAS files do not state, checked against these rows instead. FACTS.md is shared/reference/FACTS.md, the
# project's digest of Zoho's pages; each row also names the page it draws on.
BEYOND_OAS: dict[str, str] = {
    "token": "FACTS.md:35-42 and 146-151 (Zoho Accounts 'Refresh access token', 'Self client'): POST "
             "{accounts}/oauth/v2/token with grant_type=refresh_token, client_id, client_secret, refresh_token "
             "(or grant_type=authorization_code with code instead of refresh_token), in the query or a form; the "
             "answer holds access_token, api_domain, token_type Bearer, expires_in (a code grant's also refresh_token) "
             "and usually no scope; every failure is HTTP 200 with `error` (invalid_client, invalid_code, 'Access "
             "Denied' with error_description and status failure)",
    "grant_type": "RFC 6749 §5.2: a grant type the server does not take answers `unsupported_grant_type`",
    "per_page": "FACTS.md:103-107 (Search Records, https://www.zoho.com/crm/developer/docs/api/v8/search-records"
                ".html, and Get Users): per_page defaults to 200, the most one page holds",
    "photo_types": "FACTS.md:20-21 (Download a Photo): a photo's content type is the image's (image/jpeg, png, gif, "
                   "bmp); record.json names application/x-download, record_photo.json image/png",
    "photo_400": "zoho-download-a-photo.txt 'Possible Errors': codes it gives HTTP 400 that record_photo.json's "
                 "`error` enum does not list; their bodies are held to common's API_Exception",
    "search_204": "FACTS.md:63-65 and 103 (Search Records): 204 with no body when nothing matches",
    "records_204": "Get Records (https://www.zoho.com/crm/developer/docs/api/v8/get-records.html): 204, no body, "
                   "when there is no record to give",
    "record_204": "assumed in bot/fakes/zoho.py (no page says what a deleted record answers): 204, no body",
    "gateway": "not a Zoho answer: the fake's hang-ups and HTML 5xx pages play a proxy or network in between "
               "(RFC 9110 §15.6), so no Zoho schema applies to them",
}
TOKEN_PATH = "/oauth/v2/token"
TOKEN_GRANTS = {  # BEYOND_OAS["token"]: what each grant sends
    "refresh_token": {"grant_type", "client_id", "client_secret", "refresh_token"},
    "authorization_code": {"grant_type", "client_id", "client_secret", "code"},
}
MAX_PER_PAGE = 200  # BEYOND_OAS["per_page"]
BASE = "https://raw.githubusercontent.com/Zohocorp-Pvt-Ltd/crm-oas/refs/heads/main/v8.0/"
FILES = ("record_photo", "module_search", "record", "modules", "org", "users", "common")  # winners first
WINNERS = ("record_photo", "module_search")
METHODS = ("get", "post", "put", "patch", "delete")
ANY_OBJECT = {"type": "object"}

Validator = jsonschema.validators.extend(
    jsonschema.Draft4Validator, {"oneOf": jsonschema.Draft4Validator.VALIDATORS["anyOf"]}
)


def _as_json_schema(node: Any, held: set[str]) -> Any:
    """A copy of an OAS 3.0 document with `nullable` spelled as JSON Schema and refs to absent files dropped."""
    if isinstance(node, list):
        return [_as_json_schema(item, held) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#"):
        document = ref.split("#", 1)[0]
        if document not in held:
            return dict(ANY_OBJECT)
    out = {key: _as_json_schema(value, held) for key, value in node.items()}
    if out.pop("nullable", False) is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


# Keywords of Zoho's files that are sample values turned into rules, and that real answers break: left out,
# each named with why. A new vendor file that fixes or moves one makes `documents()` fail until this is updated.
DEFECTS: dict[tuple[str, str], str] = {
    ("users", "/components/schemas/users/properties/email/pattern"):
        "`[a-z0-9]{9}[@][a-z0-9]{5}[.]com`: one sample address (nine characters, @, five, .com), not a rule",
    ("users", "/components/schemas/users/properties/website/pattern"):
        "`[a-z0-9]{5}[.]com`: one sample domain, not a rule",
}


@cache
def documents() -> dict[str, dict[str, Any]]:
    """Each held file, by short name (`record_photo`), read as JSON Schema."""
    held = {f"{BASE}{name}.json" for name in FILES}
    raw = {name: json.loads((REFERENCE / f"zoho-oas-v8-{name}.json").read_text()) for name in FILES}
    docs = {name: _as_json_schema(doc, held) for name, doc in raw.items()}
    for (name, pointer), _why in DEFECTS.items():
        *parents, keyword = pointer[1:].split("/")
        node = docs[name]
        for part in parents:
            node = node[part]
        del node[keyword]  # KeyError: the vendor file changed here; re-read it and update DEFECTS
    return docs


@cache
def registry() -> Registry:
    return Registry().with_resources(
        (f"{BASE}{name}.json", DRAFT4.create_resource(doc)) for name, doc in documents().items()
    )


def _resolve(name: str, node: dict[str, Any], pointer: str = "") -> tuple[dict[str, Any], str]:
    """A `$ref` to a component of the same file (parameters, responses) followed, and where it led."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        pointer = node["$ref"][1:]
        target: Any = documents()[name]
        for part in pointer[1:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node, pointer


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _shape(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", template)


@dataclass(frozen=True)
class Operation:
    """One operation of one file: `GET /crm/v8/{module}/search` in module_search.json."""

    file: str
    method: str
    template: str

    @property
    def spec(self) -> dict[str, Any]:
        return documents()[self.file]["paths"][self.template][self.method]

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.template} ({self.file}.json)"

    def query_parameters(self) -> dict[str, dict[str, Any]]:
        """The query parameters the operation defines, by name."""
        params = [_resolve(self.file, p)[0] for p in self.spec.get("parameters", [])]
        return {p["name"]: p for p in params if p.get("in") == "query"}

    def response_schema(self, status: int, content_type: str | None) -> str | None:
        """The `$ref` of the schema an answer with this status must fit; None when the operation gives it no body.

        Statuses the operation does not list: errors fit common's API_Exception; anything else is a KeyError
        (a success the OAS does not describe needs a row in the test's own table).
        """
        responses = self.spec.get("responses", {})
        if str(status) not in responses:
            if status >= 400:
                return f"{BASE}common.json#/components/schemas/API_Exception"
            raise KeyError(f"{self.name} lists no {status}")
        here = f"/paths/{_escape(self.template)}/{self.method}/responses/{status}"
        response, pointer = _resolve(self.file, responses[str(status)], here)
        content = response.get("content")
        if not content:
            return None
        media = (content_type or "").split(";")[0].strip()
        if media not in content:
            raise KeyError(f"{self.name} {status} has no {media!r} (only {sorted(content)})")
        if "schema" not in content[media]:
            return None
        return f"{BASE}{self.file}.json#{pointer}/content/{_escape(media)}/schema"


def validate(operation: Operation, status: int, content_type: str | None, body: Any) -> None:
    """Raise jsonschema.ValidationError when `body` (parsed JSON) does not fit the operation's answer."""
    ref = operation.response_schema(status, content_type)
    if ref is not None:
        Validator({"$ref": ref}, registry=registry()).validate(body)


@cache
def operations() -> tuple[Operation, ...]:
    """Every operation of every held file, in the order a request is matched against them."""
    found = [Operation(name, method, template) for name in FILES
             for template, item in documents()[name].get("paths", {}).items()
             for method in METHODS if method in item]
    winners = {(op.method, _shape(op.template)) for op in found if op.file in WINNERS}
    kept = [op for op in found if op.file in WINNERS or (op.method, _shape(op.template)) not in winners]
    literal = {op: sum(1 for part in op.template.split("/") if part and not part.startswith("{")) for op in kept}
    return tuple(sorted(kept, key=lambda op: -literal[op]))  # stable: file order breaks ties


def find_operation(method: str, path: str) -> Operation | None:
    """The operation a request names (these files describe v8: `/crm/v8/…`)."""
    for op in operations():
        if op.method == method.lower() and re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", op.template), path):
            return op
    return None


def request_problems(method: str, path: str, query: str, form: dict[str, str] | None = None) -> list[str]:
    """What is wrong with a request to Zoho (empty when nothing is): an operation of the OAS with only the query
    parameters it defines, or the token endpoint as BEYOND_OAS["token"] describes it."""
    sent = parse_qsl(query, keep_blank_values=True)
    if path == TOKEN_PATH:
        params = {**dict(sent), **(form or {})}
        wanted = TOKEN_GRANTS.get(params.get("grant_type", ""))
        if method != "POST" or wanted is None:
            return [f"{method} {path} with grant_type {params.get('grant_type')!r} is not a token request Zoho takes"]
        return [] if set(params) == wanted else [f"a {params['grant_type']} grant sends {sorted(wanted)}, "
                                                 f"not {sorted(params)}"]
    operation = find_operation(method, path)
    if operation is None:
        return [f"{method} {path} is no operation of Zoho's OAS files"]
    problems = query_problems(operation, sent)
    for name, value in sent:
        if name == "per_page" and value.isdigit() and not 1 <= int(value) <= MAX_PER_PAGE:
            problems.append(f"per_page={value} is not within 1..{MAX_PER_PAGE} (BEYOND_OAS['per_page'])")
    return problems


def query_problems(operation: Operation, query: list[tuple[str, str]]) -> list[str]:
    """What is wrong with a request's query string for `operation` (empty when nothing is)."""
    defined = operation.query_parameters()
    sent = dict(query)
    problems = [f"{name!r} is not a query parameter of {operation.name}" for name, _ in query if name not in defined]
    problems += [f"{operation.name} requires {name!r}" for name, p in defined.items()
                 if p.get("required") and name not in sent]
    for name, value in query:
        schema = defined.get(name, {}).get("schema", {})
        if schema.get("type") == "integer" and not re.fullmatch(r"-?[0-9]+", value):
            problems.append(f"{name}={value!r} is not an integer")
        if "enum" in schema and value not in schema["enum"]:
            problems.append(f"{name}={value!r} is not one of {schema['enum']}")
    return problems


def component(name: str, schema: str) -> str:
    """The `$ref` of a schema of one file's components (`component("common", "API_Exception")`)."""
    return f"{BASE}{name}.json#/components/schemas/{schema}"


def validate_component(name: str, schema: str, body: Any) -> None:
    Validator({"$ref": component(name, schema)}, registry=registry()).validate(body)


def explain(error: jsonschema.ValidationError) -> str:
    """The deepest reason a body failed (inside `anyOf`, the alternative that came closest), and where."""
    while error.context:
        error = jsonschema.exceptions.best_match(error.context)
    where = "/".join(str(part) for part in error.absolute_path)
    return f"{error.message[:300]} at /{where}"

"""A fake of the Slack Web API, served over real HTTP on 127.0.0.1.

`FakeSlack` lets slack_sdk's real `AsyncWebClient` (and `AsyncWebhookClient` for response URLs)
run unmodified against `FakeSlack(...).api_url`. Only the methods crmphoto uses are modelled; the
behaviour of each comes from Slack's method reference pages (docs.slack.dev/reference/methods/...)
and from how slack_sdk 3.x actually sends requests:

Transport (docs.slack.dev "Web API basics", "Rate limits"; slack_sdk `web/async_base_client.py`)
  * Methods live at `/api/<method>`. Arguments may arrive in the query string, a form-encoded or
    multipart body, or a JSON body. slack_sdk's async client sends *most* methods (auth.test,
    files.*, conversations.join/open) as a POST with the arguments in the **query string** and an
    empty form body, `chat.*` as JSON, and `users.info` / `usergroups.users.list` as GET.
  * The token comes from `Authorization: Bearer ...`, or the `token` argument for query/form
    requests (a JSON body's `token` is ignored, as Slack requires the header for JSON).
    Missing -> `not_authed`, wrong -> `invalid_auth`.
  * Every answer is HTTP 200 with `{"ok": ...}`, except rate limiting: HTTP 429, `Retry-After: N`,
    `{"ok": false, "error": "ratelimited"}`. Unknown methods answer `unknown_method`.
  * Missing required arguments answer `invalid_arguments`, with `response_metadata.messages` (the shape Slack
    uses for schema-validated methods) only for the methods whose answers Slack's Java SDK ever recorded with a
    `response_metadata` (`DETAILED_ERRORS`; tests/reference/slack-samples/, README there): the others answer
    `error` alone. Every key an answer carries is one the SDK's sample of that method has
    (tests/test_vendor_shapes.py).

files.getUploadURLExternal (docs: files.getUploadURLExternal)
  * `filename` and `length` required; `length` of 0 answers `missing_argument` ("typically only
    occurs when the length provided is 0"). Returns `upload_url` and a `F...` `file_id`.

Upload URL step (docs: "Uploading files" / files.getUploadURLExternal usage info)
  * `POST /upload/v1/<key>` takes the file "as raw bytes or multipart form encoded" (slack_sdk's
    async client posts the raw bytes) and answers 200 `text/plain` `OK - <length>`. Unknown key -> 404.

files.completeUploadExternal (docs: files.completeUploadExternal)
  * `files` is a JSON array of `{"id", "title"?}`; an id never issued, or whose bytes never
    arrived, answers `file_not_found` ("Could not find the file from the upload ticket"); a
    malformed `files` answers `invalid_arguments`.
  * "This method can only be called once" (the method page's usage info). What Slack answers when it is
    called again for an already-completed file id is NOT documented; the fake answers `file_not_found`
    (the upload ticket is used up) by default, or, with `repeat_complete = "ok"`, `ok: true` with the same
    file and without sharing it again. The bot must cope with both.
  * With `channel_id` (or `channels`), the channel must exist and the bot must be a member:
    `not_in_channel` for a channel the bot can see but has not joined (what Slack really answers
    for a public channel, although the method page does not list it), `channel_not_found` for a
    channel it cannot see (unknown, or someone else's private channel).
  * Without a channel the file is completed privately (recorded with `channel_id=None`).
  * `thread_ts` ("Provide another message's ts value to upload this file as a reply", the method page's
    arguments; FACTS.md) shares the file as a reply in that thread of the channel; it is recorded with each upload
    (`thread_ts`, None without it). Whether the ts names a message of that channel is not checked (see below).

conversations.join (docs: conversations.join)
  * Public channel -> bot becomes a member; joining again adds `warning: already_in_channel`.
    Private channels and IMs -> `method_not_supported_for_channel_type` (bots cannot join them);
    archived -> `is_archived`; unknown -> `channel_not_found`.

conversations.open (docs: conversations.open)
  * `users` -> IM `D<user>` with the bot as member; re-opening adds `no_op`/`already_open`.
    No `users` -> `users_list_not_supplied`.

chat.postMessage / chat.postEphemeral (docs: chat.postMessage, chat.postEphemeral)
  * postMessage needs `text` or `blocks` (`no_text`), a known channel (`channel_not_found`) the bot
    is a member of (`not_in_channel`) and not archived (`is_archived`).
  * postEphemeral needs `user` and a known channel the bot is a member of: `not_in_channel` for a public
    channel it has not joined, `channel_not_found` for one it cannot see (both listed on the method page).

chat.unfurl (docs: chat.unfurl method page; "Unfurling links in messages"; changelog 2021-08 "changes to unfurls")
  * The target is `channel` + `ts`, or `unfurl_id` + `source` (`composer` | `conversations_history`): no channel
    answers `missing_channel`, a channel without `ts` `missing_ts`, an `unfurl_id` without a valid `source`
    `invalid_arguments`; a channel the fake does not know answers `cannot_find_channel`. Membership is not
    checked (the `link_shared` event carries `is_bot_user_member`, so apps unfurl where they are not members).
  * `unfurls` is a JSON map of URL -> `{"blocks": [...]}`: missing -> `missing_unfurls`, anything but a map of
    maps -> `invalid_unfurls_format`. Successful calls are recorded in `unfurls`.
  * Every `image` block must have `alt_text` and either `image_url` or `slack_file` (Block Kit "Image block"
    reference). A `slack_file: {"id"}` must name a file this fake completed, else `invalid_blocks` with
    `response_metadata.messages: ["[ERROR] invalid slack file [json-pointer:/unfurls/<url>/blocks/<i>/slack_file]"]`
    (the wording public reports show for chat.postMessage, slackapi/python-slack-sdk#1797, #1658, where Slack
    also sends an `errors` list; the SDK's chat.unfurl sample has `response_metadata.messages` and no `errors`).
  * A file just uploaded is not usable at once: uploads complete asynchronously and referencing the file right
    away fails, a second later it works (slackapi/python-slack-sdk#1521, node-slack-sdk#1865 via
    slack-github-action#413). `file_ready_after(calls=N, seconds=S)` makes files completed from then on answer
    `invalid_blocks` ("invalid slack file") for their first N references and/or their first S seconds.

conversations.info (docs: conversations.info; "Conversation object")
  * Answers `channel` with `id`, `is_channel`, `is_group`, `is_im`, `is_private`, `is_archived`, `is_shared`,
    `is_ext_shared`, `is_org_shared`, `is_pending_ext_shared`, `is_member` (keys of Slack's SDK sample
    `slack-samples/conversations.info.json`); `add_channel(..., ext_shared=True)` makes a Slack Connect
    channel, `pending_ext_shared=True` one whose invitation is not accepted yet, `org_shared=True` one shared
    across an Enterprise Grid (`is_shared` true, internal; FACTS.md "Added for the third round"). Unknown
    channels, and private channels or DMs the bot is not in, answer `channel_not_found`.
    Scopes (`channels:read`, `groups:read`, `im:read`, `mpim:read`) are not modelled.

auth.test (docs: auth.test; "Working with scopes" in docs.slack.dev/legacy/legacy-oauth-scopes)
  * Answers who the token belongs to, with the `x-oauth-scopes` HTTP header naming the scopes granted to the
    token, comma-separated (as curl shows it in slackapi/node-slack-sdk#292: `files:read, chat:write:bot`).
    `granted_scopes` sets them (every scope of manifest.yml by default). Only auth.test sends the header here;
    Slack sends it on every Web API answer.

users.info / usergroups.users.list (docs: users.info, usergroups.users.list)
  * Answer from the test-configurable `users` / `usergroups` dicts; unknown ids answer
    `user_not_found` / `no_such_subteam`.
  * `user.profile.email` is `<id lowercased>@example.com` unless `add_user(..., profile={...})` says
    otherwise, and only while `email_scope` is True: the field needs the scope users:read.email
    (https://api.slack.com/scopes/users:read.email: "required to access the email field in user objects
    returned by the users.list and users.info web API methods"); without it the profile has no email.
  * `user.locale` (`en-US` unless `add_user(..., locale=...)` says otherwise) only with `include_locale=true`
    (FACTS.md; api.slack.com/methods/users.info: "Set this to true to receive the locale for this user").

response_url (docs: "Handling user interaction" -> "Responding to interactions")
  * `POST /respond/<name>` records the JSON body as sent, `replace_original` / `delete_original` included (a
    button's reply may replace the message that held it), and answers 200 `text/plain` `ok`
    (`fail_response_urls` -> 500; `expired_response_urls` -> 404 `expired_url`, what a URL past its
    30 minutes or five uses answers: the status is from the issue tracker's report, the body text is
    modelled, not documented). The five-uses count itself is not modelled.

Failure modes (`fail_next`, `drop_answer`, `slow_next`; each applies to the next call(s) of one method,
"upload" being the upload-URL POST)
  * An error answer or an HTTP status (429 with `Retry-After`, 5xx): docs.slack.dev "Rate limits" (429,
    `Retry-After`); 5xx are the server errors slack_sdk's `AsyncServerErrorRetryHandler` exists for.
  * A lost answer: the call is performed (file shared, channel joined...) and the connection is then closed
    without any response, so the client sees `ServerDisconnectedError`. Slack does not document this; it is
    the "Connection reset by peer" / disconnect case slack_sdk's `AsyncConnectionErrorRetryHandler` retries
    (slack_sdk `http_retry/builtin_async_handlers.py`), and what any network can do to any answer.
  * A slow answer: the server waits before handling the call, so a client with a shorter timeout gives up;
    the wait comes first, and aiohttp cancels the handler when the client goes away, so nothing is done.

Not modelled: the `^[CGDZ][A-Z0-9]{8,}$` id pattern Slack enforces for `channel_id` (tests use
short ids such as `C1`), real rate-limit tiers (use `fail_next`), and `thread_ts` validation.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import string
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import BodyPartReader, web

from bot.fakes.server import ThreadedServer
from bot.scopes import SLACK_BOT_SCOPES

ChannelKind = Literal["public", "private", "im"]
Params = dict[str, Any]
Handler = Callable[[Params], dict[str, Any]]

_ID_ALPHABET = string.ascii_uppercase + string.digits
BOT_USER_ID = "U0BOT"
TEAM_ID = "T0TEST"


class SlackError(Exception):
    """Raised inside a method handler to answer `{"ok": false, "error": error, ...extra}`."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class Channel:
    """A conversation the fake knows about."""

    id: str
    kind: ChannelKind
    members: set[str] = field(default_factory=set)
    archived: bool = False
    ext_shared: bool = False  # a Slack Connect channel, shared with another organisation
    pending_ext_shared: bool = False  # invited to Slack Connect, not yet accepted
    org_shared: bool = False  # shared between workspaces of one Enterprise Grid: internal


@dataclass
class _Fault:
    error: str
    remaining: int
    status: int
    retry_after: int | None
    kind: Literal["answer", "drop", "slow"] = "answer"
    delay: float = 0.0


@dataclass
class _Readiness:
    """How long a completed file still answers "invalid slack file" when an image block names it."""

    refusals: int = 0  # references still refused
    ready_at: float = 0.0  # time.monotonic() from which it is usable


@dataclass
class _PendingFile:
    file_id: str
    filename: str
    length: int
    content: bytes | None = None


DEFAULT_MEMBERS = ("U0ALICE", "U0BOB", "U0CAROL")
# The methods whose error answers may carry `response_metadata` (Slack's Java SDK samples of their answers have it).
DETAILED_ERRORS = frozenset({"files.getUploadURLExternal", "files.completeUploadExternal", "chat.postMessage",
                             "chat.unfurl"})


def _random_id(prefix: str, n: int = 10) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(n))


def _as_str(value: Any) -> str | None:
    """A request argument as a string (form values are strings, JSON values may not be)."""
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _required(params: Params, *names: str) -> None:
    missing = [n for n in names if params.get(n) in (None, "")]
    if missing:
        raise SlackError(
            "invalid_arguments",
            response_metadata={"messages": [f"[ERROR] missing required field: {n}" for n in missing]},
        )


class FakeSlack(ThreadedServer):
    """A real-HTTP fake of the Slack Web API, upload URLs and response URLs.

    All state is guarded by one `threading.Lock`: handlers mutate it on the server loop, and the
    test thread reads copies through the recording properties.
    """

    def __init__(self, bot_token: str = "xoxb-test-dummy", latency: float = 0.0) -> None:  # noqa: S107 (dummy)
        super().__init__()
        self.bot_token = bot_token
        self.latency = latency
        self.fail_response_urls = False  # every response URL answers 500
        self.email_scope = True  # users.info includes profile.email (scope users:read.email)
        self.expired_response_urls = False  # every response URL answers 404 expired_url (older than 30 min)
        self.granted_scopes: tuple[str, ...] = SLACK_BOT_SCOPES  # what auth.test's x-oauth-scopes header names
        self.keep_content = True  # False: completed uploads record only their length (benchmarks with big photos)
        # What a repeated files.completeUploadExternal for an already-completed file answers (see module doc).
        self.repeat_complete: Literal["file_not_found", "ok"] = "file_not_found"
        # Optional hooks for the benchmark, called on the server thread: `on_upload(upload)` for each
        # completed upload (with the lock held, so it must not call back into the fake) and
        # `on_response(name, body)` for each POST to a response URL. They must return quickly.
        self.on_upload: Callable[[dict[str, Any]], None] | None = None
        self.on_response: Callable[[str, Any], None] | None = None
        self._lock = threading.Lock()
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "conversations.join": self._conversations_join,
            "conversations.open": self._conversations_open,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.unfurl": self._chat_unfurl,
            "conversations.info": self._conversations_info,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
        }
        self._init_state()

    def _init_state(self) -> None:
        # The bot and three full members of the test workspace, so users.info knows the usual requesters.
        self.users: dict[str, dict[str, Any]] = {
            BOT_USER_ID: {"id": BOT_USER_ID, "name": "crmphoto", "is_bot": True, "team_id": TEAM_ID},
            **{uid: {"id": uid, "team_id": TEAM_ID} for uid in DEFAULT_MEMBERS},
        }
        self.usergroups: dict[str, list[str]] = {}
        self._channels: dict[str, Channel] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._pending: dict[str, _PendingFile] = {}  # upload key -> file
        self._files_by_id: dict[str, str] = {}  # file id -> upload key
        self._completed: dict[str, dict[str, Any]] = {}  # file id -> the file as completeUploadExternal gave it
        self._readiness: dict[str, _Readiness] = {}  # file id -> when an image block may name it
        self._processing = (0, 0.0)  # (refused references, seconds) for files completed from now on
        self._unfurls: list[Params] = []
        self._calls: list[tuple[str, Params]] = []
        self._uploads: list[dict[str, Any]] = []
        self._responses: list[tuple[str, Any]] = []
        self._messages: list[Params] = []
        self._ephemerals: list[Params] = []
        self._joins: list[str] = []
        self._opens: list[str] = []
        self._ts = 0

    # ------------------------------------------------------------------ public helpers

    @property
    def api_url(self) -> str:
        """Base URL for `AsyncWebClient(base_url=...)` / SLACK_API_URL."""
        return f"{self.url}/api/"

    def response_url(self, name: str) -> str:
        """A response_url on this server; POSTs to it are recorded under `name`."""
        return f"{self.url}/respond/{name}"

    def add_channel(
        self, channel_id: str, kind: ChannelKind = "public", bot_member: bool = True, archived: bool = False,
        ext_shared: bool = False, pending_ext_shared: bool = False, org_shared: bool = False,
    ) -> None:
        """Create (or replace) a conversation; the bot is a member when `bot_member`; `ext_shared`: Slack Connect;
        `pending_ext_shared`: a Slack Connect invitation not yet accepted; `org_shared`: across one Grid."""
        if kind not in ("public", "private", "im"):
            raise ValueError(f"unknown channel kind {kind!r}")
        with self._lock:
            members = {BOT_USER_ID} if bot_member else set()
            self._channels[channel_id] = Channel(channel_id, kind, members, archived, ext_shared, pending_ext_shared,
                                                 org_shared)

    def share_channel(self, channel_id: str, externally: bool = True) -> None:
        """The channel becomes (or stops being) shared with another organisation, as after a Slack Connect invite."""
        with self._lock:
            self._channel(channel_id).ext_shared = externally

    def file_ready_after(self, calls: int = 0, seconds: float = 0.0) -> None:
        """Files completed from now on refuse their first `calls` image-block references and their first `seconds`."""
        with self._lock:
            self._processing = (calls, seconds)

    def is_member(self, channel_id: str) -> bool:
        """Whether the bot is currently a member of `channel_id`."""
        with self._lock:
            ch = self._channels.get(channel_id)
            return ch is not None and BOT_USER_ID in ch.members

    def add_user(self, user_id: str, **fields: Any) -> None:
        """Configure what `users.info` answers for `user_id` (e.g. `is_restricted=True`, `locale="ja-JP"`)."""
        with self._lock:
            self.users[user_id] = {"id": user_id, **fields}

    def add_usergroup(self, usergroup_id: str, user_ids: list[str]) -> None:
        """Configure what `usergroups.users.list` answers for `usergroup_id`."""
        with self._lock:
            self.usergroups[usergroup_id] = list(user_ids)

    def fail_next(
        self, method: str, error: str, times: int = 1, status: int = 200, retry_after: int | None = None
    ) -> None:
        """Make the next `times` calls of `method` fail ("upload" = the upload-URL POST).

        status 200 -> `{"ok": false, "error": error}`; 429 -> the ratelimited shape with
        `Retry-After` (default 1); other statuses -> that status with a plain-text body. For
        "upload" the answer is always plain text, and status 200 is promoted to 500 because the
        upload service signals failure only through the status code.
        """
        with self._lock:
            self._faults.setdefault(method, []).append(_Fault(error, times, status, retry_after))

    def drop_answer(self, method: str, times: int = 1) -> None:
        """Perform the next `times` calls of `method`, then close the connection without answering (a lost answer)."""
        with self._lock:
            self._faults.setdefault(method, []).append(_Fault("", times, 0, None, kind="drop"))

    def slow_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Wait `seconds` before handling the next `times` calls of `method` (a client may time out first)."""
        with self._lock:
            self._faults.setdefault(method, []).append(_Fault("", times, 0, None, kind="slow", delay=seconds))

    def count(self, method: str) -> int:
        """How many times `method` was called (including failed calls)."""
        with self._lock:
            return sum(1 for m, _ in self._calls if m == method)

    def reset(self) -> None:
        """Forget everything: recordings, channels, users, usergroups, faults and pending uploads."""
        with self._lock:
            self._init_state()
            self.fail_response_urls = False
            self.expired_response_urls = False
            self.repeat_complete = "file_not_found"
            self.granted_scopes = SLACK_BOT_SCOPES

    @property
    def calls(self) -> list[tuple[str, Params]]:
        """Every `(method, params)` received, in order; the token is never included."""
        with self._lock:
            return [(m, dict(p)) for m, p in self._calls]

    @property
    def uploads(self) -> list[dict[str, Any]]:
        """Completed uploads: channel_id, file_id, filename, title, initial_comment, thread_ts, content,
        completed_at (`time.monotonic()` when files.completeUploadExternal recorded it)."""
        with self._lock:
            return [dict(u) for u in self._uploads]

    @property
    def responses(self) -> list[tuple[str, Any]]:
        """`(name, json_body)` for every POST to a response URL (also failed ones)."""
        with self._lock:
            return list(self._responses)

    @property
    def messages(self) -> list[Params]:
        """Successful chat.postMessage arguments."""
        with self._lock:
            return [dict(m) for m in self._messages]

    @property
    def ephemerals(self) -> list[Params]:
        """Successful chat.postEphemeral arguments."""
        with self._lock:
            return [dict(m) for m in self._ephemerals]

    @property
    def unfurls(self) -> list[Params]:
        """Successful chat.unfurl arguments (channel, ts, unfurl_id, source, unfurls as a dict)."""
        with self._lock:
            return [dict(u) for u in self._unfurls]

    @property
    def joins(self) -> list[str]:
        """Channel ids successfully joined via conversations.join."""
        with self._lock:
            return list(self._joins)

    @property
    def opens(self) -> list[str]:
        """`users` arguments of successful conversations.open calls."""
        with self._lock:
            return list(self._opens)

    # ------------------------------------------------------------------ HTTP plumbing

    def build_app(self) -> web.Application:
        # Photos can be larger than aiohttp's 1 MiB default body limit; Slack allows up to 1 GB.
        app = web.Application(client_max_size=1024**3, middlewares=[self._latency_middleware])
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/v1/{key}", self._upload)
        app.router.add_post("/respond/{name}", self._respond)
        return app

    @web.middleware
    async def _latency_middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        return await handler(request)

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.pop(0)
            return fault

    @staticmethod
    def _fault_response(fault: _Fault, *, plain: bool = False) -> web.Response:
        if fault.status == 429:
            headers = {"Retry-After": str(fault.retry_after if fault.retry_after is not None else 1)}
            if plain:
                return web.Response(status=429, text=fault.error, headers=headers)
            return web.json_response({"ok": False, "error": fault.error}, status=429, headers=headers)
        if plain or fault.status != 200:
            status = 500 if fault.status == 200 else fault.status
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
            return web.Response(status=status, text=fault.error, headers=headers)
        return web.json_response({"ok": False, "error": fault.error})

    @staticmethod
    async def _read_params(request: web.Request) -> tuple[Params, str | None, str | None]:
        """Merge query-string and body arguments; return (params, bearer token, argument token)."""
        params: Params = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    body = await request.json()
                except ValueError as exc:
                    raise SlackError("invalid_json") from exc
                if not isinstance(body, dict):
                    raise SlackError("invalid_json")
                body.pop("token", None)  # Slack ignores a token in a JSON body
                params.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
        auth = request.headers.get("Authorization", "")
        bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        arg_token = _as_str(params.pop("token", None))
        return params, bearer, arg_token

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params, bearer, arg_token = await self._read_params(request)
        except SlackError as exc:
            with self._lock:
                self._calls.append((method, {}))
            return web.json_response({"ok": False, "error": exc.error})
        with self._lock:
            self._calls.append((method, dict(params)))
        fault = self._take_fault(method)
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        elif fault is not None and fault.kind == "answer":
            return self._fault_response(fault)
        response = self._answer(method, params, bearer, arg_token)
        if method == "auth.test" and (bearer or arg_token) == self.bot_token:
            response.headers["x-oauth-scopes"] = ", ".join(self.granted_scopes)
        if fault is not None and fault.kind == "drop":
            self._drop(request)
        return response

    @staticmethod
    def _drop(request: web.Request) -> None:
        """Close the connection before the answer is written: the client sees the server disconnect."""
        if request.transport is not None:
            request.transport.close()

    def _answer(self, method: str, params: Params, bearer: str | None, arg_token: str | None) -> web.Response:
        handler = self._handlers.get(method)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        token = bearer or arg_token
        if not token:
            return web.json_response({"ok": False, "error": "not_authed"})
        if token != self.bot_token:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        try:
            with self._lock:
                body = handler(params)
        except SlackError as exc:
            extra = exc.extra if method in DETAILED_ERRORS else {k: v for k, v in exc.extra.items()
                                                                 if k != "response_metadata"}
            return web.json_response({"ok": False, "error": exc.error, **extra})
        return web.json_response({"ok": True, **body})

    async def _upload(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        if request.content_type == "multipart/form-data":
            content = b""
            reader = await request.multipart()
            async for part in reader:
                if isinstance(part, BodyPartReader) and (part.filename or part.name in ("file", "filename")):
                    content = bytes(await part.read())
                    break
        else:
            content = await request.read()
        with self._lock:
            self._calls.append(("upload", {"key": key, "length": len(content)}))
        fault = self._take_fault("upload")
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        elif fault is not None and fault.kind == "answer":
            return self._fault_response(fault, plain=True)
        with self._lock:
            pending = self._pending.get(key)
            if pending is None:
                return web.Response(status=404, text="Not Found")
            pending.content = content
        if fault is not None and fault.kind == "drop":
            self._drop(request)
        return web.Response(text=f"OK - {len(content)}")

    async def _respond(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        raw = await request.text()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw
        with self._lock:
            self._responses.append((name, body))
        if self.on_response is not None:
            self.on_response(name, body)
        if self.fail_response_urls:
            return web.Response(status=500, text="internal_error")
        if self.expired_response_urls:
            return web.Response(status=404, text="expired_url")
        return web.Response(text="ok")

    # ------------------------------------------------------------------ method handlers (lock held)

    def _channel(self, channel_id: str | None) -> Channel:
        ch = self._channels.get(channel_id or "")
        if ch is None:
            raise SlackError("channel_not_found")
        return ch

    def _postable_channel(self, channel_id: str | None) -> Channel:
        """A channel the bot may post or share files into (private ones are invisible to non-members)."""
        ch = self._channel(channel_id)
        if BOT_USER_ID not in ch.members:
            raise SlackError("channel_not_found" if ch.kind != "public" else "not_in_channel")
        if ch.archived:
            raise SlackError("is_archived")
        return ch

    def _next_ts(self) -> str:
        self._ts += 1
        return f"1700000000.{self._ts:06d}"

    def _auth_test(self, params: Params) -> dict[str, Any]:
        return {
            "url": "https://test-team.slack.com/",
            "team": "Test Team",
            "user": "crmphoto",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": "B0BOT",
            "is_enterprise_install": False,
        }

    def _files_get_upload_url_external(self, params: Params) -> dict[str, Any]:
        _required(params, "filename", "length")
        try:
            length = int(_as_str(params["length"]) or "")
        except ValueError as exc:
            raise SlackError("invalid_arguments") from exc
        if length <= 0:
            raise SlackError("missing_argument")
        key = secrets.token_urlsafe(16)
        file_id = _random_id("F")
        self._pending[key] = _PendingFile(file_id, _as_str(params["filename"]) or "", length)
        self._files_by_id[file_id] = key
        return {"upload_url": f"{self.url}/upload/v1/{key}", "file_id": file_id}

    def _files_complete_upload_external(self, params: Params) -> dict[str, Any]:
        _required(params, "files")
        files = params["files"]
        if isinstance(files, str):
            try:
                files = json.loads(files)
            except ValueError as exc:
                raise SlackError("invalid_arguments") from exc
        if not isinstance(files, list) or not files or not all(isinstance(f, dict) and f.get("id") for f in files):
            raise SlackError("invalid_arguments")
        channel_ids: list[str] = []
        if params.get("channel_id"):
            channel_ids.append(_as_str(params["channel_id"]) or "")
        if params.get("channels"):
            channel_ids.extend(c for c in (_as_str(params["channels"]) or "").split(",") if c)
        for cid in channel_ids:
            self._postable_channel(cid)
        again = [self._completed.get(str(f["id"])) for f in files]
        if all(again):
            if self.repeat_complete == "ok":
                return {"files": [dict(f) for f in again if f]}
            raise SlackError("file_not_found")
        resolved: list[tuple[dict[str, Any], str, _PendingFile]] = []
        for f in files:
            key = self._files_by_id.get(str(f["id"]))
            pending = self._pending.get(key) if key else None
            if key is None or pending is None or pending.content is None:
                raise SlackError("file_not_found")
            resolved.append((f, key, pending))
        out = []
        completed_at = time.monotonic()
        for f, key, pending in resolved:
            del self._pending[key]
            del self._files_by_id[pending.file_id]
            title = _as_str(f.get("title")) or pending.filename
            for cid in channel_ids or [None]:
                upload = {
                    "channel_id": cid,
                    "file_id": pending.file_id,
                    "filename": pending.filename,
                    "title": title,
                    "initial_comment": _as_str(params.get("initial_comment")),
                    "thread_ts": _as_str(params.get("thread_ts")),
                    "content": pending.content if self.keep_content else None,
                    "length": len(pending.content or b""),
                    "completed_at": completed_at,
                }
                self._uploads.append(upload)
                if self.on_upload is not None:
                    self.on_upload(dict(upload))
            done = {
                "id": pending.file_id,
                "title": title,
                "name": pending.filename,
                "size": len(pending.content or b""),
                "channels": [c for c in channel_ids if self._channels[c].kind == "public"],
                "groups": [c for c in channel_ids if self._channels[c].kind == "private"],
                "ims": [c for c in channel_ids if self._channels[c].kind == "im"],
            }
            self._completed[pending.file_id] = done
            refusals, seconds = self._processing
            self._readiness[pending.file_id] = _Readiness(refusals, completed_at + seconds)
            out.append(done)
        return {"files": [dict(f) for f in out]}

    def _conversations_join(self, params: Params) -> dict[str, Any]:
        _required(params, "channel")
        ch = self._channel(_as_str(params["channel"]))
        if ch.kind != "public":
            # Bots can only join public channels; Slack answers with the type error, not absence.
            raise SlackError("method_not_supported_for_channel_type")
        if ch.archived:
            raise SlackError("is_archived")
        channel = {"id": ch.id, "is_channel": True, "is_private": False, "is_im": False, "is_member": True}
        if BOT_USER_ID in ch.members:
            return {
                "channel": channel,
                "warning": "already_in_channel",
                "response_metadata": {"warnings": ["already_in_channel"]},
            }
        ch.members.add(BOT_USER_ID)
        self._joins.append(ch.id)
        return {"channel": channel}

    def _conversations_open(self, params: Params) -> dict[str, Any]:
        users = _as_str(params.get("users"))
        if not users:
            raise SlackError("users_list_not_supplied")
        user_ids = [u for u in users.split(",") if u]
        if len(user_ids) != 1:
            raise SlackError("not_enough_users" if not user_ids else "method_not_supported_for_channel_type")
        channel_id = f"D{user_ids[0]}"
        existing = channel_id in self._channels
        if not existing:
            self._channels[channel_id] = Channel(channel_id, "im", {BOT_USER_ID, user_ids[0]})
        self._opens.append(users)
        body: dict[str, Any] = {"channel": {"id": channel_id}}
        if existing:
            body.update(no_op=True, already_open=True)
        return body

    def _chat_post_message(self, params: Params) -> dict[str, Any]:
        _required(params, "channel")
        if not params.get("text") and not params.get("blocks") and not params.get("attachments"):
            raise SlackError("no_text")
        ch = self._postable_channel(_as_str(params["channel"]))
        ts = self._next_ts()
        self._messages.append(dict(params))
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": "B0BOT", "ts": ts}
        message.update({k: params[k] for k in ("text", "blocks") if k in params})
        return {"channel": ch.id, "ts": ts, "message": message}

    def _chat_post_ephemeral(self, params: Params) -> dict[str, Any]:
        _required(params, "channel", "user")
        if not params.get("text") and not params.get("blocks") and not params.get("attachments"):
            raise SlackError("no_text")
        self._postable_channel(_as_str(params["channel"]))
        self._ephemerals.append(dict(params))
        return {"message_ts": self._next_ts()}

    def _chat_unfurl(self, params: Params) -> dict[str, Any]:
        channel, ts = _as_str(params.get("channel")), _as_str(params.get("ts"))
        unfurl_id, source = _as_str(params.get("unfurl_id")), _as_str(params.get("source"))
        if unfurl_id:
            if source not in ("composer", "conversations_history"):
                raise SlackError("invalid_arguments")
        elif not channel:
            raise SlackError("missing_channel")
        elif not ts:
            raise SlackError("missing_ts")
        elif channel not in self._channels:
            raise SlackError("cannot_find_channel")
        if params.get("unfurls") in (None, ""):
            raise SlackError("missing_unfurls")
        unfurls = params["unfurls"]
        if isinstance(unfurls, str):
            try:
                unfurls = json.loads(unfurls)
            except ValueError as exc:
                raise SlackError("invalid_unfurls_format") from exc
        if not isinstance(unfurls, dict) or not all(isinstance(v, dict) for v in unfurls.values()):
            raise SlackError("invalid_unfurls_format")
        errors = [e for url, unfurl in unfurls.items() for e in self._image_errors(url, unfurl.get("blocks") or [])]
        if errors:
            raise SlackError("invalid_blocks", response_metadata={"messages": [f"[ERROR] {e}" for e in errors]})
        self._unfurls.append({"channel": channel, "ts": ts, "unfurl_id": unfurl_id, "source": source,
                              "unfurls": unfurls})
        return {}

    def _image_errors(self, url: str, blocks: Any) -> list[str]:
        """Block Kit errors for the image blocks of one unfurl, in Slack's `<error> [json-pointer:...]` shape."""
        if not isinstance(blocks, list):
            return [f"must be an array [json-pointer:/unfurls/{url}/blocks]"]
        errors = []
        now = time.monotonic()
        for i, block in enumerate(blocks):
            if not isinstance(block, dict) or block.get("type") != "image":
                continue
            pointer = f"/unfurls/{url}/blocks/{i}"
            if not block.get("alt_text"):
                errors.append(f"must provide alt_text [json-pointer:{pointer}/alt_text]")
            slack_file = block.get("slack_file")
            if slack_file is None:
                if not block.get("image_url"):
                    errors.append(f"must provide image_url or slack_file [json-pointer:{pointer}]")
                continue
            file_id = str(slack_file.get("id") or "") if isinstance(slack_file, dict) else ""
            readiness = self._readiness.get(file_id)
            usable = file_id in self._completed and readiness is not None
            if usable and readiness is not None and (readiness.refusals > 0 or now < readiness.ready_at):
                readiness.refusals = max(0, readiness.refusals - 1)
                usable = False
            if not usable:
                errors.append(f"invalid slack file [json-pointer:{pointer}/slack_file]")
        return errors

    def _conversations_info(self, params: Params) -> dict[str, Any]:
        _required(params, "channel")
        ch = self._channel(_as_str(params["channel"]))
        member = BOT_USER_ID in ch.members
        if ch.kind != "public" and not member:
            raise SlackError("channel_not_found")  # private channels and DMs are invisible to non-members
        return {"channel": {
            "id": ch.id,
            "is_channel": ch.kind == "public",
            "is_group": ch.kind == "private",
            "is_im": ch.kind == "im",
            "is_private": ch.kind != "public",
            "is_archived": ch.archived,
            "is_shared": ch.ext_shared or ch.org_shared,
            "is_ext_shared": ch.ext_shared,
            "is_org_shared": ch.org_shared,
            "is_pending_ext_shared": ch.pending_ext_shared,
            "is_member": member,
        }}

    def _users_info(self, params: Params) -> dict[str, Any]:
        _required(params, "user")
        user_id = _as_str(params["user"]) or ""
        user = self.users.get(user_id)
        if user is None:
            raise SlackError("user_not_found")
        defaults = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": user_id.lower(),
            "deleted": False,
            "is_bot": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
        }
        answer = {**defaults, **user}
        profile = {"email": f"{user_id.lower()}@example.com", **(user.get("profile") or {})}
        if not self.email_scope:
            profile.pop("email", None)
        answer["profile"] = profile
        # FACTS.md: Slack gives the user's `locale` only when asked with include_locale=true.
        if str(params.get("include_locale", "")).lower() in ("true", "1"):
            answer.setdefault("locale", "en-US")
        else:
            answer.pop("locale", None)
        return {"user": answer}

    def _usergroups_users_list(self, params: Params) -> dict[str, Any]:
        _required(params, "usergroup")
        members = self.usergroups.get(_as_str(params["usergroup"]) or "")
        if members is None:
            raise SlackError("no_such_subteam")
        return {"users": list(members)}

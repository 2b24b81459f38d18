"""Running the real bot process against the fakes, and talking to it as Slack does.

Shared by the end-to-end tests and the benchmark: `BotProcess` starts `python -m bot` with the
environment pointing at a FakeZoho and a FakeSlack; `command_body`, `block_actions_body`,
`message_shortcut_body` and `link_shared_body` build what Slack posts for a slash command, a button click, the
message shortcut and a pasted link, and `sign` / `sign_event` sign them the way Slack does (v0 HMAC-SHA256 of
`v0:{timestamp}:{body}`).

Text a person typed reaches an app escaped: Slack sends `&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;` (Slack's
"Formatting text" reference, "Escaping text"), in a slash command's `text` and in the links of a `link_shared`
event alike (slackapi/python-slack-events-api#49). So these helpers take what the person typed and escape it;
a test that plays Slack's own wrapping of a link or a mention (`<https://…|label>`, `<@U…>`) passes
`SlackText(…)`, text already as Slack sends it, which goes through untouched.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlencode, urlsplit

import httpx

from bot.escapes import escape
from bot.fakes.slack import FakeSlack
from bot.fakes.zoho import FakeZoho

SIGNING_SECRET = "test-signing-secret-dummy"
BOT_TOKEN = "xoxb-test-dummy"
TEAM_ID = "T0TEST"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def sign(
    body: bytes, secret: str = SIGNING_SECRET, timestamp: int | None = None, content_type: str = FORM
) -> dict[str, str]:
    """Headers Slack sends with `body`; events come as JSON, commands and interactions as a form."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
        "Content-Type": content_type,
    }


def sign_event(body: bytes, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Headers for an Events API body (JSON), signed like every other request."""
    return sign(body, secret, timestamp, content_type=JSON)


class SlackText(str):
    """Text exactly as Slack sends it (escapes and Slack's own `<…>` wrappers in place): the helpers send it as is."""

    __slots__ = ()


def slack_text(typed: str) -> SlackText:
    """What Slack sends for text a person typed: their `&`, `<` and `>` escaped. Text that is already
    `SlackText` is returned as it is (escaping it again would be Slack escaping twice)."""
    return typed if isinstance(typed, SlackText) else SlackText(escape(typed))


def command_body(
    text: str, *, channel: str, user: str = "U0ALICE", response_url: str = "", command: str = "/crmphoto",
    team: str = TEAM_ID, channel_name: str = "sales",
) -> bytes:
    """The form Slack posts for a slash command (fields from Slack's slash-command docs); `text` is what the
    person typed (escaped here, as Slack does) or `SlackText`."""
    return urlencode({
        "token": "deprecated-verification-token",
        "team_id": team,
        "team_domain": "testteam",
        "channel_id": channel,
        "channel_name": channel_name,
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": slack_text(text),
        "api_app_id": "A0TEST",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "1337.42.abcdef",
    }).encode()


def block_actions_body(
    *, value: str, channel: str, user: str = "U0ALICE", response_url: str = "",
    action_id: str = "crmphoto_share", block_id: str = "choice-0", team: str = TEAM_ID,
    message_ts: str = "1700000000.000001", ephemeral: bool = True,
) -> bytes:
    """The form Slack posts when a button is clicked: one field, `payload`, holding JSON.

    Shape from Slack's "block_actions payload" reference and "Handling user interaction" guide: `type`,
    `user`, `team`, `channel`, `container` (a message, ephemeral for a reply only the asker saw), `actions`
    with the clicked button's `action_id`, `block_id`, `value`, and the `response_url` to answer through.
    """
    payload = {
        "type": "block_actions",
        "api_app_id": "A0TEST",
        "token": "deprecated-verification-token",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "team": {"id": team, "domain": "testteam"},
        "channel": {"id": channel, "name": "sales"},
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                      "is_ephemeral": ephemeral},
        "trigger_id": "1337.42.abcdef",
        "response_url": response_url,
        "actions": [{
            "type": "button",
            "action_id": action_id,
            "block_id": block_id,
            "value": value,
            "text": {"type": "plain_text", "text": "Share photo", "emoji": True},
            "action_ts": "1700000001.000100",
        }],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def message_shortcut_body(
    text: str, *, channel: str, user: str = "U0ALICE", response_url: str = "", ts: str = "1700000000.000100",
    thread_ts: str | None = None, author: str = "U0BOB", callback_id: str = "crmphoto_message", team: str = TEAM_ID,
) -> bytes:
    """The form Slack posts when someone uses a message shortcut: one field, `payload`, holding JSON.

    Shaped like the SDK's sample `slack-samples/interactive-components_MessageShortcutPayload.json` (`type:
    message_action`, `callback_id`, `trigger_id`, `message_ts`, `response_url`, `message`, `team`, `user`, `channel`,
    `token`, `action_ts`, `is_enterprise_install`), with only keys the sample has. `text` is the message's text as
    its author typed it (escaped here, as Slack does) or `SlackText`; `thread_ts` makes the message a reply in that
    thread (Slack gives a reply its parent's ts as `thread_ts`).
    """
    message: dict[str, Any] = {"type": "message", "user": author, "team": team, "text": slack_text(text), "ts": ts}
    if thread_ts is not None:
        message["thread_ts"] = thread_ts
    payload = {
        "type": "message_action",
        "token": "deprecated-verification-token",
        "action_ts": "1700000002.000200",
        "team": {"id": team, "domain": "testteam"},
        "user": {"id": user, "name": user.lower(), "team_id": team},
        "channel": {"id": channel, "name": "sales"},
        "is_enterprise_install": False,
        "callback_id": callback_id,
        "trigger_id": "1337.42.abcdef",
        "message_ts": ts,
        "response_url": response_url,
        "message": message,
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def link_shared_body(
    *, links: list[str], channel: str, user: str = "U0ALICE", message_ts: str = "1700000000.000002",
    source: str = "conversations_history", unfurl_id: str = "C0TEST.1700000000.000002.abcdef",
    team: str = TEAM_ID, event_id: str = "Ev0TEST", bot_member: bool = True, ext_shared: bool = False,
) -> bytes:
    """The Events API body for a `link_shared` event (shape from Slack's `link_shared` event reference and the
    SDK sample `slack-samples/events_LinkSharedPayload.json`, whose envelope carries `is_ext_shared_channel`).
    `links` are the links as pasted; their `&`, `<`, `>` are escaped as Slack does (or pass `SlackText`).

    Sign it with `sign_event` (JSON content type).
    """
    body = {
        "is_ext_shared_channel": ext_shared,
        "token": "deprecated-verification-token",
        "team_id": team,
        "api_app_id": "A0TEST",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authed_users": [],
        "event": {
            "type": "link_shared",
            "channel": channel,
            "is_bot_user_member": bot_member,
            "user": user,
            "message_ts": message_ts,
            "unfurl_id": unfurl_id,
            "source": source,
            "links": [{"domain": urlsplit(url).hostname or "", "url": slack_text(url)} for url in links],
            "event_ts": message_ts,
        },
    }
    return json.dumps(body).encode()


def sharing_event_body(kind: str, channel: str, *, team: str = TEAM_ID, event_id: str = "Ev0SHARE") -> bytes:
    """The Events API body for `channel_shared` or `channel_unshared` (Slack's event reference: `channel`,
    `connected_team_id` / `previously_connected_team_id`, `event_ts`). Sign it with `sign_event`."""
    if kind not in ("channel_shared", "channel_unshared"):
        raise ValueError(f"not a sharing event: {kind!r}")
    other = "connected_team_id" if kind == "channel_shared" else "previously_connected_team_id"
    event = {"type": kind, "channel": channel, other: "T0OTHERORG", "event_ts": "1700000100.000100"}
    return json.dumps({
        "token": "deprecated-verification-token", "team_id": team, "api_app_id": "A0TEST", "type": "event_callback",
        "event_id": event_id, "event_time": int(time.time()), "authed_users": [], "event": event,
    }).encode()


def bot_env(zoho: FakeZoho, slack: FakeSlack, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ZOHO_", "ALLOWED_"))}
    env.update({
        "PORT": str(port),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "ZOHO_CLIENT_ID": zoho.client_id,
        "ZOHO_CLIENT_SECRET": zoho.client_secret,
        "ZOHO_REFRESH_TOKEN": zoho.refresh_token,
        "ZOHO_ACCOUNTS_URL": zoho.url,
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


class BotProcess:
    """`python -m bot` as a subprocess; output goes to a temporary file readable with `output()`."""

    module = "bot"  # what `python -m` runs (the benchmark's calibration runs a stand-in)

    def __init__(self, env: dict[str, str], cwd: str | Path | None = None, args: Sequence[str] = ()) -> None:
        self.env = env
        self.args = tuple(args)  # the mode and its options after `python -m bot` (none: serve)
        self.port = int(env["PORT"])
        self.cwd = str(cwd or tempfile.gettempdir())  # no stray .env from the checkout
        self._log = tempfile.NamedTemporaryFile(prefix="crmphoto-bot-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def command(self) -> str:
        return " ".join(("python -m", self.module, *self.args))

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def start(self, wait: float = 20.0, ready: Callable[[], bool] | None = None) -> Self:
        """Start `python -m bot [args]` and wait until `ready()` (by default: /healthz answers 200)."""
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", self.module, *self.args], env=self.env, cwd=self.cwd, stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        ready = ready or self.healthy
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.command} exited with {self.proc.returncode}:\n{self.output()}")
            if ready():
                return self
            time.sleep(0.05)
        self.stop()  # a `with` block that never began will not stop it: nothing is left running
        raise RuntimeError(f"{self.command} did not start in {wait}s:\n{self.output()}")

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def output(self) -> str:
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")

    def audit_lines(self) -> list[dict[str, Any]]:
        """The audit lines written so far; a line the process is still writing is left for the next read."""
        complete = self.output().rpartition("\n")[0]
        return [json.loads(line) for line in complete.splitlines() if line.startswith('{"event":"command"')]

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        Path(self._log.name).unlink(missing_ok=True)

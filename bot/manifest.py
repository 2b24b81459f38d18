"""`python -m bot manifest`: the Slack app manifest for one deployment, so nobody edits YAML by hand.

The manifest is built once, as data (`build`), and printed three ways: YAML with comments (what manifest.yml
is, for placeholder values: tests/test_manifest.py keeps them equal), JSON, and Slack's create-app link
(`https://api.slack.com/apps?new_app=1&manifest_json=` + the URL-encoded JSON, FACTS.md), which makes creating
the app one click. The YAML is written here rather than by PyYAML so the bot needs no YAML library at run time
and the comments that explain each scope survive; the tests read it back with PyYAML and Slack's own schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, TextIO
from urllib.parse import quote, urlsplit

from bot import messages, scopes
from bot.datacentres import DataCentre

PROG = "python -m bot manifest"
PLACEHOLDER_URL = "https://YOUR-APP.herokuapp.com"  # manifest.yml is printed for this address and data centre us
EVENTS_PATH = "/slack/events"  # where Bolt answers commands, clicks and events (bot/slack/server.py)
CREATE_APP_LINK = "https://api.slack.com/apps?new_app=1&manifest_json="
BOT_EVENTS: tuple[str, ...] = ("link_shared", "channel_shared", "channel_unshared")  # bot/slack/listeners.py
USAGE_HINT = "an email, a phone number, a name, a module and record id, or a Zoho CRM record link"
SHORTCUT_ID = "crmphoto_message"  # bot/slack/listeners.py listens for it

# A trailing comment for a mapping key or a list item of the YAML: why the bot asks for it.
NOTES: dict[str, str] = {
    "unfurl_domains": "record links on these hosts show the record and its photo (--dc picks it; Slack allows 5)",
    "commands": "the /crmphoto slash command and the Show CRM photo message shortcut",
    "shortcuts": "on any message: look up the emails, phones and record links in it (needs no other scope)",
    "chat:write": "a private reply when the command's reply URL fails (ephemeral, or a DM)",
    "files:write": "upload the photo and share it where it was asked for",
    "channels:join": "join a public channel it was asked in",
    "im:write": "open a DM with the requester where it cannot post",
    "users:read": "turn away guests and outsiders (BLOCK_GUESTS)",
    "usergroups:read": "ALLOWED_USERGROUP_IDS",
    "links:read": "hear about Zoho CRM record links posted in conversations (link_shared)",
    "links:write": "show those links as the record with its photo (chat.unfurl)",
    "channels:read": "conversations.info: is a public channel shared with another organisation?",
    "groups:read": "the same for private channels the bot is in",
    "im:read": "the same for direct messages",
    "mpim:read": "the same for group direct messages",
    scopes.SLACK_CRM_USER_SCOPE: "REQUIRE_CRM_USER: the asker's email, matched with Zoho CRM's active users",
    "link_shared": "a Zoho CRM record link was posted: unfurl it",
    "channel_shared": "a channel became shared with another organisation: ask Slack again (SHARED_CHANNELS)",
    "channel_unshared": "and when it stops being shared",
    "socket_mode_enabled": "true: no public address, the bot connects out with SLACK_APP_TOKEN",
}


def events_url(address: str) -> str:
    """The request URL for every Slack request, from the bot's public address; ValueError (the words for the
    admin) for anything Slack would refuse or that is not an address: https, a host, no login, query or fragment."""
    typed = address.strip()
    try:
        parts = urlsplit(typed)
        usable = parts.scheme == "https" and bool(parts.hostname) and parts.port != 0
    except ValueError:  # such as a port that is not a number, or an unclosed [
        usable = False
    if not usable or parts.query or parts.fragment or parts.username is not None or re.search(r"\s", typed):
        raise ValueError(messages.setup_words("bad_url", url=typed, example=PLACEHOLDER_URL))
    path = parts.path.rstrip("/")
    if path.endswith(EVENTS_PATH):
        path = path[: -len(EVENTS_PATH)]
    return f"https://{parts.netloc}{path}{EVENTS_PATH}"


def build(address: str | None, dc: DataCentre, require_crm_user: bool = False) -> dict[str, Any]:
    """The manifest as data: HTTP mode for an `address` (every request URL is its /slack/events), Socket Mode
    (no request URLs) for None; `dc` names the CRM web host whose record links unfurl."""
    url = None if address is None else events_url(address)
    at = {} if url is None else {"url": url}
    request_url = {} if url is None else {"request_url": url}
    bot_scopes = [*scopes.SLACK_BOT_SCOPES, *([scopes.SLACK_CRM_USER_SCOPE] if require_crm_user else [])]
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": "crmphoto",
            "description": "Posts a Zoho CRM record's photo into the channel where you ask for it.",
            "background_color": "#2c2d30",
        },
        "features": {
            "bot_user": {"display_name": "crmphoto", "always_online": True},
            "slash_commands": [{
                "command": messages.COMMAND, **at,
                "description": "Share a Zoho CRM record's photo in this channel",
                "usage_hint": USAGE_HINT,
                "should_escape": False,
            }],
            "shortcuts": [{
                "name": messages.SHORTCUT_NAME,
                "type": "message",
                "callback_id": SHORTCUT_ID,
                "description": "Share the photo of the person this message names (email, phone or CRM link) in its "
                               "thread",
            }],
            "unfurl_domains": [dc.crm_web_host],
        },
        "oauth_config": {"scopes": {"bot": bot_scopes}},
        "settings": {
            "event_subscriptions": {**request_url, "bot_events": list(BOT_EVENTS)},
            "interactivity": {"is_enabled": True, **request_url},
            "org_deploy_enabled": False,
            "socket_mode_enabled": url is None,
            "token_rotation_enabled": False,
        },
    }


def command_line(address: str | None, dc: DataCentre, require_crm_user: bool = False) -> str:
    """The command that prints this manifest, for its first comment line."""
    where = "--socket-mode" if address is None else f"--url {address.strip()}"
    return f"{PROG} {where} --dc {dc.key}" + (" --require-crm-user" if require_crm_user else "")


def to_yaml(manifest: dict[str, Any], made_by: str) -> str:
    """YAML for people to read (comments say why each scope is there); the same data as `to_json`."""
    lines = [
        f"# Slack app manifest for crmphoto, made by: {made_by}",
        "# Make your own rather than edit this one: the same command with your bot's address and Zoho data centre",
        "# (--socket-mode instead of --url without a public address; --link for a link that creates the app in one",
        '# click). See "python -m bot manifest" in docs/admin.md.',
    ]
    _mapping(manifest, 0, lines)
    return "\n".join(lines) + "\n"


def to_json(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2) + "\n"


def create_app_link(manifest: dict[str, Any]) -> str:
    """Slack's create-app page with this manifest filled in; the admin picks the workspace there."""
    return CREATE_APP_LINK + quote(json.dumps(manifest, separators=(",", ":")), safe="")


def run(address: str | None, dc: DataCentre, *, require_crm_user: bool = False, as_json: bool = False,
        link: bool = False, out: TextIO, err: TextIO) -> int:
    """Print the manifest (YAML, JSON, or the create-app link); 2 with the reason for an address Slack refuses."""
    try:
        manifest = build(address, dc, require_crm_user)
    except ValueError as exc:
        print(f"{PROG}: {exc}", file=err)
        return 2
    if link:
        out.write(create_app_link(manifest) + "\n")
    elif as_json:
        out.write(to_json(manifest))
    else:
        out.write(to_yaml(manifest, command_line(address, dc, require_crm_user)))
    return 0


# --- a YAML writer for exactly the shapes above: mappings, lists, strings, booleans and whole numbers ---------

PLAIN = re.compile(r"[A-Za-z/_][A-Za-z0-9 _./:,'()@#-]*", re.ASCII)
YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}  # YAML 1.1 reads these as values


def scalar(value: object) -> str:
    """One YAML scalar: plain where YAML reads it back as the same string, else double-quoted with escapes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"no YAML for {type(value).__name__}")
    if (PLAIN.fullmatch(value) and not value.endswith(" ") and ": " not in value and " #" not in value
            and value.casefold() not in YAML_WORDS):
        return value
    return '"' + "".join(_escaped(ch) for ch in value) + '"'


def _escaped(ch: str) -> str:
    if ch in '\\"':
        return "\\" + ch
    if " " <= ch <= "~":
        return ch
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _note(key: object) -> str:
    note = NOTES.get(key) if isinstance(key, str) else None
    return f"  # {note}" if note else ""


def _mapping(value: dict[str, Any], indent: int, lines: list[str], first_prefix: str | None = None) -> None:
    for number, (key, item) in enumerate(value.items()):
        pad = first_prefix if number == 0 and first_prefix is not None else " " * indent
        if isinstance(item, dict) and item:
            lines.append(f"{pad}{key}:{_note(key)}")
            _mapping(item, indent + 2, lines)
        elif isinstance(item, list) and item:
            lines.append(f"{pad}{key}:{_note(key)}")
            _sequence(item, indent + 2, lines)
        elif isinstance(item, dict | list):
            lines.append(f"{pad}{key}: {'{}' if isinstance(item, dict) else '[]'}")
        else:
            lines.append(f"{pad}{key}: {scalar(item)}{_note(key)}")


def _sequence(items: Sequence[Any], indent: int, lines: list[str]) -> None:
    """A block list; the comments of scalar items start in one column, so they read as a table."""
    width = max((len(scalar(item)) for item in items if not isinstance(item, dict)), default=0)
    for item in items:
        if isinstance(item, dict):
            _mapping(item, indent + 2, lines, first_prefix=" " * indent + "- ")
        else:
            text = scalar(item)
            note = _note(item)
            lines.append(f"{' ' * indent}- {text.ljust(width) if note else text}{note}")

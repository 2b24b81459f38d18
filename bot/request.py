"""What a person typed after `/crmphoto`, turned into a request, a help request, or a specific hint.

Accepted: `Module ID` (module in any case, singular or plural, up to three words for custom module
labels), `ID Module` (people do type it that way round), a pasted Zoho CRM record link, `help` or
nothing. Nothing here
talks to Zoho: the module name is resolved later against Zoho's module list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

MAX_TEXT = 500
MAX_MODULE_WORDS = 3
RECORD_ID = re.compile(r"(?:zcrm_)?[0-9]{1,30}", re.IGNORECASE)
MODULE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,49}")
LINK_HOST = re.compile(r"(?:[a-z0-9-]+\.)*(?:zoho\.[a-z.]{2,10}|zohocloud\.ca)", re.IGNORECASE)
HELP_WORDS = {"", "help", "-h", "--help", "?", "usage"}


@dataclass(frozen=True)
class PhotoRequest:
    """A module as typed (resolved later) and a record id of digits."""

    module: str
    record_id: str
    from_link: bool = False


@dataclass(frozen=True)
class HelpRequest:
    pass


@dataclass(frozen=True)
class BadInput:
    """Why the text is not a request; `problem` picks the hint in the words catalogue."""

    problem: str  # missing_id | bad_id | too_many_ids | extra_words | bad_module | bad_link | too_long
    typed: str
    detail: str = ""


Parsed = PhotoRequest | HelpRequest | BadInput


def _unwrap_slack_link(token: str) -> str:
    """Slack sends pasted links as `<https://…>` or `<https://…|label>`."""
    if token.startswith("<") and token.endswith(">"):
        return token[1:-1].split("|", 1)[0]
    return token


def _is_id(token: str) -> bool:
    return RECORD_ID.fullmatch(token) is not None


def _clean_id(token: str) -> str:
    return token[5:] if token.lower().startswith("zcrm_") else token


def parse_link(text: str) -> PhotoRequest | BadInput:
    """`https://crm.zoho.<tld>/crm/<org>/tab/<Tab>/<id>`; the org segment may be absent or custom."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return BadInput("bad_link", text)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not LINK_HOST.fullmatch(host):
        return BadInput("bad_link", text, "not a Zoho CRM address")
    segments = [unquote(s) for s in parts.path.split("/") if s]
    if "tab" not in segments:
        return BadInput("bad_link", text, "no record in the link")
    after = segments[segments.index("tab") + 1 :]
    if len(after) < 2 or not MODULE_WORD.fullmatch(after[0]) or not _is_id(after[1]):
        return BadInput("bad_link", text, "no record in the link")
    return PhotoRequest(module=after[0], record_id=_clean_id(after[1]), from_link=True)


def parse_command(text: str | None) -> Parsed:
    """Never raises: every text becomes a request, a help request, or a BadInput with a reason."""
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        return BadInput("too_long", text[:60] + "…")
    if text.lower() in HELP_WORDS:
        return HelpRequest()
    tokens = [_unwrap_slack_link(t) for t in text.split()]
    links = [t for t in tokens if "://" in t or t.lower().startswith(("crm.zoho", "www.zoho"))]
    if links:
        if len(tokens) > 1:
            return BadInput("extra_words", text, "a link on its own")
        link = links[0] if "://" in links[0] else "https://" + links[0]
        return parse_link(link)
    ids = [t for t in tokens if _is_id(t)]
    if len(ids) > 1:
        return BadInput("too_many_ids", text)
    if not ids:
        last = tokens[-1]
        if len(tokens) == 1 and MODULE_WORD.fullmatch(last):
            return BadInput("missing_id", text, last)
        if any(c.isdigit() for c in last):
            return BadInput("bad_id", text, last)
        return BadInput("missing_id", text, tokens[0])
    if tokens[-1] != ids[0]:
        if tokens[0] == ids[0] and len(tokens) == 2 and MODULE_WORD.fullmatch(tokens[1]):
            return PhotoRequest(module=tokens[1], record_id=_clean_id(ids[0]))
        return BadInput("extra_words", text, " ".join(tokens[tokens.index(ids[0]) + 1 :]))
    words = tokens[:-1]
    if not words:
        return BadInput("missing_module", text, ids[0])
    if len(words) > MAX_MODULE_WORDS or not all(MODULE_WORD.fullmatch(w) for w in words):
        return BadInput("bad_module", text, " ".join(words))
    return PhotoRequest(module=" ".join(words), record_id=_clean_id(ids[0]))

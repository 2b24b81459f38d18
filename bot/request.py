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

from bot.datacentres import DATA_CENTRES

MAX_TEXT = 500
MAX_MODULE_WORDS = 3
RECORD_ID = re.compile(r"(?:zcrm_)?[0-9]{1,30}", re.IGNORECASE)
MODULE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,49}")
# Zoho's CRM web domains, one per data centre (bot/datacentres.py), and any sub-domain of them such as crm.
LINK_HOST = re.compile(
    r"(?:[a-z0-9-]+\.)*(?:"
    + "|".join(re.escape(domain) for domain in sorted({dc.web_domain for dc in DATA_CENTRES}, key=len, reverse=True))
    + ")",
    re.IGNORECASE,
)
SLACK_LINK = re.compile(r"<([^<>|\s!@#][^<>|\s]*)(?:\|[^<>]*)?>")  # not <@user>, <!here>, <#channel>
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


def _unwrap_slack_links(text: str) -> str:
    """Slack sends pasted links as `<https://…>` or `<https://…|label with spaces>`."""
    return SLACK_LINK.sub(lambda m: m.group(1), text)


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
    tokens = _unwrap_slack_links(text).split()
    links = [t for t in tokens if "://" in t or t.lower().startswith(("crm.zoho", "www.zoho"))]
    if links:
        if len(tokens) > 1:
            return BadInput("link_and_words", text, " ".join(t for t in tokens if t not in links))
        link = links[0] if "://" in links[0] else "https://" + links[0]
        return parse_link(link)
    ids = [t for t in tokens if _is_id(t)]
    if len(ids) > 1:
        return BadInput("too_many_ids", text)
    if not ids:
        return _without_id(text, tokens)
    record_id = _clean_id(ids[0])
    if tokens[-1] == ids[0]:
        words = tokens[:-1]
    elif tokens[0] == ids[0]:
        words = tokens[1:]  # `12345 Contacts`: people do type it that way round
    else:
        return BadInput("extra_words", text, " ".join(tokens[tokens.index(ids[0]) + 1 :]))
    if not words:
        return BadInput("missing_module", text, ids[0])
    if len(words) > MAX_MODULE_WORDS or not all(MODULE_WORD.fullmatch(w) for w in words):
        if tokens[-1] != ids[0] and len(words) > 1:
            return BadInput("extra_words", text, " ".join(words[1:]))
        return BadInput("bad_module", text, " ".join(words))
    return PhotoRequest(module=" ".join(words), record_id=record_id)


def _without_id(text: str, tokens: list[str]) -> BadInput:
    """No record id at all: say whether one is missing or what was typed isn't one."""
    if all(MODULE_WORD.fullmatch(t) for t in tokens) and len(tokens) <= MAX_MODULE_WORDS:
        if len(tokens) > 1 and not any(t[0].isupper() for t in tokens[1:]):
            return BadInput("bad_id", text, tokens[-1])  # `Contacts abc`: the last word was meant as the id
        return BadInput("missing_id", text, " ".join(tokens))
    return BadInput("bad_id", text, tokens[-1])

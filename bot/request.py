"""What a person typed after `/crmphoto`, turned into a request, a search, a help request, or a hint.

Accepted: `Module ID` (module in any case, singular or plural, up to three words for custom module
labels), `ID Module` (people do type it that way round), a pasted Zoho CRM record link, an email
address, a phone number (digits with `+ ( ) - .` or spaces), a name (`Jane Doe`, `"Jane Doe"`), each of
the last three optionally after a module, `help` or nothing. Nothing here talks to Zoho: module names
are resolved later against Zoho's module list, and a name's leading words may turn out to be a module. Anything else
is a BadInput named by what it looks like (a number too long for an id, half an email address, a Slack mention,
symbols), so its hint never calls it something it is not.

The text arrives as Slack sends it: links wrapped (`<https://…|label>`, `<mailto:…>`, `<tel:…>`), and the `&`, `<`
and `>` the person typed escaped (bot.escapes). Links are unwrapped, then the escapes undone, once, before anything
else looks at the text. Angle brackets a person typed around a value are taken off (`Contacts <12345>`), and a
placeholder copied from an example (`Contacts <ID>`) gets its own hint.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from bot.datacentres import DATA_CENTRES
from bot.escapes import unescape
from bot.ids import API_NAME, LABEL_WORD, record_id, too_long_for_an_id
from bot.records import SearchKind

MAX_TEXT = 500
MAX_MODULE_WORDS = 3
# Zoho's CRM web domains, one per data centre (bot/datacentres.py), and any sub-domain of them such as crm.
LINK_HOST = re.compile(
    r"(?:[a-z0-9-]+\.)*(?:"
    + "|".join(re.escape(domain) for domain in sorted({dc.web_domain for dc in DATA_CENTRES}, key=len, reverse=True))
    + ")",
    re.IGNORECASE,
)
SLACK_LINK = re.compile(r"<([^<>|\s!@#][^<>|\s]*)(?:\|([^<>]*))?>")  # not <@user>, <!here>, <#channel>
HELP_WORDS = {"", "help", "-h", "--help", "?", "usage"}
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+", re.ASCII)
PHONE = re.compile(r"\+?[0-9()][0-9 ().-]*[0-9]", re.ASCII)
PHONE_DIGITS = (6, 15)  # E.164 allows 15; fewer than 6 is more likely a typo than a phone number
# Letters, with ' . & , - inside; or `&` on its own (`Procter & Gamble`).
NAME_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’.&,-])*|&", re.UNICODE)
MAX_SEARCH = 100
QUOTES = "\"“”„«»"
# Angle brackets a person typed around one value, and the words of examples (`<ID>`) typed as they were shown.
BRACKETED = re.compile(r"<([^<>!@#|]+)>")
PLACEHOLDERS = {"id", "recordid", "record_id", "record-id", "module", "modulename", "module_name", "record",
                "name", "email", "phone", "link", "url", "number"}
# Typed alone, these are a module without its record id (a hint), not a name to search for.
MODULE_ALONE = {"contact", "contacts", "lead", "leads", "account", "accounts", "product", "products", "vendor",
                "vendors", "deal", "deals"}
MENTION = re.compile(r"<@|@\w")  # a Slack mention, as Slack wraps it or as typed (`@jane.doe`)
# A module and a record id typed without the space between them (`Contacts1234`, `Leads:4876…`); 4 digits at least,
# so a custom module's own number (`CustomModule3`) is not taken for an id.
GLUED = re.compile(r"([^\W\d_]+)[_:#/-]?([0-9]{4,30})")


@dataclass(frozen=True)
class PhotoRequest:
    """A module as typed (resolved later) and a record id of digits."""

    module: str
    record_id: str
    from_link: bool = False


@dataclass(frozen=True)
class SearchRequest:
    """Look a record up by email, phone or name (resolved and searched later, against Zoho).

    `module` is what was typed as the module, if anything. For a name typed without quotes, `words`
    keeps the words so the pipeline can tell `Contacts Jane Doe` (a module, then a name) from `Jane Doe`.
    """

    kind: SearchKind
    value: str
    module: str | None = None
    words: tuple[str, ...] = ()

    @property
    def record_id(self) -> str:
        return ""

    @property
    def label(self) -> str:
        """How the search is named in replies and the audit line."""
        return f"{self.module} {self.value}" if self.module else self.value


@dataclass(frozen=True)
class HelpRequest:
    pass


@dataclass(frozen=True)
class BadInput:
    """Why the text is not a request; `problem` picks the hint in the words catalogue."""

    # missing_id | missing_module | glued | bad_id | id_too_long | too_many_ids | extra_words | bad_module | bad_link
    # | link_and_words | too_long | bad_search | bad_email | bad_phone | mention | placeholder | not_understood
    problem: str
    typed: str
    detail: str = ""


Parsed = PhotoRequest | SearchRequest | HelpRequest | BadInput


def unwrapped(target: str, label: str | None) -> str:
    """What one of Slack's wrappers holds: the link, the address (`mailto:`), or the number as shown (`tel:`)."""
    if target.lower().startswith("mailto:"):
        return target[7:]
    if target.lower().startswith("tel:"):
        return label if label and PHONE.fullmatch(label.strip()) else target[4:]
    return target


def _unwrap_slack_links(text: str) -> str:
    """Slack sends pasted links as `<https://…>` or `<https://…|label>`, emails as `<mailto:a@b.c|a@b.c>` and
    may send phone numbers as `<tel:+4420…|+44 20 …>`: keep the link, the address, or the number as shown."""
    return SLACK_LINK.sub(lambda match: unwrapped(match.group(1), match.group(2)), text)


def typed_text(text: str) -> str:
    """What the person typed, from the text Slack sent: its links unwrapped, then its escapes undone (once).

    In that order: a raw `<` or `>` is Slack's own wrapping, while an escaped one is a character the person
    typed, so a typed `<…>` is never taken for a link.
    """
    return unescape(_unwrap_slack_links(text))


def _unbracket(text: str) -> str | BadInput:
    """Angle brackets typed around a value are taken off; an example's placeholder (`<ID>`) gets a hint."""
    for match in BRACKETED.finditer(text):
        if re.sub(r"\s+", "", match.group(1)).casefold() in PLACEHOLDERS:
            return BadInput("placeholder", text, match.group(0))
    return BRACKETED.sub(lambda match: match.group(1), text)


def _is_id(token: str) -> bool:
    return record_id(token) is not None


def _clean_id(token: str) -> str:
    return record_id(token) or token


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
    if len(after) < 2 or not API_NAME.fullmatch(after[0]) or not _is_id(after[1]):
        return BadInput("bad_link", text, "no record in the link")
    return PhotoRequest(module=after[0], record_id=_clean_id(after[1]), from_link=True)


def parse_command(text: str | None) -> Parsed:
    """`text` as Slack sends it (see the module's docstring). Never raises: every text becomes a request, a help
    request, or a BadInput with a reason. Read in NFC: an accent may arrive as a combining mark (`e` + U+0301, from
    some keyboards and from pasted text), which no word pattern takes for a letter, and `Sociétés` is one word
    however it was typed."""
    text = unicodedata.normalize("NFC", typed_text(text or "")).strip()
    if len(text) > MAX_TEXT:
        return BadInput("too_long", text[:60] + "…")
    if text.lower() in HELP_WORDS:
        return HelpRequest()
    unbracketed = _unbracket(text)
    if isinstance(unbracketed, BadInput):
        return unbracketed
    text = unbracketed
    tokens = text.split()
    links = [t for t in tokens if "://" in t or t.lower().startswith(("crm.zoho", "www.zoho"))]
    if links:
        if len(tokens) > 1:
            return BadInput("link_and_words", text, " ".join(t for t in tokens if t not in links))
        link = links[0] if "://" in links[0] else "https://" + links[0]
        return parse_link(link)
    found = _search(text, tokens)
    if found is not None:
        return found
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
    if not _module_words(words):
        if tokens[-1] != ids[0] and len(words) > 1:
            return BadInput("extra_words", text, " ".join(words[1:]))
        return BadInput("bad_module", text, " ".join(words))
    return PhotoRequest(module=" ".join(words), record_id=record_id)


def _module_words(tokens: list[str]) -> bool:
    return len(tokens) <= MAX_MODULE_WORDS and all(LABEL_WORD.fullmatch(t) for t in tokens)


def _search(text: str, tokens: list[str]) -> SearchRequest | BadInput | None:
    """An email, a phone number or a quoted name, each optionally after a module; None if it is none of these."""
    emails = [i for i, t in enumerate(tokens) if EMAIL.fullmatch(t)]
    if emails:
        where = emails[-1]
        module, rest = tokens[:where], tokens[where + 1 :]
        if len(emails) > 1 or rest:
            return BadInput("extra_words", text, " ".join(rest) or tokens[emails[0]])
        if module and not _module_words(module):
            return BadInput("bad_module", text, " ".join(module))
        return SearchRequest("email", tokens[where].lower(), " ".join(module) or None)
    for module, rest in _phone_shaped(tokens):
        if not _is_id(rest) and PHONE_DIGITS[0] <= _digits(rest) <= PHONE_DIGITS[1]:
            return SearchRequest("phone", rest, " ".join(module) or None)
    quoted = re.fullmatch(rf"(.*?)[{QUOTES}]([^{QUOTES}]+)[{QUOTES}]\s*", text, re.DOTALL)
    if quoted:
        module = quoted.group(1).split()
        name = " ".join(quoted.group(2).split())
        if module and not _module_words(module):
            return BadInput("bad_module", text, " ".join(module))
        return _name(text, name, " ".join(module) or None, ())
    return None


def _phone_shaped(tokens: list[str]) -> Iterator[tuple[list[str], str]]:
    """(module words, the rest) for each way of reading the text as a phone number, optionally after a module,
    longest module first."""
    for split in range(min(MAX_MODULE_WORDS, len(tokens) - 1), -1, -1):
        module, rest = tokens[:split], " ".join(tokens[split:])
        if (not module or _module_words(module)) and PHONE.fullmatch(rest):
            yield module, rest


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def _name(text: str, name: str, module: str | None, words: tuple[str, ...]) -> SearchRequest | BadInput:
    if len(name) > MAX_SEARCH:
        return BadInput("too_long", text[:60] + "…")
    if not name or not all(NAME_WORD.fullmatch(w) for w in name.split()):
        return BadInput("bad_search", text, name)
    return SearchRequest("word", name, module, words)


def _without_id(text: str, tokens: list[str]) -> BadInput | SearchRequest:
    """No record id: a module alone wants its id; words are a name to look for; anything else gets a hint."""
    too_long = next((t for t in tokens if too_long_for_an_id(t)), None)
    if too_long:
        return BadInput("id_too_long", text, too_long)
    glued = GLUED.fullmatch(tokens[0]) if len(tokens) == 1 else None
    if glued:
        return BadInput("glued", text, f"{glued.group(1)} {glued.group(2)}")
    if len(tokens) == 1 and tokens[0].casefold() in MODULE_ALONE:
        return BadInput("missing_id", text, tokens[0])
    if all(NAME_WORD.fullmatch(t) for t in tokens):
        return _name(text, " ".join(tokens), None, tuple(tokens))
    if _module_words(tokens):
        return BadInput("missing_id", text, " ".join(tokens))
    return _not_understood(text, tokens)


def _not_understood(text: str, tokens: list[str]) -> BadInput:
    """Why text that is none of the shapes was not understood, named by what it looks like: a hint that calls
    `### qwe!!!` a bad record id teaches the wrong thing."""
    mention = next((t for t in tokens if MENTION.match(t)), None)
    if mention:
        return BadInput("mention", text, mention)
    email = next((t for t in tokens if re.search(r"\w@", t)), None)  # `jane@`, `jane@acme`: an address begun
    if email:
        return BadInput("bad_email", text, email)
    for _, rest in _phone_shaped(tokens):
        if rest.startswith("+") or _digits(rest) > PHONE_DIGITS[1]:  # `Contacts 10-01` is a mistyped id, not this
            return BadInput("bad_phone", text, rest)
    odd = [t for t in tokens if not NAME_WORD.fullmatch(t)]
    with_digits = next((t for t in odd if any(c.isdigit() for c in t)), None)
    if with_digits:
        return BadInput("bad_id", text, with_digits)
    if all(any(c.isalpha() for c in t) for t in tokens) and not any(c in text for c in "<>|"):
        return BadInput("bad_search", text, text)  # words, but with a character no name has (`Jane Doe!`)
    return BadInput("not_understood", text, text)

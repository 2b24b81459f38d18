"""What identifies a person in a message's text: the "Show CRM photo" message shortcut looks these up.

A message is not a command: nobody wrote it for crmphoto, so only what surely names one person is taken, in the
order it appears:
- email addresses: Slack's `<mailto:a@b.c|a@b.c>`, or an address written out (a bot's message may not wrap it);
- phone numbers: Slack's `<tel:…|…>`, or digits written the way phone numbers are written: after a `+`, with a
  bracketed area code (`(555) 123-4567`), in three or more groups of two digits or more (`555-123-4567`,
  `555.123.4567`, `1-800-555-0199`), or with spaces alone after a trunk `0` (`020 7946 0958`, `0171 1234567`,
  `01 23 45 67 89`) or as `555 123 4567`. A bare run of digits in a sentence is a date, an amount, an order
  number or a record id, never a phone; nor are groups that read as a date (`12.03.2024`, `2024-03-12 10.30`), an
  amount (`1.000.000`, `12 500 000`), a list of numbers (`10 20 30 40`), a decimal, a year range (`2023-2024`),
  a time range or an IP address, nor digits glued to a word, or after `#`, `-` or a currency sign;
- Zoho CRM record links, as Slack wraps them (`<https://crm.zoho.eu/crm/org…/tab/Contacts/123|label>`).
Each is held to the rules a typed command uses (bot/request.py): the same email shape, 6 to 15 digits for a
phone, the same reading of a record link. The text arrives as Slack sends it (links wrapped, `&`, `<`, `>`
escaped, bot/escapes.py). Duplicates are dropped (an address in any case, the same digits, the same record) and
at most MAX_FOUND are kept, so one message never costs more than three searches. Pure: no Zoho, no Slack.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.escapes import unescape
from bot.matching import phone_digits
from bot.request import EMAIL, PHONE, PHONE_DIGITS, SLACK_LINK, PhotoRequest, SearchRequest, parse_link, unwrapped

MAX_FOUND = 3
MAX_TEXT = 40_000  # Slack's limit for a message's text; anything longer is not read further

Found = PhotoRequest | SearchRequest

WRAPPED = re.compile(r"<[^<>]*>")  # every raw `<…>` in message text is Slack's own (a typed `<` arrives escaped)
WRITTEN_EMAIL = re.compile(r"(?<![\w.%+'-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")
WRITTEN_LINK = re.compile(r"https?://[^\s<>]+", re.IGNORECASE)
# A run of digits and the characters phone numbers are written with; atomic, so a run is read whole or not at all.
DIGIT_RUN = re.compile(
    r"(?>\+?(?:\([0-9]{1,6}\) ?)?[0-9]+(?:(?:[ .-]|[ .-]?\([0-9]{1,6}\)[ .-]?)[0-9]+)*)"
)
NOT_BEFORE = re.compile(r"[^\W_]|[+./#$€£¥₹-]")  # a run glued to a word, or an id, reference or amount
NOT_AFTER = re.compile(r"[^\W_]|[+/%€£¥₹]|[.-][0-9]")
SEPARATOR = re.compile(r"[ .-]")
_DAY_FIRST = r"[0-9]{1,2}([./-])[0-9]{1,2}\1"
_YEAR_FIRST = r"[0-9]{4}([./-])[0-9]{1,2}\2[0-9]{1,2}"
DATE = re.compile(rf"{_DAY_FIRST}(?:[0-9]{{2}}|[0-9]{{4}})|{_YEAR_FIRST}")
DATE_THEN_MORE = re.compile(rf"(?:{_DAY_FIRST}[0-9]{{4}}|{_YEAR_FIRST}) ")  # a date, then a time
AMOUNT = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]{1,2}(?: [0-9]{3})+")  # 1.000.000, 12 500 000
IP_ADDRESS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
TIME_RANGE = re.compile(r"[0-9]{1,2}\.[0-9]{2}-[0-9]{1,2}\.[0-9]{2}")


def find(text: str | None, limit: int = MAX_FOUND) -> list[Found]:
    """The emails, phone numbers and record links in `text` (as Slack sends it), in order, without repeats."""
    found: list[tuple[int, Found]] = []
    text = (text or "")[:MAX_TEXT]
    last = 0
    for match in WRAPPED.finditer(text):
        found.extend((last + at, item) for at, item in _written(text[last : match.start()]))
        item = _wrapped(match.group(0))
        if item is not None:
            found.append((match.start(), item))
        last = match.end()
    found.extend((last + at, item) for at, item in _written(text[last:]))
    kept: dict[tuple[str, ...], Found] = {}
    for _, item in sorted(found, key=lambda pair: pair[0]):
        kept.setdefault(_key(item), item)
    return list(kept.values())[:limit]


def label(item: Found) -> str:
    """How an identifier is named to the person: the address, the number as written, or the module and id."""
    return item.label if isinstance(item, SearchRequest) else f"{item.module} {item.record_id}"


def _key(item: Found) -> tuple[str, ...]:
    if isinstance(item, PhotoRequest):
        return ("id", item.module.casefold(), item.record_id)
    if item.kind == "phone":
        return ("phone", phone_digits(item.value))
    return (item.kind, item.value.casefold())


def _wrapped(wrapper: str) -> Found | None:
    """A Slack wrapper: `<mailto:…>`, `<tel:…>` or a link; mentions (`<@U…>`, `<#C…>`, `<!here>`) name no one here."""
    link = SLACK_LINK.fullmatch(wrapper)
    if link is None:
        return None
    target, shown = link.group(1), link.group(2)
    kind = target.split(":", 1)[0].lower()
    value = unescape(unwrapped(target, shown)).strip()
    if kind == "mailto":
        return _email(value.split("?", 1)[0])
    if kind == "tel":
        return _phone(value)
    if kind in ("http", "https"):
        return _link(value)
    return None


def _written(part: str) -> Iterator[tuple[int, Found]]:
    """What is written out in text between Slack's wrappers: emails, then links, then phone numbers in what is
    left (so the digits of an address or a link are never read as a phone)."""
    plain = unescape(part)
    for match in WRITTEN_EMAIL.finditer(plain):
        email = _email(match.group(0))
        if email is not None:
            yield match.start(), email
    plain = _blank(plain, WRITTEN_EMAIL)
    for match in WRITTEN_LINK.finditer(plain):
        link = _link(match.group(0).rstrip(".,;:!?)]}'\""))
        if link is not None:
            yield match.start(), link
    plain = _blank(plain, WRITTEN_LINK)
    for match in DIGIT_RUN.finditer(plain):
        before = plain[match.start() - 1 : match.start()]
        after = plain[match.end() : match.end() + 2]
        if NOT_BEFORE.match(before) or NOT_AFTER.match(after) or not _phone_shaped(match.group(0)):
            continue
        phone = _phone(match.group(0))
        if phone is not None:
            yield match.start(), phone


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    """`text` with what `pattern` matches blotted out, keeping every other character where it was."""
    return pattern.sub(lambda match: "\0" * len(match.group(0)), text)


def _email(value: str) -> SearchRequest | None:
    return SearchRequest("email", value.lower()) if EMAIL.fullmatch(value) else None


def _phone(value: str) -> SearchRequest | None:
    """A number as a command would take it: phone characters only, 6 to 15 digits."""
    digits = sum(c.isdigit() for c in value)
    if not PHONE.fullmatch(value) or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
        return None
    return SearchRequest("phone", value)


def _link(value: str) -> PhotoRequest | None:
    parsed = parse_link(value)
    return parsed if isinstance(parsed, PhotoRequest) else None


def _phone_shaped(run: str) -> bool:
    """Whether digits written out in a sentence are written as a phone number (see the module's docstring)."""
    if run.startswith("+") or "(" in run:
        return True
    groups = SEPARATOR.split(run)
    if len(groups) < 2 or any(len(group) < 2 for group in groups[1:]):
        return False  # a bare number, or small numbers in a row (`0 0 1000`)
    if any(pattern.fullmatch(run) for pattern in (DATE, AMOUNT, IP_ADDRESS, TIME_RANGE)) or DATE_THEN_MORE.match(run):
        return False
    trunk = groups[0].startswith("0")
    if len(groups) == 2:  # a decimal, a range, or a number after its trunk 0: `0171 1234567`
        return trunk and "." not in run
    if "." not in run and "-" not in run:  # spaces alone: numbers in a row, unless written the way phones are
        return trunk or (len(groups[-1]) == 4 and all(len(group) >= 3 for group in groups[1:]))
    return True

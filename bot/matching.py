"""Whether a lone search hit is exactly what was typed, so its photo may go to the whole channel at once.

Zoho's searches are looser than what a person means: `word` matches any text field, so `Jane Doe` can find a
stranger whose notes or title mention Jane Doe, and a phone search can find a record through another of its
numbers. A single hit is shared without a second look only when it is the record typed: an email equal to one
of its email fields, a phone number equal to one of its own phone numbers (up to the country code and a trunk
`0`, at least 7 digits agreeing), or a name whose words are its display name's (case, accents, order and spaces
aside). Anything else is shown privately first. Pure functions: no Zoho, no Slack.
"""

from __future__ import annotations

import re
import unicodedata

from bot.records import RecordCard, SearchKind

MIN_PHONE_DIGITS = 7  # fewer agreeing digits could be anyone's number
NOT_DIGITS = re.compile(r"[^0-9]")
# What may stand before the shorter of two numbers in the longer one: nothing, or a country code (1 to 3 digits,
# E.164). A 4th digit would be part of an area code, and a local number without its area code is not enough.
COUNTRY_CODE = re.compile(r"(?:[1-9][0-9]{0,2})?")
# Slack's clients turn ' into ’ as people type; and letters NFKD does not take apart, written without their mark
# on keyboards that lack them (Işık, Łódź, Søren).
PLAIN = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "ı": "i", "ł": "l", "ø": "o", "đ": "d"})


def name_words(text: str) -> list[str]:
    """The words of a name, compared as a person would: accents dropped, case folded, in a fixed order.

    Case is folded the way Unicode's compatibility caseless match (D146) does it, so letters whose capitals
    are two letters (ß, ᾀ) or that only NFKD spells plainly (ﬁ, ＪＡＮＥ) compare equal too.
    """
    folded = _nfkd(_nfkd(unicodedata.normalize("NFD", text).casefold()).casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return sorted(plain.translate(PLAIN).split())


def _nfkd(text: str) -> str:
    return unicodedata.normalize("NFKD", text)


def same_name(typed: str, name: str) -> bool:
    """`Doe  JANE` is `Jane Doe`; `Jane` is not, nor is `Jane Doe Smith`."""
    words = name_words(typed)
    return bool(words) and words == name_words(name)


def same_email(typed: str, emails: tuple[str, ...]) -> bool:
    """The address typed is one of the record's (addresses are compared without regard to case)."""
    wanted = typed.strip().casefold()
    return bool(wanted) and any(wanted == email.strip().casefold() for email in emails)


def phone_digits(text: str) -> str:
    """The digits that identify a number: no spaces or punctuation, no `+`, no `(0)`, no leading zeros
    (a trunk `0`, or the `00` dialled before a country code)."""
    return NOT_DIGITS.sub("", text.replace("(0)", "")).lstrip("0")


def _national(text: str) -> bool:
    """Written the way it is dialled inside its country, with a trunk `0` (`020 …`, not `00 44 …`)."""
    digits = NOT_DIGITS.sub("", text)
    return digits.startswith("0") and not digits.startswith("00")


def same_phone(typed: str, phone: str) -> bool:
    """The same number written two ways: `+44 20 7946 0958`, `020 7946 0958`, `(20) 7946-0958`.

    The shorter must be the end of the longer and have at least MIN_PHONE_DIGITS digits; what the longer has
    in front of it may only be a country code, which a number written with a trunk `0` does not have.
    """
    (short, _), (long, long_text) = sorted(((phone_digits(t), t) for t in (typed, phone)), key=lambda p: len(p[0]))
    if len(short) < MIN_PHONE_DIGITS or not long.endswith(short):
        return False
    head = long[: len(long) - len(short)]
    return not head or (COUNTRY_CODE.fullmatch(head) is not None and not _national(long_text))


def exact(kind: SearchKind, typed: str, card: RecordCard) -> bool:
    """Whether `card` is exactly the record a `kind` search for `typed` asked for."""
    if kind == "email":
        return same_email(typed, card.emails)
    if kind == "phone":
        return any(same_phone(typed, phone) for phone in card.phones)
    return same_name(typed, card.name)

"""The languages crmphoto speaks, and the gettext catalogues that hold its words (bot/locales/).

English is the source: every word is written in English in bot/messages.py, marked with `N_` (or `NP_` for a
singular/plural pair), and `pybabel extract` collects those marks into bot/locales/crmphoto.pot. Each language
has one .po file beside it, read with Babel when first needed, so a Heroku deploy needs no build step. A message
with no translation falls back to English, word for word.

The locale is always passed in explicitly: a rep's words follow the rep's Slack language, the channel's words
`DEFAULT_LOCALE`, and an admin's words stay English (`ADMIN`), whichever task happens to render them.
"""

from __future__ import annotations

import functools
import gettext
import io
import re
from collections.abc import Sequence
from pathlib import Path

from babel import Locale
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "crmphoto"
LOCALES_DIR = Path(__file__).parent / "locales"
ENGLISH = "en"
ADMIN = ENGLISH  # alerts, doctor, setup, the CLI, logs and the audit line
# Slack's languages crmphoto has words for, as gettext names them (Slack writes pt-BR, es-LA, ja-JP, ...).
LANGUAGES = ("en", "de", "fr", "es", "pt_BR", "ja")


def N_(msgid: str) -> str:
    """Marks an English text for the catalogue; it is translated where it is shown, with that person's locale."""
    return msgid


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a singular/plural pair: the language's own plural rule picks the form (`{n}` is the count)."""
    return singular, plural


def language(code: str | None, default: str = ENGLISH) -> str:
    """The catalogue for a Slack locale (`ja-JP`, `es-LA`, `pt-PT`, `de-AT`), by its language subtag first.

    Slack's codes are its own (Babel cannot parse `es-LA`), so only the language is read, and the region
    only to choose between variants of one language (Portuguese has one: Brazilian). Unknown or missing →
    `default`.
    """
    if not code:
        return default
    parts = code.replace("_", "-").split("-")
    lang = parts[0].lower()
    exact = f"{lang}_{parts[1].upper()}" if len(parts) > 1 else lang
    if exact in LANGUAGES:
        return exact
    for known in LANGUAGES:
        if known.split("_")[0] == lang:
            return known
    return default


def supported(code: str) -> bool:
    """Whether `code` names one of crmphoto's languages (for checking `DEFAULT_LOCALE`)."""
    return language(code, "") != ""


@functools.cache
def _translations(locale: str) -> gettext.NullTranslations:
    if locale == ENGLISH or locale not in LANGUAGES:  # only a known name ever becomes part of a path
        return gettext.NullTranslations()
    path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out: a guess is not shown to anyone
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def text(locale: str, msgid: str, **values: object) -> str:
    """`msgid` in `locale`, its `{placeholders}` filled in."""
    said = _translations(locale).gettext(msgid)
    return said.format(**values) if values else said


def plural(locale: str, forms: tuple[str, str], n: int, **values: object) -> str:
    """The form of `forms` the language uses for `n`, filled in (`{n}` included)."""
    said = _translations(locale).ngettext(forms[0], forms[1], n)
    return said.format(n=n, **values)


# Japanese sets a Latin word apart from kana and kanji with a space, as Slack's and Zoho's Japanese interfaces do.
_LATIN_NEXT_TO_CJK = re.compile(r"(?<=[A-Za-z0-9])(?=[\u3040-\u30ff\u4e00-\u9fff])|"
                                r"(?<=[\u3040-\u30ff\u4e00-\u9fff])(?=[A-Za-z0-9])")


def either(locale: str, items: Sequence[str]) -> str:
    """`a, b or c` the way the language writes it (`Contacts または Leads`)."""
    if not items:
        return ""
    return _LATIN_NEXT_TO_CJK.sub(" ", format_list(list(items), style="or", locale=Locale.parse(locale)))

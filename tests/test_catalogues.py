"""The gettext catalogues: the template holds every marked English text, and every language translates all of it
with the same placeholders, the same code, links and escapes, as valid Slack mrkdwn within Slack's limits."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot import i18n

POT = i18n.LOCALES_DIR / f"{i18n.DOMAIN}.pot"
TRANSLATED = [lang for lang in i18n.LANGUAGES if lang != i18n.ENGLISH]
PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_]+)\}(?!\})")
CODE = re.compile(r"`[^`]*`")
ENTITY = re.compile(r"&[a-z]+;")


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=locale)


def po(lang: str) -> Path:
    return i18n.LOCALES_DIR / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


def ids(catalog: Catalog) -> set[str | tuple[str, ...]]:
    return {m.id for m in catalog if m.id}


def extracted() -> set[str | tuple[str, ...]]:
    """What `pybabel extract --no-default-keywords -k N_ -k NP_:1,2` finds in bot/ today."""
    found = extract_from_dir(str(Path(i18n.__file__).parent), method_map=[("**.py", "python")],
                             keywords={"N_": None, "NP_": (1, 2)})
    return {message if isinstance(message, str) else tuple(message) for _, _, message, _, _ in found}


def test_the_template_holds_every_marked_text_and_nothing_else() -> None:
    """Run docs/translating.md's `pybabel extract` (then `pybabel update`) when this fails."""
    assert ids(read(POT)) == extracted()


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_language_translates_every_text(lang: str) -> None:
    catalog = read(po(lang), lang)
    assert ids(catalog) == ids(read(POT)), "run pybabel update (docs/translating.md)"
    untranslated = [m.id for m in catalog if m.id and (not _forms(m) or not all(_forms(m)) or m.fuzzy)]
    assert untranslated == []


def _forms(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def _entries() -> list[tuple[str, str, str]]:
    """(language, English, translation) for every form of every entry."""
    rows = []
    for lang in TRANSLATED:
        path = po(lang)
        if not path.is_file():
            continue
        for message in read(path, lang):
            if not message.id:
                continue
            english = message.id if isinstance(message.id, str) else message.id[1]
            rows += [(lang, english, form) for form in _forms(message) if form]
    return rows


ENTRIES = _entries()


@pytest.mark.parametrize(("lang", "english", "translated"), ENTRIES, ids=[f"{r[0]}:{r[1][:30]}" for r in ENTRIES])
def test_a_translation_keeps_placeholders_code_and_escapes(lang: str, english: str, translated: str) -> None:
    """Placeholders are filled by the bot, code spans are typed by people (commands, settings, examples), and
    `&amp;` is how Slack mrkdwn writes `&`: all stay exactly as in English."""
    assert set(PLACEHOLDER.findall(translated)) == set(PLACEHOLDER.findall(english))
    assert translated.count("{{") == english.count("{{") and translated.count("}}") == english.count("}}")
    assert Counter(CODE.findall(translated)) == Counter(CODE.findall(english))
    assert Counter(ENTITY.findall(translated)) == Counter(ENTITY.findall(english))


@pytest.mark.parametrize(("lang", "english", "translated"), ENTRIES, ids=[f"{r[0]}:{r[1][:30]}" for r in ENTRIES])
def test_a_translation_is_valid_slack_mrkdwn(lang: str, english: str, translated: str) -> None:
    """No raw `<`, `>` or `&` (Slack reads them as links, mentions or escapes), bold marks in pairs, backticks in
    pairs, and no line break where English has none (a line of its own is a new paragraph in Slack)."""
    outside_code = CODE.sub("", translated)
    assert "<" not in outside_code and ">" not in outside_code
    assert not re.search(r"&(?![a-z]+;)", outside_code)
    assert translated.count("`") % 2 == 0
    assert outside_code.count("*") % 2 == 0
    assert translated.count("\n") == english.count("\n")
    assert translated == translated.strip() or english != english.strip()


@pytest.mark.parametrize("lang", TRANSLATED)
def test_plural_forms_follow_the_language(lang: str) -> None:
    """Babel's plural rule for the language, so `{n}` picks the right form (Japanese has one)."""
    catalog = read(po(lang), lang)
    assert catalog.num_plurals == Catalog(locale=lang).num_plurals
    for message in catalog:
        if message.pluralizable:
            assert len(_forms(message)) == catalog.num_plurals

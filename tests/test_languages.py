"""The rep's own language: private words follow the asker's Slack locale, the channel's words DEFAULT_LOCALE,
admins' words stay English, and nothing a rep reads bypasses the catalogue (a made-up pseudo-locale shows it)."""

from __future__ import annotations

import gettext
import io
import re
import string
from collections.abc import Iterator
from typing import Any

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot import i18n, messages
from bot.codes import Code
from bot.config import ConfigError, load_settings
from bot.fakes.harness import bot_env
from bot.fakes.zoho import Record
from bot.records import RecordCard
from bot.slack.blocks import choice_blocks, unfurl_blocks
from tests.inprocess import Bot, BotFactory
from tests.test_lookup import JANE, LINK, click, paste, person

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
ADMIN = "C0ADMIN01"


# --- Slack's locale codes ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("slack", "language"), [
    ("ja-JP", "ja"), ("de-DE", "de"), ("de-AT", "de"), ("fr-CA", "fr"), ("es-LA", "es"), ("es-ES", "es"),
    ("pt-BR", "pt_BR"), ("pt-PT", "pt_BR"), ("en-GB", "en"), ("pt_BR", "pt_BR"), ("JA-jp", "ja"),
])
def test_slack_codes_map_by_their_language_subtag(slack: str, language: str) -> None:
    assert i18n.language(slack, "en") == language


@pytest.mark.parametrize("code", ["ko-KR", "zh-CN", "", None, "xx", "../../etc/passwd", "ja" * 500])
def test_an_unknown_or_missing_locale_is_the_default(code: str | None) -> None:
    assert i18n.language(code, "fr") == "fr"


def test_only_a_known_language_is_ever_read_from_disk() -> None:
    assert i18n.text("../de", messages.FIXER_LINES[messages.Fixer.YOU]) == messages.FIXER_LINES[messages.Fixer.YOU]


@pytest.mark.parametrize(("value", "language"), [("", "en"), ("ja", "ja"), ("ja-JP", "ja"), ("pt-BR", "pt_BR"),
                                                  ("es-LA", "es"), ("fr", "fr")])
def test_default_locale_takes_crmphoto_or_slack_codes(value: str, language: str, fakes: Any) -> None:
    zoho, slack = fakes
    assert load_settings(bot_env(zoho, slack, 3000, DEFAULT_LOCALE=value)).default_locale == language


@pytest.mark.parametrize("value", ["klingon", "ko-KR", "en;rm -rf"])
def test_an_unsupported_default_locale_is_refused_at_start(value: str, fakes: Any) -> None:
    zoho, slack = fakes
    with pytest.raises(ConfigError, match="DEFAULT_LOCALE"):
        load_settings(bot_env(zoho, slack, 3000, DEFAULT_LOCALE=value))


@pytest.mark.parametrize(("lang", "listed"), [("en", "Contacts or Leads"), ("de", "Contacts oder Leads"),
                                              ("ja", "Contacts または Leads"), ("fr", "A, B ou C")])
def test_lists_are_written_the_languages_way(lang: str, listed: str) -> None:
    items = ["A", "B", "C"] if listed.startswith("A") else ["Contacts", "Leads"]
    assert i18n.either(lang, items) == listed


# --- Every word in every language within Slack's limits -----------------------------------------------------------

@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_reply_fits_slack_in_every_language(lang: str) -> None:
    """Section text ≤ 3,000 characters, button text ≤ 75, with long (but allowed) values filled in."""
    long_modules = [f"Custom_Module_{i}" for i in range(20)]
    for code in messages.CATALOGUE:
        said = messages.explain(code, "Contacts", "4876876000000624001", typed="x" * 100, photo_modules=long_modules,
                                suggestion="Contacts").said(lang)
        assert len(said.text) <= 3000 and said.what and said.todo and said.fixer
    assert len(messages.help_text(long_modules, ("Contacts", "Leads"), locale=lang)) <= 3000
    assert 0 < len(messages.choice_button(locale=lang)) <= 75
    for problem in messages.INPUT_HINTS:
        assert len(messages.input_hint(problem, "y" * 300, locale=lang)) <= 3000


# --- Through the bot ----------------------------------------------------------------------------------------------

def _said(reply: dict[str, Any]) -> str:
    return reply["blocks"][0]["text"]["text"]


def no_photo(lang: str) -> str:
    """The "no photo" explanation of Contacts 123, as a reader of `lang` gets it."""
    return messages.explain(Code.NO_PHOTO, "Contacts", "123").said(lang).text


async def no_photo_reply(bot: Bot, user: str) -> str:
    """What `user` is told after `/crmphoto Contacts 123`, a record without a photo."""
    bot.zoho.add_record("Contacts", "123", Record(content=None))
    _, name = await bot.command("Contacts 123", user=user)
    await bot.settle()
    return _said(bot.replies(name)[0])


async def test_a_japanese_users_no_photo_reply_is_japanese_with_the_code_as_it_is(make_bot: BotFactory) -> None:
    bot = await make_bot()
    bot.slack.add_user("U0KENJI", locale="ja-JP")
    bot.zoho.add_record("Contacts", "123", Record(content=None))
    ack, name = await bot.command("Contacts 123", user="U0KENJI")
    await bot.settle()
    [reply] = bot.replies(name)
    expected = no_photo("ja")
    assert _said(reply) == expected and JAPANESE.search(expected)
    assert expected != no_photo("en")
    assert reply["blocks"][1]["elements"][0]["text"].startswith("Code `NO_PHOTO` · reference `")
    # The ack never waits for Slack: the first one is in DEFAULT_LOCALE; once known, the asker's language.
    assert ack["text"] == messages.fetching("Contacts", "123", locale="en")
    again, _ = await bot.command("Contacts 123", user="U0KENJI")
    await bot.settle()
    assert again["text"] == messages.fetching("Contacts", "123", locale="ja") != ack["text"]
    assert bot.slack.count("users.info") == 1  # the locale came with the lookup the guest check makes anyway


async def test_the_channel_reads_default_locale_and_the_asker_their_own(make_bot: BotFactory) -> None:
    """DEFAULT_LOCALE=ja, a de-DE rep: the caption everyone sees is Japanese, the rep's private words German."""
    bot = await make_bot(DEFAULT_LOCALE="ja")
    bot.slack.add_user("U0ANNA", locale="de-DE")
    for i in (1, 2):
        bot.zoho.add_record("Contacts", f"70000000{i}", Record(fields=person("Jane Doe", f"j{i}@acme.com")))
    ack, name = await bot.command("Jane Doe", user="U0ANNA")
    assert ack["text"] == messages.searching("Jane Doe", locale="ja")  # nothing known of the rep yet
    await bot.settle()
    [listing] = bot.replies(name)
    assert listing["text"] == messages.choices_text(2, "Jane Doe", locale="de")
    assert listing["blocks"][0]["text"]["text"] == messages.choice_intro(2, "*Jane Doe*", locale="de")
    button = listing["blocks"][1]["accessory"]
    assert button["text"]["text"] == messages.choice_button(locale="de") != messages.choice_button(locale="en")
    await click(bot, button["value"], user="U0ANNA")
    await bot.settle()
    [upload] = bot.slack.uploads
    comment = upload["initial_comment"]
    requested = i18n.text("ja", "Requested by {user}.", user="<@U0ANNA>")
    assert requested in comment and JAPANESE.search(requested)
    assert f" · {messages.module_name('Contacts', locale='ja')} · " in comment
    assert "Requested by" not in comment and "Angefordert" not in comment


async def test_a_pasted_links_preview_is_in_default_locale_whoever_pasted_it(make_bot: BotFactory) -> None:
    bot = await make_bot(DEFAULT_LOCALE="de")
    bot.slack.add_user("U0KENJI", locale="ja-JP")
    bot.zoho.add_record("Contacts", "790000002", Record(fields=JANE))
    url = LINK.format(id="790000002")
    await paste(bot, url, user="U0KENJI")
    await bot.settle()
    [unfurl] = bot.slack.unfurls
    section, image = unfurl["unfurls"][url]["blocks"]
    assert section["text"]["text"].endswith(f"\n{messages.module_name('Contacts', locale='de')} · Acme Corp")
    german = messages.photo_alt("Jane Doe", locale="de")
    assert image["alt_text"] == german != messages.photo_alt("Jane Doe", locale="en")
    assert bot.slack.uploads[0]["title"] == messages.photo_title("Contacts", "790000002", locale="de")
    assert bot.slack.count("users.info") == 1  # the guest check; an unfurl never asks for the paster's language


async def test_an_admin_alert_caused_by_a_japanese_users_command_is_english(make_bot: BotFactory) -> None:
    bot = await make_bot(ADMIN_CHANNEL_ID=ADMIN)
    bot.slack.add_channel(ADMIN)
    bot.slack.add_user("U0KENJI", locale="ja-JP")
    bot.zoho.add_record("Contacts", "5", Record(error="OAUTH_SCOPE_MISMATCH"))
    _, name = await bot.command("Contacts 5", user="U0KENJI")
    await bot.settle()
    [reply] = bot.replies(name)
    assert _said(reply) == messages.explain(Code.OAUTH_SCOPE_MISMATCH, "Contacts", "5").said("ja").text
    [alert] = [m["text"] for m in bot.slack.messages if m.get("channel") == ADMIN]
    english = messages.explain(Code.OAUTH_SCOPE_MISMATCH, "", "", about=messages.ALERT_ABOUT).said("en")
    assert english.what in alert and english.todo in alert and not JAPANESE.search(alert)


async def test_a_user_without_a_locale_reads_default_locale(make_bot: BotFactory) -> None:
    bot = await make_bot(DEFAULT_LOCALE="fr")
    bot.slack.add_user("U0NOLOC", locale="")
    assert await no_photo_reply(bot, "U0NOLOC") == no_photo("fr") != no_photo("en")


async def test_an_unknown_locale_reads_english(make_bot: BotFactory) -> None:
    bot = await make_bot()
    bot.slack.add_user("U0MINJI", locale="ko-KR")
    assert await no_photo_reply(bot, "U0MINJI") == no_photo("en")


async def test_slack_not_saying_the_locale_leaves_the_words_in_the_acks_language(make_bot: BotFactory) -> None:
    bot = await make_bot(DEFAULT_LOCALE="de", BLOCK_GUESTS="false")
    bot.slack.add_user("U0KENJI", locale="ja-JP")
    bot.slack.fail_next("users.info", "internal_error")
    assert await no_photo_reply(bot, "U0KENJI") == no_photo("de")


# --- No word bypasses the catalogue --------------------------------------------------------------------------------

PSEUDO = "eo"  # a language Babel knows and crmphoto has no catalogue for: it stands in for a made-up one
KEEP = re.compile(r"(\{\{?[a-z_]+\}\}?|`[^`]*`|&[a-z]+;|\n)")
WIDE = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in string.ascii_letters})


def pseudo(text: str) -> str:
    """Every letter outside placeholders, code and escapes made full-width: readable, and never ASCII English."""
    return "".join(part if KEEP.fullmatch(part) else part.translate(WIDE) for part in KEEP.split(text))


@pytest.fixture
def pseudo_locale(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with (i18n.LOCALES_DIR / f"{i18n.DOMAIN}.pot").open("rb") as pot:
        catalog = read_po(pot, locale=PSEUDO)
    for message in catalog:
        if message.id:
            message.string = tuple(pseudo(i) for i in message.id) if message.pluralizable else pseudo(message.id)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    translations = gettext.GNUTranslations(compiled)
    real = i18n._translations
    monkeypatch.setattr(i18n, "_translations", lambda locale: translations if locale == PSEUDO else real(locale))
    monkeypatch.setattr(i18n, "LANGUAGES", (*i18n.LANGUAGES, PSEUDO))
    yield PSEUDO


def english_in(text: str, *data: str) -> list[str]:
    """ASCII words left once code, Slack's <links|mentions>, :emoji:, data and the reference line are set aside."""
    for value in data:
        text = text.replace(value, " ")
    text = re.sub(r"Code `[^`]*` · reference `[^`]*`", " ", text)
    text = re.sub(r"<[^|>]*\|([^>]*)>", r" \1 ", text)  # a link's label is read
    text = re.sub(r"`[^`]*`|<[^>]*>|:[a-z_]+:|&[a-z]+;|/?crmphoto", " ", text)
    return re.findall(r"[A-Za-z]{2,}", text)


def words_of(payload: Any) -> list[str]:
    """The texts people read in a Slack payload (text, alt_text), not its keys, ids or button values."""
    if isinstance(payload, dict):
        found = [v for k, v in payload.items() if k in ("text", "alt_text") and isinstance(v, str)]
        return found + [w for k, v in payload.items() if not isinstance(v, str) for w in words_of(v)]
    if isinstance(payload, list):
        return [w for item in payload for w in words_of(item)]
    return []


# Record data, and the shortcut's name: Slack shows the manifest's name as it is, so replies name it so too.
DATA = ("Contacts", "Leads", "Jane Doe", "Acme Corp", "jane@acme.com", "zzq", messages.SHORTCUT_NAME)


def test_every_text_a_rep_reads_goes_through_the_catalogue(pseudo_locale: str) -> None:
    lang = pseudo_locale
    card = RecordCard("Contacts", "1", name="Jane Doe", detail="Acme Corp", email="jane@acme.com",
                      link="https://crm.zoho.com/crm/org1/tab/Contacts/1")
    texts = [messages.help_text(["Contacts"], ("Contacts", "Leads"), locale=lang),
             messages.fetching("Contacts", "1", locale=lang), messages.searching("zzq", locale=lang),
             messages.sharing("Contacts", "1", "Jane Doe", locale=lang),
             messages.sent_by_dm("Contacts", "1", locale=lang),
             messages.choices_text(1, "zzq", locale=lang), messages.choices_text(3, "zzq", locale=lang),
             messages.photo_label(card, "Contacts", "1", "U0ALICE", locale=lang).comment,
             messages.photo_label(None, "Contacts", "1", "U0ALICE", locale=lang).comment,
             messages.photo_label(None, "Contacts", "1", locale=lang).comment,
             messages.photo_title("Contacts", "1", locale=lang)]
    texts += [messages.module_name(m, locale=lang) for m in messages.MODULE_NAMES]
    texts += [messages.input_hint(problem, "zzq", locale=lang) for problem in messages.INPUT_HINTS]
    for about in (None, messages.searched("zzq", ["Contacts", "Leads"])):
        for code in messages.CATALOGUE:
            texts.append(messages.explain(code, "Contacts", "1", suggestion="Contacts", about=about).said(lang).text)
    texts.append(messages.unexpected().said(lang).text)
    texts.append(messages.shortcut_no_match(["jane@acme.com", "Contacts 1"]).said(lang).text)
    texts.append(messages.nothing_to_find().said(lang).text)
    for total, more in ((1, False), (9, False), (300, True)):
        blocks = choice_blocks([card], total, more, "zzq", lambda c: "v", locale=lang)
        texts += words_of(blocks)
    texts += words_of(unfurl_blocks(card, "F1", locale=lang))
    texts += words_of(unfurl_blocks(RecordCard("Contacts", "2", name=""), "F1", locale=lang))
    leftovers = {text: english_in(text, *DATA) for text in texts}
    assert {text: words for text, words in leftovers.items() if words} == {}


async def test_nothing_the_bot_says_to_a_rep_or_the_channel_is_untranslated(
    pseudo_locale: str, make_bot: BotFactory
) -> None:
    """Commands, a list and its click, a photo with its caption, refusals: every word Slack received."""
    bot = await make_bot(DEFAULT_LOCALE=pseudo_locale, ALLOWED_MODULES="Contacts,Leads")
    bot.slack.add_user("U0ALICE", locale=pseudo_locale)
    bot.zoho.add_record("Contacts", "4876876000000624001", Record(fields=JANE))
    bot.zoho.add_record("Contacts", "123", Record(content=None))
    for i in (1, 2):
        bot.zoho.add_record("Leads", f"70000000{i}", Record(fields=person("Jane Doe", f"j{i}@acme.com")))
    acks = []
    for text in ("help", "", "Contacts 4876876000000624001", "Contacts 123", "Contcts 5", "Accounts 5", "### zzq!!!",
                 "Leads Jane Doe", "nobody@acme.com", "Contacts 12a"):
        ack, _ = await bot.command(text)
        acks.append(ack)
    for message in ("Call me on 12 March about 300 units", "Ask jane@acme.com", "nobody@acme.com or +44 20 7946 0958"):
        answer, _ = await bot.shortcut(message)
        assert answer.status_code == 200
    await bot.settle()
    [listing] = [body for _, body in bot.slack.responses if "blocks" in body and len(body["blocks"]) > 2]
    await click(bot, listing["blocks"][1]["accessory"]["value"])
    await bot.settle()
    said = words_of(acks) + words_of([body for _, body in bot.slack.responses])
    said += [u["initial_comment"] for u in bot.slack.uploads] + [u["title"] for u in bot.slack.uploads]
    assert len(bot.slack.uploads) == 4 and len(said) > 20
    data = (*DATA, "Accounts", "Contcts", "nobody@acme.com", "12a", "j1@acme.com", "j2@acme.com", "+44 20 7946 0958")
    leftovers = {text: english_in(text, *data) for text in said}
    assert {text: words for text, words in leftovers.items() if words} == {}

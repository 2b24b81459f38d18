"""Modules typed by their label in the org's language (issue 18): `Kontakte 123` in a German org, `Sociétés 123` in
a French one, `連絡先 123` in a Japanese one. Labels are only ever matched against the module list; what reaches
Zoho's paths is the API name.

The orgs are the fake's (`org_modules`): the module list as Zoho's settings/modules answers it for an org in that
language (tests/test_vendor_shapes.py holds those answers to the OAS).
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote

import pytest

from bot.fakes.zoho import FakeZoho, Record, org_modules
from bot.ids import API_NAME
from bot.request import PhotoRequest, SearchRequest, parse_command
from bot.zoho import ModuleProblem, ZohoClient
from tests.inprocess import Bot, BotFactory

SOCIETES = org_modules("fr", Accounts=("Société", "Sociétés"))  # a French admin who renamed Accounts
NFD = "Soci\u0065\u0301t\u0065\u0301s"  # `Sociétés` with its accents as combining marks, as some keyboards send it
ORGS = {"de": org_modules("de"), "fr": SOCIETES, "ja": org_modules("ja")}


@pytest.mark.parametrize(
    ("org", "typed", "api_name"),
    [("de", "Kontakte", "Contacts"), ("de", "kontakte", "Contacts"), ("de", "KONTAKTE", "Contacts"),
     ("de", "Kontakt", "Contacts"), ("de", "Konten", "Accounts"), ("de", "Lieferanten", "Vendors"),
     ("de", "immobilie", "Properties"), ("de", "Contacts", "Contacts"),
     ("fr", "Sociétés", "Accounts"), ("fr", "sociétés", "Accounts"), ("fr", "SOCIÉTÉ", "Accounts"),
     ("fr", NFD, "Accounts"), ("fr", "Fournisseurs", "Vendors"), ("fr", "Biens immobiliers", "Properties"),
     ("fr", "bien immobilier", "Properties"),
     ("ja", "連絡先", "Contacts"), ("ja", "取引先", "Accounts"), ("ja", "見込み客", "Leads"),
     ("ja", "物件", "Properties")],
)
async def test_a_label_in_the_orgs_language_resolves_to_the_api_name(
    zoho: ZohoClient, fake_zoho: FakeZoho, org: str, typed: str, api_name: str
) -> None:
    fake_zoho.modules = ORGS[org]
    module = await zoho.modules.resolve(typed)
    assert module.api_name == api_name


async def test_full_width_letters_typed_through_a_japanese_input_method_are_the_label(
    zoho: ZohoClient, fake_zoho: FakeZoho
) -> None:
    fake_zoho.modules = org_modules("ja", Contacts=("Kontakt", "Kontakte"))
    assert (await zoho.modules.resolve("Ｋｏｎｔａｋｔｅ")).api_name == "Contacts"


@pytest.mark.parametrize(("org", "typed"), [("de", "Aufgaben"), ("de", "Geschäftsabschlüsse"), ("fr", "Tâches"),
                                            ("ja", "商談")])
async def test_a_label_of_a_module_without_photos_says_so(
    zoho: ZohoClient, fake_zoho: FakeZoho, org: str, typed: str
) -> None:
    fake_zoho.modules = ORGS[org]
    with pytest.raises(ModuleProblem) as info:
        await zoho.fetch_photo(typed, "1")
    assert info.value.code == "MODULE_WITHOUT_PHOTOS"
    assert fake_zoho.photo_calls() == 0


@pytest.mark.parametrize(("org", "typed", "suggestion"),
                         [("de", "Kontake", "Kontakte"), ("de", "Lieferantn", "Lieferanten"),
                          ("fr", "Societes", "Sociétés"), ("fr", "societe", "Sociétés"), ("ja", "連絡", "連絡先"),
                          ("de", "Contcts", "Contacts")])
async def test_a_near_miss_of_a_label_suggests_the_label(
    zoho: ZohoClient, fake_zoho: FakeZoho, org: str, typed: str, suggestion: str
) -> None:
    """The rep typed the org's word, so "did you mean" answers in the org's word, not with the API name."""
    fake_zoho.modules = ORGS[org]
    with pytest.raises(ModuleProblem) as info:
        await zoho.fetch_photo(typed, "1")
    assert info.value.code == "UNKNOWN_MODULE"
    assert info.value.suggestion == suggestion
    assert fake_zoho.photo_calls() == 0


@pytest.mark.parametrize(
    ("typed", "expected"),
    [(f"{NFD} 123", PhotoRequest(unicodedata.normalize("NFC", NFD), "123")),
     ("Jose\u0301 Nu\u0301n\u0303ez", SearchRequest("word", "José Núñez", None, ("José", "Núñez"))),
     (f"{NFD} jane@acme.com", SearchRequest("email", "jane@acme.com", "Sociétés"))],
)
def test_accents_typed_as_combining_marks_are_letters(typed: str, expected: object) -> None:
    assert parse_command(typed) == expected


def _paths(bot: Bot) -> list[str]:
    return [unquote(s.path) for s in bot.zoho.seen if s.path.startswith("/crm/")]


def _only_api_names_in_paths(bot: Bot) -> None:
    """Every CRM path the bot asked for is built of ASCII API names: no label ever reaches a URL."""
    for path in _paths(bot):
        segments = path.split("/")[3:]  # after /crm/v8
        assert all(API_NAME.fullmatch(s) or s.isdigit() for s in segments), path


@pytest.mark.parametrize(("org", "typed", "path"),
                         [("de", "Kontakte 123", "/crm/v8/Contacts/123/photo"),
                          ("de", "123 kontakt", "/crm/v8/Contacts/123/photo"),
                          ("fr", "sociétés 123", "/crm/v8/Accounts/123/photo"),
                          ("fr", f"{NFD} 123", "/crm/v8/Accounts/123/photo"),
                          ("fr", "Biens immobiliers 123", "/crm/v8/Properties/123/photo"),
                          ("ja", "連絡先 123", "/crm/v8/Contacts/123/photo")])
async def test_a_label_typed_in_slack_fetches_the_record_by_its_api_name(
    make_bot: BotFactory, org: str, typed: str, path: str
) -> None:
    bot = await make_bot()
    bot.zoho.modules = ORGS[org]
    _, name = await bot.command(typed)
    await bot.settle()
    assert [unquote(s.path) for s in bot.zoho.seen if s.path.endswith("/photo")] == [path]
    assert len(bot.slack.uploads) == 1 and bot.replies(name) == []
    _only_api_names_in_paths(bot)


@pytest.mark.parametrize(("org", "typed", "module", "value"),
                         [("de", "Kontakte Jane Doe", "Contacts", "Jane Doe"),
                          ("fr", "Sociétés Acme", "Accounts", "Acme"),
                          ("ja", "連絡先 山田 太郎", "Contacts", "山田 太郎")])
async def test_a_label_before_a_name_is_where_to_search(
    make_bot: BotFactory, org: str, typed: str, module: str, value: str
) -> None:
    bot = await make_bot()
    bot.zoho.modules = ORGS[org]
    await bot.command(typed)
    await bot.settle()
    searches = [s for s in bot.zoho.seen if s.path.endswith("/search")]
    assert [unquote(s.path) for s in searches] == [f"/crm/v8/{module}/search"]  # that module only, by its API name
    assert f"word={value}" in unquote(searches[0].query.replace("+", " "))
    _only_api_names_in_paths(bot)


async def test_a_near_miss_label_in_slack_gets_the_label_suggested(make_bot: BotFactory) -> None:
    bot = await make_bot()
    bot.zoho.modules = ORGS["de"]
    bot.zoho.add_record("Contacts", "123", Record())
    _, name = await bot.command("Kontake 123")
    await bot.settle()
    [reply] = bot.replies(name)
    assert bot.code_of(reply) == "UNKNOWN_MODULE"
    assert "*Kontakte*" in str(reply)
    assert bot.zoho.photo_calls() == 0

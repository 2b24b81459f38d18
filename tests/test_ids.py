"""One shape for a record id and one for a module's api name (bot/ids.py), held by every door that checks them.

Before issue 16 the shapes were copied five or six times with different limits (a link's module at most 50
characters but an api name 100; a caption's record link any number of digits), so the same id or name passed one
door and failed the next. Each door is asked here about the same values at the edges of the one shape.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.config import ID_SHAPES
from bot.ids import LABEL_WORD, record_id
from bot.messages import SAFE_LINK
from bot.request import PhotoRequest, parse_command
from bot.slack.choices import parse_choice_value
from bot.zoho import ZohoError
from bot.zoho.modules import Module
from bot.zoho.photo import clean_record_id, photo_path
from bot.zoho.records import card_from_record

CONTACTS = Module("Contacts")
GOOD_IDS = ["1", "4876876000000624001", "9" * 30]
BAD_IDS = ["", "9" * 31, "12a", "١٢٣", "１２", "-1", "1 2"]
GOOD_NAMES = ["A", "Contacts", "CustomModule3", "Price_Books", "A" + "b" * 99]
BAD_NAMES = ["", "A" + "b" * 100, "_Contacts", "1Contacts", "Aufträge", "Cont-acts", "Con tacts", "Contacts\n"]


def _accepts(check: Callable[[str], object], value: str) -> bool:
    try:
        return bool(check(value))
    except (ZohoError, ValueError):
        return False


def _choice(module: str, rid: str) -> str:
    return '{"m":"%s","r":"%s","u":"U1","c":"C1"}' % (module, rid)  # noqa: UP031 (JSON, braces and all)


RECORD_DOORS: dict[str, Callable[[str], object]] = {
    "bot.ids.record_id": record_id,
    "typed after a module": lambda rid: parse_command(f"Contacts {rid}") == PhotoRequest("Contacts", rid),
    "in a pasted link": lambda rid: parse_command(f"https://crm.zoho.com/crm/tab/Contacts/{rid}") ==
    PhotoRequest("Contacts", rid, from_link=True),
    "the photo path": lambda rid: photo_path("v8", "Contacts", rid),
    "clean_record_id (doctor --record)": clean_record_id,
    "a record Zoho returned": lambda rid: card_from_record(CONTACTS, {"id": rid}),
    "a Share photo button": lambda rid: parse_choice_value(_choice("Contacts", rid)),
    "a caption's record link": lambda rid: SAFE_LINK.fullmatch(f"https://crm.zoho.com/crm/org1/tab/Contacts/{rid}"),
}
NAME_DOORS: dict[str, Callable[[str], object]] = {
    "Zoho's module list": lambda name: Module.from_metadata({"api_name": name}),
    "the photo path": lambda name: photo_path("v8", name, "1"),
    "in a pasted link": lambda name: parse_command(f"https://crm.zoho.com/crm/tab/{name}/1") ==
    PhotoRequest(name, "1", from_link=True),
    "ALLOWED_MODULES": lambda name: ID_SHAPES["ALLOWED_MODULES"][0].fullmatch(name),
    "SEARCH_MODULES": lambda name: ID_SHAPES["SEARCH_MODULES"][0].fullmatch(name),
    "a Share photo button": lambda name: parse_choice_value(_choice(name, "1")),
    "a caption's record link": lambda name: SAFE_LINK.fullmatch(f"https://crm.zoho.com/crm/org1/tab/{name}/1"),
}


@pytest.mark.parametrize("door", RECORD_DOORS)
def test_every_door_takes_the_same_record_ids(door: str) -> None:
    check = RECORD_DOORS[door]
    assert [rid for rid in GOOD_IDS if not _accepts(check, rid)] == []
    assert [rid for rid in BAD_IDS if _accepts(check, rid)] == []


@pytest.mark.parametrize("door", NAME_DOORS)
def test_every_door_takes_the_same_api_names(door: str) -> None:
    check = NAME_DOORS[door]
    assert [name for name in GOOD_NAMES if not _accepts(check, name)] == []
    assert [name for name in BAD_NAMES if _accepts(check, name)] == []


def test_zcrm_prefix_is_dropped_in_any_case() -> None:
    assert [record_id(t) for t in ("zcrm_12", "ZCRM_12", "Zcrm_12", "zcrm_", "zcrm12", "xzcrm_12")] == \
        ["12", "12", "12", None, None, None]


@pytest.mark.parametrize(("word", "label"), [("Aufträge", True), ("連絡先", True), ("Kontakte2", True),
                                             ("Price_Books", True), ("_x", False), ("2x", False), ("a-b", False),
                                             ("", False), ("a b", False)])
def test_a_typed_label_word_may_be_any_unicode_word(word: str, label: bool) -> None:
    assert bool(LABEL_WORD.fullmatch(word)) is label

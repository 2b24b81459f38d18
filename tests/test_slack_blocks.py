"""Block Kit shapes for choosing a record and for unfurls, and the button value that carries a choice."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.records import RecordCard
from bot.slack.blocks import choice_blocks, safe_link, unfurl_blocks
from bot.slack.choices import ACTION_ID, MAX_VALUE, Choice, choice_value, parse_choice_value


def card(n: int, **fields: Any) -> RecordCard:
    values: dict[str, Any] = {"module": "Contacts", "record_id": f"48768760000006240{n:02d}",
                              "name": f"Person {n}", "detail": f"Company {n}"}
    values.update(fields)
    return RecordCard(**values)


def value_for(c: RecordCard) -> str:
    return choice_value(c.module, c.record_id, "U0ALICE", "C1", c.name)


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    out = []
    for b in blocks:
        if b["type"] == "section":
            out.append(b["text"]["text"])
        elif b["type"] == "context":
            out.extend(e["text"] for e in b["elements"])
    return out


# --- choice_blocks -------------------------------------------------------------------------------------------

def test_five_sections_with_share_buttons_then_how_to_narrow() -> None:
    cards = [card(i) for i in range(12)]
    blocks = choice_blocks(cards, total=12, more=False, searched_text="smith", value_for=value_for,
                           locale="en")
    assert [b["type"] for b in blocks] == ["section"] + ["section"] * 5 + ["context"]
    assert "*smith*" in blocks[0]["text"]["text"] and "12" in blocks[0]["text"]["text"]
    for i, block in enumerate(blocks[1:6]):
        assert block["text"]["text"] == f"*Person {i}*\nContacts · Company {i}"
        button = block["accessory"]
        assert (button["type"], button["action_id"], button["text"]["text"]) == ("button", ACTION_ID, "Share photo")
        assert parse_choice_value(button["value"]) == Choice("Contacts", cards[i].record_id, "U0ALICE", "C1",
                                                             f"Person {i}")
    assert len({b["block_id"] for b in blocks[1:6]}) == 5
    assert blocks[-1]["elements"][0]["text"].startswith("7 more not shown.")


def test_no_context_line_when_everything_is_shown() -> None:
    blocks = choice_blocks([card(1), card(2)], total=2, more=False, searched_text="x", value_for=value_for,
                           locale="en")
    assert [b["type"] for b in blocks] == ["section", "section", "section"]


def test_more_pages_say_more_than() -> None:
    blocks = choice_blocks([card(i) for i in range(5)], total=200, more=True, searched_text="a", value_for=value_for,
                           locale="en")
    assert blocks[-1]["elements"][0]["text"].startswith("More than 195 more not shown.")


@pytest.mark.parametrize("hostile", ["<!channel>", "<@U0BOSS>", "a & b", "<https://evil.example|click>"])
def test_names_details_and_searched_text_are_escaped(hostile: str) -> None:
    c = card(1, name=hostile, detail=hostile)
    blocks = choice_blocks([c], total=1, more=False, searched_text=hostile, value_for=value_for,
                           locale="en")
    for text in texts(blocks):
        assert "<!" not in text and "<@" not in text and "<https://evil" not in text
        assert "&lt;" in text or "&amp;" in text
    unfurl = unfurl_blocks(c, "F1", locale="en")
    assert "<!" not in unfurl[0]["text"]["text"] and "<@" not in unfurl[0]["text"]["text"]


def test_long_fields_stay_inside_block_kit_limits() -> None:
    c = card(1, name="N" * 5000, detail="D" * 5000)
    blocks = choice_blocks([c], total=1, more=False, searched_text="S" * 5000, value_for=value_for,
                           locale="en")
    assert all(len(t) <= 3000 for t in texts(blocks))
    assert len(blocks[1]["text"]["text"]) < 400
    assert len(unfurl_blocks(c, "F1", locale="en")[1]["alt_text"]) <= 2000


def test_a_nameless_record_still_shows_something() -> None:
    blocks = choice_blocks([card(1, name="", detail="")], total=1, more=False, searched_text="x",
                           value_for=value_for,
                           locale="en")
    assert blocks[1]["text"]["text"] == "*(no name)*\nContacts"


def test_a_list_of_one_says_one_record_not_one_records() -> None:
    blocks = choice_blocks([card(1)], total=1, more=False, searched_text="Maria Garcia", value_for=value_for,
                           locale="en")
    assert texts(blocks)[0] == "One record matches *Maria Garcia*, though not exactly. Is it the one you meant?"
    assert [b["type"] for b in blocks] == ["section", "section"] and blocks[1]["accessory"]["type"] == "button"
    assert "records" not in json.dumps(blocks)


def test_the_private_list_shows_the_email_and_the_public_unfurl_never_does() -> None:
    c = card(1, detail="", email="p1@private.example", link="https://crm.zoho.com/crm/org1/tab/Contacts/1")
    listed = choice_blocks([c, card(2)], total=2, more=False, searched_text="x", value_for=value_for,
                           locale="en")
    assert listed[1]["text"]["text"].endswith("|Person 1>*\nContacts · p1@private.example")
    for file_id in ("F1", None):
        assert unfurl_blocks(c, file_id, locale="en")[0]["text"]["text"] == \
            "*<https://crm.zoho.com/crm/org1/tab/Contacts/1|Person 1>*\nContacts"


def test_value_longer_than_block_kit_allows_is_refused() -> None:
    with pytest.raises(ValueError, match="2000"):
        choice_blocks([card(1)], total=1, more=False, searched_text="x", value_for=lambda c: "v" * 2001, locale="en")


# --- unfurl_blocks -------------------------------------------------------------------------------------------

def test_unfurl_with_photo_names_the_slack_file() -> None:
    c = card(1, link="https://crm.zoho.com/crm/org1/tab/Contacts/1")
    section, image = unfurl_blocks(c, "F0PHOTO", locale="en")
    assert section["text"]["text"] == "*<https://crm.zoho.com/crm/org1/tab/Contacts/1|Person 1>*\nContacts · Company 1"
    assert image == {"type": "image", "slack_file": {"id": "F0PHOTO"}, "alt_text": "Photo of Person 1"}


def test_unfurl_without_photo_is_the_section_alone() -> None:
    assert [b["type"] for b in unfurl_blocks(card(1), None, locale="en")] == ["section"]


@pytest.mark.parametrize("link", [
    "javascript:alert(1)", "http://crm.zoho.com/x", "https://crm.zoho.com/x|<!channel>", "https://a b",
    "https://crm.zoho.com/x>", "https://", "https://x/\n", None, "",
])
def test_unsafe_links_are_dropped(link: str | None) -> None:
    assert safe_link(link) is None
    text = unfurl_blocks(card(1, link=link), None, locale="en")[0]["text"]["text"]
    assert text.startswith("*Person 1*")


# --- choice values -------------------------------------------------------------------------------------------

def test_value_round_trip_is_compact_json() -> None:
    value = choice_value("Contacts", "4876876000000624001", "U0ALICE", "C0SALES", "Jane Doe")
    assert value == '{"m":"Contacts","r":"4876876000000624001","u":"U0ALICE","c":"C0SALES","n":"Jane Doe"}'
    assert parse_choice_value(value) == Choice("Contacts", "4876876000000624001", "U0ALICE", "C0SALES", "Jane Doe")


def test_a_button_made_before_names_were_carried_still_reads() -> None:
    """Lists posted by an older crmphoto are still in channels; their buttons carry no name and must still work."""
    old = '{"m":"Contacts","r":"4876876000000624001","u":"U0ALICE","c":"C0SALES"}'
    assert parse_choice_value(old) == Choice("Contacts", "4876876000000624001", "U0ALICE", "C0SALES", "")


@pytest.mark.parametrize("name", [
    "J" * 5000,  # far longer than a button value may be
    "\u00e9" * 2000,  # each é is six characters of JSON (\\u00e9)
    '"\\' * 1500,  # quotes and backslashes double
    "\U0001f600" * 800,  # outside the BMP: twelve characters each
    "<&>" * 1000,  # Slack's escapes: four or five characters each
])
def test_a_long_name_is_cut_to_fit_slacks_2000_characters(name: str) -> None:
    module = "M" + "x" * 99  # the longest module name Zoho allows
    value = choice_value(module, "1" * 30, "U" + "A" * 20, "C" + "B" * 20, name)
    assert len(value) <= MAX_VALUE and value.isascii()
    assert len(value) > MAX_VALUE - 12  # the name fills the room there is, not less
    parsed = parse_choice_value(value)
    assert parsed is not None and parsed.name.endswith("…") and name.startswith(parsed.name[:-1])


def test_a_name_travels_escaped_and_comes_back_as_it_was() -> None:
    value = choice_value("Contacts", "1", "U1", "C1", "<!channel> & Co")
    assert "<!channel>" not in value and "&lt;!channel&gt; &amp; Co" in value
    parsed = parse_choice_value(value)
    assert parsed is not None and parsed.name == "<!channel> & Co"


def test_a_name_goes_on_one_line() -> None:
    parsed = parse_choice_value(choice_value("Contacts", "1", "U1", "C1", " Jane\n\tDoe "))
    assert parsed is not None and parsed.name == "Jane Doe"


@pytest.mark.parametrize("parts", [
    ("Contacts;drop", "1", "U1", "C1"), ("Contacts", "12a", "U1", "C1"), ("Contacts", "1", "alice", "C1"),
    ("Contacts", "1", "U1", "general"), ("Contacts", "１２", "U1", "C1"), ("", "1", "U1", "C1"),
])
def test_choice_value_refuses_bad_parts(parts: tuple[str, str, str, str]) -> None:
    with pytest.raises(ValueError):
        choice_value(*parts)


@pytest.mark.parametrize("value", [
    None, 42, "", "not json", "[]", "null", '"Contacts"',
    '{"m":"Contacts","r":"1","u":"U1"}',  # a key missing
    '{"m":"Contacts","r":"1","u":"U1","c":"C1","x":"1"}',  # a key too many
    '{"m":"Contacts","r":"1","u":"U1","c":"C1","n":"Jane","x":"1"}',
    '{"m":"Contacts","r":"1","u":"U1","c":"C1","n":7}',  # a name that is not a string
    '{"m":"Contacts","r":1,"u":"U1","c":"C1"}',  # a number, not a string
    '{"m":"Contacts","r":"1","u":"U1","c":"C1\\n"}',
    '{"m":"../x","r":"1","u":"U1","c":"C1"}',
    '{"m":"Contacts","r":"' + "1" * 31 + '","u":"U1","c":"C1"}',
    '{"m":"Contacts","r":"1","u":"U1","c":"C1"}' + " " * 2000,  # oversized
    "[" * 1999,  # deep nesting within the length limit: json raises RecursionError
    '{"a":' * 399 + "1" + "}" * 399,
])
def test_parse_rejects_forged_and_oversized_values_without_raising(value: object) -> None:
    assert parse_choice_value(value) is None

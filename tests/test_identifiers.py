"""What the message shortcut finds in a message's text (bot/identifiers.py): emails, phone numbers written as phone
numbers, Zoho CRM record links; never a bare number; at most three, in order, without repeats."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.identifiers import MAX_FOUND, find, label
from bot.request import EMAIL, PHONE, PhotoRequest, SearchRequest

LINK = "https://crm.zoho.eu/crm/org20001234/tab/Contacts/4876876000000624001"


def email(value: str) -> SearchRequest:
    return SearchRequest("email", value)


def phone(value: str) -> SearchRequest:
    return SearchRequest("phone", value)


@pytest.mark.parametrize(("text", "found"), [
    ("Please call <mailto:Jane.Doe@Acme.com|Jane.Doe@Acme.com> today", [email("jane.doe@acme.com")]),
    ("<mailto:jane@acme.com?subject=Hi|write to Jane>", [email("jane@acme.com")]),
    ("Her address is jane@acme.com.", [email("jane@acme.com")]),  # written out (a bot's message), end of sentence
    ("(jane@acme.com)", [email("jane@acme.com")]),
    ("&lt;jane@acme.com&gt; is her address", [email("jane@acme.com")]),  # typed angle brackets arrive escaped
])
def test_emails_wrapped_or_written(text: str, found: list[SearchRequest]) -> None:
    assert find(text) == found


@pytest.mark.parametrize(("text", "number"), [
    ("call <tel:+442079460958|+44 20 7946 0958>", "+44 20 7946 0958"),  # the number as shown
    ("call <tel:+442079460958>", "+442079460958"),
    ("Jane: +44 20 7946 0958, any time", "+44 20 7946 0958"),
    ("Jane: +4915112345678", "+4915112345678"),  # a leading + makes it a phone, groups or not
    ("US office (555) 123-4567 ext", "(555) 123-4567"),
    ("+44 (0)20 7946 0958", "+44 (0)20 7946 0958"),
    ("call 020 7946 0958 tomorrow", "020 7946 0958"),
    ("call 555 123 4567 tomorrow", "555 123 4567"),
    ("call 1-800-555-0199", "1-800-555-0199"),
    ("call 555-123-4567.", "555-123-4567"),
    ("call 555.123.4567", "555.123.4567"),
    ("01 23 45 67 89", "01 23 45 67 89"),
    ("mobile 0171 1234567", "0171 1234567"),  # two groups after a trunk 0
    ("mobile 06-12345678", "06-12345678"),
    ("*020 7946 0958*", "020 7946 0958"),  # Slack's bold
    ("_020 7946 0958_", "020 7946 0958"),  # and italics
    ("Tel:020 7946 0958", "020 7946 0958"),
])
def test_phone_numbers_written_as_phone_numbers(text: str, number: str) -> None:
    assert find(text) == [phone(number)]


@pytest.mark.parametrize("text", [
    "Invoice 4876876000000624001 is paid",  # a bare run of digits: an id or an amount
    "We closed 1250000 in Q3",
    "ordered 100000 units",
    "Meeting on 12.03.2024 at the office",
    "Meeting on 2024-03-12 10.30",
    "due 03-12-24",
    "Revenue 1.000.000 and 12 500 000 this year",
    "pi is 3.14159265",
    "from 2023-2024",
    "open 10.30-11.30",
    "server 192.168.100.100",
    "order #555-123-4567",
    "INV-2024-000123",
    "price $555 123 456",
    "SKU ABC-123-456-789",
    "555-1234",  # too short a number to be anyone's, and two groups without a trunk 0
    "+44 20",  # fewer than 6 digits
    "4111 1111 1111 1111 1111",  # more than 15 digits
    "52%-12-3456",
    "sizes 10 20 30 40 50",  # numbers in a row
    "0 0 1000 and 5 10 20 30",
    "1 2 3 4 5 6 7",
])
def test_numbers_that_are_not_phone_numbers(text: str) -> None:
    assert find(text) == []


@pytest.mark.parametrize("text", [
    f"<{LINK}>",
    f"<{LINK}|Jane in the CRM>",
    f"See {LINK}.",  # written out, not wrapped (a bot's message)
])
def test_record_links(text: str) -> None:
    assert find(text) == [PhotoRequest("Contacts", "4876876000000624001", from_link=True)]


def test_a_link_keeps_its_query_unescaped() -> None:
    found = find(f"<{LINK}?tab=x&amp;y=1|link>")
    assert found == [PhotoRequest("Contacts", "4876876000000624001", from_link=True)]


@pytest.mark.parametrize("text", [
    "<https://www.example.com/tab/Contacts/4876876000000624001|not Zoho>",
    "<https://crm.zoho.com/crm/org1/settings|no record>",
    "<@U0BOB> and <#C0SALES|sales> and <!here> and <!subteam^S0TEAM|@sales>",
    "<https://example.com/call/020-7946-0958|a page>",  # digits inside a link are the link's
    "nothing at all",
    "",
])
def test_other_links_mentions_and_plain_words_name_nobody(text: str) -> None:
    assert find(text) == []


def test_digits_inside_an_address_are_not_a_phone() -> None:
    assert find("555-123-4567@pager.example.com") == [email("555-123-4567@pager.example.com")]


def test_in_order_of_appearance_without_repeats_and_at_most_three() -> None:
    text = (f"+44 20 7946 0958 <mailto:JANE@acme.com|JANE@acme.com> <{LINK}|x> jane@acme.com "
            "<tel:+442079460958|+44 20 7946 0958> bob@beta.io")
    found = find(text)
    assert found == [phone("+44 20 7946 0958"), email("jane@acme.com"),
                     PhotoRequest("Contacts", "4876876000000624001", from_link=True)]
    assert len(find(text, limit=10)) == 4  # bob@beta.io is the fourth, past the limit


def test_labels_name_each_identifier_as_replies_show_it() -> None:
    assert [label(item) for item in find(f"jane@acme.com +44 20 7946 0958 <{LINK}>")] == \
        ["jane@acme.com", "+44 20 7946 0958", "Contacts 4876876000000624001"]


# --- Properties -------------------------------------------------------------------------------------------------

WORDS = st.lists(st.sampled_from(["the", "deal", "closed", "on", "for", "in", "Q3", "units", "and", "EUR", "a"]),
                 max_size=6).map(" ".join)
NUMBERS = st.integers(min_value=0, max_value=10**20).map(str)


@given(st.lists(st.tuples(WORDS.filter(bool), NUMBERS), max_size=8))
def test_bare_numbers_in_a_sentence_are_never_a_phone(parts: list[tuple[str, str]]) -> None:
    assert find(" ".join(f"{words} {number}" for words, number in parts)) == []


GROUPS = st.lists(st.integers(min_value=10, max_value=9999).map(str), min_size=2, max_size=4)


@given(WORDS, st.integers(min_value=1, max_value=999), GROUPS, WORDS, st.sampled_from([" ", "-", "."]))
def test_an_international_number_in_a_sentence_is_found_as_written(before: str, country: int, groups: list[str],
                                                                   after: str, sep: str) -> None:
    number = f"+{country} " + sep.join(groups)
    digits = sum(c.isdigit() for c in number)
    found = find(f"{before} {number} {after}")
    if 6 <= digits <= 15:
        assert found == [phone(number)]
    else:
        assert found == []


@given(st.text(max_size=400))
def test_any_text_gives_at_most_three_well_formed_identifiers(text: str) -> None:
    found = find(text)
    assert len(found) <= MAX_FOUND
    assert len({(type(f), getattr(f, "value", None), getattr(f, "record_id", None)) for f in found}) == len(found)
    for item in found:
        if isinstance(item, SearchRequest) and item.kind == "email":
            assert EMAIL.fullmatch(item.value) and item.value == item.value.lower()
        elif isinstance(item, SearchRequest):
            assert item.kind == "phone" and PHONE.fullmatch(item.value)
            assert 6 <= sum(c.isdigit() for c in item.value) <= 15
        else:
            assert item.record_id.isdigit() and item.from_link


@given(st.lists(st.sampled_from(["a@b.co", "A@B.CO", "c@d.co", "<mailto:c@d.co|c@d.co>", "+44 20 7946 0958",
                                 "<tel:+442079460958|+44 20 7946 0958>", f"<{LINK}>", "words", "12345"]),
                max_size=10))
def test_repeats_are_dropped_and_order_kept(parts: list[str]) -> None:
    found = find(", ".join(parts), limit=100)  # (digits run on across a bare space: a known limit)
    assert len({label(item).casefold() for item in found}) == len(found)
    firsts = {"a@b.co": "a@b.co", "A@B.CO": "a@b.co", "c@d.co": "c@d.co", "<mailto:c@d.co|c@d.co>": "c@d.co",
              "+44 20 7946 0958": "+44 20 7946 0958", "<tel:+442079460958|+44 20 7946 0958>": "+44 20 7946 0958",
              f"<{LINK}>": "Contacts 4876876000000624001"}
    assert [label(item) for item in found] == list(dict.fromkeys(firsts[p] for p in parts if p in firsts))

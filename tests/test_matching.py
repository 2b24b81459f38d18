"""When a lone search hit is exactly what was typed (bot/matching.py): names, emails, phone numbers; examples and
generated edge cases (accents, case, word order, spaces; the ways one phone number is written)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.matching import exact, phone_digits, same_email, same_name, same_phone
from bot.records import RecordCard

CARD = RecordCard("Contacts", "1", "Jane Doe", emails=("jane@acme.com", "j.doe@home.example"),
                  phones=("020 7946 0958", "+1 (555) 010-9999"))


# --- names -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["Jane Doe", "jane doe", "DOE JANE", "  Jane   Doe ", "Doe Jane", "ＪＡＮＥ Doe"])
def test_the_same_name_however_it_is_typed(typed: str) -> None:
    assert same_name(typed, "Jane Doe")


@pytest.mark.parametrize(("typed", "name"), [
    ("Jose Nunez", "José Núñez"), ("JOSÉ NÚÑEZ", "Jose Nunez"), ("Zoë Çelik", "zoe celik"),
    ("Strasse", "STRASSE"), ("straße", "STRASSE"), ("O'Brien Pat", "Pat O’Brien"),
])
def test_accents_case_and_apostrophes_aside(typed: str, name: str) -> None:
    assert same_name(typed, name)


@pytest.mark.parametrize(("typed", "name"), [
    ("Jane", "Jane Doe"), ("Jane Doe", "Jane Doe Smith"), ("Jane Jane", "Jane Doe"), ("Maria Garcia", "Sam Rivera"),
    ("Jane Doe", ""), ("", ""), ("   ", "Jane Doe"), ("Acme", "Acme Corp"), ("Jane-Doe", "Jane Doe"),
])
def test_other_names_are_not_the_same(typed: str, name: str) -> None:
    assert not same_name(typed, name)


LETTERS = st.characters(categories=["Lu", "Ll"])
WORDS = st.lists(st.text(LETTERS, min_size=1, max_size=8), min_size=1, max_size=4)


def _accented(word: str) -> str:
    """Every letter a-z with an acute accent where Unicode has one (composed, as keyboards send it)."""
    return unicodedata.normalize("NFC", "".join(ch + "\u0301" if ch.isascii() else ch for ch in word))


@given(words=WORDS, data=st.data())
def test_any_order_case_spacing_and_accents(words: list[str], data: st.DataObject) -> None:
    name = " ".join(words)
    typed_words = data.draw(st.permutations(words))
    typed_words = [w.upper() if data.draw(st.booleans()) else w.lower() for w in typed_words]
    typed_words = [_accented(w) if data.draw(st.booleans()) else w for w in typed_words]
    gaps = data.draw(st.lists(st.sampled_from([" ", "  ", "\t", " \u00a0"]), min_size=len(words) + 1,
                              max_size=len(words) + 1))
    typed = gaps[0] + "".join(w + g for w, g in zip(typed_words, gaps[1:], strict=True))
    assert same_name(typed, name)


@given(words=WORDS, extra=st.text(LETTERS, min_size=1, max_size=8))
def test_a_word_more_or_less_is_never_the_same(words: list[str], extra: str) -> None:
    name = " ".join(words)
    assert not same_name(f"{name} {extra}", name)
    assert not same_name(name, f"{name} {extra}")


# --- emails ----------------------------------------------------------------------------------------------------

def test_an_email_is_one_of_the_records_addresses_in_any_case() -> None:
    assert same_email("JANE@acme.com", CARD.emails) and same_email("j.doe@home.example", CARD.emails)
    assert not same_email("jane@acme.co", CARD.emails) and not same_email("", ("",))
    assert not same_email("pa@acme.com", ())


# --- phone numbers ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "phone"), [
    ("+44 20 7946 0958", "020 7946 0958"),
    ("+44 20 7946 0958", "(20) 7946-0958"),
    ("020 7946 0958", "(20) 7946-0958"),
    ("0044 20 7946 0958", "+44 20 7946 0958"),
    ("+44 (0)20 7946 0958", "020 7946 0958"),
    ("+44 (0)20 7946 0958", "+44 20 7946 0958"),
    ("555-010-9999", "+1 (555) 010-9999"),
    ("1.555.010.9999", "+1 555 010 9999"),
    ("946 0958", "946-0958"),  # seven digits, both written alike
    ("+353 1 234 5678", "01 234 5678"),  # a three-digit country code
])
def test_one_number_written_two_ways(typed: str, phone: str) -> None:
    assert same_phone(typed, phone) and same_phone(phone, typed)


@pytest.mark.parametrize(("typed", "phone"), [
    ("946 0958", "+44 20 7946 0958"),  # the end of a number, without its area code
    ("7946 0958", "020 7946 0958"),
    ("+44 20 7946 0958", "+1 212 7946 0958"),  # the same last eight digits, another number
    ("+44 20 7946 0958", "+44 20 7946 0959"),
    ("12 34 56", "12 34 56"),  # six digits: too few to be sure, even when equal
    ("+44 20 7946 0958", ""),
    ("+44 20 7946 0958", "ext. 42"),
])
def test_other_numbers_are_not_the_same(typed: str, phone: str) -> None:
    assert not same_phone(typed, phone) and not same_phone(phone, typed)


def test_phone_digits_drop_punctuation_plus_trunk_and_international_prefix() -> None:
    assert phone_digits("+44 (0)20 7946-0958") == "442079460958"
    assert phone_digits("0044 20 7946 0958") == phone_digits("+44 20 7946 0958")
    assert phone_digits("020 7946 0958") == "2079460958"


NATIONAL = st.text(st.sampled_from("0123456789"), min_size=7, max_size=11).map(lambda d: str(int("9" + d)))
COUNTRY = st.integers(min_value=1, max_value=999).map(str)


def _written(digits: str, data: st.DataObject) -> str:
    """`digits` with spaces, dots, dashes or brackets between some of them."""
    out = ""
    for ch in digits:
        out += data.draw(st.sampled_from(["", "", " ", "-", ".", "("])) + ch
    return out.replace("(", " ")


@given(national=NATIONAL, country=COUNTRY, data=st.data())
def test_international_national_and_trunk_forms_are_the_same_number(national: str, country: str,
                                                                    data: st.DataObject) -> None:
    international = f"+{country} {_written(national, data)}"
    trunk = f"0{_written(national, data)}"
    bare = f"({national[:2]}) {national[2:]}"
    for a, b in ((international, trunk), (international, bare), (trunk, bare)):
        assert same_phone(a, b), (a, b)


@given(number=st.text(st.sampled_from("0123456789"), min_size=1, max_size=6), data=st.data())
def test_fewer_than_seven_digits_are_never_exact(number: str, data: st.DataObject) -> None:
    written = _written(number, data)
    assert not same_phone(written, written) and not same_phone("+1 " + written, written)


@given(national=NATIONAL, position=st.integers(min_value=0, max_value=20), data=st.data())
def test_one_digit_changed_is_another_number(national: str, position: int, data: st.DataObject) -> None:
    # Not the first digit: made a 0, it would read as a trunk prefix, a shorter number whose missing front a
    # country code could explain (`+44 91000000` and `01000000`), which no rule can tell without a code table.
    i = 1 + position % (len(national) - 1)
    other = national[:i] + str((int(national[i]) + 1) % 10) + national[i + 1:]
    assert not same_phone("+44 " + national, _written(other, data))


# --- the card --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "typed", "expected"), [
    ("email", "jane@acme.com", True), ("email", "pa@acme.com", False),
    ("phone", "+44 20 7946 0958", True), ("phone", "555 010 9999", True), ("phone", "+44 20 7946 0000", False),
    ("word", "doe jane", True), ("word", "Jane", False), ("word", "jane@acme.com", False),
])
def test_exact_asks_the_field_the_search_was_for(kind: str, typed: str, expected: bool) -> None:
    assert exact(kind, typed, CARD) is expected  # type: ignore[arg-type]


def test_a_card_without_emails_or_phones_is_never_an_exact_email_or_phone_hit() -> None:
    bare = RecordCard("Contacts", "1", "Jane Doe", email="")
    assert not exact("email", "jane@acme.com", bare) and not exact("phone", "+44 20 7946 0958", bare)

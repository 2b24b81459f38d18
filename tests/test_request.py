"""The parser: every text becomes a photo request, a help request, or a specific hint; it never raises.

`parse_command` reads text as Slack sends it: what a person typed with `&`, `<`, `>` escaped, links and mentions
wrapped by Slack. Texts here are written that way (`slack_text(...)` escapes what a person typed).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot import messages
from bot import request as request_module
from bot.escapes import escape
from bot.fakes.harness import slack_text
from bot.ids import API_NAME, LABEL_WORD
from bot.request import (
    EMAIL,
    MAX_SEARCH,
    MAX_TEXT,
    BadInput,
    HelpRequest,
    PhotoRequest,
    SearchRequest,
    parse_command,
    typed_text,
)
from bot.zoho import ZohoError
from bot.zoho.photo import photo_path

PATH = re.compile(r"/crm/v[0-9]+/[A-Za-z][A-Za-z0-9_]*/[0-9]+/photo", re.ASCII)
FAST = settings(max_examples=300, deadline=None)


def request(module: str, record_id: str, from_link: bool = False) -> PhotoRequest:
    return PhotoRequest(module=module, record_id=record_id, from_link=from_link)


# --- Module ID, ID Module, prefixes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Contacts 12345", request("Contacts", "12345")),
        ("contacts 12345", request("contacts", "12345")),
        ("CONTACTS 12345", request("CONTACTS", "12345")),
        ("lead 4876876000000624001", request("lead", "4876876000000624001")),
        ("  Contacts\t 12345  ", request("Contacts", "12345")),
        ("Job Openings 123", request("Job Openings", "123")),
        ("My Custom Thing 123", request("My Custom Thing", "123")),
        ("Custom_Module 9", request("Custom_Module", "9")),
        ("12345 Contacts", request("Contacts", "12345")),
        ("12345 leads", request("leads", "12345")),
        ("Contacts zcrm_12345", request("Contacts", "12345")),
        ("Contacts ZCRM_12345", request("Contacts", "12345")),
        ("zcrm_777 Leads", request("Leads", "777")),
        ("Contacts &lt;12345&gt;", request("Contacts", "12345")),  # `<12345>` typed: Slack escapes the brackets
    ],
)
def test_module_and_id(text: str, expected: PhotoRequest) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize("text", ["help", "HELP", " Help ", "", "   ", None, "?", "-h", "--help", "usage"])
def test_help(text: str | None) -> None:
    assert parse_command(text) == HelpRequest()


# --- Record links ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://crm.zoho.com/crm/org123/tab/Contacts/123", request("Contacts", "123", True)),
        ("https://crm.zoho.com/crm/tab/Contacts/123", request("Contacts", "123", True)),
        ("http://crm.zoho.com/crm/org123/tab/Leads/5", request("Leads", "5", True)),
        ("https://crm.zoho.eu/crm/org20001234/tab/Contacts/4876876000000624001",
         request("Contacts", "4876876000000624001", True)),
        ("https://crm.zoho.in/crm/org1/tab/Accounts/7", request("Accounts", "7", True)),
        ("https://crm.zoho.com.au/crm/org1/tab/Accounts/7", request("Accounts", "7", True)),
        ("https://crm.zohocloud.ca/crm/org1/tab/Leads/55", request("Leads", "55", True)),
        ("https://crm.zoho.com/crm/org1/tab/Potentials/77", request("Potentials", "77", True)),
        ("https://crm.zoho.com/crm/org1/tab/CustomModule3/77", request("CustomModule3", "77", True)),
        ("<https://crm.zoho.com/crm/org1/tab/Contacts/9>", request("Contacts", "9", True)),
        ("<https://crm.zoho.com/crm/org1/tab/Contacts/9|Jane>", request("Contacts", "9", True)),
        ("https://crm.zoho.com/crm/org1/tab/Contacts/9?sub_module=Notes", request("Contacts", "9", True)),
        ("https://crm.zoho.com/crm/org1/tab/Contacts/9#notes", request("Contacts", "9", True)),
        ("https://crm.zoho.com/crm/org1/tab/Contacts/9/?a=1&b=2#x", request("Contacts", "9", True)),
        ("https://crm.zoho.com/crm/org1/tab/Contacts/zcrm_9", request("Contacts", "9", True)),
        ("crm.zoho.com/crm/tab/Contacts/3", request("Contacts", "3", True)),
        ("HTTPS://CRM.ZOHO.COM/crm/tab/Contacts/3", request("Contacts", "3", True)),
    ],
)
def test_record_links(text: str, expected: PhotoRequest) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("https://evil.com/crm/tab/Contacts/1", "not a Zoho CRM address"),
        # `zoho\.[a-z.]{2,10}` would need to swallow "com.evil.com" (12 characters): refused.
        ("https://crm.zoho.com.evil.com/crm/tab/Contacts/1", "not a Zoho CRM address"),
        ("https://crm.zoho.com@evil.com/crm/tab/Contacts/1", "not a Zoho CRM address"),
        ("https://evil.com/crm.zoho.com/crm/tab/Contacts/1", "not a Zoho CRM address"),
        ("https://notzoho.com/crm/tab/Contacts/1", "not a Zoho CRM address"),
        ("javascript://crm.zoho.com/crm/tab/Contacts/1", "not a Zoho CRM address"),
        ("ftp://crm.zoho.com/crm/tab/Contacts/1", "not a Zoho CRM address"),
        ("https://crm.zoho.com/crm/org123/home", "no record in the link"),
        ("https://crm.zoho.com/crm/org123/tab/Contacts", "no record in the link"),
        ("https://crm.zoho.com/crm/org123/tab/Contacts/abc", "no record in the link"),
        ("https://crm.zoho.com/crm/org123/tab/Cont%40cts/1", "no record in the link"),
        ("https://crm.zoho.com/crm/org123/Contacts/1", "no record in the link"),
    ],
)
def test_bad_links_are_refused(text: str, detail: str) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, BadInput)
    assert parsed.problem == "bad_link"
    assert parsed.detail == detail


def test_javascript_without_slashes_is_not_a_request() -> None:
    assert isinstance(parse_command("javascript:alert(1)"), BadInput)


def test_malformed_link_is_a_bad_link_not_an_exception() -> None:
    parsed = parse_command("http://[::1/crm/tab/Contacts/1")
    assert isinstance(parsed, BadInput) and parsed.problem == "bad_link"


@pytest.mark.parametrize(
    "text",
    ["https://crm.zoho.evil.com/crm/tab/Contacts/1", "https://zoho.evil.io/crm/tab/Contacts/1",
     "https://crm.zoho.co.evil/crm/tab/Contacts/1"],
)
def test_look_alike_hosts_are_refused(text: str) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, BadInput) and parsed.problem == "bad_link"


def test_slack_link_with_a_label_containing_spaces() -> None:
    parsed = parse_command("<https://crm.zoho.com/crm/org1/tab/Contacts/9|Jane Doe>")
    assert parsed == request("Contacts", "9", True)


# --- Every BadInput problem ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem", "detail"),
    [
        ("Contacts", "missing_id", "Contacts"),
        ("12345", "missing_module", "12345"),
        ("zcrm_12345", "missing_module", "zcrm_12345"),
        ("Contacts 12a", "bad_id", "12a"),
        ("Contacts 12-345", "bad_id", "12-345"),
        ("Contacts ١٢٣", "bad_id", "١٢٣"),
        ("Contacts 1" + "0" * 30, "id_too_long", "1" + "0" * 30),
        ("Contacts 1 2", "too_many_ids", ""),
        ("1 Contacts 2", "too_many_ids", ""),
        ("Contacts 1 please", "extra_words", "please"),
        ("12345 Contacts now!", "extra_words", "now!"),
        ("Contacts https://crm.zoho.com/crm/tab/Contacts/1", "link_and_words", "Contacts"),
        ("Cont@cts 1", "bad_module", "Cont@cts"),
        ("One Two Three Four 1", "bad_module", "One Two Three Four"),
        ("_Contacts 1", "bad_module", "_Contacts"),
        ("https://evil.com/crm/tab/Contacts/1", "bad_link", "not a Zoho CRM address"),
    ],
)
def test_each_problem(text: str, problem: str, detail: str) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, BadInput)
    assert (parsed.problem, parsed.detail) == (problem, detail)
    assert parsed.typed == text


# --- Hints name what was typed, never something else ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem", "detail"),
    [
        ("1" * 38, "id_too_long", "1" * 38),  # a pasted number: not "all digits" (it is), but too long
        ("Contacts " + "4" * 38, "id_too_long", "4" * 38),
        ("1" * 31 + " Contacts", "id_too_long", "1" * 31),  # was: "*Contacts* isn't a record id"
        ("zcrm_" + "1" * 31, "id_too_long", "zcrm_" + "1" * 31),  # was: a module missing its id
        ("### qwe!!!", "not_understood", "### qwe!!!"),  # was: "*qwe!!!* isn't a record id"
        ("!!!", "not_understood", "!!!"),
        ("Contacts ###", "not_understood", "Contacts ###"),
        ("😀", "not_understood", "😀"),
        ("<!here>", "not_understood", "<!here>"),
        ("Jane Doe!", "bad_search", "Jane Doe!"),  # was: "*Doe!* isn't a record id"
        ("@jane.doe", "mention", "@jane.doe"),  # a Slack mention, not a record id
        ("@Jane Doe", "mention", "@Jane"),
        ("<@U0JANE>", "mention", "<@U0JANE>"),
        ("@", "not_understood", "@"),  # an @ alone names nobody
        ("jane@", "bad_email", "jane@"),
        ("Contacts jane@acme", "bad_email", "jane@acme"),
        ("+44", "bad_phone", "+44"),
        ("Leads +1234567890123456789", "bad_phone", "+1234567890123456789"),
        ("Contacts1234", "glued", "Contacts 1234"),  # was: "I need a record id after *Contacts1234*"
        ("Leads:2003", "glued", "Leads 2003"),
        ("Contacts_4876876000000624001", "glued", "Contacts 4876876000000624001"),
        ("CustomModule3", "missing_id", "CustomModule3"),  # a custom module's own number is not an id
        ("12a45 Contacts", "bad_id", "12a45"),  # the token that is not an id, not the last one
    ],
)
def test_each_hint_names_what_was_typed(text: str, problem: str, detail: str) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, BadInput)
    assert (parsed.problem, parsed.detail) == (problem, detail)


@pytest.mark.parametrize(
    ("text", "says", "never"),
    [
        ("1" * 38, "too long for a Zoho record id", "all digits"),
        ("### qwe!!!", "*### qwe!!!* is not something crmphoto can look up", "isn't a record id"),
        ("Jane Doe!", "can't be searched for as a name", "record id:"),
        ("@jane", "looks people up in Zoho CRM", "record id:"),
        ("jane@", "isn't a whole email address", "record id:"),
        ("+44", "phone number", "record id:"),
        ("Contacts1234", "`/crmphoto Contacts 1234`", "I need a record id"),
        ('"Jane1"', "can't be searched for as a name", "I didn't understand"),  # had no hint of its own
        ('"' + "a" * 150 + '"', "too long to look up", "module and a record id"),  # a name, not an id
    ],
)
def test_hints_never_mislabel_what_was_typed(text: str, says: str, never: str) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, BadInput)
    hint = messages.input_hint(parsed.problem, parsed.detail, locale="en")
    assert says in hint and never not in hint
    assert hint.endswith("\nType `/crmphoto help` for more.")


def test_every_problem_the_parser_names_has_a_hint_of_its_own() -> None:
    named = set(re.findall(r'BadInput\("([a-z_]+)"', Path(request_module.__file__).read_text()))
    assert named and named <= set(messages.INPUT_HINTS), named - set(messages.INPUT_HINTS)


def test_too_long() -> None:
    text = "Contacts " + "1" * MAX_TEXT
    parsed = parse_command(text)
    assert isinstance(parsed, BadInput) and parsed.problem == "too_long"
    assert len(parsed.typed) < 100  # only a short prefix is kept for the log


def test_exactly_max_text_is_not_too_long() -> None:
    text = "Contacts" + " " * (MAX_TEXT - len("Contacts 1")) + " 1"
    assert len(text) == MAX_TEXT
    assert parse_command(text) == request("Contacts", "1")


def test_id_then_multi_word_label() -> None:
    assert parse_command("123 Job Openings") == request("Job Openings", "123")


def test_a_standard_module_alone_asks_for_the_id() -> None:
    parsed = parse_command("Leads")
    assert isinstance(parsed, BadInput) and parsed.problem == "missing_id" and parsed.detail == "Leads"


# --- Email, phone, name ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jane@acme.com", SearchRequest("email", "jane@acme.com")),
        ("Jane.Doe@Acme.COM", SearchRequest("email", "jane.doe@acme.com")),
        ("Contacts jane@acme.com", SearchRequest("email", "jane@acme.com", "Contacts")),
        ("<mailto:jane@acme.com|jane@acme.com>", SearchRequest("email", "jane@acme.com")),
        ("+44 20 7946 0958", SearchRequest("phone", "+44 20 7946 0958")),
        ("Leads (555) 123-4567", SearchRequest("phone", "(555) 123-4567", "Leads")),
        ("555.123.4567", SearchRequest("phone", "555.123.4567")),
        ("<tel:+442079460958|+44 20 7946 0958>", SearchRequest("phone", "+44 20 7946 0958")),
        ("Jane Doe", SearchRequest("word", "Jane Doe", None, ("Jane", "Doe"))),
        ('"Jane Doe"', SearchRequest("word", "Jane Doe")),
        ("“Jane  Doe”", SearchRequest("word", "Jane Doe")),
        ('Contacts "Jane Doe"', SearchRequest("word", "Jane Doe", "Contacts")),
        ("Contacts Jane Doe", SearchRequest("word", "Contacts Jane Doe", None, ("Contacts", "Jane", "Doe"))),
        ("Accounts Acme", SearchRequest("word", "Accounts Acme", None, ("Accounts", "Acme"))),
        ("O'Brien", SearchRequest("word", "O'Brien", None, ("O'Brien",))),
        ("Zoë Müller-Lüdenscheidt", SearchRequest("word", "Zoë Müller-Lüdenscheidt", None,
                                                  ("Zoë", "Müller-Lüdenscheidt"))),
    ],
)
def test_searches(text: str, expected: SearchRequest) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Contacts 12345", PhotoRequest("Contacts", "12345")),  # plain digits after a module stay an id
        ("Contacts 4876876000000624001", PhotoRequest("Contacts", "4876876000000624001")),
        ("Contacts 12-345", BadInput("bad_id", "Contacts 12-345", "12-345")),  # too few digits for a phone
    ],
)
def test_digits_stay_ids(text: str, expected: object) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("jane@acme.com please", "extra_words"),
        ("jane@acme.com bob@acme.com", "extra_words"),
        ("Cont@cts jane@acme.com", "bad_module"),
        ('"<!channel>"', "bad_search"),
        ('"' + "a" * 150 + '"', "too_long"),
    ],
)
def test_bad_searches_get_hints(text: str, problem: str) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, BadInput) and parsed.problem == problem


def test_link_with_extra_words_hint_reads_sensibly() -> None:
    parsed = parse_command("Contacts https://crm.zoho.com/crm/tab/Contacts/1")
    assert isinstance(parsed, BadInput)
    hint = messages.input_hint(parsed.problem, parsed.detail, locale="en")
    assert "understand *a link on its own*" not in hint


@pytest.mark.parametrize(
    ("problem", "detail", "expected"),
    [
        ("missing_id", "Contacts", "record id after *Contacts*"),
        ("missing_module", "12345", "`/crmphoto Contacts 12345`"),
        ("bad_id", "12a", "*12a* isn't a record id"),
        ("too_many_ids", "", "One record at a time"),
        ("extra_words", "please", "*please*"),
        ("bad_module", "Cont@cts", "*Cont@cts* doesn't look like a module"),
        ("bad_link", "not a Zoho CRM address", "(not a Zoho CRM address)"),
        ("too_long", "", "too long to look up"),
        ("placeholder", "<ID>", "*&lt;ID&gt;* is a placeholder"),
    ],
)
def test_every_problem_has_its_own_hint(problem: str, detail: str, expected: str) -> None:
    hint = messages.input_hint(problem, detail, locale="en")
    assert expected in hint
    assert "/crmphoto help" in hint


# --- Properties --------------------------------------------------------------------------------------

MODULE_WORDS = ["Contacts", "contact", "Leads", "Job", "Openings", "Custom_Module", "CustomModule3", "Potentials",
                "zcrm_", "zcrm_12", "help", "tab", "crm", "org123", "Aufträge", "連絡先", "Kontakte"]
URLS = [
    "https://crm.zoho.com/crm/org123/tab/Contacts/123",
    "https://crm.zoho.eu/crm/tab/Leads/4876876000000624001?x=1#y",
    "crm.zoho.com/crm/tab/Contacts/",
    "<https://crm.zohocloud.ca/crm/org1/tab/CustomModule3/77|label>",
    "https://evil.com/crm/tab/Contacts/1",
    "javascript://crm.zoho.com/",
    "http://[::1",
    "https://crm.zoho.com/crm/tab/%43ontacts/%31%32",
    "<>",
    "<|>",
    "://",
]
PIECES = st.one_of(
    st.sampled_from(MODULE_WORDS),
    st.sampled_from(URLS),
    st.from_regex(r"[0-9]{1,35}", fullmatch=True),
    st.sampled_from(["/", "?", "#", "%", "&", "<", ">", "|", "<!channel>", "&amp;", "١٢٣", "٣", "𝟙𝟚", "½", "_",
                     "&lt;", "&gt;", "&amp;lt;", "&lt;ID&gt;", "&lt;12&gt;", "<ID>", "&lt;!here&gt;",
                     "tab", "://", "zcrm_", "\u00a0", "\u2003", "\t", "\n", " ", "  "]),
    st.text(max_size=8),
)
SEPARATORS = st.sampled_from(["", " ", "  ", "\t", "/", "\u3000"])
MIXED = st.lists(st.tuples(PIECES, SEPARATORS), max_size=12).map(lambda parts: "".join(p + s for p, s in parts))
ANY_TEXT = st.one_of(st.text(), st.text(max_size=600), MIXED, st.none())


def _check_request(parsed: PhotoRequest) -> None:
    assert re.fullmatch(r"[0-9]{1,30}", parsed.record_id, re.ASCII), parsed
    assert parsed.record_id.isascii()
    api_name = parsed.module.replace(" ", "")
    if API_NAME.fullmatch(api_name):
        assert PATH.fullmatch(photo_path("v8", api_name, parsed.record_id))
    for word in parsed.module.split(" "):
        assert LABEL_WORD.fullmatch(word), parsed  # a label in the org's language; only api names reach a path


def _check_search(parsed: SearchRequest) -> None:
    assert 0 < len(parsed.value) <= MAX_SEARCH
    assert not any(c in parsed.value for c in "<>|"), parsed
    if parsed.kind == "email":
        assert EMAIL.fullmatch(parsed.value)
    if parsed.kind == "phone":
        assert re.fullmatch(r"\+?[0-9 ().-]+", parsed.value, re.ASCII)
    if parsed.module is not None:
        for word in parsed.module.split(" "):
            assert LABEL_WORD.fullmatch(word), parsed


@FAST
@given(ANY_TEXT)
def test_parse_never_raises_and_requests_are_safe(text: str | None) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, PhotoRequest | SearchRequest | HelpRequest | BadInput)
    if isinstance(parsed, PhotoRequest):
        _check_request(parsed)
    if isinstance(parsed, SearchRequest):
        _check_search(parsed)


@FAST
@given(st.sampled_from(MODULE_WORDS + ["Job Openings", "a B c"]), st.from_regex(r"(zcrm_)?[0-9]{1,30}",
                                                                                 fullmatch=True))
def test_module_then_id_always_parses(module: str, record_id: str) -> None:
    words = module.split()
    assume(not any(re.fullmatch(r"(?i)(zcrm_)?[0-9]+", w) for w in words))
    for text in (f"{module} {record_id}", f"{module.upper()}   {record_id}"):
        parsed = parse_command(text)
        assert isinstance(parsed, PhotoRequest), text
        assert parsed.record_id == re.sub(r"(?i)^zcrm_", "", record_id)
        _check_request(parsed)


@FAST
@given(st.text(), st.text())
def test_photo_path_is_checked_or_refused(module: str, record_id: str) -> None:
    try:
        path = photo_path("v8", module, record_id)
    except ZohoError:
        return
    assert PATH.fullmatch(path), path


@FAST
@given(st.one_of(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,20}", fullmatch=True), st.text(max_size=10)),
       st.one_of(st.from_regex(r"\s*(zcrm_)?[0-9]{1,30}\s*", fullmatch=True), st.text(max_size=10)))
def test_photo_path_from_near_valid_parts(module: str, record_id: str) -> None:
    try:
        path = photo_path("v8", module, record_id)
    except ZohoError:
        return
    assert PATH.fullmatch(path), path
    assert path.split("/")[3] == module


@FAST
@given(ANY_TEXT)
def test_hints_escape_what_was_typed(text: str | None) -> None:
    parsed = parse_command(text)
    if not isinstance(parsed, BadInput):
        return
    hint = messages.input_hint(parsed.problem, parsed.detail, locale="en")
    assert "<" not in hint and ">" not in hint
    assert re.fullmatch(r"(?:[^&]|&(?:amp|lt|gt);)*", hint, re.DOTALL), hint


def test_hint_escapes_a_channel_ping() -> None:
    parsed = parse_command("<!channel> 12a<!here>")
    assert isinstance(parsed, BadInput)
    hint = messages.input_hint(parsed.problem, parsed.detail, locale="en")
    assert "<!here>" not in hint and "&lt;!here&gt;" in hint


# --- Typed text as Slack sends it -----------------------------------------------------------------------
# Slack sends the `&`, `<`, `>` a person typed as `&amp;`, `&lt;`, `&gt;` (Slack's "Formatting text" reference,
# "Escaping text"); they are undone once, after Slack's own link wrappers are taken off, before any parsing.


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("Accounts Procter &amp; Gamble",
         SearchRequest("word", "Accounts Procter & Gamble", None, ("Accounts", "Procter", "&", "Gamble"))),
        ('Accounts "Procter &amp; Gamble"', SearchRequest("word", "Procter & Gamble", "Accounts")),
        ("AT&amp;T", SearchRequest("word", "AT&T", None, ("AT&T",))),
        ("Contacts &lt;12345&gt;", request("Contacts", "12345")),
        ("&lt;Contacts&gt; &lt;zcrm_12345&gt;", request("Contacts", "12345")),
        ("&lt;<https://crm.zoho.com/crm/org1/tab/Contacts/9>&gt;", request("Contacts", "9", True)),
        ("&lt;https://crm.zoho.com/crm/tab/Contacts/3&gt;", request("Contacts", "3", True)),
        ("<https://crm.zoho.com/crm/org1/tab/Contacts/9?a=1&amp;b=2|Jane &amp; co>", request("Contacts", "9", True)),
        ("<mailto:tom&amp;jerry@acme.com|tom&amp;jerry@acme.com>", SearchRequest("email", "tom&jerry@acme.com")),
    ],
)
def test_slack_escapes_are_undone_before_parsing(sent: str, expected: object) -> None:
    assert parse_command(sent) == expected


@pytest.mark.parametrize("sent", ["Contacts &lt;ID&gt;", "Contacts &lt;id&gt;", "Leads &lt;record id&gt;",
                                  "&lt;Module&gt; &lt;ID&gt;", "Contacts &lt;record_id&gt;"])
def test_a_placeholder_typed_from_an_example_gets_its_own_hint(sent: str) -> None:
    parsed = parse_command(sent)
    assert isinstance(parsed, BadInput) and parsed.problem == "placeholder"
    hint = messages.input_hint(parsed.problem, parsed.detail, locale="en")
    assert f"*{escape(parsed.detail)}*" in hint and "placeholder" in hint and "4876876000000624001" in hint
    assert "<" not in hint and ">" not in hint


def test_the_escapes_are_undone_once() -> None:
    assert typed_text("&amp;lt;") == "&lt;"  # the person typed `&lt;`
    assert typed_text("&amp;amp;") == "&amp;"
    assert typed_text("&lt;&gt;&amp;") == "<>&"
    assert typed_text("&quot;&#39;&nbsp;&AMP;") == "&quot;&#39;&nbsp;&AMP;"  # Slack sends only the three
    parsed = parse_command("Contacts 12&amp;lt;")
    assert isinstance(parsed, BadInput) and parsed.detail == "12&lt;"
    hint = messages.input_hint(parsed.problem, parsed.detail, locale="en")
    assert "*12&amp;lt;*" in hint  # shown as typed: escaped once


def test_a_mention_typed_as_text_is_not_unwrapped_and_is_escaped_in_the_hint() -> None:
    parsed = parse_command("Contacts &lt;@U0BOSS&gt; &lt;!channel&gt;")
    assert isinstance(parsed, BadInput)
    hint = messages.input_hint(parsed.problem, parsed.detail, locale="en")
    assert parsed.problem == "mention"
    assert "<@U0BOSS>" not in hint and "<!channel>" not in hint and "&lt;@U0BOSS&gt;" in hint


@FAST
@given(st.text())
def test_what_slack_sends_for_any_typed_text_reads_back_as_typed(typed: str) -> None:
    assert typed_text(slack_text(typed)) == typed


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("Aufträge 123", request("Aufträge", "123")),
        ("連絡先 4876876000000624001", request("連絡先", "4876876000000624001")),
        ("4876876000000624001 Bestellte Artikel", request("Bestellte Artikel", "4876876000000624001")),
        ("Aufträge jane@acme.com", SearchRequest("email", "jane@acme.com", "Aufträge")),
        ('Kontakte "Zoë Müller"', SearchRequest("word", "Zoë Müller", "Kontakte")),
    ],
)
def test_a_module_typed_by_its_label_may_be_in_the_orgs_language(sent: str, expected: object) -> None:
    assert parse_command(sent) == expected


def test_a_link_names_its_module_by_api_name_only() -> None:
    parsed = parse_command("https://crm.zoho.com/crm/org1/tab/Auftr%C3%A4ge/9")
    assert isinstance(parsed, BadInput) and parsed.problem == "bad_link"

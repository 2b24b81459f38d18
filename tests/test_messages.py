"""The words: every catalogue entry names the record, says what to do and who fixes it, and escapes input."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from bot import messages
from bot.messages import CATALOGUE, Fixer, cli_text, help_text
from bot.request import PhotoRequest, SearchRequest, parse_command
from bot.slack.replies import explanation_reply

REFERENCE = "abcd1234"


@dataclass(frozen=True)
class English:
    """An explanation as an English reader gets it, with who fixes it."""

    said: messages.Said
    fixer: Fixer

    def __getattr__(self, name: str) -> str:
        return getattr(self.said, name)


def explain(*args: Any, **kwargs: Any) -> English:
    explanation = messages.explain(*args, **kwargs)
    return English(explanation.said("en"), explanation.fixer)
# Entries whose words are about the module or the id as typed rather than a record.
SECRET_OR_TRACE = re.compile(
    r"xox[abpr]-|xapp-|1000\.[0-9a-f]|Zoho-oauthtoken|Bearer |Traceback|File \"|Exception|Error\(|"
    r"client_secret|refresh_token\s*=|access_token|\{record\}|\{typed\}|\{photo_modules\}|\{suggestion\}|"
    r"[A-Za-z0-9_-]{40,}"
)


# About a message that names nobody (the shortcut), so there is no record to name.
NOT_ABOUT_A_RECORD = {"NOTHING_TO_FIND"}


@pytest.mark.parametrize("code", [c for c in CATALOGUE if c not in NOT_ABOUT_A_RECORD])
def test_every_explanation_names_the_record(code: str) -> None:
    assert "Contacts 123" in explain(code, "Contacts", "123").text


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_code_has_words_a_fixer_and_renders(code: str) -> None:
    expl = explain(code, "Contacts", "123")
    assert expl.code == code
    assert expl.what.strip() and expl.todo.strip()
    assert isinstance(expl.fixer, Fixer)
    assert messages.FIXER_LINES[expl.fixer] in expl.text
    reply = explanation_reply(expl.said, REFERENCE)
    assert reply["response_type"] == "ephemeral"
    assert reply["text"] == expl.what
    section, context = reply["blocks"]
    assert section["type"] == "section" and section["text"] == {"type": "mrkdwn", "text": expl.text}
    assert context["type"] == "context"
    small_print = context["elements"][0]["text"]
    assert f"`{code}`" in small_print and f"`{REFERENCE}`" in small_print


@pytest.mark.parametrize("code", ["UNKNOWN_MODULE", "MODULE_WITHOUT_PHOTOS"])
def test_module_problems_name_the_module_typed(code: str) -> None:
    assert "*Job Openings*" in explain(code, "Job Openings", "123").what


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_no_secret_trace_or_leftover_placeholder(code: str) -> None:
    expl = explain(code, "Contacts", "123", photo_modules=["Contacts", "Leads"], suggestion="Contacts")
    for text in (expl.text, cli_text(expl.text)):
        assert not SECRET_OR_TRACE.search(text), text


def test_user_text_is_escaped() -> None:
    expl = explain("UNKNOWN_MODULE", "<!channel>", "1", typed="<!channel>")
    reply = explanation_reply(expl.said, REFERENCE)
    rendered = repr(reply)
    assert "<!channel>" not in rendered
    assert "&lt;!channel&gt;" in expl.what


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_module_and_id_are_escaped_in_every_entry(code: str) -> None:
    expl = explain(code, "<!here>", "<@U1>&", typed="<!everyone>", photo_modules=["<b>"], suggestion="<!x>")
    for text in (expl.what, expl.todo, expl.text):
        assert "<" not in text and ">" not in text


def test_suggestion_and_photo_modules_are_shown() -> None:
    expl = explain("UNKNOWN_MODULE", "Contcts", "1", photo_modules=["Contacts", "Custom_Module"], suggestion="Contacts")
    assert "Did you mean *Contacts*?" in expl.what
    assert "`Contacts`, `Custom_Module`" in expl.todo


def test_unknown_code_falls_back_but_names_record_and_code() -> None:
    expl = explain("BRAND_NEW_CODE", "Contacts", "123")
    assert "Contacts 123" in expl.text
    assert expl.what and expl.todo
    assert expl.fixer is Fixer.ADMIN
    context = explanation_reply(expl.said, REFERENCE)["blocks"][1]["elements"][0]["text"]
    assert "`BRAND_NEW_CODE`" in context and f"`{REFERENCE}`" in context


def test_unknown_code_is_escaped_in_the_reference_line() -> None:
    context = explanation_reply(explain("<!channel>", "Contacts", "1").said, REFERENCE)["blocks"][1]
    assert "<!channel>" not in context["elements"][0]["text"]


def test_not_approved_covers_rejected_image_and_record_approval() -> None:
    text = explain("NOT_APPROVED", "Contacts", "123").text.lower()
    assert "rejected" in text
    assert "approval" in text and "approve" in text
    assert explain("NOT_APPROVED", "Contacts", "123").fixer is Fixer.CRM_USER


def test_invalid_module_mentions_modules_not_supported_in_the_api() -> None:
    expl = explain("INVALID_MODULE", "Documents", "1", photo_modules=["Contacts"])
    assert "API" in expl.what
    assert "Documents" in expl.what
    assert "`Contacts`" in expl.todo


@pytest.mark.parametrize(
    ("code", "fixer"),
    [
        ("NO_PERMISSION", Fixer.ADMIN),
        ("OAUTH_SCOPE_MISMATCH", Fixer.ADMIN),
        ("INVALID_CLIENT", Fixer.ADMIN),
        ("INVALID_REFRESH_TOKEN", Fixer.ADMIN),
        ("AUTHORIZATION_FAILED", Fixer.ADMIN),
        ("file_uploads_disabled", Fixer.ADMIN),
        ("INVALID_DATA", Fixer.YOU),
        ("RECORD_LOCKED", Fixer.YOU),
        ("NO_PHOTO", Fixer.YOU),
        ("UNKNOWN_MODULE", Fixer.YOU),
        ("TOO_MANY_REQUESTS", Fixer.YOU),
        ("not_in_channel", Fixer.YOU),
    ],
)
def test_who_fixes_it(code: str, fixer: Fixer) -> None:
    expl = explain(code, "Contacts", "123")
    assert expl.fixer is fixer
    assert messages.FIXER_LINES[fixer] in expl.text


def test_fixer_lines_differ() -> None:
    assert len(set(messages.FIXER_LINES.values())) == len(Fixer)
    assert "admin" in messages.FIXER_LINES[Fixer.ADMIN]
    assert "yourself" in messages.FIXER_LINES[Fixer.YOU]


def test_help_lists_the_modules_given() -> None:
    text = help_text(["Contacts", "Custom_Module", "Properties"], locale="en")
    assert "Modules with photos: `Contacts`, `Custom_Module`, `Properties`." in text
    assert "/crmphoto" in text


@pytest.mark.parametrize(
    ("example", "parsed"),
    [
        ("jane.doe@example.com", SearchRequest("email", "jane.doe@example.com")),
        ("+44 20 7946 0958", SearchRequest("phone", "+44 20 7946 0958")),
        ("Jane Doe", SearchRequest("word", "Jane Doe", None, ("Jane", "Doe"))),
        ("Leads Jane Doe", SearchRequest("word", "Leads Jane Doe", None, ("Leads", "Jane", "Doe"))),
        ("Contacts 4876876000000624001", PhotoRequest("Contacts", "4876876000000624001")),
        ("lead 4876876000000624001", PhotoRequest("lead", "4876876000000624001")),
        ("https://crm.zoho.com/crm/org123/tab/Contacts/4876876000000624001",
         PhotoRequest("Contacts", "4876876000000624001", from_link=True)),
    ],
)
def test_help_teaches_every_way_to_find_someone_with_examples_that_work(example: str, parsed: object) -> None:
    """Each example in the help is one the parser takes as that way (a rep copying one gets what it promises)."""
    text = help_text(["Contacts"], ("Contacts", "Leads"), locale="en")
    assert f"`/crmphoto {example}`" in text or f"`{example}`" in text
    assert parse_command(example) == parsed
    assert "looked up in Contacts or Leads" in text


def test_help_without_search_modules_names_none() -> None:
    assert "looked up in" not in help_text(["Contacts"], locale="en")


def test_help_escapes_module_names() -> None:
    text = help_text(["<!channel>"], locale="en")
    assert "<!channel>" not in text and "`&lt;!channel&gt;`" in text


def test_help_without_modules_falls_back_to_standard_ones() -> None:
    assert "`Contacts`" in help_text([], locale="en")


def test_cli_text_strips_mrkdwn_but_keeps_underscores_in_names() -> None:
    text = cli_text(help_text(["Custom_Module", "My_Other_Module"], locale="en"))
    assert "Custom_Module" in text and "My_Other_Module" in text
    assert "*" not in text
    assert text.startswith("/crmphoto posts")


def test_cli_text_removes_emphasis_and_unescapes() -> None:
    expl = explain("NO_PHOTO", "Custom_Module", "123")
    text = cli_text(expl.text)
    assert "Custom_Module 123 has no photo" in text
    assert "*" not in text
    assert "_You can sort this out yourself._" not in text and "You can sort this out yourself." in text
    assert cli_text("a &lt;b&gt; &amp;lt;") == "a <b> &lt;"


def test_cli_text_of_escaped_input_shows_it_as_typed() -> None:
    expl = explain("UNKNOWN_MODULE", "x", "1", typed="<A & B>")
    assert "There is no module called <A & B>" in cli_text(expl.what)

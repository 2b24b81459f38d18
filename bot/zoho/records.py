"""A Zoho record as a person recognises it: its name and one identifying field, from Zoho's record JSON.

The name is the module's display field (module metadata's `display_field`; for standard modules a
table of Zoho's standard field api names when the metadata does not say). The detail is the one field
that tells two people of the same name apart: a contact's account, a lead's company, else a job title;
never an email address or a phone number, because captions and unfurls show it to the whole channel. The
record's email addresses and own phone numbers are kept apart, to check a search hit against what was
typed. Values are trimmed, whitespace-collapsed and capped; nothing is escaped here (the words layer
escapes for Slack).
"""

from __future__ import annotations

import re
from typing import Any

from bot.ids import RECORD_ID
from bot.records import RecordCard
from bot.zoho.modules import Module

MAX_TEXT = 150
WHITESPACE = re.compile(r"\s+")

# Zoho CRM's standard display fields, used when the module metadata names none.
DISPLAY_FIELDS = {
    "Contacts": "Full_Name",
    "Leads": "Full_Name",
    "Accounts": "Account_Name",
    "Deals": "Deal_Name",
    "Products": "Product_Name",
    "Vendors": "Vendor_Name",
}
PERSON_MODULES = ("Contacts", "Leads")
CUSTOM_DISPLAY_FIELD = "Name"  # every custom module has this mandatory field
# The field that best tells records of one module apart, tried before the generic ones.
DETAIL_FIELDS = {"Contacts": "Account_Name", "Leads": "Company", "Deals": "Account_Name"}
GENERIC_DETAILS = ("Title", "Designation")
# Zoho CRM's standard email fields (Contacts, Leads; Vendors have Email only).
EMAIL_FIELDS = ("Email", "Secondary_Email")
# The standard phone fields that are the record's own number (Contacts have all four, Leads Phone and Mobile,
# Accounts and Vendors Phone). Left out on purpose: Fax (often one office number shared by many people) and
# Asst_Phone (the assistant's number, not the contact's).
PHONE_FIELDS = ("Phone", "Mobile", "Home_Phone", "Other_Phone")
# What a caption reads, by standard module: Zoho's standard field api names, which every org has. A list call
# (`ids=`) must name its fields, and naming one a module lacks is an error, so a custom module (whose fields
# vary per org) is never asked for in a list: it is read one record at a time, whole.
CARD_FIELDS = {
    "Contacts": ("Full_Name", "First_Name", "Last_Name", "Account_Name", "Email", "Title"),
    "Leads": ("Full_Name", "First_Name", "Last_Name", "Company", "Email", "Designation"),
    "Accounts": ("Account_Name",),
    "Deals": ("Deal_Name", "Account_Name"),
    "Products": ("Product_Name",),
    "Vendors": ("Vendor_Name", "Email"),
}


def text(value: Any) -> str:
    """A field value as one short line: lookups give their `name`; anything not text gives ""."""
    if isinstance(value, dict):
        value = value.get("name")
    if not isinstance(value, str):
        return ""
    line = WHITESPACE.sub(" ", value).strip()
    return line if len(line) <= MAX_TEXT else line[: MAX_TEXT - 1].rstrip() + "…"


def display_field(module: Module) -> str:
    """The field whose value Zoho CRM shows as the record's name."""
    if module.display_field:
        return module.display_field
    if module.api_name in DISPLAY_FIELDS:
        return DISPLAY_FIELDS[module.api_name]
    return CUSTOM_DISPLAY_FIELD


def card_fields(module: Module) -> tuple[str, ...] | None:
    """The fields a caption needs from a record of `module`, or None when they are not known in advance."""
    fields = CARD_FIELDS.get(module.api_name)
    if fields is None:
        return None
    shown = module.display_field
    return fields if not shown or shown in fields else (shown, *fields)


def record_name(module: Module, data: dict[str, Any]) -> str:
    """The display field's value; people without a Full_Name get First_Name + Last_Name."""
    name = text(data.get(display_field(module)))
    if not name and module.api_name in PERSON_MODULES:
        name = text(" ".join(text(data.get(key)) for key in ("First_Name", "Last_Name")))
    if not name and module.api_name in DISPLAY_FIELDS:
        name = text(data.get(DISPLAY_FIELDS[module.api_name]))
    return name


def record_detail(module: Module, data: dict[str, Any]) -> str:
    """One identifying field: the module's own (account, company), else title (never an email or phone)."""
    keys = (DETAIL_FIELDS[module.api_name], *GENERIC_DETAILS) if module.api_name in DETAIL_FIELDS else GENERIC_DETAILS
    for key in keys:
        value = text(data.get(key))
        if value:
            return value
    return ""


def card_from_record(
    module: Module, data: object, *, record_id: str | None = None, link: str | None = None
) -> RecordCard | None:
    """A RecordCard from one item of Zoho's `data[]`; None when it has no usable record id."""
    if not isinstance(data, dict):
        return None
    found = data.get("id")
    rid = record_id if record_id is not None else (str(found) if isinstance(found, (str, int)) else "")
    if not RECORD_ID.fullmatch(rid):
        return None
    return RecordCard(
        module=module.api_name,
        record_id=rid,
        name=record_name(module, data),
        detail=record_detail(module, data),
        email=text(data.get("Email")),
        link=link,
        emails=_values(data, EMAIL_FIELDS),
        phones=_values(data, PHONE_FIELDS),
    )


def _values(data: dict[str, Any], fields: tuple[str, ...]) -> tuple[str, ...]:
    """The non-empty text values of `fields`, in that order."""
    return tuple(value for value in (text(data.get(key)) for key in fields) if value)

"""The demo's sample CRM: a handful of records in FakeZoho that show every kind of answer the bot gives.

Each record has the fields search and captions read (Full_Name, Email, Phone, Account_Name / Company, Title);
photos are the generated PNGs in bot/demo/images. `TRY` is what the page's help suggests typing; `MESSAGES` are
in the channel when the demo starts, for the "Show CRM photo" message shortcut to be tried on at once. Nobody is
called Maria Garcia, but Sam Rivera's title mentions her: Zoho's `word` search (and the fake's) matches any text
field, so `/crmphoto Maria Garcia` finds Sam alone, and the bot asks privately before sharing a record that is
not exactly what was typed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.fakes.zoho import FakeZoho, Record

IMAGES = Path(__file__).with_name("images")
ACME = {"name": "Acme Corp", "id": "4000000000001"}


def _person(name: str, email: str, phone: str, account: dict[str, str] | None = None,
            company: str | None = None, title: str | None = None) -> dict[str, Any]:
    first, _, last = name.partition(" ")
    fields: dict[str, Any] = {"Full_Name": name, "First_Name": first, "Last_Name": last, "Email": email,
                              "Phone": phone}
    if account is not None:
        fields["Account_Name"] = account
    if company is not None:
        fields["Company"] = company
    if title is not None:
        fields["Title"] = title
    return fields


def _photo(stem: str) -> bytes:
    return (IMAGES / f"{stem}.png").read_bytes()


def records() -> list[tuple[str, str, Record]]:
    """(module, record id, record) for every sample record."""
    png = {"content_type": "image/png"}
    return [
        ("Contacts", "1001", Record(content=_photo("ada"), **png,
                                    fields=_person("Ada Lovelace", "ada@acme.example", "+44 20 7946 0101", ACME))),
        ("Contacts", "1002", Record(content=_photo("jane1"), **png,
                                    fields=_person("Jane Doe", "jane.doe@acme.example", "+1 555 010 0001", ACME))),
        ("Contacts", "1003", Record(content=_photo("jane2"), **png, fields=_person(
            "Jane Doe", "jdoe@globex.example", "+1 555 010 0002", {"name": "Globex", "id": "4000000000002"}))),
        ("Contacts", "1004", Record(content=_photo("jane3"), **png, fields=_person(
            "Jane Doe", "jane@initech.example", "+1 555 010 0003", {"name": "Initech", "id": "4000000000003"}))),
        ("Contacts", "1005", Record(content=None,
                                    fields=_person("Nobody Pictured", "nobody@acme.example", "+1 555 010 0005", ACME))),
        ("Contacts", "1006", Record(content=_photo("sam"), **png, fields=_person(
            "Sam Rivera", "sam@acme.example", "+1 555 010 0006", title="Assistant to Maria Garcia"))),
        ("Leads", "2001", Record(content=_photo("grace"), **png, fields=_person(
            "Grace Hopper", "grace@navy.example", "+1 555 010 0201", company="Navy Labs"))),
        ("Leads", "2002", Record(error="NOT_APPROVED", fields=_person(
            "Pending Approval", "pending@lead.example", "+1 555 010 0202", company="Waiting Ltd"))),
        ("Leads", "2003", Record(content=_photo("linus"), **png, fields=_person(
            "Linus Torvalds", "linus@kernel.example", "+1 555 010 0203", company="Kernel Co"))),
        ("Accounts", "4000000000001", Record(content=_photo("acme"), **png,
                                             fields={"Account_Name": "Acme Corp", "Phone": "+1 555 010 0400"})),
        ("Accounts", "4000000000009", Record(error="NO_PERMISSION",
                                             fields={"Account_Name": "Secret Holdings", "Phone": "+1 555 010 0409"})),
    ]


# Messages a colleague has posted in the channel when the demo starts: one names one person (the shortcut shares
# the photo in its thread), one names two (a private list whose button shares into the thread).
MESSAGES: list[str] = [
    "Grace from Navy Labs is coming in at 3pm, her email is grace@navy.example",
    "Linus (+1 555 010 0203) and Ada (ada@acme.example) both asked for a demo next week",
]

# What the page suggests typing, each with what it shows.
TRY: list[tuple[str, str]] = [
    ("/crmphoto Contacts 1001", "a photo shared in the channel"),
    ("/crmphoto ada@acme.example", "found by email"),
    ("/crmphoto +1 555 010 0203", "found by phone number"),
    ("/crmphoto https://crm.zoho.com/crm/org7000001/tab/Leads/2001", "a record link pasted from Zoho CRM"),
    ("/crmphoto Jane Doe", "three matches: pick one with its button"),
    ("/crmphoto Maria Garcia", "no one by that name, but a title mentions her: you confirm it privately first"),
    ("/crmphoto Leads 2003", "a lead's photo"),
    ("/crmphoto Contacts 1005", "a record without a photo"),
    ("/crmphoto Leads 2002", "a photo still awaiting approval"),
    ("/crmphoto Accounts 4000000000009", "a record the CRM user may not see"),
    ("/crmphoto Widgets 7", "a module this CRM does not have"),
    ("/crmphoto Contacts 10-01", "a typo in the id"),
    ("/crmphoto Contacts abc", "a name that matches nobody"),
    ("/crmphoto help", "the bot's own help"),
    (MESSAGES[0], "a message (already in the channel, or post it): its ⋮ → Show CRM photo shares the photo in its "
                  "thread"),
    (MESSAGES[1], "a message naming two people: ⋮ → Show CRM photo lists them privately, a button shares into the "
                  "thread"),
]


def populate(zoho: FakeZoho) -> None:
    """Put the sample records in `zoho`; anything else answers INVALID_DATA, as an unknown id does in Zoho."""
    zoho.default_record = None
    for module, record_id, record in records():
        zoho.add_record(module, record_id, record)

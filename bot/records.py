"""What the bot knows about a CRM record besides its photo: who it is, and how people find it.

These are plain values shared by the Zoho adapter (which fills them from Zoho's answers), the
pipeline (which decides what to do with them) and the words (which show them); nothing here talks
to Zoho or Slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SearchKind = Literal["email", "phone", "word"]


@dataclass(frozen=True)
class RecordCard:
    """A record as a person recognises it: its name as Zoho CRM shows it and one identifying field.

    `detail` may go to the whole channel; `email` only to the person choosing from a private list. `emails` and
    `phones` are there to tell whether a search hit is exactly what was typed (bot/matching.py), never to show.
    """

    module: str  # api name, e.g. Contacts
    record_id: str  # digits
    name: str  # the module's display field (Full_Name, Account_Name, …); "" when Zoho gave none
    detail: str = ""  # one identifying field: account or company, else title; never an email or phone; may be ""
    email: str = ""
    link: str | None = None  # the record in Zoho CRM's web UI, when the org's domain name is known
    emails: tuple[str, ...] = ()  # every standard email field with a value
    phones: tuple[str, ...] = ()  # the record's own phone numbers (bot/zoho/records.py PHONE_FIELDS)


@dataclass(frozen=True)
class SearchHits:
    """What one module's search found: the first few cards, and how many there were in all."""

    module: str
    cards: tuple[RecordCard, ...]
    total: int  # records Zoho returned (on its first page)
    more: bool = False  # Zoho says there are more pages than it returned

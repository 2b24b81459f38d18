"""The shapes of a Zoho record id and of a module's name, defined once for every door that checks them.

- A record id is ASCII digits, 1 to 30 of them. Zoho's ids are 13–19 digits long in every org seen (FACTS.md);
  30 leaves room for longer ones Zoho may hand out, while still turning a pasted number of any length away
  before a call. Some exports write it `zcrm_<digits>`: `record_id()` drops that prefix.
- A module's API name (what Zoho's paths, links' tab segment and the admin's lists use) is ASCII: a letter, then
  letters, digits and underscores (FACTS.md), at most 100 characters (Zoho's own are far shorter).
- A Slack conversation id (what ALLOWED_CHANNEL_IDS lists and the shared-channel gate asks about): `C`, `G` or
  `D`, then 2 to 30 capital letters and digits.
- A module typed by its label may be in the org's language (`Aufträge`, `連絡先`): each word any Unicode letter
  followed by letters, digits or underscores. Such a word is only ever matched against Zoho's labels
  (bot.zoho.modules); it never reaches a path, where only an API name goes.
"""

from __future__ import annotations

import re

MAX_ID_DIGITS = 30
RECORD_ID = re.compile(rf"[0-9]{{1,{MAX_ID_DIGITS}}}", re.ASCII)
API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,99}", re.ASCII)
LABEL_WORD = re.compile(r"[^\W\d_]\w{0,99}")
CONVERSATION_ID = re.compile(r"[CGD][A-Z0-9]{2,30}", re.ASCII)
ZCRM_PREFIX = "zcrm_"


def _digits_part(typed: str) -> str:
    return typed[len(ZCRM_PREFIX):] if typed[: len(ZCRM_PREFIX)].lower() == ZCRM_PREFIX else typed


def record_id(typed: str) -> str | None:
    """The digits of a record id typed with or without `zcrm_` (in any case), or None when it is not one."""
    value = _digits_part(typed)
    return value if RECORD_ID.fullmatch(value) else None


def too_long_for_an_id(typed: str) -> bool:
    """Digits (with or without `zcrm_`) that would be a record id but for their length: a pasted number of any
    length gets its own hint rather than being taken for something else."""
    value = _digits_part(typed)
    return len(value) > MAX_ID_DIGITS and value.isascii() and value.isdigit()

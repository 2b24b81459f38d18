"""Slack's three escapes, both ways, in one place.

In text a person typed (a slash command's `text`, a message) Slack sends `&`, `<` and `>` as `&amp;`, `&lt;` and
`&gt;`, and only those three; the only raw `<` and `>` are Slack's own wrappers around links, mentions, emails and
phone numbers (`<https://…|label>`, `<@U…>`, `<mailto:…>`, `<tel:…>`). Text the bot sends escapes the same three
characters, so what a person or the CRM wrote is shown and never read as a link or a mention. Source: Slack's
"Formatting text" reference, "Escaping text" (see FACTS.md).
"""

from __future__ import annotations

import re

ENTITY = re.compile(r"&(amp|lt|gt);")
CHARACTERS = {"amp": "&", "lt": "<", "gt": ">"}


def escape(text: str) -> str:
    """`&`, `<`, `>` as Slack wants them in text it is sent (and as it sends what a person typed)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Slack's three escapes undone in one pass, so `&amp;lt;` (a person typed `&lt;`) becomes `&lt;`, not `<`.

    Any other `&…;` is left as it is: Slack sends no other entity.
    """
    return ENTITY.sub(lambda match: CHARACTERS[match.group(1)], text)

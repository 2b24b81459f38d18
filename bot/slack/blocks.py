"""Block Kit shapes for a list of records to choose from, and for a pasted record link.

Everything a person typed or Zoho returned (names, details, the searched text) is escaped with
`bot.messages.escape`, so a record called `<!channel>` is shown, never broadcast. Lengths stay inside Block Kit's
limits (section text 3,000, button text 75, `alt_text` 2,000, button `value` 2,000 characters). Links are only
used when they are plain https URLs that cannot break out of Slack's `<url|text>` syntax.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from bot import messages
from bot.messages import escape
from bot.records import RecordCard
from bot.slack.choices import ACTION_ID, MAX_VALUE

Block = dict[str, Any]
MAX_CHOICES = 5
MAX_FIELD = 150  # characters of a name or detail shown (before escaping); Zoho allows far longer
MAX_LINK = 3000


def choice_blocks(
    cards: Sequence[RecordCard],
    total: int,
    more: bool,
    searched_text: str,
    value_for: Callable[[RecordCard], str],
    *,
    locale: str,
) -> list[Block]:
    """The list a person picks from: up to five records, each with a "Share photo" button, then how to narrow.

    `total` is how many records matched, `more` whether Zoho has further pages; `value_for(card)` gives the
    button value (see bot.slack.choices.choice_value). ValueError if a value is longer than Block Kit allows.
    A list of one is a single match that was not exactly what was typed, shown so the asker can confirm it.
    The list is private to the asker, so it is in the asker's `locale` and each record may show its email address.
    """
    shown = list(cards[:MAX_CHOICES])
    total = max(total, len(shown))
    searched = f"*{escape(_clip(searched_text))}*"
    blocks: list[Block] = [_section(messages.choice_intro(total, searched, locale=locale))]
    for i, card in enumerate(shown):
        value = value_for(card)
        if len(value) > MAX_VALUE:
            raise ValueError(f"button value of {len(value)} characters; Block Kit allows {MAX_VALUE}")
        block = _section(_card_text(card, locale, email=True))
        block["block_id"] = f"crmphoto_choice_{i}"
        block["accessory"] = {
            "type": "button",
            "action_id": ACTION_ID,
            "text": {"type": "plain_text", "text": messages.choice_button(locale=locale)[:75]},
            "value": value,
        }
        blocks.append(block)
    hidden = max(0, total - len(shown))
    if hidden or more:
        line = messages.choice_more(hidden, more, locale=locale)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line}]})
    return blocks


def unfurl_blocks(card: RecordCard, file_id: str | None, *, locale: str) -> list[Block]:
    """A pasted record link shown as the record: name (linked), detail, and the photo when `file_id` is given.

    The whole channel sees an unfurl, so it is in the channel's `locale` and never shows the record's email address.
    """
    blocks: list[Block] = [_section(_card_text(card, locale, email=False))]
    if file_id:
        name = _clip(card.name) or messages.untitled(locale=locale)
        blocks.append({
            "type": "image",
            "slack_file": {"id": file_id},
            "alt_text": messages.photo_alt(name, locale=locale)[:2000],
        })
    return blocks


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _card_text(card: RecordCard, locale: str, *, email: bool) -> str:
    """`*Name*` (a link when the card has a safe one), then the module, the identifying detail and, for the
    asker's eyes only (`email`), the email address."""
    name = escape(_clip(card.name)) or escape(messages.untitled(locale=locale))
    link = safe_link(card.link)
    title = f"*<{link.replace('&', '&amp;')}|{name}>*" if link else f"*{name}*"
    shown = (messages.module_name(card.module, locale=locale), _clip(card.detail), _clip(card.email) if email else "")
    parts = dict.fromkeys(part for part in shown if part)
    second = " · ".join(escape(part) for part in parts)
    return f"{title}\n{second}" if second else title


def safe_link(url: str | None) -> str | None:
    """`url` if it is an https URL that cannot break Slack's `<url|text>` syntax, else None."""
    if not url or len(url) > MAX_LINK or any(c in url for c in "<>|") or not url.isprintable() or " " in url:
        return None
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return None
    return url


def _clip(text: str) -> str:
    """At most MAX_FIELD characters, on one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_FIELD else flat[: MAX_FIELD - 1] + "…"

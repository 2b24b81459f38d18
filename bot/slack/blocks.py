"""Block Kit shapes for a list of records to choose from, and for a pasted record link.

Everything a person typed or Zoho returned (names, details, the searched text) is escaped with
`bot.messages.escape`, so a record called `<!channel>` is shown, never broadcast. Lengths stay inside Block Kit's
limits (section text 3,000, button text 75, `alt_text` 2,000, button `value` 2,000 characters). Links are only
used when they are plain https URLs that cannot break out of Slack's `<url|text>` syntax.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Words:
    """Every English word these blocks show; the defaults come from bot.messages, where all words live."""

    intro: str = messages.CHOICE_WORDS["intro"]
    intro_one: str = messages.CHOICE_WORDS["intro_one"]
    button: str = messages.CHOICE_WORDS["button"]
    more: str = messages.CHOICE_WORDS["more"]
    more_pages: str = messages.CHOICE_WORDS["more_pages"]
    untitled: str = messages.CHOICE_WORDS["untitled"]
    alt: str = messages.CHOICE_WORDS["alt"]


WORDS = Words()


def choice_blocks(
    cards: Sequence[RecordCard],
    total: int,
    more: bool,
    searched_text: str,
    value_for: Callable[[RecordCard], str],
    words: Words = WORDS,
) -> list[Block]:
    """The list a person picks from: up to five records, each with a "Share photo" button, then how to narrow.

    `total` is how many records matched, `more` whether Zoho has further pages; `value_for(card)` gives the
    button value (see bot.slack.choices.choice_value). ValueError if a value is longer than Block Kit allows.
    A list of one is a single match that was not exactly what was typed, shown so the asker can confirm it.
    The list is private to the asker, so each record may show its email address.
    """
    shown = list(cards[:MAX_CHOICES])
    total = max(total, len(shown))
    intro = words.intro_one if total == 1 else words.intro
    blocks: list[Block] = [_section(intro.format(total=total, searched=f"*{escape(_clip(searched_text))}*"))]
    for i, card in enumerate(shown):
        value = value_for(card)
        if len(value) > MAX_VALUE:
            raise ValueError(f"button value of {len(value)} characters; Block Kit allows {MAX_VALUE}")
        block = _section(_card_text(card, words, email=True))
        block["block_id"] = f"crmphoto_choice_{i}"
        block["accessory"] = {
            "type": "button",
            "action_id": ACTION_ID,
            "text": {"type": "plain_text", "text": words.button[:75]},
            "value": value,
        }
        blocks.append(block)
    hidden = max(0, total - len(shown))
    if hidden or more:
        line = (words.more_pages if more else words.more).format(hidden=hidden)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line}]})
    return blocks


def unfurl_blocks(card: RecordCard, file_id: str | None, words: Words = WORDS) -> list[Block]:
    """A pasted record link shown as the record: name (linked), detail, and the photo when `file_id` is given.

    The whole channel sees an unfurl, so it never shows the record's email address.
    """
    blocks: list[Block] = [_section(_card_text(card, words, email=False))]
    if file_id:
        name = _clip(card.name) or words.untitled
        blocks.append({
            "type": "image",
            "slack_file": {"id": file_id},
            "alt_text": words.alt.format(name=name)[:2000],
        })
    return blocks


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _card_text(card: RecordCard, words: Words, *, email: bool) -> str:
    """`*Name*` (a link when the card has a safe one), then the module, the identifying detail and, for the
    asker's eyes only (`email`), the email address."""
    name = escape(_clip(card.name)) or escape(words.untitled)
    link = safe_link(card.link)
    title = f"*<{link.replace('&', '&amp;')}|{name}>*" if link else f"*{name}*"
    shown = (card.module, _clip(card.detail), _clip(card.email) if email else "")
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

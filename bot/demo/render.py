"""Slack text and Block Kit to HTML for the demo page, minimally and safely.

Slack's mrkdwn arrives with `&`, `<` and `>` escaped as `&amp;`, `&lt;`, `&gt;` and uses `<url|label>`,
`<@U123>`, `*bold*`, `_italic_` and `` `code` `` (Slack docs, "Formatting text for app surfaces").
Everything a person typed or the CRM holds is HTML-escaped here before it reaches the page, so a record
named `<script>` shows as text. Only the few block types the bot sends are drawn; others are skipped.

A link to Zoho CRM (a caption's "Open in Zoho CRM", a record's name in a list) leads to the demo's own page
saying what it would open (`CRM_PAGE`): the sample CRM has no web pages, and crm.zoho.com would only ask the
visitor to sign in.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from bot.escapes import unescape
from bot.request import LINK_HOST

CRM_PAGE = "/demo/crm"  # what a Zoho CRM link would open (bot.demo.server)
ANGLE = re.compile(r"<([^<>]*)>")
BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
ITALIC = re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])")
CODE = re.compile(r"`([^`\n]+)`")
SLOT = re.compile("\x00([0-9]+)\x00")
# The emoji codes the bot's words use, drawn as the characters Slack shows for them.
EMOJI = {":hourglass_flowing_sand:": "\u23f3", ":mag:": "\U0001f50d"}


def _styled(text: str) -> str:
    """Plain Slack text as escaped HTML with bold, italic and code (markers survive escaping untouched)."""
    out = html.escape(unescape(text), quote=True)
    for code, char in EMOJI.items():
        out = out.replace(code, char)
    out = CODE.sub(r"<code>\1</code>", out)
    out = BOLD.sub(r"<b>\1</b>", out)
    out = ITALIC.sub(r"<i>\1</i>", out)
    return out.replace("\n", "<br>")


def _angle(inner: str, names: Mapping[str, str]) -> str:
    """One `<…>` token: a user mention (by name when known), or a link (http/https/mailto only; else text)."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        shown = names.get(target[1:]) or unescape(label or target[1:])
        return f'<span class="mention">@{html.escape(shown)}</span>'
    if target.startswith(("!", "#")):
        return html.escape(unescape(label or target))
    url = unescape(target)
    try:
        parts = urlsplit(url)
    except ValueError:  # `http://[::1` and the like: shown as text
        return html.escape(unescape(inner))
    if parts.scheme not in ("http", "https", "mailto"):
        return html.escape(unescape(inner))
    shown = html.escape(unescape(label) if label else url)
    if parts.scheme != "mailto" and LINK_HOST.fullmatch(parts.hostname or ""):
        url = f"{CRM_PAGE}?{urlencode({'url': url})}"
    return f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">{shown}</a>'


def mrkdwn(text: str, names: Mapping[str, str] | None = None) -> str:
    """Slack mrkdwn as safe HTML: links and mentions are set aside, the rest escaped and styled, then put back
    (so `*<url|name>*` is a bold link)."""
    text = text.replace("\x00", "")  # the marker of a set-aside link can't come from the text itself
    links: list[str] = []

    def aside(match: re.Match[str]) -> str:
        links.append(_angle(match.group(1), names or {}))
        return f"\x00{len(links) - 1}\x00"

    styled = _styled(ANGLE.sub(aside, text))
    return SLOT.sub(lambda m: links[int(m.group(1))], styled)


def _text(obj: Any) -> str:
    if not isinstance(obj, dict):
        return ""
    value = str(obj.get("text", ""))
    return mrkdwn(value) if obj.get("type") == "mrkdwn" else html.escape(value)


def _button(accessory: dict[str, Any], block_id: str) -> str:
    attrs = {
        "data-action": accessory.get("action_id", ""),
        "data-block": block_id,
        "data-value": accessory.get("value", ""),
    }
    joined = " ".join(f'{k}="{html.escape(str(v), quote=True)}"' for k, v in attrs.items())
    return f'<button type="button" class="choice" {joined}>{_text(accessory.get("text"))}</button>'


def blocks(items: list[dict[str, Any]], file_url: str = "/demo/files/") -> str:
    """Section, context and image blocks as HTML; a section's button becomes a clickable <button>."""
    out = []
    for block in items:
        kind = block.get("type")
        if kind == "section":
            accessory = block.get("accessory") or {}
            button = _button(accessory, str(block.get("block_id", ""))) if accessory.get("type") == "button" else ""
            out.append(f'<div class="section"><div class="text">{_text(block.get("text"))}</div>{button}</div>')
        elif kind == "context":
            inner = " ".join(_text(e) for e in block.get("elements", []))
            out.append(f'<div class="context">{inner}</div>')
        elif kind == "image":
            file_id = str((block.get("slack_file") or {}).get("id", ""))
            if file_id:
                src = html.escape(file_url + file_id, quote=True)
                alt = html.escape(str(block.get("alt_text", "")), quote=True)
                out.append(f'<img class="photo" src="{src}" alt="{alt}">')
    return "".join(out)


def message(body: dict[str, Any]) -> str:
    """A Slack message body (ack or response_url post): its blocks, or its text when it has none."""
    drawn = blocks(body.get("blocks") or [])
    return drawn or f'<div class="text">{mrkdwn(str(body.get("text", "")))}</div>'


def crm_link_page(url: str, record: str, name: str) -> str:
    """The page a Zoho CRM link leads to in the demo: what it would open in a real workspace. `record` is the
    module and id the link names ("" when it names none), `name` the sample record's name ("" when unknown)."""
    if record:
        who = f" ({html.escape(name)})" if name else ""
        what = f"opens the record <b>{html.escape(record)}</b>{who} in your company's Zoho CRM"
    else:
        what = "opens this address in Zoho CRM"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>Open in Zoho CRM: crmphoto demo</title><link rel="stylesheet" href="/static/style.css"></head>'
        '<body class="page"><main class="crm-link"><h1>Open in Zoho CRM</h1>'
        f"<p>In Slack, this link {what}:</p><p><code>{html.escape(url)}</code></p>"
        "<p>This demo's CRM is a sample on your computer with no web pages of its own, so there is nothing to "
        "open here; nothing was sent to Zoho.</p>"
        '<p><a href="/">Back to the demo channel</a></p></main></body></html>'
    )

"""What a "Share photo" button carries, and reading it back from a click.

A search that finds several records shows each with a button. The button's `value` travels through Slack and
comes back in a `block_actions` payload; it is the only state the bot keeps between the list and the click.
It is compact JSON, `{"m": module, "r": record id, "u": asker, "c": channel}`, at most 2,000 characters (the
Block Kit button element's limit for `value`). Reading it back is strict: any other shape means "not ours",
never an exception. Slack signs the payload, but the value must still be checked against who clicked and
where: a list shown to one person is no licence for anyone else.
"""

from __future__ import annotations

import json
import re

from bot.ids import API_NAME, RECORD_ID

ACTION_ID = "crmphoto_share"
MAX_VALUE = 2000  # Block Kit button element: `value` maximum length

USER = re.compile(r"[UW][A-Z0-9]{1,20}", re.ASCII)
CHANNEL = re.compile(r"[CGD][A-Z0-9]{1,20}", re.ASCII)
KEYS = {"m", "r", "u", "c"}


def choice_value(module: str, record_id: str, user: str, channel: str) -> str:
    """The button value for one record; ValueError when a part has the wrong shape (nothing unreadable is sent)."""
    if parse_choice_value(_encode(module, record_id, user, channel)) is None:
        raise ValueError("a choice needs an api name, a numeric record id and Slack user and channel ids")
    return _encode(module, record_id, user, channel)


def _encode(module: str, record_id: str, user: str, channel: str) -> str:
    return json.dumps({"m": module, "r": record_id, "u": user, "c": channel}, separators=(",", ":"))


def parse_choice_value(value: object) -> tuple[str, str, str, str] | None:
    """(module, record_id, user, channel) from a button value, or None for anything not made by `choice_value`."""
    if not isinstance(value, str) or len(value) > MAX_VALUE:
        return None
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or set(data) != KEYS or not all(isinstance(v, str) for v in data.values()):
        return None
    parts = (data["m"], data["r"], data["u"], data["c"])
    shapes = (API_NAME, RECORD_ID, USER, CHANNEL)
    if not all(shape.fullmatch(part) for shape, part in zip(shapes, parts, strict=True)):
        return None
    return parts


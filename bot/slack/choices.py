"""What a "Share photo" button carries, and reading it back from a click.

A search that finds several records shows each with a button. The button's `value` travels through Slack and
comes back in a `block_actions` payload; it is the only state the bot keeps between the list and the click.
It is compact JSON, `{"m": module, "r": record id, "u": asker, "c": channel, "n": the record's name}`, at most
2,000 characters (the Block Kit button element's limit for `value`): the name, with `&`, `<` and `>` escaped as
everywhere the bot sends text, is shortened to fit, so the "Sharing the photo of *Jane Doe*…" line after the
click can name the person without another call to Zoho.
Buttons made before the name was carried (no `"n"`) are still in channels and still work; they share the same
way and the line names the module and id instead. A list the message shortcut showed also carries `"t"`, the
thread the photo goes into (a message's `ts`); buttons without it share into the channel itself, as before.

Reading it back is strict: any other shape means "not ours", never an exception. Slack signs the payload, but
the value must still be checked against who clicked and where: a list shown to one person is no licence for
anyone else.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bot.escapes import escape, unescape
from bot.ids import API_NAME, RECORD_ID

ACTION_ID = "crmphoto_share"
MAX_VALUE = 2000  # Block Kit button element: `value` maximum length

USER = re.compile(r"[UW][A-Z0-9]{1,20}", re.ASCII)
CHANNEL = re.compile(r"[CGD][A-Z0-9]{1,20}", re.ASCII)
KEYS = {"m", "r", "u", "c"}  # the first format, in buttons still in channels
NAMED_KEYS = KEYS | {"n"}
THREADED_KEYS = NAMED_KEYS | {"t"}
THREAD_TS = re.compile(r"[0-9]{1,12}\.[0-9]{1,9}", re.ASCII)  # a message's ts, as Slack writes it
CLIPPED = "…"


@dataclass(frozen=True)
class Choice:
    """One button's record, who was shown it and where, and the record's name ("" when the button has none)."""

    module: str
    record_id: str
    user: str
    channel: str
    name: str = ""
    thread: str = ""  # the thread to share into ("" for the channel itself)


def choice_value(module: str, record_id: str, user: str, channel: str, name: str = "", thread: str = "") -> str:
    """The button value for one record; ValueError when a part has the wrong shape (nothing unreadable is sent).

    The name goes on one line and is cut (ending in …) where the whole value would pass 2,000 characters."""
    parts = {"m": module, "r": record_id, "u": user, "c": channel, **({"t": thread} if thread else {})}
    room = MAX_VALUE - len(_encode({**parts, "n": ""}))
    value = _encode({**parts, "n": escape(_fit(" ".join(name.split()), room))})
    if parse_choice_value(value) is None:
        raise ValueError("a choice needs an api name, a numeric record id and Slack user and channel ids")
    return value


def _encode(parts: dict[str, str]) -> str:
    return json.dumps(parts, separators=(",", ":"))


def _cost(text: str) -> int:
    """Characters `text` takes in the value: Slack's escapes, then JSON's."""
    return len(json.dumps(escape(text))) - 2


def _fit(name: str, room: int) -> str:
    """`name`, or as much of it as fits in `room` characters of the value with … after it."""
    if _cost(name) <= room:
        return name
    kept, used = [], _cost(CLIPPED)
    for ch in name:
        used += _cost(ch)
        if used > room:
            break
        kept.append(ch)
    return "".join(kept) + CLIPPED


def parse_choice_value(value: object) -> Choice | None:
    """The choice in a button value (made by `choice_value`, now or in its first format), or None for anything
    else."""
    if not isinstance(value, str) or len(value) > MAX_VALUE:
        return None
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or set(data) not in (KEYS, NAMED_KEYS, THREADED_KEYS) or \
            not all(isinstance(v, str) for v in data.values()):
        return None
    choice = Choice(data["m"], data["r"], data["u"], data["c"], unescape(data.get("n", "")), data.get("t", ""))
    shapes = ((API_NAME, choice.module), (RECORD_ID, choice.record_id), (USER, choice.user), (CHANNEL, choice.channel))
    if choice.thread and not THREAD_TS.fullmatch(choice.thread):
        return None
    if not all(shape.fullmatch(part) for shape, part in shapes):
        return None
    return choice

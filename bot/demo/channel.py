"""What the demo page shows: one channel's events, fed by FakeSlack's hooks and by the page's own requests.

The page polls `since(n)` for events newer than the last it drew. A private reply that Slack would put in
place of an earlier one (`replace_original` / `delete_original` on a response_url, Slack docs "Handling user
interaction" -> "Responding to interactions") names the event it replaces, so the page swaps it there.
A message posted in the channel gets a `ts`, as Slack gives every message one; a photo uploaded with that
`thread_ts` (the message shortcut's) names the message as its `thread`, so the page draws it in that thread.
"""

from __future__ import annotations

import html
import threading
import time
from dataclasses import dataclass
from itertools import count
from typing import Any

from bot.demo import render
from bot.escapes import escape


@dataclass(frozen=True)
class Message:
    """A message in the channel, as a message shortcut's payload describes it: its ts, its text, who wrote it."""

    ts: str
    text: str
    author: str


class ChannelLog:
    """Events of one channel, numbered from 1; uploaded files by id. Safe to feed from the fakes' thread."""

    def __init__(self, channel_id: str, names: dict[str, str] | None = None) -> None:
        self.channel_id = channel_id
        self.names = dict(names or {})  # user id -> the name a mention shows
        self._lock = threading.RLock()  # `said` files a message under the lock `_add` takes too
        self._events: list[dict[str, Any]] = []
        self._files: dict[str, tuple[str, bytes]] = {}
        self._targets: dict[str, int] = {}  # response_url name -> the event its replace_original replaces
        self._messages: dict[int, Message] = {}  # event number -> the message it shows
        self._threads: dict[str, int] = {}  # a message's ts -> its event number
        self._ts = count(1)  # unique within the run, like Slack's per-channel ts

    def _add(self, event: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            event["id"] = len(self._events) + 1
            self._events.append(event)
            return dict(event)

    def typed(self, text: str) -> dict[str, Any]:
        """What the person typed, shown back to them as Slack shows a slash command to its sender."""
        return self._add({"kind": "typed", "html": html.escape(text)})

    def said(self, text: str, author: str) -> dict[str, Any]:
        """A plain message (not a command) by user `author`: everyone in the channel sees it."""
        who = self.names.get(author, author)
        with self._lock:  # numbered and filed at once, so a shortcut on it always finds it
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            event = self._add({"kind": "message", "who": who, "ts": ts, "html": render.mrkdwn(escape(text))})
            self._messages[event["id"]] = Message(ts, text, author)
            self._threads[ts] = event["id"]
        return event

    def message(self, event_id: int) -> Message | None:
        """The message event `event_id` shows; None when that event is no message (or there is no such event)."""
        with self._lock:
            return self._messages.get(event_id)

    def private(self, body: dict[str, Any], replaces: int | None = None) -> dict[str, Any]:
        """A reply only the asker sees; `replaces` names the event it takes the place of."""
        return self._add({"kind": "private", "html": render.message(body), "replaces": replaces})

    def expect_reply(self, name: str, message_id: int | None) -> None:
        """Replies posted to response_url `name` may replace event `message_id` (a click's message)."""
        with self._lock:
            if message_id is not None:
                self._targets[name] = message_id

    def on_response(self, name: str, body: Any) -> None:
        """FakeSlack's hook: a POST to a response_url."""
        if not isinstance(body, dict):
            return
        with self._lock:
            target = self._targets.get(name)
        if body.get("delete_original") and target is not None:
            self._add({"kind": "delete", "replaces": target})
            return
        event = self.private(body, replaces=target if body.get("replace_original") else None)
        if event["replaces"] is not None:
            with self._lock:
                self._targets[name] = event["id"]  # a later replace_original replaces the new message

    def on_upload(self, upload: dict[str, Any]) -> None:
        """FakeSlack's hook: a completed upload; shared in this channel, it becomes a photo message."""
        with self._lock:
            self._files[upload["file_id"]] = (upload["filename"], upload.get("content") or b"")
            thread = self._threads.get(upload.get("thread_ts") or "")
        if upload.get("channel_id") == self.channel_id:
            self._add({
                "kind": "photo",
                "thread": thread,  # the message whose thread it is in; None in the channel itself
                "src": f"/demo/files/{upload['file_id']}",
                "title": html.escape(upload.get("title") or upload["filename"]),
                "html": render.mrkdwn(upload.get("initial_comment") or "", self.names),
            })

    def file(self, file_id: str) -> tuple[str, bytes] | None:
        """(filename, bytes) of an uploaded file."""
        with self._lock:
            return self._files.get(file_id)

    def since(self, after: int) -> list[dict[str, Any]]:
        """Events numbered above `after`, oldest first."""
        with self._lock:
            return [dict(e) for e in self._events[max(after, 0):]]

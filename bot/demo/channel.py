"""What the demo page shows: one channel's events, fed by FakeSlack's hooks and by the page's own requests.

The page polls `since(n)` for events newer than the last it drew. A private reply that Slack would put in
place of an earlier one (`replace_original` / `delete_original` on a response_url, Slack docs "Handling user
interaction" -> "Responding to interactions") names the event it replaces, so the page swaps it there.
"""

from __future__ import annotations

import html
import threading
from typing import Any

from bot.demo import render
from bot.escapes import escape


class ChannelLog:
    """Events of one channel, numbered from 1; uploaded files by id. Safe to feed from the fakes' thread."""

    def __init__(self, channel_id: str, names: dict[str, str] | None = None) -> None:
        self.channel_id = channel_id
        self.names = dict(names or {})  # user id -> the name a mention shows
        self._lock = threading.Lock()
        self._events: list[dict[str, Any]] = []
        self._files: dict[str, tuple[str, bytes]] = {}
        self._targets: dict[str, int] = {}  # response_url name -> the event its replace_original replaces

    def _add(self, event: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            event["id"] = len(self._events) + 1
            self._events.append(event)
            return dict(event)

    def typed(self, text: str) -> dict[str, Any]:
        """What the person typed, shown back to them as Slack shows a slash command to its sender."""
        return self._add({"kind": "typed", "html": html.escape(text)})

    def said(self, text: str) -> dict[str, Any]:
        """A plain message (not a command): everyone in the channel sees it."""
        return self._add({"kind": "message", "html": render.mrkdwn(escape(text))})

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
        if upload.get("channel_id") == self.channel_id:
            self._add({
                "kind": "photo",
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

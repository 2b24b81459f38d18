"""Slack's Socket Mode, faked: `apps.connections.open` and the WebSocket that carries envelopes.

From Slack's Socket Mode docs: the app calls `apps.connections.open` with its app-level token (xapp-),
gets a `wss://` URL, connects, receives `{"type": "hello"}`, then envelopes such as
`{"envelope_id", "type": "slash_commands", "payload": {…the slash command's fields…},
"accepts_response_payload": true}`; it acknowledges each with `{"envelope_id", "payload": {…}}` within 3 s.
Here the URL is `ws://127.0.0.1:…/socket`; all other Web API methods behave as in FakeSlack.

`apps.connections.open` failures, after Slack's method reference
(https://api.slack.com/methods/apps.connections.open, "Errors" and the errors common to all methods):
no token -> `not_authed`; a token of the wrong type (a bot token xoxb-) -> `not_allowed_token_type`;
any other unknown token -> `invalid_auth`. `fail_next("apps.connections.open", …)` scripts the rest:
`token_revoked`, or HTTP 5xx ("other errors can be returned in the case where the service is down")
and 429 `ratelimited` with Retry-After (the method is Tier 1). `open_latency` holds each answer back,
as a Slack that is slow or hanging would. `unreachable_api_url()` is a Slack that
is not there at all (a closed port: connection refused, as when the network or Slack is down).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
from typing import Any

from aiohttp import WSMsgType, web

from bot.fakes.slack import FakeSlack

APP_TOKEN = "xapp-test-dummy"


class FakeSlackSocketMode(FakeSlack):
    """FakeSlack plus a Socket Mode endpoint; `send_slash_command` pushes an envelope to the connected app."""

    def __init__(self, *args: Any, app_token: str = APP_TOKEN, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app_token = app_token
        self._sockets: list[web.WebSocketResponse] = []
        self._envelopes = itertools.count(1)
        self.acks: dict[str, dict[str, Any]] = {}
        self.open_latency = 0.0  # seconds apps.connections.open waits after it was counted, before answering

    def build_app(self) -> web.Application:
        app = super().build_app()
        app.router.add_get("/socket", self._socket)
        return app

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] != "apps.connections.open":
            return await super()._api(request)
        with self._lock:
            self._calls.append(("apps.connections.open", {}))
        if self.open_latency:
            await asyncio.sleep(self.open_latency)
        fault = self._take_fault("apps.connections.open")
        if fault is not None:
            return self._fault_response(fault)
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not token:
            return web.json_response({"ok": False, "error": "not_authed"})
        if token != self.app_token:
            error = "invalid_auth" if token.startswith("xapp-") else "not_allowed_token_type"
            return web.json_response({"ok": False, "error": error})
        return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"})

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0TEST"}})
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                data = json.loads(message.data)
                if "envelope_id" in data:
                    self.acks[data["envelope_id"]] = data.get("payload") or {}
        self._sockets.remove(ws)
        return ws

    @property
    def connected(self) -> bool:
        return bool(self.call(lambda: len(self._sockets)))

    def send_slash_command(self, payload: dict[str, str]) -> str:
        """Push one slash command to the connected app; returns its envelope id."""
        envelope_id = f"env-{next(self._envelopes)}"
        envelope = {"envelope_id": envelope_id, "type": "slash_commands", "payload": payload,
                    "accepts_response_payload": True}
        assert self._loop is not None

        async def push() -> None:
            await self._sockets[-1].send_json(envelope)

        asyncio.run_coroutine_threadsafe(push(), self._loop).result(timeout=5)
        return envelope_id


def unreachable_api_url() -> str:
    """A Web API base URL on a 127.0.0.1 port nobody listens on: every call is refused at connect time."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    return f"http://127.0.0.1:{port}/api/"

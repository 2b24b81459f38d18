"""`python -m bot demo` as a subprocess on a free port: shared by the demo tests and the screenshot command."""

from __future__ import annotations

import os
from typing import Any

import httpx

from bot.fakes.harness import BotProcess, free_port


class DemoProcess(BotProcess):
    """Starts the demo with no Slack or Zoho settings in its environment and a working directory without `.env`.

    It is told its port with `--port`; with `flag=False` only through PORT, and `env_port` puts something else in
    PORT (which `--port` must win over).
    """

    def __init__(self, port: int | None = None, *, flag: bool = True, env_port: str | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ZOHO_", "ALLOWED_"))}
        port = port or free_port()
        env.update(PYTHONUNBUFFERED="1", PORT=str(port) if env_port is None else env_port)
        super().__init__(env, args=("demo", "--port", str(port)) if flag else ("demo",))
        self.port = port

    def events(self, after: int = 0) -> list[dict[str, Any]]:
        return list(httpx.get(f"{self.url}/demo/events", params={"after": after}, timeout=5).json()["events"])

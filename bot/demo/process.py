"""`python -m bot demo` as a subprocess on a free port: shared by the demo tests and the screenshot command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Self

import httpx

from bot.fakes.harness import free_port


class DemoProcess:
    """Starts the demo with no Slack or Zoho settings in its environment and a working directory without `.env`."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._log = tempfile.NamedTemporaryFile(prefix="crmphoto-demo-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: float = 20.0) -> Self:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ZOHO_", "ALLOWED_"))}
        env["PYTHONUNBUFFERED"] = "1"
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "bot", "demo", "--port", str(self.port)],
            env=env, cwd=tempfile.gettempdir(), stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"demo exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"demo did not start in {wait}s:\n{self.output()}")

    def events(self, after: int = 0) -> list[dict[str, Any]]:
        return list(httpx.get(f"{self.url}/demo/events", params={"after": after}, timeout=5).json()["events"])

    def stop(self, timeout: float = 15.0) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def output(self) -> str:
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        Path(self._log.name).unlink(missing_ok=True)

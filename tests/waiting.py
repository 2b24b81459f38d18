"""Waiting for an event inside the code under test (never a fixed sleep), in async and in plain tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def until(condition: Callable[[], object], what: str = "the condition", timeout: float = 5.0) -> None:
    """Return as soon as `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.002)


def wait_until(condition: Callable[[], object], timeout: float) -> None:
    """`until` for a test that is not async (a bot in another process, watched through its output)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)

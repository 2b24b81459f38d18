"""A command's deadline, visible to every call made on its behalf.

The pipeline gives each command about 25 s, split into a Zoho part and a Slack part. Retry logic deep in
an adapter (Zoho's backoff, slack_sdk's retry handlers) asks `remaining()` before it sleeps, so a retry
never waits past the point where the command would be cut off anyway.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("crmphoto_deadline", default=None)


def remaining() -> float | None:
    """Seconds left before the current step's deadline, or None outside any deadline."""
    deadline = _deadline.get()
    if deadline is None:
        return None
    return max(0.0, deadline - time.monotonic())


def fits(delay: float, margin: float = 0.5) -> bool:
    """Whether waiting `delay` seconds still leaves `margin` seconds for the call itself."""
    left = remaining()
    return left is None or delay + margin <= left


@contextmanager
def within(seconds: float) -> Iterator[float]:
    """Run the block under a deadline `seconds` from now (never later than an enclosing one)."""
    now = time.monotonic()
    outer = _deadline.get()
    deadline = now + seconds if outer is None else min(outer, now + seconds)
    token = _deadline.set(deadline)
    try:
        yield deadline
    finally:
        _deadline.reset(token)

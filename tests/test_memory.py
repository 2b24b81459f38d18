"""bot/memory.py: freed photo memory goes back to the system (glibc only; elsewhere it says so)."""

from __future__ import annotations

import platform

import pytest

from bot.memory import return_freed_memory


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_glibc_takes_the_mmap_threshold() -> None:
    assert return_freed_memory() is True

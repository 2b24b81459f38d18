"""Keep a photo's memory from outliving the photo.

glibc's malloc serves mid-sized blocks (a photo arrives in 64 KB chunks) from its heap and raises its
mmap threshold after big frees, so with many photos passing through, freed memory stays in the
process and resident memory climbs to two or three times the photo bytes really held. Pinning the
threshold makes such blocks their own mappings, handed back to the system the moment they are freed:
PHOTO_MEMORY_MB then bounds resident memory, not just the bytes the bot counts (docs/performance.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number
MMAP_THRESHOLD = 64 * 1024


def return_freed_memory() -> bool:
    """Ask glibc to map blocks of 64 KB and more on their own; False where that is not glibc (e.g. macOS)."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))

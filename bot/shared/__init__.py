"""State shared by every bot process through Redis (REDIS_URL), with each process's memory as the fallback.

Photo bytes never pass through here: only small counters, marks, the access token and the module list.
"""

from bot.shared.store import SharedStore, namespace

__all__ = ["SharedStore", "namespace"]

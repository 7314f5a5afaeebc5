"""Per-minute request counters, one read and one write budget per API key (REFERENCE §14).

Fixed one-minute windows in Django's cache (Redis when REDIS_URL is set, so every web process
shares the count). Limits come from settings; the defaults are Gett's sandbox limits, 5x production.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Window:
    limit: int
    count: int
    reset_at: int  # Unix time when the window ends

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit

    @property
    def remaining(self) -> int:
        return max(self.limit - self.count, 0)

    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_at - time.time()))

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }


def rate_limit_hit(*, api_key: str, write: bool) -> Window:
    """Count one request against the key's budget for this minute and return the window."""
    if write:
        limit = settings.GETT_SANDBOX_WRITES_PER_MINUTE
    else:
        limit = settings.GETT_SANDBOX_READS_PER_MINUTE
    window_start = int(time.time() // WINDOW_SECONDS) * WINDOW_SECONDS
    # The key itself never goes into the cache, only a digest of it.
    digest = hashlib.sha256(api_key.encode()).hexdigest()[:16]
    key = f"gett-sandbox:rate:{'write' if write else 'read'}:{digest}:{window_start}"
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:
        # The counter expired between add() and incr(): this request starts it again.
        cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
        count = 1
    return Window(limit=limit, count=count, reset_at=window_start + WINDOW_SECONDS)

"""A per-key fixed-window request limit, on the injected clock (tests move time).

Kept in the serving process: a limit per process is enough to stop a runaway partner
script, and it costs no database write on a request that is refused anyway.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=1)


class RateLimiter:
    def __init__(self, per_window: int) -> None:
        self.per_window = per_window
        self._windows: dict[uuid.UUID, tuple[datetime, int]] = {}

    def allow(self, key: uuid.UUID, now: datetime) -> bool:
        """Count one request; False once the key used up its window."""
        start, count = self._windows.get(key, (now, 0))
        if now - start >= WINDOW:
            start, count = now, 0
        if count >= self.per_window:
            return False
        self._windows[key] = (start, count + 1)
        if len(self._windows) > 10_000:
            self._forget_old(now)
        return True

    def _forget_old(self, now: datetime) -> None:
        self._windows = {k: v for k, v in self._windows.items() if now - v[0] < WINDOW}

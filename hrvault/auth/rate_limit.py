"""The general request rate: so many GraphQL requests per principal, per process.

Keyed by the authenticated user, or by the client address (IPv6: its /64) before login.
Unlike credential attempts, ordinary requests are not worth a database write each, so
the buckets live in this process's memory: with N processes behind a load balancer a
principal gets up to N times the rate. The table of buckets is bounded; when it is full
the least recently seen key is forgotten, which can only ever be lenient.
"""

from __future__ import annotations

from collections import OrderedDict

from hrvault.buckets import Bucket, Rate, take
from hrvault.clock import Clock

MAX_TRACKED_KEYS = 100_000


class RequestRateLimiter:
    def __init__(self, rate: Rate, clock: Clock, *, max_keys: int = MAX_TRACKED_KEYS) -> None:
        self._rate = rate
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def take(self, key: str) -> float | None:
        """Count one request for ``key``; None if allowed, else seconds to wait."""
        outcome = take(self._buckets.get(key), self._rate, self._clock.now())
        self._buckets[key] = outcome.bucket
        self._buckets.move_to_end(key)
        if len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return outcome.retry_after

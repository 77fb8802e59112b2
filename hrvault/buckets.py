"""Token buckets: the arithmetic behind every rate limit and throttle.

A bucket holds up to ``rate.count`` tokens and gains one back every ``rate.interval``
seconds. Each event takes a token; with none left the event is refused and the caller
learns how long until the next token. The state is two numbers, so it can live in a
process (request rate) or in a database row (credential attempts) alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Rate:
    """``count`` events per ``seconds``, allowed in a burst and then evenly."""

    count: int
    seconds: float

    def __post_init__(self) -> None:
        if self.count < 1 or self.seconds <= 0:
            raise ValueError(f"a rate needs a positive count and period, got {self}")

    @property
    def interval(self) -> float:
        """Seconds until one more token comes back."""
        return self.seconds / self.count

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds:g}"


@dataclass(frozen=True)
class Bucket:
    tokens: float
    at: datetime


@dataclass(frozen=True)
class Taken:
    """The outcome of taking a token: the bucket to store, and a wait when refused."""

    bucket: Bucket
    retry_after: float | None

    @property
    def allowed(self) -> bool:
        return self.retry_after is None


def refilled(bucket: Bucket | None, rate: Rate, now: datetime) -> float:
    """Tokens available at ``now``; a clock that went backwards refills nothing."""
    if bucket is None:
        return float(rate.count)
    elapsed = max(0.0, (now - bucket.at).total_seconds())
    return min(float(rate.count), bucket.tokens + elapsed / rate.interval)


def take(bucket: Bucket | None, rate: Rate, now: datetime) -> Taken:
    available = refilled(bucket, rate, now)
    if available >= 1:
        return Taken(Bucket(available - 1, now), None)
    return Taken(Bucket(available, now), (1 - available) * rate.interval)


def full_at(bucket: Bucket, rate: Rate) -> datetime:
    """When the bucket is full again, and so no different from having no bucket."""
    missing = max(0.0, rate.count - bucket.tokens)
    return bucket.at + timedelta(seconds=missing * rate.interval)


def whole_seconds(wait: float) -> int:
    """A wait as the whole seconds a ``Retry-After`` header carries (never 0)."""
    return max(1, math.ceil(wait))

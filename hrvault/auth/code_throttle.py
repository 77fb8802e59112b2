"""Throttling wrong second-factor codes (TOTP, recovery codes) per account and address.

Counters live in PostgreSQL.

After 5 failures in an hour each further failure doubles the wait (2 s, 4 s, ... up to an
hour); 100 failures in an hour block until the hour is over. Counters live in the
database, so every ``hrvault serve`` process behind a load balancer sees the same ones,
and a failure is counted in a transaction of its own: the refused request rolls back,
its failure count must not.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hrvault.errors import TooManyAttempts

FREE_FAILURES = 5
HOURLY_LIMIT = 100
WINDOW = timedelta(hours=1)
MAX_BACKOFF = timedelta(hours=1)


def account_key(realm: uuid.UUID | None, account_id: uuid.UUID) -> bytes:
    return hashlib.sha256(f"account|{realm or 'staff'}|{account_id}".encode()).digest()


def ip_key(client_ip: str | None) -> bytes | None:
    return hashlib.sha256(f"ip|{client_ip}".encode()).digest() if client_ip else None


def _keys(account: bytes, ip: bytes | None) -> list[bytes]:
    return [account] if ip is None else [account, ip]


def blocked_until(failures: int, window_started_at: datetime, now: datetime) -> datetime | None:
    if failures >= HOURLY_LIMIT:
        return window_started_at + WINDOW
    if failures < FREE_FAILURES:
        return None
    # Capped before it becomes a timedelta: concurrent failures can push the count far
    # past the point where 2**n seconds no longer fits one.
    wait = min(2 ** (failures - FREE_FAILURES + 1), int(MAX_BACKOFF.total_seconds()))
    return now + timedelta(seconds=wait)


async def check(db: AsyncSession, account: bytes, ip: bytes | None, *, now: datetime) -> None:
    """Refuse, with the time to retry, while the account or the address is blocked."""
    until = await db.scalar(
        text(
            "SELECT max(blocked_until) FROM auth_throttles"
            " WHERE key = ANY(:keys) AND blocked_until > :now"
        ),
        {"keys": _keys(account, ip), "now": now},
    )
    if until is not None:
        wait = max(1, int((until - now).total_seconds() + 0.999))
        raise TooManyAttempts(wait, retry_at=until)


_COUNT_FAILURE = text(
    """
    INSERT INTO auth_throttles AS t (key, failures, window_started_at)
    VALUES (:key, 1, :now)
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN t.window_started_at <= :window_start THEN 1 ELSE t.failures + 1 END,
      window_started_at = CASE WHEN t.window_started_at <= :window_start
                               THEN :now ELSE t.window_started_at END
    RETURNING failures, window_started_at
    """
)


async def record_failure(
    sessions: async_sessionmaker[AsyncSession],
    account: bytes,
    ip: bytes | None,
    *,
    now: datetime,
) -> None:
    async with sessions() as db:
        for key in _keys(account, ip):
            row = (
                await db.execute(
                    _COUNT_FAILURE, {"key": key, "now": now, "window_start": now - WINDOW}
                )
            ).one()
            await db.execute(
                text("UPDATE auth_throttles SET blocked_until = :until WHERE key = :key"),
                {"key": key, "until": blocked_until(row[0], row[1], now)},
            )
        await db.commit()


async def clear_account(db: AsyncSession, account: bytes) -> None:
    """A right code forgives the account's failures (never the address's)."""
    await db.execute(
        text("UPDATE auth_throttles SET failures = 0, blocked_until = NULL WHERE key = :key"),
        {"key": account},
    )

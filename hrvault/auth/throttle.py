"""Throttling of credential attempts per account and per client address.

Every attempt takes a token from two buckets, the account's and the client address's,
*before* the credential is checked, in a transaction of its own that commits at once:
parallel guesses cannot all slip through a check that has not counted them yet, and the
request's own rollback (a failed login rolls back) cannot undo the count. A success
gives the tokens back: the account starts afresh, the address regains its one.

The buckets live in PostgreSQL, so the limits hold across every server process.
Accounts and addresses are stored only as SHA-256 hashes. An IPv6 client is counted by
its /64 network, since one host commonly holds a whole /64.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hrvault.buckets import Bucket, Rate, Taken, full_at, take, whole_seconds
from hrvault.clock import Clock
from hrvault.errors import TooManyAttempts
from hrvault.models import CredentialBucket

# Expired rows are removed a few at a time by the attempts themselves.
_CLEANUP_BATCH = 100


class CredentialKind(StrEnum):
    """Operations that check a secret; each kind has its own buckets."""

    LOGIN = "login"
    STAFF_LOGIN = "staff_login"


@dataclass(frozen=True)
class _Key:
    scope: str
    digest: bytes
    rate: Rate


@dataclass(frozen=True)
class Attempt:
    """A reserved attempt: pass it back to ``succeeded`` when the credential was right."""

    account: _Key
    address: _Key


def _digest(scope: str, value: str) -> bytes:
    return hashlib.sha256(f"hrvault-throttle-v1\0{scope}\0{value}".encode()).digest()


def client_network(client_ip: str | None) -> str:
    """The unit an address is counted in: the IPv4 address, or the IPv6 /64."""
    if client_ip is None:
        return "unknown"
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return client_ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class CredentialThrottle:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        per_account: Rate,
        per_address: Rate,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._per_account = per_account
        self._per_address = per_address

    def _keys(self, kind: CredentialKind, account: str, client_ip: str | None) -> Attempt:
        account_scope, address_scope = f"{kind}:account", f"{kind}:address"
        return Attempt(
            account=_Key(
                account_scope, _digest(account_scope, account.strip().lower()), self._per_account
            ),
            address=_Key(
                address_scope, _digest(address_scope, client_network(client_ip)), self._per_address
            ),
        )

    async def reserve(self, kind: CredentialKind, account: str, client_ip: str | None) -> Attempt:
        """Take one attempt from both buckets, or raise TooManyAttempts and take none."""
        attempt = self._keys(kind, account, client_ip)
        now = self._clock.now()
        async with self._sessions() as db:
            # Always lock in the same order (account before address), so two attempts
            # sharing a bucket wait for each other instead of deadlocking.
            keys = (attempt.account, attempt.address)
            taken = [take(await _locked_bucket(db, key, now), key.rate, now) for key in keys]
            refused = [t.retry_after for t in taken if t.retry_after is not None]
            if refused:
                await db.rollback()
                raise TooManyAttempts(whole_seconds(max(refused)))
            for key, outcome in zip(keys, taken, strict=True):
                await _store(db, key, outcome)
            await _delete_expired(db, now)
            await db.commit()
        return attempt

    async def succeeded(self, attempt: Attempt) -> None:
        """The credential was right: forget the account's failures, refund the address."""
        address = attempt.address
        async with self._sessions() as db:
            await db.execute(
                delete(CredentialBucket).where(
                    CredentialBucket.scope == attempt.account.scope,
                    CredentialBucket.key_hash == attempt.account.digest,
                )
            )
            await db.execute(
                update(CredentialBucket)
                .where(
                    CredentialBucket.scope == address.scope,
                    CredentialBucket.key_hash == address.digest,
                )
                .values(tokens=func.least(CredentialBucket.tokens + 1, float(address.rate.count)))
            )
            await db.commit()


async def _locked_bucket(db: AsyncSession, key: _Key, now: datetime) -> Bucket:
    """The key's bucket, created full if absent, locked until the transaction ends."""
    statement = (
        insert(CredentialBucket)
        .values(
            scope=key.scope,
            key_hash=key.digest,
            tokens=float(key.rate.count),
            updated_at=now,
            full_at=now,
        )
        .on_conflict_do_update(
            index_elements=[CredentialBucket.scope, CredentialBucket.key_hash],
            set_={"scope": key.scope},  # no change; makes the row lock and come back
        )
        .returning(CredentialBucket.tokens, CredentialBucket.updated_at)
    )
    row = (await db.execute(statement)).one()
    return Bucket(tokens=row.tokens, at=row.updated_at)


async def _store(db: AsyncSession, key: _Key, outcome: Taken) -> None:
    await db.execute(
        update(CredentialBucket)
        .where(CredentialBucket.scope == key.scope, CredentialBucket.key_hash == key.digest)
        .values(
            tokens=outcome.bucket.tokens,
            updated_at=outcome.bucket.at,
            full_at=full_at(outcome.bucket, key.rate),
        )
    )


async def _delete_expired(db: AsyncSession, now: datetime) -> None:
    """Drop a batch of full buckets.

    It runs after this attempt's own rows are locked and skips rows that other attempts
    hold, so it never waits for anyone and cannot take part in a deadlock.
    """
    expired = (
        select(CredentialBucket.scope, CredentialBucket.key_hash)
        .where(CredentialBucket.full_at <= now)
        .limit(_CLEANUP_BATCH)
        .with_for_update(skip_locked=True)
    )
    await db.execute(
        delete(CredentialBucket).where(
            tuple_(CredentialBucket.scope, CredentialBucket.key_hash).in_(expired)
        )
    )

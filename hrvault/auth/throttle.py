"""Throttling attempts at a secret: passwords, TOTP codes and recovery codes alike.

Every attempt takes a token from three buckets *before* the secret is checked, in a
transaction of its own that commits at once, so parallel guesses cannot slip through a
check that has not counted them yet, and the request's own rollback cannot undo the count:

- **the account at this client address** (tight): an attacker's guesses from one
  address empty their own bucket only, so the owner, from another address, is not kept
  out;
- **the account from anywhere** (a higher ceiling that refills slowly): guesses spread
  over many addresses (credential stuffing, a botnet) are still bounded per account;
- **the client address, whatever the account**: one address trying many accounts.

A success gives the tokens back: the account-and-address bucket starts afresh and the
other two regain the one just taken. It also marks that address as the owner's for a
while (``TRUSTED_FOR``): from there the account's ceiling no longer applies, so however
many addresses an attacker burns the ceiling from, the owner still logs in from where
they did before; that address stays under its own tight bucket.

A limit may back off: each attempt past its burst doubles the wait for the next token,
until the bucket is full again (TOTP codes: 5, then waits of 2 s, 4 s, ... up to an hour).

The buckets live in PostgreSQL, so the limits hold across every server process.
Accounts and addresses are stored only as SHA-256 hashes. An IPv6 client is counted by
its /64 network, since one host commonly holds a whole /64.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hrvault.buckets import Bucket, Rate, Taken, full_at, refilled, take, whole_seconds
from hrvault.clock import Clock
from hrvault.config import Settings
from hrvault.errors import TooManyAttempts
from hrvault.models import CredentialBucket

# Expired rows are removed a few at a time by the attempts themselves.
_CLEANUP_BATCH = 100
TRUSTED_FOR = timedelta(days=30)
"""How long an address where the account's secret was right escapes the account ceiling."""
LONGEST_WAIT = timedelta(hours=1)
"""A backing-off limit never makes anyone wait longer than this for one attempt."""


class CredentialKind(StrEnum):
    """What is being guessed; each kind has its own buckets."""

    LOGIN = "login"
    STAFF_LOGIN = "staff_login"
    CODE = "code"
    """A TOTP or recovery code, of a user or a staff member."""


@dataclass(frozen=True)
class Limit:
    """A token bucket; ``doubling`` slows its refill down for each attempt past the burst."""

    rate: Rate
    doubling: bool = False

    def after(self, attempts: int) -> Rate:
        """The rate in force once ``attempts`` were taken since the bucket was last full."""
        beyond = max(0, attempts - self.rate.count) if self.doubling else 0
        longest = LONGEST_WAIT.total_seconds() * self.rate.count
        # Capped before multiplying far: concurrent failures can push attempts past the
        # point where 2**n no longer fits a float.
        factor = 2 ** min(beyond, 64)
        return Rate(self.rate.count, min(self.rate.seconds * factor, longest))


@dataclass(frozen=True)
class Limits:
    """The three buckets an attempt at one kind of secret takes from."""

    account_address: Limit
    account: Limit
    address: Limit


def credential_limits(settings: Settings) -> dict[CredentialKind, Limits]:
    """Passwords (users' and staff's alike) and second-factor codes, as configured; codes
    back off from one address, since a code is guessed only once the password is known."""
    passwords = Limits(
        account_address=Limit(settings.credential_limit_account_address),
        account=Limit(settings.credential_limit_account),
        address=Limit(settings.credential_limit_ip),
    )
    codes = Limits(
        account_address=Limit(settings.code_limit_account_address, doubling=True),
        account=Limit(settings.code_limit_account),
        address=Limit(settings.code_limit_ip),
    )
    return {
        CredentialKind.LOGIN: passwords,
        CredentialKind.STAFF_LOGIN: passwords,
        CredentialKind.CODE: codes,
    }


class _Dimension(StrEnum):
    ACCOUNT_ADDRESS = "account_address"
    ACCOUNT = "account"
    ADDRESS = "address"


@dataclass(frozen=True)
class _Key:
    scope: str
    digest: bytes
    limit: Limit


@dataclass(frozen=True)
class Attempt:
    """A reserved attempt: pass it back to ``succeeded`` when the secret was right."""

    pair: _Key
    taken: tuple[_Key, ...]
    """The shared buckets (account, address) a token was taken from, to refund."""


@dataclass(frozen=True)
class _Stored:
    bucket: Bucket
    attempts: int
    trusted_until: datetime | None


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
        limits: dict[CredentialKind, Limits],
    ) -> None:
        missing = set(CredentialKind) - set(limits)
        if missing:
            raise ValueError(f"no credential limits for {sorted(missing)}")
        self._sessions = sessions
        self._clock = clock
        self._limits = limits

    def _key(self, kind: CredentialKind, dimension: _Dimension, value: str) -> _Key:
        scope = f"{kind}:{dimension}"
        return _Key(scope, _digest(scope, value), getattr(self._limits[kind], dimension.value))

    async def reserve(self, kind: CredentialKind, account: str, client_ip: str | None) -> Attempt:
        """Take one attempt from every bucket that applies, or raise TooManyAttempts
        (with the time to retry) and take none."""
        name, network = account.strip().lower(), client_network(client_ip)
        pair = self._key(kind, _Dimension.ACCOUNT_ADDRESS, f"{name}\0{network}")
        account_key = self._key(kind, _Dimension.ACCOUNT, name)
        address = self._key(kind, _Dimension.ADDRESS, network)
        now = self._clock.now()
        async with self._sessions() as db:
            # Always lock in the same order (pair, account, address), so two attempts
            # sharing a bucket wait for each other instead of deadlocking.
            stored_pair = await _locked(db, pair, now)
            trusted = stored_pair.trusted_until is not None and stored_pair.trusted_until > now
            shared = (address,) if trusted else (account_key, address)
            keys = (pair, *shared)
            stored = [stored_pair, *[await _locked(db, key, now) for key in shared]]
            outcomes = [
                _take(state, key.limit, now) for key, state in zip(keys, stored, strict=True)
            ]
            refused = [t.retry_after for t, _ in outcomes if t.retry_after is not None]
            if refused:
                await db.rollback()
                wait = whole_seconds(max(refused))
                raise TooManyAttempts(wait, retry_at=now + timedelta(seconds=wait))
            for key, state, (outcome, attempts) in zip(keys, stored, outcomes, strict=True):
                await _store(db, key, outcome, attempts, state.trusted_until)
            await _delete_expired(db, now)
            await db.commit()
        return Attempt(pair=pair, taken=shared)

    async def succeeded(self, attempt: Attempt) -> None:
        """The secret was right: the address is the owner's, its bucket starts afresh; the
        shared buckets get back the token this attempt took."""
        now = self._clock.now()
        pair = attempt.pair
        trusted_until = now + TRUSTED_FOR
        async with self._sessions() as db:
            await db.execute(
                update(CredentialBucket)
                .where(
                    CredentialBucket.scope == pair.scope, CredentialBucket.key_hash == pair.digest
                )
                .values(
                    tokens=float(pair.limit.rate.count),
                    attempts=0,
                    updated_at=now,
                    trusted_until=trusted_until,
                    full_at=trusted_until,
                )
            )
            for key in attempt.taken:
                await db.execute(
                    update(CredentialBucket)
                    .where(
                        CredentialBucket.scope == key.scope, CredentialBucket.key_hash == key.digest
                    )
                    .values(
                        tokens=func.least(CredentialBucket.tokens + 1, float(key.limit.rate.count)),
                        attempts=func.greatest(CredentialBucket.attempts - 1, 0),
                    )
                )
            await db.commit()


def _take(state: _Stored, limit: Limit, now: datetime) -> tuple[Taken, int]:
    """The outcome of one more attempt, and the attempts since the bucket was last full."""
    attempts = state.attempts
    if refilled(state.bucket, limit.after(attempts), now) >= limit.rate.count:
        attempts = 0
    taken = take(state.bucket, limit.after(attempts), now)
    return taken, attempts + 1 if taken.allowed else attempts


async def _locked(db: AsyncSession, key: _Key, now: datetime) -> _Stored:
    """The key's bucket, created full if absent, locked until the transaction ends."""
    statement = (
        insert(CredentialBucket)
        .values(
            scope=key.scope,
            key_hash=key.digest,
            tokens=float(key.limit.rate.count),
            attempts=0,
            updated_at=now,
            full_at=now,
        )
        .on_conflict_do_update(
            index_elements=[CredentialBucket.scope, CredentialBucket.key_hash],
            set_={"scope": key.scope},  # no change; makes the row lock and come back
        )
        .returning(
            CredentialBucket.tokens,
            CredentialBucket.updated_at,
            CredentialBucket.attempts,
            CredentialBucket.trusted_until,
        )
    )
    row = (await db.execute(statement)).one()
    return _Stored(Bucket(row.tokens, row.updated_at), row.attempts, row.trusted_until)


async def _store(
    db: AsyncSession, key: _Key, outcome: Taken, attempts: int, trusted_until: datetime | None
) -> None:
    """Keep the bucket until it is full again and no longer marks a trusted address."""
    empty_until = full_at(outcome.bucket, key.limit.after(attempts))
    if trusted_until is not None:
        empty_until = max(empty_until, trusted_until)
    await db.execute(
        update(CredentialBucket)
        .where(CredentialBucket.scope == key.scope, CredentialBucket.key_hash == key.digest)
        .values(
            tokens=outcome.bucket.tokens,
            attempts=attempts,
            updated_at=outcome.bucket.at,
            full_at=empty_until,
        )
    )


async def _delete_expired(db: AsyncSession, now: datetime) -> None:
    """Drop a batch of buckets that are full and trust no address any more.

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

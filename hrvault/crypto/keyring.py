"""The process-wide keyring: tenant keys unwrapped once, cached, and their usage counted.

Unwrapping a tenant key asks the key provider (a KMS call, once a cloud provider is
plugged in), so a process does it once per tenant key version and keeps the resulting
``AESGCM`` object: building one costs more than a decryption. The cache is bounded (least
recently used tenants leave first) and entries expire, so a destroyed or rotated key
does not live on in a long-running process for longer than the expiry.

Usage counting: AES-GCM with random 96-bit nonces must not seal more than 2^32 values
under one key. Every seal (and every person key wrapped) under a tenant data key is
counted against that key's row in the key store. To keep that cheap, a process reserves
a block of seals at a time in a short transaction of its own and spends it locally;
unspent reservations are simply lost, so the stored count is an upper bound. When the
count passes ``rotate_after``, the next writing transaction rotates the key
(``TenantCipher``); past ``refuse_after`` sealing stops.

Give the keyring a session factory of its own small engine (``bookkeeping``): its short
transactions then never wait for a connection that a request is holding.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hrvault.config import Settings
from hrvault.crypto import events, store
from hrvault.crypto.binding import tenant_key_context
from hrvault.crypto.errors import (
    DataIntegrityError,
    KeyDestroyedError,
    KeyUsageExhaustedError,
    MissingKeyError,
)
from hrvault.crypto.keystore_schema import KeyPurpose
from hrvault.crypto.master import verify_master_key
from hrvault.crypto.material import KeyMaterial
from hrvault.crypto.metrics import CryptoMetrics
from hrvault.crypto.provider import KeyProvider, WrappedKey
from hrvault.db import bind_tenant

GCM_RANDOM_NONCE_BOUND = 2**32


@dataclass(frozen=True)
class KeyUsageLimits:
    rotate_after: int = 2**30
    """Seals after which a key is rotated: a quarter of GCM's bound."""
    refuse_after: int = 2**31
    """Seals after which a key refuses to seal at all (rotation must have failed)."""
    tenant_block: int = 1024
    """Seals a process reserves at once under a tenant data key."""
    person_block: int = 64
    """Seals a writing transaction reserves at once under a person key."""

    def __post_init__(self) -> None:
        if not 0 < self.rotate_after < self.refuse_after <= GCM_RANDOM_NONCE_BOUND:
            raise ValueError("need 0 < rotate_after < refuse_after <= 2**32")
        blocks = (self.tenant_block, self.person_block)
        if min(blocks) < 1 or max(blocks) > self.refuse_after - self.rotate_after:
            raise ValueError("a reservation block holds 1 to refuse_after - rotate_after seals")


@dataclass(frozen=True)
class CachePolicy:
    max_tenants: int = 1000
    ttl_seconds: float = 300.0


class _TenantEntry:
    __slots__ = ("allowance", "data", "expires_at", "index", "lock")

    def __init__(self, expires_at: float) -> None:
        self.expires_at = expires_at
        self.data: dict[int, AESGCM] = {}
        self.index: KeyMaterial | None = None
        self.allowance: dict[int, int] = {}
        self.lock = asyncio.Lock()


class TenantKeyring:
    def __init__(
        self,
        provider: KeyProvider,
        *,
        bookkeeping: async_sessionmaker[AsyncSession],
        limits: KeyUsageLimits | None = None,
        cache: CachePolicy | None = None,
        metrics: CryptoMetrics | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.provider = provider
        self.limits = limits or KeyUsageLimits()
        self.metrics = metrics or CryptoMetrics()
        self._bookkeeping = bookkeeping
        self._cache = cache or CachePolicy()
        self._monotonic = monotonic
        self._entries: OrderedDict[uuid.UUID, _TenantEntry] = OrderedDict()
        self._verified = False

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        provider: KeyProvider,
        bookkeeping: async_sessionmaker[AsyncSession],
    ) -> TenantKeyring:
        cache = CachePolicy(settings.key_cache_tenants, float(settings.key_cache_seconds))
        return cls(provider, bookkeeping=bookkeeping, cache=cache)

    def __repr__(self) -> str:
        return f"TenantKeyring(provider={self.provider!r}, cached_tenants={len(self._entries)})"

    async def verify(self, db: AsyncSession) -> None:
        """The start-up check (see ``hrvault.crypto.master``); in a transaction of its own.

        Until it has passed, the keyring runs it itself before its first unwrap or wrap,
        so a process that started while the database was down still never uses a wrong key.
        """
        await verify_master_key(db, self.provider)
        self._verified = True

    async def _ensure_verified(self) -> None:
        if not self._verified:
            async with self._bookkeeping() as session:
                await self.verify(session)
                await session.commit()

    def _entry(self, tenant_id: uuid.UUID) -> _TenantEntry:
        now = self._monotonic()
        entry = self._entries.get(tenant_id)
        if entry is None or entry.expires_at <= now:
            entry = _TenantEntry(now + self._cache.ttl_seconds)
            self._entries[tenant_id] = entry
        self._entries.move_to_end(tenant_id)
        while len(self._entries) > self._cache.max_tenants:
            self._entries.popitem(last=False)
        return entry

    def forget(self, tenant_id: uuid.UUID) -> None:
        """Drop a tenant's unwrapped keys from this process (after destroying them)."""
        self._entries.pop(tenant_id, None)

    async def _unwrap(self, row: store.TenantKeyRow) -> KeyMaterial:
        if row.wrapped is None:
            raise KeyDestroyedError(
                f"tenant {row.purpose.value} key version {row.version} is {row.state.value}"
            )
        await self._ensure_verified()
        context = tenant_key_context(row.tenant_id, row.purpose.value, row.version)
        try:
            key = await self.provider.unwrap(row.wrapped, context)
        except DataIntegrityError:
            self.metrics.integrity_failures += 1
            events.integrity_failure(
                "tenant key does not unwrap",
                tenant=row.tenant_id,
                purpose=row.purpose.value,
                version=row.version,
            )
            raise
        self.metrics.tenant_key_unwraps += 1
        return key

    async def data_key(self, db: AsyncSession, tenant_id: uuid.UUID, version: int) -> AESGCM:
        """The AES-GCM object of one tenant data key version, unwrapped at most once per expiry."""
        entry = self._entry(tenant_id)
        aead = entry.data.get(version)
        if aead is not None:
            return aead
        async with entry.lock:
            if version not in entry.data:
                row = await store.tenant_key(db, tenant_id, KeyPurpose.DATA, version)
                if row is None:
                    raise DataIntegrityError(f"tenant data key version {version} does not exist")
                entry.data[version] = AESGCM((await self._unwrap(row)).reveal())
            return entry.data[version]

    async def index_key(self, db: AsyncSession, tenant_id: uuid.UUID) -> KeyMaterial:
        """The tenant's blind-index key, unwrapped at most once per expiry."""
        entry = self._entry(tenant_id)
        if entry.index is not None:
            return entry.index
        async with entry.lock:
            if entry.index is None:
                row = await store.active_key(db, tenant_id, KeyPurpose.INDEX)
                if row is None:
                    raise MissingKeyError(f"tenant {tenant_id} has no blind-index key")
                entry.index = await self._unwrap(row)
            return entry.index

    async def wrap_tenant_key(
        self,
        tenant_id: uuid.UUID,
        purpose: KeyPurpose,
        version: int,
        key: KeyMaterial,
    ) -> WrappedKey:
        """Wrap a tenant key under the master key's primary version (checked once per keyring)."""
        await self._ensure_verified()
        return await self.provider.wrap(key, tenant_key_context(tenant_id, purpose.value, version))

    async def unwrap_tenant_key(self, row: store.TenantKeyRow) -> KeyMaterial:
        """Unwrap a key row without caching it (re-wrapping under a new master version)."""
        return await self._unwrap(row)

    async def reserve_tenant_seals(
        self, db: AsyncSession, tenant_id: uuid.UUID, version: int, count: int = 1
    ) -> None:
        """Count ``count`` seals against a tenant data key, reserving blocks as needed."""
        entry = self._entry(tenant_id)
        left = entry.allowance.get(version, 0)
        while left < count:
            block = max(self.limits.tenant_block, count - left)
            total = await self._reserve_apart(tenant_id, version, block)
            if total is None:  # the key row is new in the caller's own transaction
                total = await store.reserve_seals(db, tenant_id, version, block)
            if total is None:
                raise MissingKeyError(f"tenant data key version {version} is not live")
            if total > self.limits.refuse_after:
                raise KeyUsageExhaustedError(
                    f"tenant data key version {version} has sealed {total} values; rotate it"
                )
            left += block
        entry.allowance[version] = left - count

    async def _reserve_apart(self, tenant_id: uuid.UUID, version: int, block: int) -> int | None:
        async with self._bookkeeping() as session:
            await bind_tenant(session, tenant_id)
            total = await store.reserve_seals(session, tenant_id, version, block)
            await session.commit()
        return total

"""Tenant key lifecycle: first keys, rotation of the data key, re-wrapping under a new master.

- ``ensure_tenant_keys``: a new tenant's data key and blind-index key (``create_tenant``).
- ``rotate_tenant_key``: a new data key version becomes active at once; the old one only
  opens what it sealed, until ``hrvault.crypto.reencrypt`` has moved everything and
  retires it. Rotation waits for writers holding the old key (see ``store``).
- ``rotate_if_worn``: the same, when the key's usage count passed the rotation limit.
- ``rewrap_under_primary``: every live tenant key of every tenant wrapped again under the
  master key's primary version; keys and data stay as they are.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hrvault.crypto import events, store
from hrvault.crypto.errors import DataIntegrityError
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.keystore_schema import KeyPurpose
from hrvault.crypto.material import KeyMaterial
from hrvault.db import bind_tenant


@dataclass(frozen=True)
class Rotation:
    tenant_id: uuid.UUID
    previous_version: int | None
    active_version: int


async def _create(
    db: AsyncSession, keyring: TenantKeyring, tenant_id: uuid.UUID, purpose: KeyPurpose
) -> int:
    version = await store.next_version(db, tenant_id, purpose)
    wrapped = await keyring.wrap_tenant_key(tenant_id, purpose, version, KeyMaterial.generate())
    await store.insert_key(db, tenant_id, purpose, version, wrapped)
    return version


async def ensure_tenant_keys(
    db: AsyncSession, keyring: TenantKeyring, tenant_id: uuid.UUID
) -> list[KeyPurpose]:
    """Create whichever of the tenant's active data and index keys is missing."""
    created = []
    for purpose in KeyPurpose:
        if await store.active_key(db, tenant_id, purpose) is None:
            version = await _create(db, keyring, tenant_id, purpose)
            events.key_event(
                "tenant key created", tenant=tenant_id, purpose=purpose, version=version
            )
            created.append(purpose)
    return created


async def _rotate(
    db: AsyncSession, keyring: TenantKeyring, current: store.TenantKeyRow
) -> Rotation:
    await store.demote(db, current.tenant_id, KeyPurpose.DATA, current.version)
    version = await _create(db, keyring, current.tenant_id, KeyPurpose.DATA)
    events.key_event(
        "tenant data key rotated",
        tenant=current.tenant_id,
        previous=current.version,
        active=version,
    )
    return Rotation(current.tenant_id, current.version, version)


async def rotate_tenant_key(
    db: AsyncSession, keyring: TenantKeyring, tenant_id: uuid.UUID
) -> Rotation:
    """Make a new data key version active (creating the first keys if the tenant has none)."""
    current = await store.active_key(db, tenant_id, KeyPurpose.DATA, lock="update")
    if current is None:
        await ensure_tenant_keys(db, keyring, tenant_id)
        active = await store.active_key(db, tenant_id, KeyPurpose.DATA)
        if active is None:
            raise DataIntegrityError(f"tenant {tenant_id} has no data key after creating one")
        return Rotation(tenant_id, None, active.version)
    return await _rotate(db, keyring, current)


async def rotate_if_worn(
    db: AsyncSession, keyring: TenantKeyring, tenant_id: uuid.UUID
) -> Rotation | None:
    """Rotate the data key if it has sealed ``rotate_after`` values, unless another writer did."""
    current = await store.active_key(
        db, tenant_id, KeyPurpose.DATA, lock="update", min_seals=keyring.limits.rotate_after
    )
    return None if current is None else await _rotate(db, keyring, current)


@dataclass(frozen=True)
class MasterRewrap:
    master_version: int
    rewrapped: int
    tenants: int


async def rewrap_under_primary(
    sessions: async_sessionmaker[AsyncSession],
    keyring: TenantKeyring,
    *,
    batch_size: int = 200,
    progress: Callable[[int], None] | None = None,
) -> MasterRewrap:
    """Re-wrap every live tenant key not yet under the primary master version.

    Batches commit one by one, so an interrupted run resumes where it stopped.
    """
    primary = keyring.provider.primary_version
    async with sessions() as db:
        await keyring.verify(db)
        await db.commit()
    rewrapped, tenants = 0, set[uuid.UUID]()
    while True:
        async with sessions() as db:
            await store.enable_scan(db)
            rows = await store.keys_not_under(db, primary, limit=batch_size)
            await db.commit()
        if not rows:
            return MasterRewrap(primary, rewrapped, len(tenants))
        for tenant_id in dict.fromkeys(row.tenant_id for row in rows):
            async with sessions() as db:
                await bind_tenant(db, tenant_id)
                for row in (r for r in rows if r.tenant_id == tenant_id):
                    key = await keyring.unwrap_tenant_key(row)
                    wrapped = await keyring.wrap_tenant_key(
                        tenant_id, row.purpose, row.version, key
                    )
                    rewrapped += await store.rewrap(db, row, wrapped)
                await db.commit()
            tenants.add(tenant_id)
        if progress is not None:
            progress(rewrapped)

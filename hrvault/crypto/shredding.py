"""Crypto-shredding: erase data by destroying the keys it is sealed under.

Destroying a key erases its wrapped bytes from the key store (the row stays, as a
tombstone naming the key, its version and when it ended). Every value sealed under it,
in the database, in replicas and in data backups, can no longer be opened by anything
hrvault or its operators hold, once key store backups older than the destruction have
expired (they are kept on a short retention for that reason).

- ``destroy_person_keys``: one employee (GDPR erasure); their blind-index digests must be
  cleared by the caller too, see ``hrvault.crypto.blind_index``.
- ``destroy_tenant_keys``: a whole tenant (offboarding): data key, index key and every
  person key. Run it first, then delete the tenant's rows and files.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.crypto import events, person_store, store
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.keystore_schema import KeyState


@dataclass(frozen=True)
class ErasureReceipt:
    """What was destroyed and when: the evidence an erasure receipt is printed from."""

    tenant_id: uuid.UUID
    employee_id: uuid.UUID | None
    destroyed_keys: tuple[str, ...]
    destroyed_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenant_id": str(self.tenant_id),
            "employee_id": None if self.employee_id is None else str(self.employee_id),
            "destroyed_keys": list(self.destroyed_keys),
            "destroyed_at": self.destroyed_at.isoformat(),
        }


def _person_key_ids(rows: list[person_store.PersonKeyRow]) -> list[str]:
    return sorted(f"person:{row.employee_id}:v{row.version}" for row in rows)


async def _now(db: AsyncSession) -> datetime:
    moment: datetime = (await db.execute(select(func.now()))).scalar_one()
    return moment


async def destroy_person_keys(
    db: AsyncSession, tenant_id: uuid.UUID, employee_id: uuid.UUID
) -> ErasureReceipt:
    """Destroy every key version of one employee; waits for transactions writing for them."""
    ended = await person_store.end(db, tenant_id, KeyState.DESTROYED, employee_ids=[employee_id])
    events.key_event(
        "person keys destroyed", tenant=tenant_id, employee=employee_id, keys=len(ended)
    )
    return ErasureReceipt(tenant_id, employee_id, tuple(_person_key_ids(ended)), await _now(db))


async def destroy_tenant_keys(
    db: AsyncSession, keyring: TenantKeyring, tenant_id: uuid.UUID
) -> ErasureReceipt:
    """Destroy all of a tenant's keys and drop them from this process's keyring.

    Other processes drop theirs when their cache entry expires (``key_cache_seconds``).
    """
    tenant_rows = await store.end_keys(db, tenant_id, KeyState.DESTROYED)
    person_rows = await person_store.end(db, tenant_id, KeyState.DESTROYED)
    keyring.forget(tenant_id)
    destroyed = sorted(
        f"tenant:{tenant_id}:{row.purpose.value}:v{row.version}" for row in tenant_rows
    ) + _person_key_ids(person_rows)
    events.key_event("tenant keys destroyed", tenant=tenant_id, keys=len(destroyed))
    return ErasureReceipt(tenant_id, None, tuple(destroyed), await _now(db))

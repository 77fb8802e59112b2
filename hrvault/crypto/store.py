"""SQL over the key store's master and tenant key tables; no cryptography here.

Every function runs in the caller's transaction, which row-level security already binds
to one tenant; the ``tenant_id`` filters are the application's half of that double wall.

Lock discipline (it is what makes "new writes use the new key at once" true):
a transaction that seals or wraps under the active tenant data key first reads that row
``FOR KEY SHARE``; rotation demotes the row only after ``FOR UPDATE``, so it waits for
every such transaction to commit, and none can start sealing under the old key after.
Usage counters are a non-key column, so reserving them never waits on those readers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from hrvault.crypto.keystore_schema import (
    LIVE_STATES,
    KeyPurpose,
    KeyState,
    master_keys,
    tenant_keys,
)
from hrvault.crypto.provider import WrappedKey

SCAN_SETTING = "hrvault.keystore_scan"


@dataclass(frozen=True)
class TenantKeyRow:
    tenant_id: uuid.UUID
    purpose: KeyPurpose
    version: int
    state: KeyState
    wrapped: WrappedKey | None
    seals_reserved: int


def _row(row: Row[*tuple[Any, ...]]) -> TenantKeyRow:
    return TenantKeyRow(
        tenant_id=row.tenant_id,
        purpose=KeyPurpose(row.purpose),
        version=row.version,
        state=KeyState(row.state),
        wrapped=None if row.wrapped is None else WrappedKey(row.master_version, bytes(row.wrapped)),
        seals_reserved=row.seals_reserved,
    )


_COLUMNS = (
    tenant_keys.c.tenant_id,
    tenant_keys.c.purpose,
    tenant_keys.c.version,
    tenant_keys.c.state,
    tenant_keys.c.master_version,
    tenant_keys.c.wrapped,
    tenant_keys.c.seals_reserved,
)


def _of(tenant_id: uuid.UUID, purpose: KeyPurpose) -> list[ColumnElement[bool]]:
    return [tenant_keys.c.tenant_id == tenant_id, tenant_keys.c.purpose == purpose.value]


async def active_key(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    purpose: KeyPurpose,
    *,
    lock: str | None = None,
    min_seals: int = 0,
) -> TenantKeyRow | None:
    """The active key row; ``lock`` is ``"key_share"`` (sealing) or ``"update"`` (rotating).

    ``min_seals`` only matches a key that has sealed at least that many values: a rotation
    that waited for another one then finds nothing to do, and locks nothing.
    """
    query = select(*_COLUMNS).where(
        *_of(tenant_id, purpose),
        tenant_keys.c.state == KeyState.ACTIVE.value,
        tenant_keys.c.seals_reserved >= min_seals,
    )
    if lock == "key_share":
        query = query.with_for_update(read=True, key_share=True)
    elif lock == "update":
        query = query.with_for_update()
    row = (await db.execute(query)).first()
    return None if row is None else _row(row)


async def tenant_key(
    db: AsyncSession, tenant_id: uuid.UUID, purpose: KeyPurpose, version: int
) -> TenantKeyRow | None:
    query = select(*_COLUMNS).where(*_of(tenant_id, purpose), tenant_keys.c.version == version)
    row = (await db.execute(query)).first()
    return None if row is None else _row(row)


async def all_keys(
    db: AsyncSession, tenant_id: uuid.UUID, purpose: KeyPurpose | None = None
) -> list[TenantKeyRow]:
    """Every key row of a tenant, tombstones included, oldest version first."""
    query = select(*_COLUMNS).where(tenant_keys.c.tenant_id == tenant_id)
    if purpose is not None:
        query = query.where(tenant_keys.c.purpose == purpose.value)
    rows = await db.execute(query.order_by(tenant_keys.c.purpose, tenant_keys.c.version))
    return [_row(row) for row in rows]


async def next_version(db: AsyncSession, tenant_id: uuid.UUID, purpose: KeyPurpose) -> int:
    """One past the highest version ever used, tombstones included: versions never repeat."""
    highest = await db.scalar(
        select(func.coalesce(func.max(tenant_keys.c.version), 0)).where(*_of(tenant_id, purpose))
    )
    return int(highest or 0) + 1


async def insert_key(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    purpose: KeyPurpose,
    version: int,
    wrapped: WrappedKey,
) -> None:
    await db.execute(
        insert(tenant_keys).values(
            tenant_id=tenant_id,
            purpose=purpose.value,
            version=version,
            state=KeyState.ACTIVE.value,
            master_version=wrapped.master_version,
            wrapped=wrapped.blob,
        )
    )


async def demote(db: AsyncSession, tenant_id: uuid.UUID, purpose: KeyPurpose, version: int) -> None:
    await db.execute(
        update(tenant_keys)
        .where(*_of(tenant_id, purpose), tenant_keys.c.version == version)
        .values(state=KeyState.DECRYPT_ONLY.value)
    )


async def reserve_seals(
    db: AsyncSession, tenant_id: uuid.UUID, version: int, count: int
) -> int | None:
    """Add ``count`` to a live data key's usage: the new total, None if the row is not visible."""
    total = await db.scalar(
        update(tenant_keys)
        .where(
            *_of(tenant_id, KeyPurpose.DATA),
            tenant_keys.c.version == version,
            tenant_keys.c.state.in_(LIVE_STATES),
        )
        .values(seals_reserved=tenant_keys.c.seals_reserved + count)
        .returning(tenant_keys.c.seals_reserved)
    )
    return None if total is None else int(total)


async def end_keys(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    state: KeyState,
    *,
    purpose: KeyPurpose | None = None,
    versions: list[int] | None = None,
) -> list[TenantKeyRow]:
    """Retire or destroy live keys: their wrapped bytes are erased. Returns what was ended."""
    query = update(tenant_keys).where(
        tenant_keys.c.tenant_id == tenant_id, tenant_keys.c.state.in_(LIVE_STATES)
    )
    if purpose is not None:
        query = query.where(tenant_keys.c.purpose == purpose.value)
    if versions is not None:
        query = query.where(tenant_keys.c.version.in_(versions))
    rows = await db.execute(
        query.values(
            state=state.value, wrapped=None, master_version=None, retired_at=func.now()
        ).returning(*_COLUMNS)
    )
    return [_row(row) for row in rows]


async def rewrap(db: AsyncSession, row: TenantKeyRow, wrapped: WrappedKey) -> bool:
    """Replace a key's wrapping if it is still the one that was read (compare and swap)."""
    if row.wrapped is None:
        return False
    result = await db.execute(
        update(tenant_keys)
        .where(
            *_of(row.tenant_id, row.purpose),
            tenant_keys.c.version == row.version,
            tenant_keys.c.master_version == row.wrapped.master_version,
            tenant_keys.c.wrapped == row.wrapped.blob,
        )
        .values(master_version=wrapped.master_version, wrapped=wrapped.blob)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def enable_scan(db: AsyncSession) -> None:
    """Let this transaction read (not write) every tenant's wrapped keys; see migration 0004."""
    await db.execute(text("SELECT set_config(:name, 'on', true)"), {"name": SCAN_SETTING})


async def keys_not_under(
    db: AsyncSession, master_version: int, *, limit: int
) -> list[TenantKeyRow]:
    """Live tenant keys of any tenant wrapped under another master version (needs the scan)."""
    rows = await db.execute(
        select(*_COLUMNS)
        .where(tenant_keys.c.wrapped.is_not(None), tenant_keys.c.master_version != master_version)
        .order_by(tenant_keys.c.tenant_id, tenant_keys.c.purpose, tenant_keys.c.version)
        .limit(limit)
    )
    return [_row(row) for row in rows]


async def master_versions_in_use(db: AsyncSession) -> dict[int, int]:
    """How many live tenant keys each master version wraps (needs the scan)."""
    rows = await db.execute(
        select(tenant_keys.c.master_version, func.count())
        .where(tenant_keys.c.wrapped.is_not(None))
        .group_by(tenant_keys.c.master_version)
    )
    return {int(version): int(count) for version, count in rows}


async def master_checks(db: AsyncSession) -> dict[int, bytes]:
    rows = await db.execute(select(master_keys.c.version, master_keys.c.check_value))
    return {int(version): bytes(check) for version, check in rows}


async def add_master_check(db: AsyncSession, version: int, provider: str, check: bytes) -> None:
    """Record a master version's check value unless another process already did."""
    await db.execute(
        text(
            "INSERT INTO keystore.master_keys (version, provider, check_value, created_at)"
            " VALUES (:version, :provider, :check, now()) ON CONFLICT (version) DO NOTHING"
        ),
        {"version": version, "provider": provider, "check": check},
    )

"""Offboarding a tenant: crypto-shredding first, then every row and file of it.

Two transactions, in this order, so that an interruption anywhere leaves the tenant's data
unreadable and running the command again finishes the job:

1. ``destroy_keys`` destroys the tenant's keys (``hrvault.crypto.shredding``) and writes
   the platform's erasure record. From its commit on, every copy of the tenant's sealed
   values, data backups included, is unreadable by anything hrvault holds.
2. ``delete_tenant_data`` deletes the tenant's rows in every tenant-owned table and its
   files, and completes the record. A run that stopped after step 1 finds the tenant
   still there, its keys already gone, and does this step.

Which tables: every table of ``public`` with a ``tenant_id`` column, found in the catalog
when the command runs, so a table added later is never forgotten. Deleting the tenant's
row lets the schema's ``ON DELETE CASCADE`` keys order the deletion (a table whose key to
``tenants`` does not cascade stops the erasure with its constraint's name); each table is
then swept by ``tenant_id`` for rows no foreign key reaches, and the erasure completes
only if no row of any such table still names the tenant. A nullable ``tenant_id`` marks a
platform row that merely points at a tenant (a support agent's session): its foreign key
decides (``SET NULL``), and it is not counted as the tenant's.

The audit log is append-only; its trigger lets a DELETE through only inside this
erasure: the transaction is bound to the tenant, names it in ``hrvault.erasing_tenant``,
the tenant's erasure record exists and no key of the tenant is live (migration
``0009_tenant_erasures``). A session setting alone would let any owner session that
sets it erase history; tying the exception to destroyed keys and the platform's record
means history goes only with a tenant that is already unreadable and on record as
erased. The application role has no DELETE privilege on the audit tables at all.

Kept: the key store's tombstones of the destroyed keys (no key bytes, no personal data).
They keep a key version from ever being reused and let a restored data backup of the
tenant answer "key destroyed" rather than "corrupt". The platform's ``tenant_erasures``
row is the evidence of the erasure: the tenant's own chain is gone with it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hrvault.config import Settings
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.shredding import destroy_tenant_keys
from hrvault.db import bind_tenant
from hrvault.documents.store import file_store
from hrvault.errors import NotFound, not_found
from hrvault.models import Tenant, TenantErasure
from hrvault.tenancy import resolve_tenant

ERASING_SETTING = "hrvault.erasing_tenant"
RECEIPT_VERSION = 1

SECURITY_LOG = logging.getLogger("hrvault.security")

FileRemover = Callable[[uuid.UUID], int]
"""Removes every file of a tenant; returns how many it removed (0 when there were none)."""


class ErasureIncompleteError(Exception):
    """Rows still name the tenant after the deletion; the transaction is rolled back."""


@dataclass(frozen=True)
class OffboardingReceipt:
    """The erasure receipt, read back from the platform's record of it."""

    tenant_id: uuid.UUID
    slug: str
    operator: str
    destroyed_keys: tuple[str, ...]
    keys_destroyed_at: datetime
    rows_deleted: dict[str, int]
    files_removed: int
    completed_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "receipt_version": RECEIPT_VERSION,
            "tenant_id": str(self.tenant_id),
            "slug": self.slug,
            "operator": self.operator,
            "destroyed_keys": list(self.destroyed_keys),
            "keys_destroyed_at": self.keys_destroyed_at.isoformat(),
            "rows_deleted": dict(self.rows_deleted),
            "files_removed": self.files_removed,
            "completed_at": self.completed_at.isoformat(),
        }


def remove_tenant_files(settings: Settings, tenant_id: uuid.UUID) -> int:
    """The file-removal step: delete the tenant's folder of the document store.

    Document files are sealed under keys the tenant's keys wrap, so they are unreadable
    once step 1 committed; removing them is what makes "deleted" true for files too.
    """
    return file_store(settings).remove_tenant(tenant_id)


async def find_tenant(sessions: async_sessionmaker[AsyncSession], id_or_slug: str) -> Tenant:
    """The live tenant named by id or slug; a destroyed one is not found, and says so."""
    async with sessions() as db:
        try:
            return await resolve_tenant(db, id_or_slug)
        except NotFound:
            erased = await _erasure_named(db, id_or_slug)
            if erased is None:
                raise
            raise NotFound(
                f"tenant not found: {id_or_slug!r} was destroyed ({erased.slug},"
                f" {erased.erased_tenant_id}) at {erased.completed_at:%Y-%m-%dT%H:%M:%S%z}"
            ) from None


async def erase_tenant(
    sessions: async_sessionmaker[AsyncSession],
    keyring: TenantKeyring,
    tenant: Tenant,
    *,
    operator: str,
    remove_files: FileRemover,
) -> OffboardingReceipt:
    """Both steps; ``sessions`` must connect as the owner role."""
    await destroy_keys(sessions, keyring, tenant, operator=operator)
    return await delete_tenant_data(sessions, keyring, tenant.id, remove_files=remove_files)


async def destroy_keys(
    sessions: async_sessionmaker[AsyncSession],
    keyring: TenantKeyring,
    tenant: Tenant,
    *,
    operator: str,
) -> None:
    """Step 1: destroy every key of the tenant and put that on record, in one transaction."""
    async with sessions() as db:
        await bind_tenant(db, tenant.id)
        await _lock_tenant(db, tenant.id)
        record = await db.get(TenantErasure, tenant.id, with_for_update=True)
        if record is None:
            record = TenantErasure(erased_tenant_id=tenant.id, slug=tenant.slug, operator=operator)
            record.destroyed_keys = []
            db.add(record)
        await _destroy_live_keys(db, keyring, record)
        await db.commit()


async def delete_tenant_data(
    sessions: async_sessionmaker[AsyncSession],
    keyring: TenantKeyring,
    tenant_id: uuid.UUID,
    *,
    remove_files: FileRemover,
) -> OffboardingReceipt:
    """Step 2: every row and file of a tenant whose keys step 1 destroyed."""
    async with sessions() as db:
        await bind_tenant(db, tenant_id)
        await _lock_tenant(db, tenant_id)
        record = await db.get(TenantErasure, tenant_id, with_for_update=True)
        if record is None:
            raise ErasureIncompleteError(f"tenant {tenant_id}: its keys were not destroyed first")
        await _destroy_live_keys(db, keyring, record)  # a key rotated in since step 1
        rows = await _delete_rows(db, tenant_id)
        files = await asyncio.to_thread(remove_files, tenant_id)
        if record.completed_at is None:  # else rows came back (a partial restore): keep it
            record.rows_deleted = rows
            record.files_removed = files
            record.completed_at = await db.scalar(select(func.now()))
        await db.commit()
    SECURITY_LOG.info(
        "tenant erased: tenant=%s keys=%d rows=%d files=%d",
        tenant_id,
        len(record.destroyed_keys),
        sum(rows.values()),
        files,
    )
    return _receipt(record)


async def _lock_tenant(db: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Serialises concurrent runs; the second finds the tenant gone."""
    locked = await db.scalar(select(Tenant.id).where(Tenant.id == tenant_id).with_for_update())
    if locked is None:
        raise not_found("tenant")


async def _destroy_live_keys(
    db: AsyncSession, keyring: TenantKeyring, record: TenantErasure
) -> None:
    shredded = await destroy_tenant_keys(db, keyring, record.erased_tenant_id)
    if shredded.destroyed_keys or not record.destroyed_keys:
        record.destroyed_keys = sorted({*record.destroyed_keys, *shredded.destroyed_keys})
        record.keys_destroyed_at = shredded.destroyed_at


async def _tenant_tables(db: AsyncSession) -> list[tuple[str, bool]]:
    """``(quoted name, every row belongs to a tenant)`` of each table with ``tenant_id``."""
    rows = await db.execute(
        text(
            "SELECT format('public.%I', c.relname) AS name, a.attnotnull AS owned"
            " FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN pg_attribute a ON a.attrelid = c.oid"
            "  AND a.attname = 'tenant_id' AND NOT a.attisdropped"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
            " ORDER BY c.relname"
        )
    )
    return [(row.name, row.owned) for row in rows]


async def _delete_rows(db: AsyncSession, tenant_id: uuid.UUID) -> dict[str, int]:
    tables = await _tenant_tables(db)
    counts = {}
    for table, owned in tables:
        if owned:
            count = await db.scalar(
                text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t"), {"t": tenant_id}
            )
            counts[table.removeprefix("public.")] = int(count or 0)
    await db.execute(
        text("SELECT set_config(:name, :value, true)"),
        {"name": ERASING_SETTING, "value": str(tenant_id)},
    )
    try:
        await db.execute(text("DELETE FROM tenants WHERE id = :t"), {"t": tenant_id})
    except IntegrityError as exc:  # a key to the tenant's rows that does not cascade
        raise ErasureIncompleteError(f"tenant {tenant_id}: {exc.orig}") from exc
    for table, owned in tables:
        if owned:
            await db.execute(text(f"DELETE FROM {table} WHERE tenant_id = :t"), {"t": tenant_id})
    left = [
        table
        for table, _ in tables
        if await db.scalar(
            text(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE tenant_id = :t)"), {"t": tenant_id}
        )
    ]
    if left:
        raise ErasureIncompleteError(f"tenant {tenant_id}: rows remain in {', '.join(left)}")
    return {"tenants": 1, **{table: count for table, count in counts.items() if count}}


async def _erasure_named(db: AsyncSession, id_or_slug: str) -> TenantErasure | None:
    try:
        condition = TenantErasure.erased_tenant_id == uuid.UUID(id_or_slug)
    except ValueError:
        condition = TenantErasure.slug == id_or_slug
    return await db.scalar(
        select(TenantErasure)
        .where(condition, TenantErasure.completed_at.is_not(None))
        .order_by(TenantErasure.completed_at.desc())
        .limit(1)
    )


def _receipt(record: TenantErasure) -> OffboardingReceipt:
    if record.rows_deleted is None or record.files_removed is None or record.completed_at is None:
        raise ErasureIncompleteError(f"tenant {record.erased_tenant_id}: erasure not complete")
    return OffboardingReceipt(
        tenant_id=record.erased_tenant_id,
        slug=record.slug,
        operator=record.operator,
        destroyed_keys=tuple(record.destroyed_keys),
        keys_destroyed_at=record.keys_destroyed_at,
        rows_deleted={table: int(count) for table, count in record.rows_deleted.items()},
        files_removed=record.files_removed,
        completed_at=record.completed_at,
    )

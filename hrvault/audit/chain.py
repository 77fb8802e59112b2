"""Appending to a tenant's chain inside the caller's transaction.

The head row is locked first, so appends of one tenant are serialised (gapless sequence
numbers) while other tenants do not wait. A record and the change it describes commit or
roll back together, because they share the transaction.

The application role cannot update the head: it locks it through
``hrvault_audit_lock_head`` and the database moves it when a record that extends it is
inserted (migration 0012), so the head always names the last record ever chained.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, bindparam, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hrvault.audit.records import (
    CURRENT_FORMAT,
    GENESIS_HASH,
    Actor,
    Entry,
    Origin,
    hash_material,
    record_hash,
    salted,
)
from hrvault.db import bind_tenant
from hrvault.models import AuditHead, AuditRecord

# Core tables, statements built once: an ORM statement would load objects and read
# parameters as attribute values, and building one per mutation costs more than running it.
_RECORDS = AuditRecord.metadata.tables[AuditRecord.__tablename__]
_LOCK_HEAD = text("SELECT head_seq, head_hash FROM hrvault_audit_lock_head(:head_tenant)")


async def start_chain(db: AsyncSession, tenant_id: uuid.UUID) -> None:
    await db.execute(
        insert(AuditHead)
        .values(tenant_id=tenant_id, seq=0, hash=GENESIS_HASH)
        .on_conflict_do_nothing()
    )


async def append(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    entries: Sequence[Entry],
    *,
    actor: Actor,
    origin: Origin,
    now: datetime,
) -> int:
    """Chain the entries after the tenant's head; the head moves in the same transaction.

    Two round trips whatever the number of entries: lock the head, write the records.
    """
    if not entries:
        return 0
    head = (await db.execute(_LOCK_HEAD, {"head_tenant": tenant_id})).one()
    seq, prev = head.head_seq, head.head_hash
    rows = []
    for entry in entries:
        by = entry.actor or actor
        seq += 1
        row: dict[str, Any] = {
            "tenant_id": tenant_id,
            "seq": seq,
            "format_version": CURRENT_FORMAT,
            "occurred_at": now,
            "actor_kind": by.kind.value,
            "actor_id": by.id,
            "actor_name": by.name[:200],
            "via_kind": by.via_kind,
            "via_id": by.via_id,
            "via_reason": by.via_reason,
            "request_id": origin.request_id,
            "client_ip": origin.client_ip,
            "user_agent": (origin.user_agent or "")[:512] or None,
            "operation": origin.operation,
            "action": entry.action,
            "entity_type": entry.entity_type,
            "entity_id": entry.entity_id,
            "subject_id": entry.subject_id,
            "changes": salted(entry.changes),
            "prev_hash": prev,
        }
        row["hash"] = prev = record_hash(hash_material(row))
        rows.append(row)
    params: dict[str, Any] = {}
    for index, row in enumerate(rows):
        params.update({f"{name}_{index}": value for name, value in row.items()})
    await db.execute(_append_statement(len(rows), tuple(rows[0])), params)
    return len(rows)


@functools.lru_cache(maxsize=16)
def _append_statement(count: int, names: tuple[str, ...]) -> Insert:
    """The records in one statement (the database moves the head as each is inserted),
    built and compiled once per number of records: a statement with its values inline
    would be compiled anew for every mutation."""
    values = [
        {name: bindparam(f"{name}_{index}", type_=_RECORDS.c[name].type) for name in names}
        for index in range(count)
    ]
    return insert(_RECORDS).values(values)


async def append_independently(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
    entries: Sequence[Entry],
    *,
    actor: Actor,
    origin: Origin,
    now: datetime,
) -> None:
    """Record in a transaction of its own: for refusals whose request rolls back."""
    async with sessions() as db:
        await bind_tenant(db, tenant_id)
        await append(db, tenant_id, entries, actor=actor, origin=origin, now=now)
        await db.commit()

"""Operator commands on the audit log (``hrvault audit ...``), run as the owner role."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.audit.archive import dump
from hrvault.audit.signing import CheckpointSigner
from hrvault.audit.verify import IntegrityReport, verify_chain
from hrvault.db import bind_tenant, session_factory
from hrvault.models import AuditCheckpoint, AuditHead, AuditRecord
from hrvault.models.base import column_values


async def read_chain(
    owner_engine: AsyncEngine, tenant_id: uuid.UUID, up_to: int | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Records and checkpoints, up to sequence number ``up_to`` when given."""
    last = up_to if up_to is not None else 2**63 - 1
    async with session_factory(owner_engine)() as db:
        await bind_tenant(db, tenant_id)
        records = await db.scalars(
            select(AuditRecord)
            .where(AuditRecord.tenant_id == tenant_id, AuditRecord.seq <= last)
            .order_by(AuditRecord.seq)
        )
        checkpoints = await db.scalars(
            select(AuditCheckpoint)
            .where(AuditCheckpoint.tenant_id == tenant_id, AuditCheckpoint.seq <= last)
            .order_by(AuditCheckpoint.seq)
        )
        return [column_values(r) for r in records], [column_values(c) for c in checkpoints]


async def read_head(owner_engine: AsyncEngine, tenant_id: uuid.UUID) -> dict[str, Any] | None:
    """The chain head as the database moved it: where the chain must end."""
    async with session_factory(owner_engine)() as db:
        await bind_tenant(db, tenant_id)
        head = await db.get(AuditHead, tenant_id)
        return {"seq": head.seq, "hash": head.hash} if head is not None else None


async def verify_tenant(
    owner_engine: AsyncEngine, tenant_id: uuid.UUID, signer: CheckpointSigner
) -> IntegrityReport:
    """The head is read first, so records appended meanwhile are not mistaken for strays."""
    head = await read_head(owner_engine, tenant_id)
    records, checkpoints = await read_chain(owner_engine, tenant_id, head["seq"] if head else 0)
    return verify_chain(records, checkpoints, {signer.key_id: signer.public_key}, head=head)


async def export_tenant(owner_engine: AsyncEngine, tenant_id: uuid.UUID) -> Iterator[str]:
    head = await read_head(owner_engine, tenant_id)
    records, checkpoints = await read_chain(owner_engine, tenant_id, head["seq"] if head else 0)
    return dump(tenant_id, records, checkpoints, head=head)

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
from hrvault.models import AuditCheckpoint, AuditRecord
from hrvault.models.base import column_values


async def read_chain(
    owner_engine: AsyncEngine, tenant_id: uuid.UUID
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    async with session_factory(owner_engine)() as db:
        await bind_tenant(db, tenant_id)
        records = await db.scalars(
            select(AuditRecord).where(AuditRecord.tenant_id == tenant_id).order_by(AuditRecord.seq)
        )
        checkpoints = await db.scalars(
            select(AuditCheckpoint)
            .where(AuditCheckpoint.tenant_id == tenant_id)
            .order_by(AuditCheckpoint.seq)
        )
        return [column_values(r) for r in records], [column_values(c) for c in checkpoints]


async def verify_tenant(
    owner_engine: AsyncEngine, tenant_id: uuid.UUID, signer: CheckpointSigner
) -> IntegrityReport:
    records, checkpoints = await read_chain(owner_engine, tenant_id)
    return verify_chain(records, checkpoints, {signer.key_id: signer.public_key})


async def export_tenant(owner_engine: AsyncEngine, tenant_id: uuid.UUID) -> Iterator[str]:
    records, checkpoints = await read_chain(owner_engine, tenant_id)
    return dump(tenant_id, records, checkpoints)

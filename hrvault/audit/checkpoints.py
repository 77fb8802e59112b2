"""Signing every tenant's chain head: by ``hrvault audit checkpoint`` and periodically by
``serve``. It runs as the owner role, the only one allowed to read every chain head."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.audit.signing import CheckpointSigner, checkpoint_payload
from hrvault.clock import Clock
from hrvault.db import bind_tenant, session_factory
from hrvault.models import AuditCheckpoint, AuditHead

logger = logging.getLogger(__name__)


async def write_checkpoints(
    owner_engine: AsyncEngine, signer: CheckpointSigner, now: datetime
) -> int:
    """Sign each tenant's current head (once per head); returns how many were signed."""
    sessions = session_factory(owner_engine)
    async with sessions() as db:
        heads = list(await db.scalars(select(AuditHead).where(AuditHead.seq > 0)))
    signed = 0
    for head in heads:
        payload = checkpoint_payload(head.tenant_id, head.seq, head.hash, now)
        async with sessions() as db:
            await bind_tenant(db, head.tenant_id)
            result = await db.execute(
                insert(AuditCheckpoint)
                .values(
                    tenant_id=head.tenant_id,
                    seq=head.seq,
                    hash=head.hash,
                    signed_at=now,
                    key_id=signer.key_id,
                    signature=signer.sign(payload),
                )
                .on_conflict_do_nothing()
            )
            await db.commit()
        signed += result.rowcount or 0  # type: ignore[attr-defined]
    return signed


async def checkpoint_periodically(
    owner_engine: AsyncEngine, signer: CheckpointSigner, clock: Clock, interval: float
) -> None:
    """Run until cancelled; a failed round is logged and retried at the next interval."""
    while True:
        await asyncio.sleep(interval)
        try:
            count = await write_checkpoints(owner_engine, signer, clock.now())
        except Exception:  # keep serving; the next round tries again
            logger.exception("audit checkpoint round failed")
        else:
            logger.info("signed %d audit checkpoints", count)

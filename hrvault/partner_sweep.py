"""Revoking partner tokens left unused for 30 days, across every tenant.

Authentication already refuses an idle token (and revokes it) when it is presented; the
sweep makes the revocation visible in the token list and the audit log even for tokens
nobody presents again. Run by ``hrvault partners sweep`` and periodically by ``serve``,
as the owner role (the only one that can list tenants), one tenant transaction at a time.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.audit.chain import append
from hrvault.audit.partner_events import idle_revocation
from hrvault.audit.records import Actor, ActorKind, Origin
from hrvault.auth.partners import idle_since
from hrvault.clock import Clock
from hrvault.db import bind_tenant, session_factory
from hrvault.maintenance import list_tenants
from hrvault.models import PartnerToken

logger = logging.getLogger(__name__)
_SWEEPER = Actor(ActorKind.SYSTEM, None, "partner token idle limit")


async def sweep_idle_tokens(owner_engine: AsyncEngine, now: datetime) -> int:
    """Revoke every idle, unexpired, unrevoked token; returns how many were revoked."""
    sessions = session_factory(owner_engine)
    revoked = 0
    for tenant_id in await list_tenants(owner_engine):
        async with sessions() as db:
            await bind_tenant(db, tenant_id)
            ids = list(
                await db.scalars(
                    update(PartnerToken)
                    .where(
                        PartnerToken.tenant_id == tenant_id,
                        PartnerToken.revoked_at.is_(None),
                        PartnerToken.expires_at > now,
                        func.coalesce(PartnerToken.last_used_at, PartnerToken.created_at)
                        <= idle_since(now),
                    )
                    .values(revoked_at=now, revoked_reason="idle")
                    .returning(PartnerToken.id)
                )
            )
            if ids:
                entries = [idle_revocation(str(token_id)) for token_id in sorted(ids)]
                origin = Origin(None, None, None, "partner token sweep")
                await append(db, tenant_id, entries, actor=_SWEEPER, origin=origin, now=now)
            await db.commit()
        revoked += len(ids)
    return revoked


async def sweep_periodically(owner_engine: AsyncEngine, clock: Clock, interval: float) -> None:
    """Run until cancelled; a failed round is logged and retried at the next interval."""
    while True:
        await asyncio.sleep(interval)
        try:
            count = await sweep_idle_tokens(owner_engine, clock.now())
        except Exception:  # keep serving; the next round tries again
            logger.exception("partner token sweep failed")
        else:
            logger.info("revoked %d idle partner tokens", count)

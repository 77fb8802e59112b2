"""Making scheduled job and reporting changes current on their day, across every tenant.

Every request already re-places the people of its tenant whose placement stopped being
true for its day (``refresh_current_state``), so this sweep is not needed for correct
answers: it takes that work off the first request of the day, so that no request pays
for a day's worth of scheduled changes. Run periodically by ``serve``, as the owner role
(the only one that can list tenants), one tenant transaction at a time.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.clock import Clock
from hrvault.db import bind_tenant, session_factory
from hrvault.maintenance import list_tenants
from hrvault.models.current import refresh_current_state

logger = logging.getLogger(__name__)


async def refresh_all_tenants(owner_engine: AsyncEngine, today: date) -> int:
    """Re-place whoever is due in every tenant; returns how many people were re-placed."""
    sessions = session_factory(owner_engine)
    placed = 0
    for tenant_id in await list_tenants(owner_engine):
        async with sessions() as db:
            await bind_tenant(db, tenant_id)
            placed += await refresh_current_state(db, tenant_id, today)
            await db.commit()
    return placed


async def refresh_periodically(owner_engine: AsyncEngine, clock: Clock, interval: float) -> None:
    """Run until cancelled; a failed round is logged and retried at the next interval."""
    while True:
        await asyncio.sleep(interval)
        try:
            count = await refresh_all_tenants(owner_engine, clock.now().date())
        except Exception:  # keep serving; requests refresh what they read anyway
            logger.exception("placement sweep failed")
        else:
            logger.info("re-placed %d people whose scheduled changes became current", count)

"""Owner-only maintenance helpers that look across tenants.

Only the owner role (the one that runs migrations) can list tenants: a row-level security
policy grants it, and no other role, a read of the tenant registry.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.db import session_factory
from hrvault.models import Tenant


async def list_tenants(owner_engine: AsyncEngine) -> list[uuid.UUID]:
    async with session_factory(owner_engine)() as db:
        return list(await db.scalars(select(Tenant.id).order_by(Tenant.created_at)))

"""``hrvault migrate``: the schema to head, then every tenant's built-in roles to the code.

Built-in roles are defined in code (``permissions/builtin_roles.py``); an upgrade may
refine them, and this brings existing tenants along.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select, text
from sqlalchemy.engine import URL

from hrvault.clock import SystemClock
from hrvault.db import bind_tenant, create_engine, session_factory
from hrvault.models import Tenant
from hrvault.models.migrations import upgrade_to_head
from hrvault.permissions.builtin_roles import ensure_builtin_roles


async def _sync_builtin_roles(owner_url: URL) -> int:
    engine = create_engine(owner_url, pool_size=1)
    try:
        async with session_factory(engine)() as db:
            # Listing every tenant is an owner-only maintenance step: row-level security
            # is lifted for this one statement and its transaction, then restored.
            await db.execute(text("ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY"))
            tenant_ids = list(await db.scalars(select(Tenant.id)))
            await db.execute(text("ALTER TABLE tenants FORCE ROW LEVEL SECURITY"))
            await db.commit()
        now = SystemClock().now()
        for tenant_id in tenant_ids:
            async with session_factory(engine)() as db:
                await bind_tenant(db, tenant_id)
                await ensure_builtin_roles(db, tenant_id, now)
                await db.commit()
        return len(tenant_ids)
    finally:
        await engine.dispose()


def migrate(owner_url: URL) -> None:
    upgrade_to_head(owner_url)
    asyncio.run(_sync_builtin_roles(owner_url))

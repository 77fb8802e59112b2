"""``hrvault migrate``: the schema to head, then every tenant's built-in roles to the code.

Built-in roles are defined in code (``permissions/builtin_roles.py``); an upgrade may
refine them, and this brings existing tenants along.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import URL

from hrvault.clock import SystemClock
from hrvault.db import bind_tenant, create_engine, session_factory
from hrvault.maintenance import list_tenants
from hrvault.models.migrations import upgrade_to_head
from hrvault.permissions.builtin_roles import ensure_builtin_roles


async def _sync_builtin_roles(owner_url: URL) -> int:
    engine = create_engine(owner_url, pool_size=1)
    try:
        tenant_ids = await list_tenants(engine)
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

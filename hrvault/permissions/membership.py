"""Who holds which role. Every change here applies from the holder's next request on."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.errors import Conflict, not_found
from hrvault.models import Role, UserRole

OWNER_KEY = "owner"


async def find_role(db: AsyncSession, tenant_id: uuid.UUID, name: str) -> Role:
    """A role by name (case-insensitive) or built-in key, e.g. ``Owner``, ``hr_admin``."""
    role = await db.scalar(
        select(Role).where(
            Role.tenant_id == tenant_id,
            (func.lower(Role.name) == name.lower()) | (Role.builtin_key == name.lower()),
        )
    )
    if role is None:
        raise not_found(f"role {name!r}")
    return role


async def assign_role(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    role_id: uuid.UUID,
    *,
    actor_id: uuid.UUID | None,
    now: datetime,
) -> bool:
    """Give the user the role; False if they already held it."""
    held = await db.get(UserRole, (tenant_id, user_id, role_id))
    if held is not None:
        return False
    db.add(
        UserRole(
            tenant_id=tenant_id,
            user_id=user_id,
            role_id=role_id,
            created_at=now,
            created_by=actor_id,
        )
    )
    await db.flush()
    return True


async def remove_role(
    db: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, role: Role
) -> bool:
    """Take the role away; the last holder of Owner keeps it, so a tenant is never lost."""
    if role.builtin_key == OWNER_KEY:
        # Lock the Owner role row so two concurrent removals cannot both see "two owners".
        await db.execute(
            select(Role.id).where(Role.tenant_id == tenant_id, Role.id == role.id).with_for_update()
        )
        owners = await db.scalar(
            select(func.count())
            .select_from(UserRole)
            .where(UserRole.tenant_id == tenant_id, UserRole.role_id == role.id)
        )
        held = await db.get(UserRole, (tenant_id, user_id, role.id))
        if held is not None and owners == 1:
            raise Conflict("the last Owner cannot be removed; make someone else Owner first")
    result = await db.execute(
        delete(UserRole).where(
            UserRole.tenant_id == tenant_id,
            UserRole.user_id == user_id,
            UserRole.role_id == role.id,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]

"""The powers someone or something holds, read from the database for the delegation rule.

A user's powers are the union of their roles; the tenant's "strongest holder" is the
union of every role that someone holds, which is what a tenant-wide safeguard protects.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.models import RoleAbility, RoleGrant, UserRole
from hrvault.permissions.delegation import Powers
from hrvault.permissions.grants import Grant

_GRANT_OF_HELD_ROLE = (RoleGrant.tenant_id == UserRole.tenant_id) & (
    RoleGrant.role_id == UserRole.role_id
)
_ABILITY_OF_HELD_ROLE = (RoleAbility.tenant_id == UserRole.tenant_id) & (
    RoleAbility.role_id == UserRole.role_id
)


async def _held(
    db: AsyncSession, grants: Select[RoleGrant], abilities: Select[RoleAbility]
) -> Powers:
    return Powers.of(
        (
            Grant(g.field_group, g.action, g.scope, g.include_former)
            for g in await db.scalars(grants)
        ),
        (a.ability for a in await db.scalars(abilities)),
    )


async def powers_of_user(db: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> Powers:
    """Everything the user's roles give them."""
    return await _held(
        db,
        select(RoleGrant)
        .join(UserRole, _GRANT_OF_HELD_ROLE)
        .where(UserRole.tenant_id == tenant_id, UserRole.user_id == user_id),
        select(RoleAbility)
        .join(UserRole, _ABILITY_OF_HELD_ROLE)
        .where(UserRole.tenant_id == tenant_id, UserRole.user_id == user_id),
    )


async def powers_of_role(db: AsyncSession, tenant_id: uuid.UUID, role_id: uuid.UUID) -> Powers:
    return await _held(
        db,
        select(RoleGrant).where(RoleGrant.tenant_id == tenant_id, RoleGrant.role_id == role_id),
        select(RoleAbility).where(
            RoleAbility.tenant_id == tenant_id, RoleAbility.role_id == role_id
        ),
    )


async def powers_of_every_holder(db: AsyncSession, tenant_id: uuid.UUID) -> Powers:
    """The union of every role someone holds: what a tenant-wide safeguard protects.

    A semi-join on the held roles, so the cost follows the number of roles, not holders."""
    held = select(UserRole.role_id).where(UserRole.tenant_id == tenant_id)
    return await _held(
        db,
        select(RoleGrant).where(RoleGrant.tenant_id == tenant_id, RoleGrant.role_id.in_(held)),
        select(RoleAbility).where(
            RoleAbility.tenant_id == tenant_id, RoleAbility.role_id.in_(held)
        ),
    )

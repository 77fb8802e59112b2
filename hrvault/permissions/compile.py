"""Building a viewer's Policy from the database: a bounded number of statements."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.models import Role, RoleAbility, RoleGrant, UserRole
from hrvault.permissions.grants import Grant
from hrvault.permissions.policy import GrantSource, Policy
from hrvault.permissions.relations import resolve_relations

# Plain columns, not ORM objects: a role like Owner has some eighty grants, and this runs
# at every request.
_GRANT_COLUMNS = (
    Role.id,
    Role.name,
    RoleGrant.field_group,
    RoleGrant.action,
    RoleGrant.scope,
    RoleGrant.include_former,
)
_ROLE_OF_GRANT = (RoleGrant.tenant_id == Role.tenant_id) & (RoleGrant.role_id == Role.id)
_ROLE_OF_ABILITY = (RoleAbility.tenant_id == Role.tenant_id) & (RoleAbility.role_id == Role.id)
_HELD_ROLE = (UserRole.tenant_id == Role.tenant_id) & (UserRole.role_id == Role.id)
_IN_TENANT = Role.tenant_id == bindparam("tenant_id")
_USER_HOLDS = UserRole.user_id == bindparam("user_id")
_THE_ROLE = Role.id == bindparam("role_id")

# Built once and bound per request: building a statement and its cache key costs more
# than running it. (grants, abilities) of a user's roles, and of one role.
_OF_USER = (
    select(*_GRANT_COLUMNS)
    .join(UserRole, _HELD_ROLE)
    .join(RoleGrant, _ROLE_OF_GRANT)
    .where(_IN_TENANT, _USER_HOLDS),
    select(RoleAbility.ability, Role.name)
    .join(Role, _ROLE_OF_ABILITY)
    .join(UserRole, _HELD_ROLE)
    .where(_IN_TENANT, _USER_HOLDS),
)
_OF_ROLE = (
    select(*_GRANT_COLUMNS).join(RoleGrant, _ROLE_OF_GRANT).where(_IN_TENANT, _THE_ROLE),
    select(RoleAbility.ability, Role.name)
    .join(Role, _ROLE_OF_ABILITY)
    .where(_IN_TENANT, _THE_ROLE),
)


async def load_policy(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    viewer_employee_id: uuid.UUID | None,
    today: date,
    user_id: uuid.UUID | None = None,
    role_id: uuid.UUID | None = None,
) -> Policy:
    """The policy of a user (the union of their roles), or of one role seen as a viewer.

    ``role_id`` serves "view as role": the same engine, fed one role's grants.
    """
    if (user_id is None) == (role_id is None):
        raise ValueError("load_policy needs exactly one of user_id or role_id")
    params: dict[str, uuid.UUID | None]
    if user_id is not None:
        grant_rows, ability_rows = _OF_USER
        params = {"tenant_id": tenant_id, "user_id": user_id}
    else:
        grant_rows, ability_rows = _OF_ROLE
        params = {"tenant_id": tenant_id, "role_id": role_id}
    sources = [
        GrantSource(source_role, role_name, Grant(group, action, scope, include_former))
        for source_role, role_name, group, action, scope, include_former in (
            await db.execute(grant_rows, params)
        ).all()
    ]
    abilities = [
        (ability, name) for ability, name in (await db.execute(ability_rows, params)).all()
    ]
    scopes = frozenset(source.grant.scope for source in sources)
    relations = await resolve_relations(db, tenant_id, viewer_employee_id, scopes, today)
    return Policy(sources, abilities, relations)

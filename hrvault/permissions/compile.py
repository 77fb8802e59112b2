"""Building a viewer's Policy from the database: a bounded number of statements."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.models import Role, RoleAbility, RoleGrant, UserRole
from hrvault.permissions.grants import Grant
from hrvault.permissions.policy import GrantSource, Policy
from hrvault.permissions.relations import resolve_relations
from hrvault.vocabulary import Action, FieldGroup, Scope

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


def _grants_of_user(
    tenant_id: uuid.UUID, user_id: uuid.UUID
) -> Select[uuid.UUID, str, FieldGroup, Action, Scope, bool]:
    return (
        select(*_GRANT_COLUMNS)
        .join(UserRole, (UserRole.tenant_id == Role.tenant_id) & (UserRole.role_id == Role.id))
        .join(RoleGrant, (RoleGrant.tenant_id == Role.tenant_id) & (RoleGrant.role_id == Role.id))
        .where(Role.tenant_id == tenant_id, UserRole.user_id == user_id)
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
    grant_rows = select(*_GRANT_COLUMNS).join(
        RoleGrant, (RoleGrant.tenant_id == Role.tenant_id) & (RoleGrant.role_id == Role.id)
    )
    ability_rows = select(RoleAbility.ability, Role.name).join(
        Role, (RoleAbility.tenant_id == Role.tenant_id) & (RoleAbility.role_id == Role.id)
    )
    if user_id is not None:
        grant_rows = _grants_of_user(tenant_id, user_id)
        ability_rows = ability_rows.join(
            UserRole, (UserRole.tenant_id == Role.tenant_id) & (UserRole.role_id == Role.id)
        ).where(UserRole.user_id == user_id)
    else:
        grant_rows = grant_rows.where(Role.id == role_id)
        ability_rows = ability_rows.where(Role.id == role_id)
    grant_rows = grant_rows.where(Role.tenant_id == tenant_id)
    ability_rows = ability_rows.where(Role.tenant_id == tenant_id)

    sources = [
        GrantSource(role_id, role_name, Grant(group, action, scope, include_former))
        for role_id, role_name, group, action, scope, include_former in (
            await db.execute(grant_rows)
        ).all()
    ]
    abilities = [(ability, name) for ability, name in (await db.execute(ability_rows)).all()]
    scopes = frozenset(source.grant.scope for source in sources)
    relations = await resolve_relations(db, tenant_id, viewer_employee_id, scopes, today)
    return Policy(sources, abilities, relations)

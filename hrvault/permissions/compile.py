"""Building a viewer's Policy from the database: a bounded number of statements."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    bindparam,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.models import Role, RoleAbility, RoleGrant, UserRole
from hrvault.permissions.grants import Grant
from hrvault.permissions.policy import GrantSource, Policy
from hrvault.permissions.relations import resolve_relations
from hrvault.vocabulary import Ability, Scope

_ROLE_OF_GRANT = (RoleGrant.tenant_id == Role.tenant_id) & (RoleGrant.role_id == Role.id)
_ROLE_OF_ABILITY = (RoleAbility.tenant_id == Role.tenant_id) & (RoleAbility.role_id == Role.id)
_HELD_ROLE = (UserRole.tenant_id == Role.tenant_id) & (UserRole.role_id == Role.id)
_IN_TENANT = Role.tenant_id == bindparam("tenant_id")


def _none(column: Any) -> Any:
    """A NULL in the place of ``column``, read back as the column's type."""
    return type_coerce(null(), column.type)


def _policy_rows(chosen: ColumnElement[bool], *, of_user: bool) -> CompoundSelect[Any]:
    """The chosen roles' grants and abilities in one statement, as plain columns (a role
    like Owner has some eighty grants, and this runs at every request): a grant row has
    no ability, an ability row no grant."""
    grants = select(
        Role.id,
        Role.name,
        RoleGrant.field_group,
        RoleGrant.action,
        RoleGrant.scope,
        RoleGrant.include_former,
        _none(RoleAbility.ability),
    ).join(RoleGrant, _ROLE_OF_GRANT)
    abilities = select(
        Role.id,
        Role.name,
        _none(RoleGrant.field_group),
        _none(RoleGrant.action),
        _none(RoleGrant.scope),
        _none(RoleGrant.include_former),
        RoleAbility.ability,
    ).join(RoleAbility, _ROLE_OF_ABILITY)
    if of_user:
        grants, abilities = grants.join(UserRole, _HELD_ROLE), abilities.join(UserRole, _HELD_ROLE)
    return union_all(grants.where(_IN_TENANT, chosen), abilities.where(_IN_TENANT, chosen))


# Built once and bound per request: building a statement and its cache key costs more
# than running it.
_OF_USER = _policy_rows(UserRole.user_id == bindparam("user_id"), of_user=True)
_OF_ROLE = _policy_rows(Role.id == bindparam("role_id"), of_user=False)


@dataclass(frozen=True)
class CompiledGrants:
    """A role set's grants and abilities, as the engine takes them: immutable, so one
    copy may serve every request under the same roles and policy version."""

    sources: tuple[GrantSource, ...]
    abilities: tuple[tuple[Ability, str], ...]
    scopes: frozenset[Scope]


async def load_grants(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    user_id: uuid.UUID | None = None,
    role_id: uuid.UUID | None = None,
) -> CompiledGrants:
    """The grants of a user (the union of their roles), or of one role."""
    if (user_id is None) == (role_id is None):
        raise ValueError("load_grants needs exactly one of user_id or role_id")
    params: dict[str, uuid.UUID | None]
    if user_id is not None:
        statement, params = _OF_USER, {"tenant_id": tenant_id, "user_id": user_id}
    else:
        statement, params = _OF_ROLE, {"tenant_id": tenant_id, "role_id": role_id}
    rows = (await db.execute(statement, params)).all()
    sources = tuple(
        GrantSource(role, name, Grant(group, action, scope, include_former))
        for role, name, group, action, scope, include_former, ability in rows
        if ability is None
    )
    abilities = tuple((ability, name) for _, name, *_, ability in rows if ability is not None)
    return CompiledGrants(sources, abilities, frozenset(s.grant.scope for s in sources))


async def policy_of(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    grants: CompiledGrants,
    *,
    viewer_employee_id: uuid.UUID | None,
    today: date,
) -> Policy:
    """A request's policy: the grants, and who the viewer is to others today."""
    relations = await resolve_relations(db, tenant_id, viewer_employee_id, grants.scopes, today)
    return Policy(grants.sources, grants.abilities, relations)


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
    grants = await load_grants(db, tenant_id, user_id=user_id, role_id=role_id)
    return await policy_of(
        db, tenant_id, grants, viewer_employee_id=viewer_employee_id, today=today
    )

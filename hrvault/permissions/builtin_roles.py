"""The roles every tenant starts with. They follow this definition (an upgrade may refine
them) and cannot be edited or deleted; a tenant copies one to make its own variant."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.models import Role, RoleAbility, RoleGrant
from hrvault.permissions.grants import Grant, grants
from hrvault.vocabulary import PERSON_GROUPS, Ability, Action, FieldGroup, Scope

G = FieldGroup
READ = (Action.SEE,)
WRITE = (Action.SEE, Action.ADD, Action.EDIT)


@dataclass(frozen=True)
class BuiltinRole:
    key: str
    name: str
    description: str
    grants: frozenset[Grant]
    abilities: frozenset[Ability] = frozenset()


BUILTIN_ROLES: tuple[BuiltinRole, ...] = (
    BuiltinRole(
        "owner",
        "Owner",
        "Everything: all data of everyone, roles, users, integrations, support access.",
        grants(PERSON_GROUPS, Action, Scope.ALL, include_former=True),
        frozenset(Ability),
    ),
    BuiltinRole(
        "hr_admin",
        "HR Admin",
        "All people data of everyone, users, company structure, audit log and exports.",
        grants(PERSON_GROUPS, Action, Scope.ALL, include_former=True),
        frozenset(
            {Ability.MANAGE_USERS, Ability.MANAGE_ORGANISATION, Ability.SEE_AUDIT, Ability.EXPORT}
        ),
    ),
    BuiltinRole(
        "manager",
        "Manager",
        "Sees the directory, job, employment and absences of their reports and approves "
        "their absences; sees which documents they have but opens none; no pay, identity, "
        "bank, personal data or absence reasons.",
        grants((G.BASIC, G.JOB, G.EMPLOYMENT, G.ABSENCE, G.DOCUMENTS), READ, Scope.ALL_REPORTS)
        | grants((G.ABSENCE,), (Action.APPROVE,), Scope.ALL_REPORTS),
    ),
    BuiltinRole(
        "employee",
        "Employee",
        "Sees everything about themselves and edits their own personal, emergency and bank "
        "details; requests absences (with their reason); downloads and uploads their own "
        "documents as each category allows (employee-visible, employee-uploadable); sees the "
        "company directory.",
        grants(PERSON_GROUPS, READ, Scope.SELF)
        | grants((G.PERSONAL, G.EMERGENCY, G.BANK), (Action.EDIT,), Scope.SELF)
        | grants((G.ABSENCE, G.ABSENCE_REASON), (Action.ADD, Action.EDIT), Scope.SELF)
        | grants(PERSON_GROUPS, (Action.DOWNLOAD, Action.UPLOAD), Scope.SELF)
        | grants((G.BASIC, G.JOB), READ, Scope.ALL),
    ),
    BuiltinRole(
        "payroll",
        "Payroll",
        "Pay, bank, identity and employment data of everyone, former employees included.",
        grants((G.SALARY, G.BANK, G.IDENTITY, G.EMPLOYMENT), WRITE, Scope.ALL, include_former=True)
        | grants((G.BASIC, G.JOB), READ, Scope.ALL, include_former=True),
    ),
    BuiltinRole(
        "auditor",
        "Auditor",
        "Reads the audit log, the directory and the document register (which documents "
        "exist, never their content); changes nothing.",
        grants((G.BASIC, G.JOB, G.DOCUMENTS), READ, Scope.ALL, include_former=True),
        frozenset({Ability.SEE_AUDIT}),
    ),
)
TOTP_REQUIRED_BY_DEFAULT = frozenset({"owner", "hr_admin"})
"""Roles whose holders must enrol TOTP, until the tenant decides otherwise."""
BUILTIN_BY_KEY = {role.key: role for role in BUILTIN_ROLES}


async def ensure_builtin_roles(db: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> None:
    """Create the tenant's built-in roles, or bring their grants in line with the code."""
    existing = {
        role.builtin_key: role
        for role in await db.scalars(
            select(Role).where(Role.tenant_id == tenant_id, Role.builtin_key.is_not(None))
        )
    }
    for spec in BUILTIN_ROLES:
        role = existing.get(spec.key)
        if role is None:
            role = Role(id=uuid.uuid4(), tenant_id=tenant_id, name=spec.name, builtin_key=spec.key)
            role.description = spec.description
            role.requires_totp = spec.key in TOTP_REQUIRED_BY_DEFAULT
            role.stamp_created(None, now)
            db.add(role)
            await db.flush()
        await db.execute(
            delete(RoleGrant).where(RoleGrant.tenant_id == tenant_id, RoleGrant.role_id == role.id)
        )
        await db.execute(
            delete(RoleAbility).where(
                RoleAbility.tenant_id == tenant_id, RoleAbility.role_id == role.id
            )
        )
        db.add_all(
            RoleGrant(tenant_id=tenant_id, role_id=role.id, **asdict(grant))
            for grant in sorted(spec.grants)
        )
        db.add_all(
            RoleAbility(tenant_id=tenant_id, role_id=role.id, ability=ability)
            for ability in sorted(spec.abilities)
        )
    await db.flush()

"""Roles, users and access explanations, for callers admitted by an administration ability."""

from __future__ import annotations

from typing import Self

import strawberry

from hrvault.models import Role as RoleRow
from hrvault.models import User as UserRow
from hrvault.permissions.grants import Grant as GrantValue
from hrvault.permissions.policy import Decision
from hrvault.resolvers.access import GroupAccess
from hrvault.resolvers.roles import RoleDefinition
from hrvault.resolvers.security_settings import SessionSettings as SessionSettingsValue
from hrvault.schema import caps
from hrvault.schema.bounds import cap_note, capped
from hrvault.schema.types.base import (
    ADMINISTRATION,
    AbilityEnum,
    ActionEnum,
    FieldGroupEnum,
    Info,
    ScopeEnum,
    resolver,
)
from hrvault.schema.types.employee import Employee, visible_employee
from hrvault.vocabulary import Ability, Action

caps.ROLES_OF_USER = 10
"""Roles of one user shown at most."""


@strawberry.type(description="Permission to take an action on a field group for a scope.")
class Grant:
    field_group: FieldGroupEnum = strawberry.field(metadata=ADMINISTRATION)  # type: ignore[valid-type]
    action: ActionEnum = strawberry.field(metadata=ADMINISTRATION)  # type: ignore[valid-type]
    scope: ScopeEnum = strawberry.field(metadata=ADMINISTRATION)  # type: ignore[valid-type]
    include_former: bool = strawberry.field(
        metadata=ADMINISTRATION, description="Also covers former (terminated) employees."
    )

    @classmethod
    def from_value(cls, grant: GrantValue) -> Self:
        return cls(
            field_group=grant.field_group,
            action=grant.action,
            scope=grant.scope,
            include_former=grant.include_former,
        )


@strawberry.type(description="The tenant's session limits and step-up window, in seconds.")
class SessionSettings:
    idle_timeout_seconds: int = strawberry.field(metadata=ADMINISTRATION)
    absolute_lifetime_seconds: int = strawberry.field(metadata=ADMINISTRATION)
    step_up_window_seconds: int = strawberry.field(
        metadata=ADMINISTRATION, description="How recent a TOTP step-up sensitive operations need."
    )
    version: int = strawberry.field(metadata=ADMINISTRATION)

    @classmethod
    def of(cls, settings: SessionSettingsValue) -> Self:
        return cls(
            idle_timeout_seconds=settings.idle_timeout_seconds,
            absolute_lifetime_seconds=settings.absolute_lifetime_seconds,
            step_up_window_seconds=settings.step_up_window_seconds,
            version=settings.version,
        )


@strawberry.type(description="A role's name, for lists and references.")
class RoleRef:
    id: strawberry.ID = strawberry.field(metadata=ADMINISTRATION)
    name: str = strawberry.field(metadata=ADMINISTRATION)
    built_in: bool = strawberry.field(metadata=ADMINISTRATION)

    @classmethod
    def from_row(cls, row: RoleRow) -> Self:
        return cls(
            id=strawberry.ID(str(row.id)), name=row.name, built_in=row.builtin_key is not None
        )


@strawberry.type(description="A role and everything it grants.")
class Role:
    id: strawberry.ID = strawberry.field(metadata=ADMINISTRATION)
    name: str = strawberry.field(metadata=ADMINISTRATION)
    description: str = strawberry.field(metadata=ADMINISTRATION)
    built_in: bool = strawberry.field(
        metadata=ADMINISTRATION, description="Built-in roles can be copied, not changed."
    )
    version: int = strawberry.field(metadata=ADMINISTRATION)
    grants: list[Grant] = strawberry.field(
        metadata={**ADMINISTRATION, **capped(caps.GRANTS_OF_ROLE)},
        description=cap_note(caps.GRANTS_OF_ROLE),
    )
    abilities: list[AbilityEnum] = strawberry.field(  # type: ignore[valid-type]
        metadata={**ADMINISTRATION, **capped(len(Ability))}
    )
    holders: int = strawberry.field(metadata=ADMINISTRATION, description="Users holding it.")
    requires_totp: bool = strawberry.field(
        metadata=ADMINISTRATION,
        description="Holders must use TOTP; until then they can only enrol.",
    )

    @classmethod
    def from_definition(cls, definition: RoleDefinition) -> Self:
        role = definition.role
        return cls(
            id=strawberry.ID(str(role.id)),
            name=role.name,
            description=role.description,
            built_in=role.builtin_key is not None,
            version=role.version,
            grants=[Grant.from_value(g) for g in definition.grants],
            abilities=list(definition.abilities),
            holders=definition.holders,
            requires_totp=role.requires_totp,
        )


@strawberry.type(description="A login of the tenant and the roles it holds.")
class UserAccount:
    row: strawberry.Private[UserRow]
    id: strawberry.ID = strawberry.field(metadata=ADMINISTRATION)
    email: str = strawberry.field(metadata=ADMINISTRATION)
    is_active: bool = strawberry.field(metadata=ADMINISTRATION)
    roles: list[RoleRef] = strawberry.field(
        metadata={**ADMINISTRATION, **capped(caps.ROLES_OF_USER)},
        description=cap_note(caps.ROLES_OF_USER),
    )

    @classmethod
    def from_row(cls, row: UserRow, roles: list[RoleRow]) -> Self:
        return cls(
            row=row,
            id=strawberry.ID(str(row.id)),
            email=row.email,
            is_active=row.is_active,
            roles=[RoleRef.from_row(r) for r in roles],
        )

    @resolver(ADMINISTRATION, description="The person this login belongs to, if any.")
    async def employee(self, info: Info) -> Employee | None:
        if self.row.employee_id is None:
            return None
        return visible_employee(
            info, await info.context.loaders.employee.load(self.row.employee_id)
        )


@strawberry.type(description="One grant that allows an action, and the role it comes from.")
class GrantSource:
    role_id: strawberry.ID = strawberry.field(metadata=ADMINISTRATION)
    role_name: str = strawberry.field(metadata=ADMINISTRATION)
    scope: ScopeEnum = strawberry.field(metadata=ADMINISTRATION)  # type: ignore[valid-type]
    include_former: bool = strawberry.field(metadata=ADMINISTRATION)


def _sources(decision: Decision) -> list[GrantSource]:
    return [
        GrantSource(
            role_id=strawberry.ID(str(s.role_id)),
            role_name=s.role_name,
            scope=s.grant.scope,
            include_former=s.grant.include_former,
        )
        for s in decision.granted_by
    ]


@strawberry.type(description="An allowed action and every grant that allows it.")
class ActionAccess:
    action: ActionEnum = strawberry.field(metadata=ADMINISTRATION)  # type: ignore[valid-type]
    granted_by: list[GrantSource] = strawberry.field(
        metadata={**ADMINISTRATION, **capped(caps.GRANT_SOURCES)},
        description=cap_note(caps.GRANT_SOURCES),
    )


@strawberry.type(description="What may be done with one field group of one person.")
class FieldGroupAccess:
    field_group: FieldGroupEnum = strawberry.field(metadata=ADMINISTRATION)  # type: ignore[valid-type]
    actions: list[ActionAccess] = strawberry.field(
        metadata={**ADMINISTRATION, **capped(len(Action))}
    )

    @classmethod
    def from_access(cls, access: GroupAccess) -> Self:
        return cls(
            field_group=access.field_group,
            actions=[ActionAccess(action=a, granted_by=_sources(d)) for a, d in access.allowed],
        )


@strawberry.type(description="A user who may take the action, and why.")
class AccessHolder:
    user_id: strawberry.ID = strawberry.field(metadata=ADMINISTRATION)
    email: str = strawberry.field(metadata=ADMINISTRATION)
    granted_by: list[GrantSource] = strawberry.field(
        metadata={**ADMINISTRATION, **capped(caps.GRANT_SOURCES)},
        description=cap_note(caps.GRANT_SOURCES),
    )

    @classmethod
    def from_decision(cls, user: UserRow, decision: Decision) -> Self:
        return cls(
            user_id=strawberry.ID(str(user.id)), email=user.email, granted_by=_sources(decision)
        )

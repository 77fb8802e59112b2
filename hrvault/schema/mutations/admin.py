"""Role administration (manage_roles) and role membership (manage_users)."""

from __future__ import annotations

import strawberry

from hrvault.models import Role as RoleRow
from hrvault.models import User as UserRow
from hrvault.permissions.access import requires
from hrvault.permissions.delegation import Act
from hrvault.resolvers import roles, security_settings
from hrvault.schema import fields
from hrvault.schema.inputs_admin import (
    CreateRoleInput,
    UpdateRoleInput,
    UpdateSessionSettingsInput,
)
from hrvault.schema.types.admin import Role, SessionSettings, UserAccount
from hrvault.schema.types.base import Info
from hrvault.vocabulary import Ability

# Changing roles, grants or who holds them is sensitive: a TOTP step-up is due.
MANAGE_ROLES = requires(Ability.MANAGE_ROLES, step_up=True)
MANAGE_USERS = requires(Ability.MANAGE_USERS, step_up=True)


async def _role(info: Info, row: RoleRow) -> Role:
    return Role.from_definition(await roles.role_definition(info.context, row))


async def _account(info: Info, user: UserRow) -> UserAccount:
    return UserAccount.from_row(user, await roles.roles_of(info.context, user.id))


@strawberry.type
class AdminMutations:
    @fields.mutation(
        access=MANAGE_ROLES,
        delegation=Act.HANDS_OUT,
        description="You can only grant what you hold.",
    )
    async def create_role(self, info: Info, input: CreateRoleInput) -> Role:
        row = await roles.create_role(
            info.context,
            input.name,
            input.description,
            [g.to_value() for g in input.grants],
            input.abilities,
        )
        return await _role(info, row)

    @fields.mutation(
        access=MANAGE_ROLES,
        delegation=Act.ACTS_ON,
        description="Built-in roles cannot be changed; nor a role holding more than you.",
    )
    async def update_role(self, info: Info, id: strawberry.ID, input: UpdateRoleInput) -> Role:
        row = await roles.update_role(
            info.context,
            id,
            input.version,
            name=input.name,
            description=input.description,
            grants=[g.to_value() for g in input.grants] if input.grants is not None else None,
            abilities=input.abilities,
        )
        return await _role(info, row)

    @fields.mutation(
        access=MANAGE_ROLES,
        delegation=Act.HANDS_OUT,
        description="A new custom role with the same grants.",
    )
    async def copy_role(self, info: Info, id: strawberry.ID, name: str) -> Role:
        return await _role(info, await roles.copy_role(info.context, id, name))

    @fields.mutation(
        access=MANAGE_ROLES, delegation=Act.ACTS_ON, description="Only custom roles nobody holds."
    )
    async def delete_role(self, info: Info, id: strawberry.ID, version: int) -> bool:
        await roles.delete_role(info.context, id, version)
        return True

    @fields.mutation(
        access=MANAGE_USERS,
        delegation=Act.HANDS_OUT,
        description="Applies from the user's next request; only to a user holding no more "
        "than you.",
    )
    async def assign_role(
        self, info: Info, user_id: strawberry.ID, role_id: strawberry.ID
    ) -> UserAccount:
        return await _account(info, await roles.assign_role(info.context, user_id, role_id))

    @fields.mutation(
        access=MANAGE_USERS,
        delegation=Act.ACTS_ON,
        description="The last Owner cannot be removed; nor a role of a user holding more than you.",
    )
    async def remove_role(
        self, info: Info, user_id: strawberry.ID, role_id: strawberry.ID
    ) -> UserAccount:
        return await _account(info, await roles.remove_role(info.context, user_id, role_id))

    @fields.mutation(
        access=requires(Ability.MANAGE_ROLES, step_up=True),
        delegation=Act.ACTS_ON,
        description="Whether holders of the role must use TOTP (built-in roles too); needs "
        "every power of the role.",
    )
    async def set_role_totp_requirement(
        self, info: Info, role_id: strawberry.ID, required: bool
    ) -> Role:
        row = await security_settings.set_totp_requirement(info.context, role_id, required)
        return await _role(info, row)

    @fields.mutation(
        access=requires(Ability.MANAGE_USERS, step_up=True),
        delegation=Act.ACTS_ON,
        description="Session idle timeout and lifetime, and the step-up window; open "
        "sessions follow the new limits at their next request. Loosening them needs every "
        "power anyone in the company holds.",
    )
    async def update_session_settings(
        self, info: Info, input: UpdateSessionSettingsInput
    ) -> SessionSettings:
        changes = {
            "idle_timeout_seconds": input.idle_timeout_seconds,
            "absolute_lifetime_seconds": input.absolute_lifetime_seconds,
            "step_up_window_seconds": input.step_up_window_seconds,
        }
        updated = await security_settings.update_session_settings(
            info.context, input.version, changes
        )
        return SessionSettings.of(updated)

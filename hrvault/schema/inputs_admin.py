"""Inputs of role administration."""

from __future__ import annotations

import strawberry

from hrvault.permissions.grants import Grant
from hrvault.schema.types.base import AbilityEnum, ActionEnum, FieldGroupEnum, ScopeEnum


@strawberry.input
class GrantInput:
    field_group: FieldGroupEnum  # type: ignore[valid-type]
    action: ActionEnum  # type: ignore[valid-type]
    scope: ScopeEnum  # type: ignore[valid-type]
    include_former: bool = False

    def to_value(self) -> Grant:
        return Grant(self.field_group, self.action, self.scope, self.include_former)


@strawberry.input
class UpdateSessionSettingsInput:
    version: int
    idle_timeout_seconds: int | None = None
    absolute_lifetime_seconds: int | None = None
    step_up_window_seconds: int | None = None


@strawberry.input
class CreateRoleInput:
    name: str
    description: str | None = None
    grants: list[GrantInput] = strawberry.field(default_factory=list)
    abilities: list[AbilityEnum] = strawberry.field(default_factory=list)  # type: ignore[valid-type]


@strawberry.input
class UpdateRoleInput:
    version: int
    name: str | None = None
    description: str | None = None
    grants: list[GrantInput] | None = strawberry.field(
        default=None, description="Replaces all grants when given."
    )
    abilities: list[AbilityEnum] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Replaces all abilities when given."
    )

"""Access markers for root fields (queries and mutations): deny by default.

Every root field names exactly one marker in ``permission_classes``: ``Public`` for the
few operations a caller may use before logging in, ``Authenticated`` for operations whose
per-person checks happen on the data (field guards, mutation checks), or
``requires(ability, ...)`` for tenant administration. A root field with none is refused
when the schema is built (see ``hrvault.schema.checks``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from strawberry import Info
from strawberry.permission import BasePermission

from hrvault.permissions.enforce import require_ability
from hrvault.vocabulary import Ability


class Public(BasePermission):
    """Explicitly open to callers without a session (login)."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return True


class Authenticated(BasePermission):
    """Needs a live session of the tenant; answers UNAUTHENTICATED otherwise."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        info.context.require_principal()  # raises Unauthenticated with the reason
        return True


class RequiresAbility(BasePermission):
    """Needs a live session and one of ``abilities``; answers FORBIDDEN otherwise."""

    abilities: ClassVar[tuple[Ability, ...]] = ()

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        info.context.require_principal()
        require_ability(info.context.policy, *self.abilities)  # raises Forbidden with the reason
        return True


_requirements: dict[tuple[Ability, ...], type[RequiresAbility]] = {}


def requires(*abilities: Ability) -> type[RequiresAbility]:
    """The marker for "holds any of these abilities" (one class per set, reused)."""
    key = tuple(sorted(abilities))
    if not key:
        raise ValueError("requires() needs at least one ability")
    if key not in _requirements:
        name = "Requires" + "Or".join(a.value.title().replace("_", "") for a in key)
        _requirements[key] = type(name, (RequiresAbility,), {"abilities": key})
    return _requirements[key]


def is_access_marker(permission: type[BasePermission]) -> bool:
    return permission in (Public, Authenticated) or issubclass(permission, RequiresAbility)

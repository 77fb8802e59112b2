"""Access markers for root fields (queries and mutations): deny by default.

Every root field names exactly one marker in ``permission_classes``: ``Public`` for the
few operations a caller may use before logging in, ``Authenticated`` for operations whose
per-person checks happen on the data (field guards, mutation checks), ``PeopleData`` for
those that partner integrations may call too, or ``requires(ability, ...)`` for tenant
administration. A root field with none is refused when the schema is built (see
``hrvault.schema.checks``).

Partner integrations are refused by every marker except ``PeopleData``: authentication,
administration, audit, key and support operations are closed to them without anyone
having to remember it field by field. What they may read or write of a person is then
decided by their consent-derived policy, like anyone else's.
"""

from __future__ import annotations

from typing import Any, ClassVar

from strawberry import Info
from strawberry.permission import BasePermission

from hrvault.errors import Forbidden
from hrvault.permissions.enforce import require_ability
from hrvault.vocabulary import Ability


def _admit(info: Info, admits_partners: bool) -> None:
    """The one place that keeps partners out of every operation not declared open to them."""
    principal = info.context.principal
    if principal is not None and principal.is_partner and not admits_partners:
        raise Forbidden(
            "partner integrations cannot call this operation", reason="partner_not_allowed"
        )


class Public(BasePermission):
    """Explicitly open to callers without a session (login); never to partners."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        _admit(info, admits_partners=False)
        return True


class Authenticated(BasePermission):
    """Needs a live user session of the tenant; answers UNAUTHENTICATED otherwise."""

    admits_partners: ClassVar[bool] = False

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        info.context.require_principal()  # raises Unauthenticated with the reason
        _admit(info, self.admits_partners)
        return True


class PeopleData(Authenticated):
    """Reads and writes of people's data: users and consented partner integrations."""

    admits_partners = True


class RequiresAbility(BasePermission):
    """Needs a live session and one of ``abilities``; answers FORBIDDEN otherwise."""

    abilities: ClassVar[tuple[Ability, ...]] = ()

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        info.context.require_principal()
        _admit(info, admits_partners=False)
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
    return permission is Public or issubclass(permission, Authenticated | RequiresAbility)

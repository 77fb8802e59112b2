"""Access markers for root fields (queries and mutations): deny by default.

Every root field names exactly one marker in ``permission_classes``: ``Public`` for the
few operations a caller may use before logging in, ``OwnSession`` / ``StaffOnly`` for the
steps of a login (second factor, enrolment, step-up, choosing a support grant),
``Authenticated`` for operations whose per-person checks happen on the data (field guards,
mutation checks), ``PeopleData`` for those that partner integrations may call too,
``SteppedUp`` for sensitive changes (the caller's own account, a person's bank or identity
details), or
``requires(ability, ..., step_up=...)`` for tenant administration. A root field with none
is refused when the schema is built (see ``hrvault.schema.checks``).

Partner integrations are refused by every marker except ``PeopleData``: authentication,
administration, audit, key and support operations are closed to them without anyone
having to remember it field by field. What they may read or write of a person is then
decided by their consent-derived policy, like anyone else's.
"""

from __future__ import annotations

from typing import Any, ClassVar

from strawberry import Info
from strawberry.permission import BasePermission

from hrvault.auth.principal import require_step_up
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
    """Needs a live session of the tenant; answers UNAUTHENTICATED otherwise."""

    admits_partners: ClassVar[bool] = False

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        info.context.require_principal()  # raises Unauthenticated with the reason
        _admit(info, self.admits_partners)
        return True


class PeopleData(Authenticated):
    """Reads and writes of people's data: users, staff under a grant, consented partners."""

    admits_partners = True


class SteppedUp(Authenticated):
    """A sensitive operation: on the caller's own account, or on a person's bank or identity
    details (where payroll fraud and identity theft start). Needs a recent TOTP step-up
    (STEP_UP_REQUIRED otherwise), so never a partner."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.require_principal()
        _admit(info, admits_partners=False)
        require_step_up(principal, info.context.clock.now())
        return True


class OwnSession(BasePermission):
    """The caller's own session at any stage, user or staff: completing a login,
    enrolling TOTP, stepping up. Nothing here reaches tenant data."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        _admit(info, admits_partners=False)
        info.context.require_session()
        return True


class StaffOnly(BasePermission):
    """A support staff session that completed its TOTP login (choosing a grant, asking)."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        _admit(info, admits_partners=False)
        info.context.require_staff()
        return True


class RequiresAbility(BasePermission):
    """Needs a live session and one of ``abilities``; answers FORBIDDEN otherwise.
    With ``step_up`` also a recent TOTP step-up (the sensitive administration)."""

    abilities: ClassVar[tuple[Ability, ...]] = ()
    step_up: ClassVar[bool] = False

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.require_principal()
        _admit(info, admits_partners=False)
        require_ability(info.context.policy, *self.abilities)  # raises Forbidden with the reason
        if self.step_up:
            require_step_up(principal, info.context.clock.now())
        return True


_requirements: dict[tuple[tuple[Ability, ...], bool], type[RequiresAbility]] = {}


def requires(*abilities: Ability, step_up: bool = False) -> type[RequiresAbility]:
    """The marker for "holds any of these abilities" (one class per set, reused)."""
    key = tuple(sorted(abilities))
    if not key:
        raise ValueError("requires() needs at least one ability")
    if (key, step_up) not in _requirements:
        name = "Requires" + "Or".join(a.value.title().replace("_", "") for a in key)
        name += "SteppedUp" if step_up else ""
        _requirements[(key, step_up)] = type(
            name, (RequiresAbility,), {"abilities": key, "step_up": step_up}
        )
    return _requirements[(key, step_up)]


def is_access_marker(permission: type[BasePermission]) -> bool:
    return permission in (Public, OwnSession, StaffOnly) or issubclass(
        permission, (Authenticated, RequiresAbility)
    )

"""The declarative mark of a mutation that hands out or acts on powers.

``fields.mutation(delegation=Act.HANDS_OUT)`` (or ``ACTS_ON``) records the act in the
field's metadata and attaches ``ConsultsDelegationRule``: if the resolver returns without
having asked the delegation rule (``RequestContext.require_delegation``), the request
fails and its transaction rolls back, so the mark cannot be a promise the code forgets.

Mutations that write powers or credentials but cannot widen anyone's reach declare why
instead (``Exempt``): revocations only take away, and the caller's own account is theirs.
``check_declared_delegation`` refuses, at build time, a mutation of the administering
abilities that declares neither.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.extensions.field_extension import AsyncExtensionResolver
from strawberry.types import Info
from strawberry.types.field import StrawberryField

from hrvault.permissions.delegation import Act

DELEGATION_KEY = "hrvault.delegation"


class Exempt(StrEnum):
    """Why a mutation that writes powers or credentials needs no delegation check."""

    TAKES_AWAY = "takes_away"
    """Ends a consent, token or support grant, or declines a request: nobody gains."""
    OWN_ACCOUNT = "own_account"
    """The caller's own sign-in or second factor: acting on oneself weakens nobody else."""
    ASKS = "asks"
    """Staff ask for access: nothing is opened until the tenant approves (a checked act)."""


Declaration = Act | Exempt


class DelegationNotConsulted(RuntimeError):
    """A mutation declared as delegating returned without asking the delegation rule."""


class ConsultsDelegationRule(FieldExtension):
    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        context = info.context
        before = context.delegation_checks
        result = await next_(source, info, **kwargs)
        if context.delegation_checks == before:
            raise DelegationNotConsulted(f"{info.field_name} did not consult the delegation rule")
        return result


def declared_delegation(field: StrawberryField) -> Declaration | None:
    metadata: dict[str, Any] = dict(field.metadata or {})
    declared = metadata.get(DELEGATION_KEY)
    return declared if isinstance(declared, (Act, Exempt)) else None


def enforces_delegation(field: StrawberryField) -> bool:
    """Whether the field both declares an act and carries the runtime enforcement."""
    return isinstance(declared_delegation(field), Act) and any(
        isinstance(e, ConsultsDelegationRule) for e in field.extensions
    )

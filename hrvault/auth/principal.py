"""The one authenticated caller of a request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class PrincipalKind(StrEnum):
    USER = "user"
    PARTNER = "partner"
    SYSTEM = "system"


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    tenant_id: uuid.UUID
    actor_id: uuid.UUID | None
    display_name: str
    session_id: uuid.UUID | None = None
    employee_id: uuid.UUID | None = None
    via_kind: str | None = None
    """What the actor acts under (a partner token), recorded with everything it does."""
    via_id: uuid.UUID | None = None

    @property
    def is_partner(self) -> bool:
        return self.kind is PrincipalKind.PARTNER


def system_principal(tenant_id: uuid.UUID, name: str = "hrvault CLI") -> Principal:
    """The actor of operator commands (CLI) that act outside any login session."""
    return Principal(
        kind=PrincipalKind.SYSTEM, tenant_id=tenant_id, actor_id=None, display_name=name
    )

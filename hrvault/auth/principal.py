"""The one authenticated caller of a request, and the step-up rule for sensitive operations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from hrvault.errors import StepUpRequired

DEFAULT_STEP_UP_WINDOW = timedelta(minutes=10)


class PrincipalKind(StrEnum):
    USER = "user"
    PARTNER = "partner"
    SUPPORT = "support"
    SYSTEM = "system"


class SessionStage(StrEnum):
    """How far a login got: only ``full`` sessions reach tenant data."""

    FULL = "full"
    TOTP_PENDING = "totp_pending"
    ENROL_ONLY = "enrol_only"


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    tenant_id: uuid.UUID
    actor_id: uuid.UUID | None
    display_name: str
    session_id: uuid.UUID | None = None
    employee_id: uuid.UUID | None = None
    via_kind: str | None = None
    """What the actor acts under (a partner token, a support grant): recorded with all it does."""
    via_id: uuid.UUID | None = None
    via_reason: str | None = None
    stage: SessionStage = SessionStage.FULL
    stepped_up_at: datetime | None = None
    step_up_window: timedelta = DEFAULT_STEP_UP_WINDOW
    ends_at: datetime | None = None
    """The session's absolute end."""

    @property
    def is_partner(self) -> bool:
        return self.kind is PrincipalKind.PARTNER


def require_step_up(principal: Principal, now: datetime) -> None:
    """The one check for sensitive operations: a TOTP step-up within the tenant's window."""
    stepped = principal.stepped_up_at
    if stepped is None or now - stepped > principal.step_up_window:
        window = int(principal.step_up_window.total_seconds())
        raise StepUpRequired(
            f"this needs a TOTP step-up within the last {window // 60} minutes;"
            " call verifyStepUp(code) first",
            stepUpWindowSeconds=window,
        )


def system_principal(tenant_id: uuid.UUID, name: str = "hrvault CLI") -> Principal:
    """The actor of operator commands (CLI) that act outside any login session."""
    return Principal(
        kind=PrincipalKind.SYSTEM, tenant_id=tenant_id, actor_id=None, display_name=name
    )

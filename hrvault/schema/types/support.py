"""Second-factor results and support access as the tenant sees it."""

from __future__ import annotations

from datetime import datetime

import strawberry

from hrvault.auth.support import GrantState, state_of
from hrvault.auth.totp import RECOVERY_CODE_COUNT, Enrollment
from hrvault.models import AuditRecord, SupportGrant
from hrvault.resolvers.second_factor import Renewed
from hrvault.schema import caps
from hrvault.schema.bounds import cap_note, capped
from hrvault.schema.types.base import ADMINISTRATION, FieldGroupEnum
from hrvault.vocabulary import FieldGroup

GrantStateEnum = strawberry.enum(GrantState, name="SupportGrantState")


@strawberry.type(description="Scan the QR code or enter the URI in an authenticator app.")
class TotpEnrollment:
    otpauth_uri: str
    qr_code_svg: str = strawberry.field(description="An SVG image as a data URI.")

    @classmethod
    def of(cls, enrollment: Enrollment) -> TotpEnrollment:
        return cls(
            otpauth_uri=enrollment.uri.reveal(), qr_code_svg=enrollment.qr_svg_data_uri.reveal()
        )


@strawberry.type(description="A renewed session token; the previous one no longer works.")
class SessionRenewal:
    token: str
    recovery_codes: list[str] = strawberry.field(
        metadata=capped(RECOVERY_CODE_COUNT),
        description=f"After enrolment only: {RECOVERY_CODE_COUNT} single-use codes, shown this "
        "once.",
    )

    @classmethod
    def of(cls, renewed: Renewed) -> SessionRenewal:
        return cls(
            token=renewed.token.reveal(),
            recovery_codes=[code.reveal() for code in renewed.recovery_codes],
        )


@strawberry.type(description="What one staff member did under a support grant.")
class SupportAction:
    occurred_at: datetime = strawberry.field(metadata=ADMINISTRATION)
    staff_id: strawberry.ID | None = strawberry.field(metadata=ADMINISTRATION)
    staff_name: str = strawberry.field(metadata=ADMINISTRATION)
    action: str = strawberry.field(metadata=ADMINISTRATION)
    entity_type: str = strawberry.field(metadata=ADMINISTRATION)
    entity_id: str | None = strawberry.field(metadata=ADMINISTRATION)
    operation: str | None = strawberry.field(metadata=ADMINISTRATION)

    @classmethod
    def from_row(cls, row: AuditRecord) -> SupportAction:
        return cls(
            occurred_at=row.occurred_at,
            staff_id=strawberry.ID(str(row.actor_id)) if row.actor_id else None,
            staff_name=row.actor_name,
            action=row.action,
            entity_type=row.entity_type,
            entity_id=row.entity_id,
            operation=row.operation,
        )


@strawberry.type(description="A support grant, or a staff request for one.")
class SupportGrantView:
    id: strawberry.ID = strawberry.field(metadata=ADMINISTRATION)
    state: GrantStateEnum = strawberry.field(metadata=ADMINISTRATION)  # type: ignore[valid-type]
    reason: str = strawberry.field(metadata=ADMINISTRATION)
    ticket: str | None = strawberry.field(metadata=ADMINISTRATION)
    field_groups: list[FieldGroupEnum] = strawberry.field(  # type: ignore[valid-type]
        metadata={**ADMINISTRATION, **capped(len(FieldGroup))}
    )
    writable: bool = strawberry.field(metadata=ADMINISTRATION)
    staff_id: strawberry.ID | None = strawberry.field(metadata=ADMINISTRATION)
    employee_ids: list[strawberry.ID] | None = strawberry.field(
        metadata={**ADMINISTRATION, **capped(caps.SCOPE_IDS)}, description=cap_note(caps.SCOPE_IDS)
    )
    requested_by_staff: bool = strawberry.field(metadata=ADMINISTRATION)
    requested_at: datetime = strawberry.field(metadata=ADMINISTRATION)
    starts_at: datetime | None = strawberry.field(metadata=ADMINISTRATION)
    expires_at: datetime | None = strawberry.field(metadata=ADMINISTRATION)
    revoked_at: datetime | None = strawberry.field(metadata=ADMINISTRATION)
    actions: list[SupportAction] = strawberry.field(
        metadata={**ADMINISTRATION, **capped(caps.STAFF_ACTIONS)},
        description="What staff did under it, oldest first; `auditLog` has every record. "
        + cap_note(caps.STAFF_ACTIONS),
    )

    @classmethod
    def from_row(
        cls, row: SupportGrant, now: datetime, actions: list[AuditRecord]
    ) -> SupportGrantView:
        return cls(
            id=strawberry.ID(str(row.id)),
            state=state_of(row, now),
            reason=row.reason,
            ticket=row.ticket,
            field_groups=list(row.field_groups),
            writable=row.writable,
            staff_id=strawberry.ID(str(row.staff_id)) if row.staff_id else None,
            employee_ids=[strawberry.ID(str(e)) for e in row.employee_ids]
            if row.employee_ids
            else None,
            requested_by_staff=row.requested_by_staff is not None,
            requested_at=row.requested_at,
            starts_at=row.starts_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            actions=[SupportAction.from_row(a) for a in actions],
        )

"""The vendor's support staff (platform principals) and the grants tenants give them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Identity,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from hrvault.models.base import Base
from hrvault.vocabulary import FieldGroup


class SupportStaff(Base):
    """Platform data: belongs to no tenant; created only with ``hrvault staff create``."""

    __field_group__ = FieldGroup.ADMINISTRATION
    __tablename__ = "support_staff"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    sealed_seed: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_confirmed_at: Mapped[datetime | None]
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class StaffRecoveryCode(Base):
    """A staff member's single-use recovery code, stored as SHA-256 like a user's."""

    __field_group__ = FieldGroup.ADMINISTRATION
    __tablename__ = "staff_recovery_codes"
    __table_args__ = (
        UniqueConstraint("staff_id", "code_hash", name="uq_staff_recovery_codes_code"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("support_staff.id", ondelete="CASCADE"))
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    used_at: Mapped[datetime | None]


class StaffAuditRecord(Base):
    """What happened to a staff account, by the staff member or an operator command.

    Append-only for the application role (INSERT and SELECT only, and a trigger), like
    the tenants' audit log; what staff do *in* a tenant goes to that tenant's chain.
    """

    __field_group__ = FieldGroup.ADMINISTRATION
    __tablename__ = "staff_audit_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("support_staff.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    """The record's place in its staff member's hash chain (gapless from 1)."""
    format_version: Mapped[int] = mapped_column(SmallInteger)
    occurred_at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(32))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_name: Mapped[str] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(64))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class StaffAuditHead(Base):
    """The last record of a staff member's chain; only an insert extending it moves it."""

    __field_group__ = FieldGroup.ADMINISTRATION
    __tablename__ = "staff_audit_heads"

    staff_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("support_staff.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class StaffSession(Base):
    """A staff login; ``tenant_id``/``grant_id`` name the one grant it currently acts under."""

    __field_group__ = FieldGroup.ADMINISTRATION
    __tablename__ = "staff_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("support_staff.id"))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    stage: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    stepped_up_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenants.id"))
    grant_id: Mapped[uuid.UUID | None]


class SupportGrant(Base):
    """Tenant-owned. ``status`` is requested/approved/declined; a grant is live while
    approved, started, not expired and not revoked. A request lapses after 24 hours."""

    __field_group__ = FieldGroup.ADMINISTRATION
    __tablename__ = "support_grants"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    ticket: Mapped[str | None] = mapped_column(String(100))
    field_groups: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    writable: Mapped[bool]
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("support_staff.id"))
    employee_ids: Mapped[list[uuid.UUID] | None] = mapped_column(ARRAY(Uuid))
    duration_seconds: Mapped[int]
    requested_by_staff: Mapped[uuid.UUID | None]
    requested_at: Mapped[datetime]
    decided_by: Mapped[uuid.UUID | None]
    starts_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[uuid.UUID | None]

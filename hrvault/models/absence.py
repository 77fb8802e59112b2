"""Absence types a tenant offers and the absences its people request."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hrvault.models.base import Base, TenantOwned, Tracked
from hrvault.models.enums import AbsenceStatus, checked_enum
from hrvault.vocabulary import FieldGroup


class AbsenceType(TenantOwned, Tracked, Base):
    __field_group__ = FieldGroup.ORGANISATION
    __tablename__ = "absence_types"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("code ~ '^[a-z][a-z0-9_]{0,31}$'", name="code_format"),
    )

    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    is_health_related: Mapped[bool] = mapped_column(default=False)
    requires_approval: Mapped[bool] = mapped_column(default=True)


class Absence(TenantOwned, Tracked, Base):
    __field_group__ = FieldGroup.ABSENCE
    __column_groups__: ClassVar[dict[str, FieldGroup]] = {
        "reason_sealed": FieldGroup.ABSENCE_REASON
    }
    __tablename__ = "absences"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "employee_id"],
            ["employees.tenant_id", "employees.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "absence_type_id"], ["absence_types.tenant_id", "absence_types.id"]
        ),
        ForeignKeyConstraint(["tenant_id", "approver_id"], ["employees.tenant_id", "employees.id"]),
        CheckConstraint("end_date >= start_date", name="dates_ordered"),
        Index("ix_absences_tenant_employee", "tenant_id", "employee_id", "start_date"),
    )

    employee_id: Mapped[uuid.UUID]
    absence_type_id: Mapped[uuid.UUID]
    start_date: Mapped[date]
    end_date: Mapped[date]
    status: Mapped[AbsenceStatus] = mapped_column(checked_enum(AbsenceStatus))
    approver_id: Mapped[uuid.UUID | None]
    decided_at: Mapped[datetime | None]
    reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    """Notes on the reason (a diagnosis, a child's illness), sealed under the person's key."""

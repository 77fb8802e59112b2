"""Offices and the department tree."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from hrvault.models.base import Base, TenantOwned, Tracked
from hrvault.vocabulary import FieldGroup


class Office(TenantOwned, Tracked, Base):
    __field_group__ = FieldGroup.ORGANISATION
    __tablename__ = "offices"
    __table_args__ = (
        Index("uq_offices_tenant_name", "tenant_id", text("lower(name)"), unique=True),
        CheckConstraint("country_code ~ '^[A-Z]{2}$'", name="country_code_format"),
    )

    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500), default="")
    country_code: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))


class Department(TenantOwned, Tracked, Base):
    __field_group__ = FieldGroup.ORGANISATION
    __tablename__ = "departments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "parent_id"], ["departments.tenant_id", "departments.id"]
        ),
        ForeignKeyConstraint(
            ["tenant_id", "head_employee_id"],
            ["employees.tenant_id", "employees.id"],
            use_alter=True,
        ),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        Index("ix_departments_tenant_parent", "tenant_id", "parent_id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[uuid.UUID | None]
    head_employee_id: Mapped[uuid.UUID | None]

"""People and their effective-dated history: reporting lines, employments, job assignments.

History is never overwritten: a change is a new row with an ``effective_from`` date. The
current value is the latest row effective today; rows dated later are scheduled changes.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hrvault.models.base import Base, TenantOwned, Tracked
from hrvault.models.enums import EmployeeStatus, EmploymentType, checked_enum
from hrvault.vocabulary import FieldGroup

if TYPE_CHECKING:
    from hrvault.models.current import EmployeeCurrent


NAME_VECTOR = (
    "to_tsvector('simple'::regconfig, employees.first_name::text || ' ' || "
    "employees.last_name::text || ' ' || coalesce(employees.preferred_name::text, ''))"
)
"""The words of a person's names, for search: the expression ``ix_employees_name_words``
indexes, written the same way wherever it is used so that the index serves it."""


def _employee_fk(column: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", column], ["employees.tenant_id", "employees.id"], ondelete="CASCADE"
    )


class Employee(TenantOwned, Tracked, Base):
    __field_group__ = FieldGroup.BASIC
    __tablename__ = "employees"
    __table_args__ = (
        UniqueConstraint("tenant_id", "employee_number"),
        Index("ix_employees_tenant_name", "tenant_id", "last_name", "first_name", "id"),
    )

    employee_number: Mapped[str] = mapped_column(String(32))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    preferred_name: Mapped[str | None] = mapped_column(String(100))
    work_email: Mapped[str | None] = mapped_column(String(254))
    work_phone: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[EmployeeStatus] = mapped_column(checked_enum(EmployeeStatus))
    placement: Mapped[EmployeeCurrent | None] = relationship(
        primaryjoin="and_(Employee.tenant_id == foreign(EmployeeCurrent.tenant_id), "
        "Employee.id == foreign(EmployeeCurrent.employee_id))",
        lazy="joined",
        viewonly=True,
        uselist=False,
    )
    """Where the person stands today; loaded with them, so deciding what a viewer may
    see of them (a report? in the department?) needs no further statement."""

    @property
    def display_name(self) -> str:
        return f"{self.preferred_name or self.first_name} {self.last_name}"


class ReportingLine(TenantOwned, Tracked, Base):
    """The primary manager of an employee from ``effective_from`` on (NULL: no manager)."""

    __field_group__ = FieldGroup.JOB
    __tablename__ = "reporting_lines"
    __table_args__ = (
        _employee_fk("employee_id"),
        ForeignKeyConstraint(["tenant_id", "manager_id"], ["employees.tenant_id", "employees.id"]),
        UniqueConstraint("tenant_id", "employee_id", "effective_from"),
        CheckConstraint("manager_id IS NULL OR manager_id <> employee_id", name="not_self"),
        Index("ix_reporting_lines_tenant_manager", "tenant_id", "manager_id"),
    )

    employee_id: Mapped[uuid.UUID]
    manager_id: Mapped[uuid.UUID | None]
    effective_from: Mapped[date]


class Employment(TenantOwned, Tracked, Base):
    __field_group__ = FieldGroup.EMPLOYMENT
    __tablename__ = "employments"
    __table_args__ = (
        _employee_fk("employee_id"),
        CheckConstraint("fte_percent > 0 AND fte_percent <= 100", name="fte_range"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),
        CheckConstraint("country_code ~ '^[A-Z]{2}$'", name="country_code_format"),
        Index("ix_employments_tenant_employee", "tenant_id", "employee_id"),
    )

    employee_id: Mapped[uuid.UUID]
    employment_type: Mapped[EmploymentType] = mapped_column(checked_enum(EmploymentType))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    fte_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    legal_entity: Mapped[str] = mapped_column(String(200))
    country_code: Mapped[str] = mapped_column(String(2))


class JobAssignment(TenantOwned, Tracked, Base):
    __field_group__ = FieldGroup.JOB
    __tablename__ = "job_assignments"
    __table_args__ = (
        _employee_fk("employee_id"),
        ForeignKeyConstraint(
            ["tenant_id", "department_id"], ["departments.tenant_id", "departments.id"]
        ),
        ForeignKeyConstraint(["tenant_id", "office_id"], ["offices.tenant_id", "offices.id"]),
        UniqueConstraint("tenant_id", "employee_id", "effective_from"),
        Index("ix_job_assignments_tenant_department", "tenant_id", "department_id"),
    )

    employee_id: Mapped[uuid.UUID]
    title: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[uuid.UUID | None]
    office_id: Mapped[uuid.UUID | None]
    effective_from: Mapped[date]

"""Effective-dated history rows: job assignments, reporting lines, employments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from hrvault.models import Employment as EmploymentRow
from hrvault.models import JobAssignment as JobAssignmentRow
from hrvault.models import ReportingLine as ReportingLineRow
from hrvault.schema.types.base import EMPLOYMENT, JOB, EmploymentTypeEnum, Info, resolver
from hrvault.schema.types.org import Department, Office

if TYPE_CHECKING:
    from hrvault.schema.types.employee import Employee

EmployeeRef = Annotated["Employee", strawberry.lazy("hrvault.schema.types.employee")]


@strawberry.type(description="Title, department and office from a date on.")
class JobAssignment:
    row: strawberry.Private[JobAssignmentRow]
    id: strawberry.ID = strawberry.field(metadata=JOB)
    title: str = strawberry.field(metadata=JOB)
    effective_from: date = strawberry.field(metadata=JOB)
    version: int = strawberry.field(metadata=JOB)

    @classmethod
    def from_row(cls, row: JobAssignmentRow) -> Self:
        return cls(
            row=row,
            id=strawberry.ID(str(row.id)),
            title=row.title,
            effective_from=row.effective_from,
            version=row.version,
        )

    @resolver(JOB)
    async def department(self, info: Info) -> Department | None:
        if self.row.department_id is None:
            return None
        row = await info.context.loaders.department.load(self.row.department_id)
        return Department.from_row(row) if row else None

    @resolver(JOB)
    async def office(self, info: Info) -> Office | None:
        if self.row.office_id is None:
            return None
        row = await info.context.loaders.office.load(self.row.office_id)
        return Office.from_row(row) if row else None


@strawberry.type(description="The primary manager of an employee from a date on.")
class ReportingLine:
    row: strawberry.Private[ReportingLineRow]
    id: strawberry.ID = strawberry.field(metadata=JOB)
    effective_from: date = strawberry.field(metadata=JOB)
    version: int = strawberry.field(metadata=JOB)

    @classmethod
    def from_row(cls, row: ReportingLineRow) -> Self:
        return cls(
            row=row,
            id=strawberry.ID(str(row.id)),
            effective_from=row.effective_from,
            version=row.version,
        )

    @resolver(JOB, description="Null from this date on means: no manager.")
    async def manager(self, info: Info) -> EmployeeRef | None:
        from hrvault.schema.types.employee import visible_employee

        if self.row.manager_id is None:
            return None
        return visible_employee(info, await info.context.loaders.employee.load(self.row.manager_id))


@strawberry.type(description="An employment contract.")
class Employment:
    id: strawberry.ID = strawberry.field(metadata=EMPLOYMENT)
    employment_type: EmploymentTypeEnum = strawberry.field(metadata=EMPLOYMENT)  # type: ignore[valid-type]
    start_date: date = strawberry.field(metadata=EMPLOYMENT)
    end_date: date | None = strawberry.field(metadata=EMPLOYMENT)
    fte_percent: Decimal = strawberry.field(metadata=EMPLOYMENT)
    legal_entity: str = strawberry.field(metadata=EMPLOYMENT)
    country_code: str = strawberry.field(metadata=EMPLOYMENT)
    version: int = strawberry.field(metadata=EMPLOYMENT)

    @classmethod
    def from_row(cls, row: EmploymentRow) -> Self:
        return cls(
            id=strawberry.ID(str(row.id)),
            employment_type=row.employment_type,
            start_date=row.start_date,
            end_date=row.end_date,
            fte_percent=row.fte_percent,
            legal_entity=row.legal_entity,
            country_code=row.country_code,
            version=row.version,
        )

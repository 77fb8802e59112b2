"""Absence types and absences."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from hrvault.crypto import columns
from hrvault.models import Absence as AbsenceRow
from hrvault.models import AbsenceType as AbsenceTypeRow
from hrvault.permissions.guard import may_see
from hrvault.schema.types.base import (
    ABSENCE,
    ABSENCE_REASON,
    ORGANISATION,
    AbsenceStatusEnum,
    Info,
    resolver,
)
from hrvault.vocabulary import FieldGroup

if TYPE_CHECKING:
    from hrvault.schema.types.employee import Employee

EmployeeRef = Annotated["Employee", strawberry.lazy("hrvault.schema.types.employee")]


@strawberry.type(description="A kind of absence the company offers.")
class AbsenceType:
    id: strawberry.ID = strawberry.field(metadata=ORGANISATION)
    code: str = strawberry.field(metadata=ORGANISATION)
    name: str = strawberry.field(metadata=ORGANISATION)
    is_health_related: bool = strawberry.field(
        metadata=ORGANISATION,
        description="The reason of a health-related absence is visible only to a few.",
    )
    requires_approval: bool = strawberry.field(metadata=ORGANISATION)

    @classmethod
    def from_row(cls, row: AbsenceTypeRow) -> Self:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            name=row.name,
            is_health_related=row.is_health_related,
            requires_approval=row.requires_approval,
        )


@strawberry.type(description="Time away from work, requested and then decided.")
class Absence:
    row: strawberry.Private[AbsenceRow]
    id: strawberry.ID = strawberry.field(metadata=ABSENCE)
    start_date: date = strawberry.field(metadata=ABSENCE)
    end_date: date = strawberry.field(metadata=ABSENCE)
    status: AbsenceStatusEnum = strawberry.field(metadata=ABSENCE)  # type: ignore[valid-type]
    decided_at: datetime | None = strawberry.field(metadata=ABSENCE)
    version: int = strawberry.field(metadata=ABSENCE)

    @classmethod
    def from_row(cls, row: AbsenceRow) -> Self:
        return cls(
            row=row,
            id=strawberry.ID(str(row.id)),
            start_date=row.start_date,
            end_date=row.end_date,
            status=row.status,
            decided_at=row.decided_at,
            version=row.version,
        )

    @resolver(ABSENCE)
    async def absence_type(self, info: Info) -> AbsenceType:
        row = await info.context.loaders.absence_type.load(self.row.absence_type_id)
        if row is None:  # the foreign key makes this impossible; fail loudly, not silently
            raise LookupError(f"absence type {self.row.absence_type_id} vanished")
        return AbsenceType.from_row(row)

    @resolver(ABSENCE)
    async def employee(self, info: Info) -> EmployeeRef | None:
        from hrvault.schema.types.employee import visible_employee

        return visible_employee(
            info, await info.context.loaders.employee.load(self.row.employee_id)
        )

    @resolver(ABSENCE, description="Who approved or rejected it.")
    async def approver(self, info: Info) -> EmployeeRef | None:
        from hrvault.schema.types.employee import visible_employee

        if self.row.approver_id is None:
            return None
        return visible_employee(
            info, await info.context.loaders.employee.load(self.row.approver_id)
        )

    @resolver(
        ABSENCE_REASON,
        description="Notes on the reason (for health-related types, seen by very few).",
    )
    async def reason(self, info: Info) -> str | None:
        employee = await info.context.loaders.employee.load(self.row.employee_id)
        if employee is None or not may_see(info, employee, FieldGroup.ABSENCE_REASON):
            return None
        await info.context.sealed.keys_of(employee.id)
        return info.context.sealed.open(columns.ABSENCE_REASON, self.row)

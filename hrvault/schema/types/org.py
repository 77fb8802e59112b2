"""Offices and departments: company structure, readable by every user of the tenant."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from hrvault.models import Department as DepartmentRow
from hrvault.models import Office as OfficeRow
from hrvault.schema.types.base import ORGANISATION, Info, resolver

if TYPE_CHECKING:
    from hrvault.schema.types.employee import Employee


@strawberry.type(description="A place people work from.")
class Office:
    row: strawberry.Private[OfficeRow]
    id: strawberry.ID = strawberry.field(metadata=ORGANISATION)
    name: str = strawberry.field(metadata=ORGANISATION)
    address: str = strawberry.field(metadata=ORGANISATION)
    country_code: str = strawberry.field(metadata=ORGANISATION)
    timezone: str = strawberry.field(metadata=ORGANISATION)
    version: int = strawberry.field(metadata=ORGANISATION)

    @classmethod
    def from_row(cls, row: OfficeRow) -> Self:
        return cls(
            row=row,
            id=strawberry.ID(str(row.id)),
            name=row.name,
            address=row.address,
            country_code=row.country_code,
            timezone=row.timezone,
            version=row.version,
        )


@strawberry.type(description="A unit of the organisation; departments form a tree.")
class Department:
    row: strawberry.Private[DepartmentRow]
    id: strawberry.ID = strawberry.field(metadata=ORGANISATION)
    name: str = strawberry.field(metadata=ORGANISATION)
    version: int = strawberry.field(metadata=ORGANISATION)

    @classmethod
    def from_row(cls, row: DepartmentRow) -> Self:
        return cls(row=row, id=strawberry.ID(str(row.id)), name=row.name, version=row.version)

    @resolver(ORGANISATION)
    async def parent(self, info: Info) -> Department | None:
        if self.row.parent_id is None:
            return None
        parent = await info.context.loaders.department.load(self.row.parent_id)
        return Department.from_row(parent) if parent else None

    @resolver(ORGANISATION, description="The department's head, if set.")
    async def head(
        self, info: Info
    ) -> Annotated[Employee, strawberry.lazy("hrvault.schema.types.employee")] | None:
        from hrvault.schema.types.employee import visible_employee

        if self.row.head_employee_id is None:
            return None
        return visible_employee(
            info, await info.context.loaders.employee.load(self.row.head_employee_id)
        )

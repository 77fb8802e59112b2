"""Root query fields: thin calls into ``hrvault.resolvers``."""

from __future__ import annotations

import uuid

import strawberry

from hrvault.errors import not_found
from hrvault.resolvers import absences, employees, org, validation
from hrvault.schema import fields
from hrvault.schema.inputs import EmployeeFilter
from hrvault.schema.types.absence import AbsenceType
from hrvault.schema.types.base import Info
from hrvault.schema.types.employee import (
    Employee,
    EmployeeConnection,
    EmployeeEdge,
    PageInfo,
    visible_employee,
)
from hrvault.schema.types.org import Department, Office
from hrvault.schema.types.viewer import Viewer


def _optional_id(value: strawberry.ID | None, field: str) -> uuid.UUID | None:
    return None if value is None else validation.parse_id(value, field)


@strawberry.type
class Query:
    @fields.query(description="The caller.")
    async def me(self, info: Info) -> Viewer:
        principal = info.context.require_principal()
        employee = None
        if principal.employee_id is not None:
            row = await info.context.loaders.employee.load(principal.employee_id)
            employee = visible_employee(info, row)
        return Viewer(
            user_id=strawberry.ID(str(principal.actor_id)),
            display_name=principal.display_name,
            employee=employee,
        )

    @fields.query()
    async def employee(self, info: Info, id: strawberry.ID) -> Employee:
        row = await employees.get_employee(info.context, id)
        if row is None:
            raise not_found("employee")
        return Employee.from_row(row)

    @fields.query(description="Employees, a page at a time.")
    async def employees(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        filter: EmployeeFilter | None = None,
    ) -> EmployeeConnection:
        given = filter or EmployeeFilter()
        page = await employees.list_employees(
            info.context,
            first=first,
            after=after,
            where=employees.EmployeeFilter(
                department_id=_optional_id(given.department, "filter.department"),
                office_id=_optional_id(given.office, "filter.office"),
                status=given.status,
                search=given.search,
            ),
        )
        edges = [
            EmployeeEdge(cursor=employees.cursor_for(row), node=Employee.from_row(row))
            for row in page.employees
        ]
        return EmployeeConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )

    @fields.query()
    async def departments(self, info: Info) -> list[Department]:
        return [Department.from_row(row) for row in await org.list_departments(info.context)]

    @fields.query()
    async def offices(self, info: Info) -> list[Office]:
        return [Office.from_row(row) for row in await org.list_offices(info.context)]

    @fields.query()
    async def absence_types(self, info: Info) -> list[AbsenceType]:
        rows = await absences.list_absence_types(info.context)
        return [AbsenceType.from_row(row) for row in rows]

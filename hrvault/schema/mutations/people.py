"""Changes to people: directory data, jobs, reporting lines and employments.

Each resolver checks the caller's grants for that person before it writes anything.
"""

from __future__ import annotations

import strawberry

from hrvault.permissions.access import PeopleData
from hrvault.resolvers import employees, jobs
from hrvault.schema import fields
from hrvault.schema.inputs import (
    JOB_COLUMNS,
    CreateEmployeeInput,
    CreateEmploymentInput,
    CreateJobAssignmentInput,
    CreateReportingLineInput,
    UpdateEmployeeInput,
    UpdateEmploymentInput,
    UpdateJobAssignmentInput,
    UpdateReportingLineInput,
    groups_of,
    provided,
)
from hrvault.schema.types.base import Info
from hrvault.schema.types.employee import Employee
from hrvault.schema.types.history import Employment, JobAssignment, ReportingLine


@strawberry.type
class PeopleMutations:
    @fields.mutation(access=PeopleData)
    async def create_employee(self, info: Info, input: CreateEmployeeInput) -> Employee:
        row = await employees.create_employee(info.context, provided(input), groups_of(input))
        return Employee.from_row(row)

    @fields.mutation(access=PeopleData)
    async def update_employee(
        self, info: Info, id: strawberry.ID, input: UpdateEmployeeInput
    ) -> Employee:
        row = await employees.update_employee(
            info.context, id, input.version, provided(input), groups_of(input)
        )
        return Employee.from_row(row)

    @fields.mutation(
        access=PeopleData,
        description="Record a job change from a date on (future dates schedule it).",
    )
    async def create_job_assignment(
        self, info: Info, input: CreateJobAssignmentInput
    ) -> JobAssignment:
        changes = provided(input, rename=JOB_COLUMNS)
        employee_id = changes.pop("employee")
        row = await jobs.create_job_assignment(info.context, employee_id, changes)
        return JobAssignment.from_row(row)

    @fields.mutation(access=PeopleData)
    async def update_job_assignment(
        self, info: Info, id: strawberry.ID, input: UpdateJobAssignmentInput
    ) -> JobAssignment:
        changes = provided(input, rename=JOB_COLUMNS)
        row = await jobs.update_job_assignment(info.context, id, input.version, changes)
        return JobAssignment.from_row(row)

    @fields.mutation(access=PeopleData, description="Set the primary manager from a date on.")
    async def create_reporting_line(
        self, info: Info, input: CreateReportingLineInput
    ) -> ReportingLine:
        row = await jobs.create_reporting_line(
            info.context, input.employee, input.manager, input.effective_from
        )
        return ReportingLine.from_row(row)

    @fields.mutation(access=PeopleData)
    async def update_reporting_line(
        self, info: Info, id: strawberry.ID, input: UpdateReportingLineInput
    ) -> ReportingLine:
        changes = provided(input, rename={"manager": "manager_id"})
        row = await jobs.update_reporting_line(info.context, id, input.version, changes)
        return ReportingLine.from_row(row)

    @fields.mutation(access=PeopleData)
    async def create_employment(self, info: Info, input: CreateEmploymentInput) -> Employment:
        changes = provided(input)
        employee_id = changes.pop("employee")
        return Employment.from_row(await jobs.create_employment(info.context, employee_id, changes))

    @fields.mutation(access=PeopleData)
    async def update_employment(
        self, info: Info, id: strawberry.ID, input: UpdateEmploymentInput
    ) -> Employment:
        row = await jobs.update_employment(info.context, id, input.version, provided(input))
        return Employment.from_row(row)

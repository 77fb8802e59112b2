"""Root mutation fields: thin calls into ``hrvault.resolvers``.

Every mutation runs in the request's single transaction; any error rolls all of it
back, so a failed mutation writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import strawberry

from hrvault.auth import sessions
from hrvault.auth.throttle import CredentialKind
from hrvault.config import Secret
from hrvault.models import AbsenceStatus
from hrvault.resolvers import absences, employees, jobs, org
from hrvault.schema import fields
from hrvault.schema.cookies import clear_session_cookie, set_session_cookie
from hrvault.schema.inputs import (
    DEPARTMENT_COLUMNS,
    JOB_COLUMNS,
    CreateDepartmentInput,
    CreateEmployeeInput,
    CreateEmploymentInput,
    CreateJobAssignmentInput,
    CreateOfficeInput,
    CreateReportingLineInput,
    RequestAbsenceInput,
    UpdateAbsenceInput,
    UpdateDepartmentInput,
    UpdateEmployeeInput,
    UpdateEmploymentInput,
    UpdateJobAssignmentInput,
    UpdateOfficeInput,
    UpdateReportingLineInput,
    provided,
)
from hrvault.schema.types.absence import Absence
from hrvault.schema.types.base import Info
from hrvault.schema.types.employee import Employee
from hrvault.schema.types.history import Employment, JobAssignment, ReportingLine
from hrvault.schema.types.org import Department, Office
from hrvault.schema.types.viewer import LoginPayload


def _login_account(arguments: Mapping[str, Any]) -> str:
    return f"{arguments['tenant']}\0{arguments['email']}"


@strawberry.type
class Mutation:
    @fields.credential_mutation(
        CredentialKind.LOGIN,
        account=_login_account,
        description="Open a session; the same answer for every failure.",
    )
    async def login(self, info: Info, tenant: str, email: str, password: str) -> LoginPayload:
        ctx = info.context
        opened = await sessions.login(
            ctx.db,
            tenant_slug=tenant,
            email=email,
            password=Secret(password),
            now=ctx.clock.now(),
            client_ip=ctx.client_ip,
            user_agent=ctx.user_agent,
        )
        set_session_cookie(
            ctx.response, ctx.request, opened.token.value, opened.expires_at - ctx.clock.now()
        )
        return LoginPayload(
            token=opened.token.value.reveal(),
            expires_at=opened.expires_at,
            idle_timeout_seconds=int(opened.idle_timeout.total_seconds()),
        )

    @fields.mutation(description="End this session.")
    async def logout(self, info: Info) -> bool:
        ctx = info.context
        await sessions.revoke_session(ctx.db, ctx.require_principal(), now=ctx.clock.now())
        clear_session_cookie(ctx.response, ctx.request)
        return True

    @fields.mutation(description="End every session of the caller; returns how many ended.")
    async def logout_everywhere(self, info: Info) -> int:
        ctx = info.context
        ended = await sessions.revoke_all_sessions(
            ctx.db, ctx.require_principal(), now=ctx.clock.now()
        )
        clear_session_cookie(ctx.response, ctx.request)
        return ended

    @fields.mutation()
    async def create_employee(self, info: Info, input: CreateEmployeeInput) -> Employee:
        row = await employees.create_employee(info.context, provided(input))
        return Employee.from_row(row)

    @fields.mutation()
    async def update_employee(
        self, info: Info, id: strawberry.ID, input: UpdateEmployeeInput
    ) -> Employee:
        row = await employees.update_employee(info.context, id, input.version, provided(input))
        return Employee.from_row(row)

    @fields.mutation()
    async def create_office(self, info: Info, input: CreateOfficeInput) -> Office:
        return Office.from_row(await org.create_office(info.context, provided(input)))

    @fields.mutation()
    async def update_office(
        self, info: Info, id: strawberry.ID, input: UpdateOfficeInput
    ) -> Office:
        row = await org.update_office(info.context, id, input.version, provided(input))
        return Office.from_row(row)

    @fields.mutation()
    async def create_department(self, info: Info, input: CreateDepartmentInput) -> Department:
        changes = provided(input, rename=DEPARTMENT_COLUMNS)
        return Department.from_row(await org.create_department(info.context, changes))

    @fields.mutation()
    async def update_department(
        self, info: Info, id: strawberry.ID, input: UpdateDepartmentInput
    ) -> Department:
        changes = provided(input, rename=DEPARTMENT_COLUMNS)
        row = await org.update_department(info.context, id, input.version, changes)
        return Department.from_row(row)

    @fields.mutation(description="Record a job change from a date on (future dates schedule it).")
    async def create_job_assignment(
        self, info: Info, input: CreateJobAssignmentInput
    ) -> JobAssignment:
        changes = provided(input, rename=JOB_COLUMNS)
        employee_id = changes.pop("employee")
        row = await jobs.create_job_assignment(info.context, employee_id, changes)
        return JobAssignment.from_row(row)

    @fields.mutation()
    async def update_job_assignment(
        self, info: Info, id: strawberry.ID, input: UpdateJobAssignmentInput
    ) -> JobAssignment:
        changes = provided(input, rename=JOB_COLUMNS)
        row = await jobs.update_job_assignment(info.context, id, input.version, changes)
        return JobAssignment.from_row(row)

    @fields.mutation(description="Set the primary manager from a date on.")
    async def create_reporting_line(
        self, info: Info, input: CreateReportingLineInput
    ) -> ReportingLine:
        row = await jobs.create_reporting_line(
            info.context, input.employee, input.manager, input.effective_from
        )
        return ReportingLine.from_row(row)

    @fields.mutation()
    async def update_reporting_line(
        self, info: Info, id: strawberry.ID, input: UpdateReportingLineInput
    ) -> ReportingLine:
        changes = provided(input, rename={"manager": "manager_id"})
        row = await jobs.update_reporting_line(info.context, id, input.version, changes)
        return ReportingLine.from_row(row)

    @fields.mutation()
    async def create_employment(self, info: Info, input: CreateEmploymentInput) -> Employment:
        changes = provided(input)
        employee_id = changes.pop("employee")
        return Employment.from_row(await jobs.create_employment(info.context, employee_id, changes))

    @fields.mutation()
    async def update_employment(
        self, info: Info, id: strawberry.ID, input: UpdateEmploymentInput
    ) -> Employment:
        row = await jobs.update_employment(info.context, id, input.version, provided(input))
        return Employment.from_row(row)

    @fields.mutation(description="Request an absence; types without approval are approved at once.")
    async def request_absence(self, info: Info, input: RequestAbsenceInput) -> Absence:
        row = await absences.request_absence(
            info.context, input.employee, input.absence_type, input.start_date, input.end_date
        )
        return Absence.from_row(row)

    @fields.mutation()
    async def update_absence(
        self, info: Info, id: strawberry.ID, input: UpdateAbsenceInput
    ) -> Absence:
        changes = provided(input, rename={"absence_type": "absence_type_id"})
        return Absence.from_row(
            await absences.update_absence(info.context, id, input.version, changes)
        )

    @fields.mutation()
    async def approve_absence(self, info: Info, id: strawberry.ID, version: int) -> Absence:
        row = await absences.decide_absence(info.context, id, version, AbsenceStatus.APPROVED)
        return Absence.from_row(row)

    @fields.mutation()
    async def reject_absence(self, info: Info, id: strawberry.ID, version: int) -> Absence:
        row = await absences.decide_absence(info.context, id, version, AbsenceStatus.REJECTED)
        return Absence.from_row(row)

    @fields.mutation()
    async def cancel_absence(self, info: Info, id: strawberry.ID, version: int) -> Absence:
        row = await absences.decide_absence(info.context, id, version, AbsenceStatus.CANCELLED)
        return Absence.from_row(row)

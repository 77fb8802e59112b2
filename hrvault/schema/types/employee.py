"""The employee: directory data in plain fields, everything else resolved per group."""

from __future__ import annotations

from typing import Self

import strawberry

from hrvault.models import Employee as EmployeeRow
from hrvault.resolvers import employees
from hrvault.resolvers.personal_data import MAX_BANK_ACCOUNTS, MAX_EMERGENCY_CONTACTS
from hrvault.schema.bounds import cap_note, capped, page_items, paged
from hrvault.schema.types.absence import Absence
from hrvault.schema.types.base import (
    BASIC,
    FIRST_ITEMS,
    FIRST_ITEMS_NOTE,
    EmployeeStatusEnum,
    Info,
    first_items,
    person_field,
)
from hrvault.schema.types.history import Employment, JobAssignment, ReportingLine
from hrvault.schema.types.org import Department, Office
from hrvault.schema.types.pay import AdditionalCompensation, Compensation
from hrvault.schema.types.personal import (
    BankAccount,
    EmergencyContact,
    IdentityDetails,
    PersonalDetails,
)
from hrvault.vocabulary import FieldGroup


@strawberry.type(description="A person employed (or about to be, or formerly) by the company.")
class Employee:
    row: strawberry.Private[EmployeeRow]
    id: strawberry.ID = strawberry.field(metadata=BASIC)
    employee_number: str = strawberry.field(metadata=BASIC)
    first_name: str = strawberry.field(metadata=BASIC)
    last_name: str = strawberry.field(metadata=BASIC)
    preferred_name: str | None = strawberry.field(metadata=BASIC)
    name: str = strawberry.field(metadata=BASIC, description="Preferred (or first) and last name.")
    work_email: str | None = strawberry.field(metadata=BASIC)
    work_phone: str | None = strawberry.field(metadata=BASIC)
    status: EmployeeStatusEnum = strawberry.field(metadata=BASIC)  # type: ignore[valid-type]
    version: int = strawberry.field(metadata=BASIC, description="Pass back when updating.")

    @classmethod
    def from_row(cls, row: EmployeeRow) -> Self:
        return cls(
            row=row,
            id=strawberry.ID(str(row.id)),
            employee_number=row.employee_number,
            first_name=row.first_name,
            last_name=row.last_name,
            preferred_name=row.preferred_name,
            name=row.display_name,
            work_email=row.work_email,
            work_phone=row.work_phone,
            status=row.status,
            version=row.version,
        )

    @person_field(FieldGroup.JOB, description="The job assignment effective today.")
    async def job(self, info: Info) -> JobAssignment | None:
        row = await info.context.loaders.current_job.load(self.row.id)
        return JobAssignment.from_row(row) if row else None

    @person_field(FieldGroup.JOB, description="Current job title.")
    async def job_title(self, info: Info) -> str | None:
        row = await info.context.loaders.current_job.load(self.row.id)
        return row.title if row else None

    @person_field(FieldGroup.JOB, description="Department of the current job.")
    async def department(self, info: Info) -> Department | None:
        job = await info.context.loaders.current_job.load(self.row.id)
        if job is None or job.department_id is None:
            return None
        row = await info.context.loaders.department.load(job.department_id)
        return Department.from_row(row) if row else None

    @person_field(FieldGroup.JOB, description="Office of the current job.")
    async def office(self, info: Info) -> Office | None:
        job = await info.context.loaders.current_job.load(self.row.id)
        if job is None or job.office_id is None:
            return None
        row = await info.context.loaders.office.load(job.office_id)
        return Office.from_row(row) if row else None

    @person_field(FieldGroup.JOB, description="Primary manager today.")
    async def manager(self, info: Info) -> Employee | None:
        manager_id = await info.context.loaders.current_manager_id.load(self.row.id)
        if manager_id is None:
            return None
        return visible_employee(info, await info.context.loaders.employee.load(manager_id))

    @person_field(
        FieldGroup.JOB,
        description="People whose primary manager this is today, by name." + FIRST_ITEMS_NOTE,
        bound=paged(),
    )
    async def direct_reports(self, info: Info, first: int = FIRST_ITEMS) -> list[Employee] | None:
        rows = await info.context.loaders.direct_reports.load(self.row.id)
        return visible_employees(info, list(first_items(info, rows, first)))

    @person_field(
        FieldGroup.JOB,
        description="Everyone below this person today, a page at a time (ordered like "
        "`employees`); `depth` 1 is their direct reports, 2 adds the reports of those, and "
        "so on (default: all levels). Lists only people whose directory and job data the "
        "caller may see.",
        bound=paged(),
    )
    async def reports(
        self, info: Info, first: int = 50, after: str | None = None, depth: int | None = None
    ) -> EmployeeConnection | None:
        where = employees.EmployeeFilter(under=self.row.id, depth=depth)
        page = await employees.list_employees(info.context, first=first, after=after, where=where)
        return employee_connection(info, page)

    @person_field(
        FieldGroup.JOB,
        description="Job assignments, newest first." + FIRST_ITEMS_NOTE,
        bound=paged(),
    )
    async def job_history(self, info: Info, first: int = FIRST_ITEMS) -> list[JobAssignment] | None:
        rows = await info.context.loaders.job_history.load(self.row.id)
        return [JobAssignment.from_row(row) for row in first_items(info, rows, first)]

    @person_field(
        FieldGroup.JOB,
        description="Primary reporting lines, newest first." + FIRST_ITEMS_NOTE,
        bound=paged(),
    )
    async def reporting_lines(
        self, info: Info, first: int = FIRST_ITEMS
    ) -> list[ReportingLine] | None:
        rows = await info.context.loaders.reporting_history.load(self.row.id)
        return [ReportingLine.from_row(row) for row in first_items(info, rows, first)]

    @person_field(
        FieldGroup.EMPLOYMENT,
        description="Employment contracts, newest first." + FIRST_ITEMS_NOTE,
        bound=paged(),
    )
    async def employments(self, info: Info, first: int = FIRST_ITEMS) -> list[Employment] | None:
        rows = await info.context.loaders.employments.load(self.row.id)
        return [Employment.from_row(row) for row in first_items(info, rows, first)]

    @person_field(
        FieldGroup.ABSENCE, description="Absences, newest first." + FIRST_ITEMS_NOTE, bound=paged()
    )
    async def absences(self, info: Info, first: int = FIRST_ITEMS) -> list[Absence] | None:
        rows = await info.context.loaders.absences.load(self.row.id)
        return [Absence.from_row(row) for row in first_items(info, rows, first)]

    # Sensitive details: the guard has allowed the group for this person; their rows come
    # with their key (batched over the list), and each selected value is opened on its own.

    @person_field(FieldGroup.PERSONAL, description="Null until any personal detail is set.")
    async def personal(self, info: Info) -> PersonalDetails | None:
        row = await info.context.sealed.rows.personal.load(self.row.id)
        return None if row is None else PersonalDetails.from_row(row)

    @person_field(FieldGroup.IDENTITY, description="Null until any identity detail is set.")
    async def identity(self, info: Info) -> IdentityDetails | None:
        row = await info.context.sealed.rows.identity.load(self.row.id)
        return None if row is None else IdentityDetails.from_row(row)

    @person_field(
        FieldGroup.BANK,
        description="The primary account first. " + cap_note(MAX_BANK_ACCOUNTS),
        bound=capped(MAX_BANK_ACCOUNTS),
    )
    async def bank_accounts(self, info: Info) -> list[BankAccount] | None:
        rows = await info.context.sealed.rows.bank_accounts.load(self.row.id)
        return [BankAccount.from_row(row) for row in rows]

    @person_field(
        FieldGroup.EMERGENCY,
        description="In the order to call them. " + cap_note(MAX_EMERGENCY_CONTACTS),
        bound=capped(MAX_EMERGENCY_CONTACTS),
    )
    async def emergency_contacts(self, info: Info) -> list[EmergencyContact] | None:
        rows = await info.context.sealed.rows.emergency_contacts.load(self.row.id)
        return [EmergencyContact.from_row(row) for row in rows]

    @person_field(FieldGroup.SALARY, description="The base pay effective today.")
    async def compensation(self, info: Info) -> Compensation | None:
        rows = await info.context.sealed.rows.compensations.load(self.row.id)
        today = info.context.today()
        current = next((row for row in rows if row.effective_from <= today), None)
        return None if current is None else Compensation.from_row(current)

    @person_field(
        FieldGroup.SALARY,
        description="Base pay records, newest first." + FIRST_ITEMS_NOTE,
        bound=paged(),
    )
    async def compensation_history(
        self, info: Info, first: int = FIRST_ITEMS
    ) -> list[Compensation] | None:
        rows = await info.context.sealed.rows.compensations.load(self.row.id)
        return [Compensation.from_row(row) for row in first_items(info, rows, first)]

    @person_field(
        FieldGroup.SALARY,
        description="Bonuses and allowances, newest first." + FIRST_ITEMS_NOTE,
        bound=paged(),
    )
    async def additional_compensation(
        self, info: Info, first: int = FIRST_ITEMS
    ) -> list[AdditionalCompensation] | None:
        rows = await info.context.sealed.rows.additional_compensations.load(self.row.id)
        return [AdditionalCompensation.from_row(row) for row in first_items(info, rows, first)]


def shown_employee(info: Info, row: EmployeeRow) -> Employee:
    """A person the caller may see, as returned: their directory data counts as read."""
    info.context.audit.read(FieldGroup.BASIC, row.id)
    return Employee.from_row(row)


def visible_employee(info: Info, row: EmployeeRow | None) -> Employee | None:
    """The person, if the viewer may see their directory data; else null, marked restricted."""
    if row is None:
        return None
    if info.context.policy.can_see(row, FieldGroup.BASIC):
        return shown_employee(info, row)
    info.context.restrict(info.path.as_list())
    return None


def visible_employees(info: Info, rows: list[EmployeeRow]) -> list[Employee]:
    """The people the viewer may see; the list is marked restricted if any were left out."""
    policy = info.context.policy
    shown = [shown_employee(info, row) for row in rows if policy.can_see(row, FieldGroup.BASIC)]
    if len(shown) < len(rows):
        info.context.restrict(info.path.as_list())
    return shown


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class EmployeeEdge:
    cursor: str
    node: Employee


def _nodes(root: EmployeeConnection) -> list[Employee]:
    return [edge.node for edge in root.edges]


@strawberry.type(description="A page of employees, ordered by last name, first name.")
class EmployeeConnection:
    edges: list[EmployeeEdge] = strawberry.field(metadata=page_items())
    page_info: PageInfo
    nodes: list[Employee] = strawberry.field(resolver=_nodes, metadata=page_items())


def employee_connection(info: Info, page: employees.EmployeePage) -> EmployeeConnection:
    edges = [
        EmployeeEdge(cursor=employees.cursor_for(row), node=shown_employee(info, row))
        for row in page.employees
    ]
    return EmployeeConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )

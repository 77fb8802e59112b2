"""Reading and changing employees."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, tuple_
from sqlalchemy.orm import contains_eager

from hrvault.crypto.columns import NATIONAL_ID_INDEX
from hrvault.errors import Forbidden, bad_input
from hrvault.models import Employee, EmployeeCurrent, EmployeeStatus, IdentityDetails
from hrvault.permissions.enforce import require, require_for_anyone
from hrvault.resolvers import identifiers, rows, search, validation
from hrvault.resolvers.context import RequestContext
from hrvault.resolvers.pagination import EmployeeCursor
from hrvault.vocabulary import Action, FieldGroup

MAX_DEPTH = 100
"""Deeper than any organisation; a bound so that a depth is a small number."""


@dataclass(frozen=True)
class EmployeeFilter:
    department_id: uuid.UUID | None = None
    office_id: uuid.UUID | None = None
    manager_id: uuid.UUID | None = None
    """People whose primary manager this is today."""
    under: uuid.UUID | None = None
    """People below this person today, at most ``depth`` levels down (None: any)."""
    depth: int | None = None
    status: EmployeeStatus | None = None
    search: str | None = None
    national_id: tuple[str, str] | None = None
    """Country and number, matched exactly through the blind index."""


@dataclass(frozen=True)
class EmployeePage:
    employees: Sequence[Employee]
    has_next_page: bool


async def _national_id_match(ctx: RequestContext, country: str, number: str) -> ColumnElement[bool]:
    """People with this national id, among those whose identity the caller may see (so a
    match never tells anything about anyone else's)."""
    if not ctx.policy.grants_anyone(FieldGroup.IDENTITY, Action.SEE):
        raise Forbidden(
            "filtering by national id needs access to identity data",
            deniedFieldGroups=[FieldGroup.IDENTITY.value],
        )
    wanted = identifiers.national_id(country, number, "filter.nationalId")
    digest = await ctx.sealed.blind_index(NATIONAL_ID_INDEX, wanted.index_value)
    holders = select(IdentityDetails.employee_id).where(
        IdentityDetails.tenant_id == ctx.tenant_id, IdentityDetails.national_id_index == digest
    )
    return and_(Employee.id.in_(holders), ctx.policy.reach_filter(FieldGroup.IDENTITY, Action.SEE))


def _placement_conditions(where: EmployeeFilter) -> list[ColumnElement[bool]]:
    """Conditions on where people stand today, each served by an index of
    ``employee_current``."""
    current = EmployeeCurrent
    conditions: list[ColumnElement[bool]] = []
    if where.department_id is not None:
        conditions.append(current.department_id == where.department_id)
    if where.office_id is not None:
        conditions.append(current.office_id == where.office_id)
    if where.manager_id is not None:
        conditions.append(current.manager_id == where.manager_id)
    if where.under is not None:
        conditions.append(current.managers.contains([where.under]))
        if where.depth is not None:
            position = func.array_position(current.managers, where.under)
            conditions.append(position > func.cardinality(current.managers) - where.depth)
    return conditions


def _filtered(ctx: RequestContext, where: EmployeeFilter) -> Select[Employee]:
    """People the caller may see, narrowed by the filter, all in SQL.

    A filter on a group narrows to people whose group the caller may see too, so a
    match never tells anything about a person's hidden data.
    """
    policy = ctx.policy
    statement = (
        select(Employee)
        .join(Employee.placement)
        .options(contains_eager(Employee.placement))
        .where(
            Employee.tenant_id == ctx.tenant_id, policy.reach_filter(FieldGroup.BASIC, Action.SEE)
        )
    )
    placed = (where.department_id, where.office_id, where.manager_id, where.under)
    if any(value is not None for value in placed):
        if not policy.grants_anyone(FieldGroup.JOB, Action.SEE):
            raise Forbidden(
                "filtering by department, office or manager needs access to job data",
                deniedFieldGroups=[FieldGroup.JOB.value],
            )
        statement = statement.where(policy.reach_filter(FieldGroup.JOB, Action.SEE))
        statement = statement.where(*_placement_conditions(where))
    if where.status is not None:
        statement = statement.where(Employee.status == where.status)
    if where.search:
        statement = statement.where(search.among_matches(ctx.tenant_id, where.search))
    return statement


async def list_employees(
    ctx: RequestContext, *, first: int, after: str | None, where: EmployeeFilter
) -> EmployeePage:
    limit = ctx.settings.max_page_size
    if not 1 <= first <= limit:
        raise bad_input("first", f"must be between 1 and {limit}")
    if where.search is not None and len(where.search) > 100:
        raise bad_input("filter.search", "must be at most 100 characters")
    if where.search is not None and any(ord(c) < 32 for c in where.search):
        raise bad_input("filter.search", "must not contain control characters")
    if where.depth is not None and not 1 <= where.depth <= MAX_DEPTH:
        raise bad_input("depth", f"must be between 1 and {MAX_DEPTH}")
    statement = _filtered(ctx, where)
    if where.national_id is not None:
        statement = statement.where(await _national_id_match(ctx, *where.national_id))
    if after is not None:
        cursor = EmployeeCursor.decode(after)
        statement = statement.where(
            tuple_(Employee.last_name, Employee.first_name, Employee.id)
            > tuple_(cursor.last_name, cursor.first_name, cursor.id)
        )
    statement = statement.order_by(Employee.last_name, Employee.first_name, Employee.id).limit(
        first + 1
    )
    found = await ctx.reader.all(statement)
    page = found[:first]
    for employee in page:
        ctx.loaders.employee.prime(employee.id, employee)
    return EmployeePage(employees=page, has_next_page=len(found) > first)


def cursor_for(employee: Employee) -> str:
    return EmployeeCursor(employee.last_name, employee.first_name, employee.id).encode()


async def get_employee(ctx: RequestContext, raw_id: str) -> Employee | None:
    """An employee of the caller's tenant, or None (also for another tenant's id)."""
    employee_id = validation.parse_id(raw_id, "id")
    employee: Employee | None = await ctx.loaders.employee.load(employee_id)
    if employee is None or not ctx.policy.can_see(employee, FieldGroup.BASIC):
        return None
    return employee


async def _check_number_free(
    ctx: RequestContext, number: str, except_id: uuid.UUID | None = None
) -> None:
    clash = select(Employee.id).where(
        and_(Employee.tenant_id == ctx.tenant_id, Employee.employee_number == number)
    )
    if except_id is not None:
        clash = clash.where(Employee.id != except_id)
    if await ctx.db.scalar(clash) is not None:
        raise bad_input("employeeNumber", "is already used by another employee")


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Validate the employee fields present in ``fields``; others are left untouched."""
    checks: dict[str, Callable[[Any], Any]] = {
        "employee_number": lambda v: validation.text(v, "employeeNumber", max_length=32),
        "first_name": lambda v: validation.text(v, "firstName", max_length=100),
        "last_name": lambda v: validation.text(v, "lastName", max_length=100),
        "preferred_name": lambda v: validation.optional_text(v, "preferredName", max_length=100),
        "work_email": lambda v: validation.optional_text(v, "workEmail", max_length=254),
        "work_phone": lambda v: validation.optional_text(v, "workPhone", max_length=40),
        "status": lambda v: v,
    }
    cleaned = {}
    for name, value in fields.items():
        if value is None and name in {"employee_number", "first_name", "last_name", "status"}:
            raise bad_input(name, "cannot be null")
        cleaned[name] = checks[name](value)
    if cleaned.get("work_email") and "@" not in cleaned["work_email"]:
        raise bad_input("workEmail", "is not a valid email address")
    return cleaned


async def create_employee(
    ctx: RequestContext, fields: dict[str, Any], groups: set[FieldGroup]
) -> Employee:
    require_for_anyone(ctx.policy, Action.ADD, groups)
    cleaned = _clean(fields)
    await _check_number_free(ctx, cleaned["employee_number"])
    return await rows.create(ctx, Employee(**cleaned))


async def update_employee(
    ctx: RequestContext, raw_id: str, version: int, changes: dict[str, Any], groups: set[FieldGroup]
) -> Employee:
    employee = await rows.get_person(ctx, raw_id, "id")
    require(ctx.policy, employee, Action.EDIT, groups)
    cleaned = _clean(changes)
    if "employee_number" in cleaned:
        await _check_number_free(ctx, cleaned["employee_number"], except_id=employee.id)
    return await rows.update(ctx, employee, version, cleaned)

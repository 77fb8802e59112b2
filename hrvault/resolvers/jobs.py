"""Effective-dated changes to a person's job, manager and employment contracts."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select, union

from hrvault.errors import bad_input
from hrvault.models import Department, Employment, JobAssignment, Office, ReportingLine
from hrvault.models.effective import current_managers_subquery
from hrvault.resolvers import rows, validation
from hrvault.resolvers.context import RequestContext
from hrvault.vocabulary import Action, FieldGroup


async def _check_date_free(
    ctx: RequestContext,
    model: type[JobAssignment] | type[ReportingLine],
    employee_id: uuid.UUID,
    effective_from: date,
    except_id: uuid.UUID | None,
) -> None:
    clash = select(model.id).where(
        model.tenant_id == ctx.tenant_id,
        model.employee_id == employee_id,
        model.effective_from == effective_from,
    )
    if except_id is not None:
        clash = clash.where(model.id != except_id)
    if await ctx.db.scalar(clash) is not None:
        raise bad_input("effectiveFrom", "another change for this person starts on that date")


async def _clean_job(ctx: RequestContext, fields: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "title":
            cleaned[name] = validation.text(value or "", "title", max_length=200)
        elif name == "effective_from":
            if value is None:
                raise bad_input("effectiveFrom", "cannot be null")
            cleaned[name] = value
        elif name == "department_id":
            cleaned[name] = (
                (await rows.get_row(ctx, Department, value, "departmentId")).id if value else None
            )
        elif name == "office_id":
            cleaned[name] = (
                (await rows.get_row(ctx, Office, value, "officeId")).id if value else None
            )
    return cleaned


async def create_job_assignment(
    ctx: RequestContext, raw_employee_id: str, fields: dict[str, Any]
) -> JobAssignment:
    employee = await rows.person_for_change(
        ctx, raw_employee_id, "employeeId", Action.ADD, FieldGroup.JOB
    )
    cleaned = await _clean_job(ctx, fields)
    await _check_date_free(ctx, JobAssignment, employee.id, cleaned["effective_from"], None)
    return await rows.create(ctx, JobAssignment(employee_id=employee.id, **cleaned))


async def update_job_assignment(
    ctx: RequestContext, raw_id: str, version: int, changes: dict[str, Any]
) -> JobAssignment:
    job, _ = await rows.person_row_for_change(
        ctx, JobAssignment, raw_id, Action.EDIT, FieldGroup.JOB
    )
    cleaned = await _clean_job(ctx, changes)
    if "effective_from" in cleaned:
        await _check_date_free(
            ctx, JobAssignment, job.employee_id, cleaned["effective_from"], job.id
        )
    return await rows.update(ctx, job, version, cleaned)


async def _check_no_cycle(
    ctx: RequestContext, employee_id: uuid.UUID, manager_id: uuid.UUID, on: date
) -> None:
    """Refuse a manager who reports, directly or not, to the employee on or after that date.

    The chain is followed over every line in force from ``on`` onwards (the one current
    then and all later ones), so a loop that only closes in the future is refused too.
    """
    if manager_id == employee_id:
        raise bad_input("managerId", "a person cannot be their own manager")
    current = current_managers_subquery(ctx.tenant_id, on)
    in_force = union(
        select(current.c.employee_id, current.c.manager_id),
        select(ReportingLine.employee_id, ReportingLine.manager_id).where(
            ReportingLine.tenant_id == ctx.tenant_id, ReportingLine.effective_from > on
        ),
    ).subquery("in_force")
    chain = (
        select(in_force.c.employee_id, in_force.c.manager_id)
        .where(in_force.c.employee_id == manager_id)
        .cte("chain", recursive=True)
    )
    chain = chain.union(
        select(in_force.c.employee_id, in_force.c.manager_id).join(
            chain, in_force.c.employee_id == chain.c.manager_id
        )
    )
    above = set((await ctx.db.scalars(select(chain.c.manager_id))).all())
    if employee_id in above:
        raise bad_input("managerId", "this would make a reporting loop")


async def create_reporting_line(
    ctx: RequestContext, raw_employee_id: str, raw_manager_id: str | None, effective_from: date
) -> ReportingLine:
    employee = await rows.person_for_change(
        ctx, raw_employee_id, "employeeId", Action.ADD, FieldGroup.JOB
    )
    manager_id = None
    if raw_manager_id is not None:
        manager_id = (await rows.get_person(ctx, raw_manager_id, "managerId")).id
        await _check_no_cycle(ctx, employee.id, manager_id, effective_from)
    await _check_date_free(ctx, ReportingLine, employee.id, effective_from, None)
    return await rows.create(
        ctx,
        ReportingLine(
            employee_id=employee.id, manager_id=manager_id, effective_from=effective_from
        ),
    )


async def update_reporting_line(
    ctx: RequestContext, raw_id: str, version: int, changes: dict[str, Any]
) -> ReportingLine:
    line, _ = await rows.person_row_for_change(
        ctx, ReportingLine, raw_id, Action.EDIT, FieldGroup.JOB
    )
    cleaned: dict[str, Any] = {}
    if "effective_from" in changes:
        if changes["effective_from"] is None:
            raise bad_input("effectiveFrom", "cannot be null")
        cleaned["effective_from"] = changes["effective_from"]
        await _check_date_free(
            ctx, ReportingLine, line.employee_id, cleaned["effective_from"], line.id
        )
    if "manager_id" in changes:
        raw = changes["manager_id"]
        cleaned["manager_id"] = (await rows.get_person(ctx, raw, "managerId")).id if raw else None
    manager_id = cleaned.get("manager_id", line.manager_id)
    if manager_id is not None:
        on = cleaned.get("effective_from", line.effective_from)
        await _check_no_cycle(ctx, line.employee_id, manager_id, on)
    return await rows.update(ctx, line, version, cleaned)


def _clean_employment(fields: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if value is None and name != "end_date":
            raise bad_input(name, "cannot be null")
        if name == "fte_percent":
            try:
                fte = Decimal(str(value)).quantize(Decimal("0.01"))
            except InvalidOperation:
                raise bad_input("ftePercent", "must be a number") from None
            if not Decimal(0) < fte <= Decimal(100):
                raise bad_input("ftePercent", "must be above 0 and at most 100")
            cleaned[name] = fte
        elif name == "legal_entity":
            cleaned[name] = validation.text(value, "legalEntity", max_length=200)
        elif name == "country_code":
            cleaned[name] = validation.country_code(value, "countryCode")
        else:
            cleaned[name] = value
    return cleaned


async def create_employment(
    ctx: RequestContext, raw_employee_id: str, fields: dict[str, Any]
) -> Employment:
    employee = await rows.person_for_change(
        ctx, raw_employee_id, "employeeId", Action.ADD, FieldGroup.EMPLOYMENT
    )
    cleaned = _clean_employment(fields)
    validation.date_range(cleaned["start_date"], cleaned.get("end_date"), "endDate")
    return await rows.create(ctx, Employment(employee_id=employee.id, **cleaned))


async def update_employment(
    ctx: RequestContext, raw_id: str, version: int, changes: dict[str, Any]
) -> Employment:
    employment, _ = await rows.person_row_for_change(
        ctx, Employment, raw_id, Action.EDIT, FieldGroup.EMPLOYMENT
    )
    cleaned = _clean_employment(changes)
    validation.date_range(
        cleaned.get("start_date", employment.start_date),
        cleaned.get("end_date", employment.end_date),
        "endDate",
    )
    return await rows.update(ctx, employment, version, cleaned)

"""Offices and departments."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import func, select

from hrvault.errors import bad_input
from hrvault.models import Department, Office
from hrvault.resolvers import rows, validation
from hrvault.resolvers.context import RequestContext


async def list_offices(ctx: RequestContext) -> Sequence[Office]:
    return await ctx.reader.all(
        select(Office).where(Office.tenant_id == ctx.tenant_id).order_by(Office.name)
    )


async def list_departments(ctx: RequestContext) -> Sequence[Department]:
    return await ctx.reader.all(
        select(Department).where(Department.tenant_id == ctx.tenant_id).order_by(Department.name)
    )


async def _check_office_name_free(
    ctx: RequestContext, name: str, except_id: uuid.UUID | None = None
) -> None:
    clash = select(Office.id).where(
        Office.tenant_id == ctx.tenant_id, func.lower(Office.name) == name.lower()
    )
    if except_id is not None:
        clash = clash.where(Office.id != except_id)
    if await ctx.db.scalar(clash) is not None:
        raise bad_input("name", "another office has this name")


def _clean_office(fields: dict[str, Any]) -> dict[str, Any]:
    checks: dict[str, Callable[[Any], Any]] = {
        "name": lambda v: validation.text(v, "name", max_length=200),
        "address": lambda v: validation.optional_text(v, "address", max_length=500) or "",
        "country_code": lambda v: validation.country_code(v, "countryCode"),
        "timezone": lambda v: validation.timezone(v, "timezone"),
    }
    for name, value in fields.items():
        if value is None and name != "address":
            raise bad_input(name, "cannot be null")
    return {name: checks[name](value) for name, value in fields.items()}


async def create_office(ctx: RequestContext, fields: dict[str, Any]) -> Office:
    cleaned = _clean_office(fields)
    await _check_office_name_free(ctx, cleaned["name"])
    return await rows.create(ctx, Office(**cleaned))


async def update_office(
    ctx: RequestContext, raw_id: str, version: int, changes: dict[str, Any]
) -> Office:
    office = await rows.get_row(ctx, Office, raw_id, "id")
    cleaned = _clean_office(changes)
    if "name" in cleaned:
        await _check_office_name_free(ctx, cleaned["name"], except_id=office.id)
    return await rows.update(ctx, office, version, cleaned)


async def _ancestor_ids(ctx: RequestContext, department_id: uuid.UUID) -> set[uuid.UUID]:
    """The department and every department above it (recursive, one statement)."""
    chain = (
        select(Department.id, Department.parent_id)
        .where(Department.tenant_id == ctx.tenant_id, Department.id == department_id)
        .cte("chain", recursive=True)
    )
    chain = chain.union(
        select(Department.id, Department.parent_id)
        .join(chain, Department.id == chain.c.parent_id)
        .where(Department.tenant_id == ctx.tenant_id)
    )
    return set((await ctx.db.scalars(select(chain.c.id))).all())


async def _clean_department(
    ctx: RequestContext, fields: dict[str, Any], department_id: uuid.UUID | None = None
) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "name" in fields:
        if fields["name"] is None:
            raise bad_input("name", "cannot be null")
        cleaned["name"] = validation.text(fields["name"], "name", max_length=200)
    if "parent_id" in fields:
        parent_id = None
        if fields["parent_id"] is not None:
            parent = await rows.get_row(ctx, Department, fields["parent_id"], "parentId")
            parent_id = parent.id
            if department_id is not None and department_id in await _ancestor_ids(ctx, parent_id):
                raise bad_input("parentId", "would put the department inside itself")
        cleaned["parent_id"] = parent_id
    if "head_employee_id" in fields:
        head_id = None
        if fields["head_employee_id"] is not None:
            head = await rows.get_person(ctx, fields["head_employee_id"], "headEmployeeId")
            head_id = head.id
        cleaned["head_employee_id"] = head_id
    return cleaned


async def create_department(ctx: RequestContext, fields: dict[str, Any]) -> Department:
    cleaned = await _clean_department(ctx, fields)
    return await rows.create(ctx, Department(**cleaned))


async def update_department(
    ctx: RequestContext, raw_id: str, version: int, changes: dict[str, Any]
) -> Department:
    department = await rows.get_row(ctx, Department, raw_id, "id")
    cleaned = await _clean_department(ctx, changes, department_id=department.id)
    return await rows.update(ctx, department, version, cleaned)

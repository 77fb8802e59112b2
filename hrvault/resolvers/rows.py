"""Loading a tenant's row by id for a change, and saving it under optimistic locking."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from hrvault.errors import Conflict, not_found
from hrvault.models import Employee
from hrvault.models.base import Base, Tracked
from hrvault.permissions.enforce import require
from hrvault.resolvers.context import RequestContext
from hrvault.resolvers.validation import parse_id
from hrvault.vocabulary import Action, FieldGroup

M = TypeVar("M", bound=Base)


class Versioned(Protocol):
    version: int


T = TypeVar("T", bound=Tracked)


async def get_row(ctx: RequestContext, model: type[M], raw_id: str | uuid.UUID, field: str) -> M:
    """The row of the caller's tenant with that id; another tenant's id is simply not found."""
    row_id = raw_id if isinstance(raw_id, uuid.UUID) else parse_id(raw_id, field)
    row = await ctx.db.get(model, (ctx.tenant_id, row_id))
    if row is None:
        raise not_found(model.__name__.lower() if field == "id" else field)
    return row


async def get_person(ctx: RequestContext, raw_id: str | uuid.UUID, field: str) -> Employee:
    """An employee the caller may at least see in the directory; anyone else is not found.

    Mutations about a person start here, so they never reveal that someone exists to a
    caller who could not see them.
    """
    employee = await get_row(ctx, Employee, raw_id, field)
    if not ctx.policy.can_see(employee, FieldGroup.BASIC):
        raise not_found("employee" if field == "id" else field)
    return employee


async def person_for_change(
    ctx: RequestContext, raw_id: str | uuid.UUID, field: str, action: Action, group: FieldGroup
) -> Employee:
    """The person a change is about, once the caller may take ``action`` on ``group`` for
    them: every write about a person passes here before it touches anything."""
    employee = await get_person(ctx, raw_id, field)
    require(ctx.policy, employee, action, {group})
    return employee


P = TypeVar("P", bound=Base)


async def person_row_for_change(
    ctx: RequestContext, model: type[P], raw_id: str, action: Action, group: FieldGroup
) -> tuple[P, Employee]:
    """A row about one person (``employee_id``) and that person, once the caller may take
    ``action`` on ``group`` for them; another tenant's or a hidden person's row is not found."""
    row = await get_row(ctx, model, raw_id, "id")
    person_id: uuid.UUID = getattr(row, "employee_id")  # noqa: B009 - rows about one person
    return row, await person_for_change(ctx, person_id, "id", action, group)


def check_version(row: Versioned, expected: int) -> None:
    if row.version != expected:
        raise Conflict(
            "this record was changed by someone else; reload it and try again",
            currentVersion=row.version,
        )


async def create(ctx: RequestContext, row: T) -> T:
    row.stamp_created(ctx.actor_id, ctx.clock.now())
    row.tenant_id = ctx.tenant_id  # type: ignore[attr-defined]
    ctx.db.add(row)
    await ctx.db.flush()
    ctx.audit.created(row)  # type: ignore[arg-type]
    return row


async def update(
    ctx: RequestContext, row: T, expected_version: int, changes: Mapping[str, Any]
) -> T:
    """Apply changes if the caller saw the current version; a concurrent writer loses cleanly."""
    check_version(row, expected_version)
    before = {name: getattr(row, name) for name in changes}
    for name, value in changes.items():
        setattr(row, name, value)
    row.stamp_updated(ctx.actor_id, ctx.clock.now())
    # Every accepted update moves the version, even one whose values happen to be equal
    # (or whose change lives in child rows, like a role's grants).
    flag_modified(row, "updated_at")
    try:
        await ctx.db.flush()
    except StaleDataError:
        raise Conflict("this record was changed by someone else; reload it and try again") from None
    ctx.audit.updated(row, before)  # type: ignore[arg-type]
    return row


async def delete(ctx: RequestContext, row: T, expected_version: int) -> None:
    """Delete the row if the caller saw its current version; the record keeps its values."""
    check_version(row, expected_version)
    ctx.audit.deleted(row)  # type: ignore[arg-type]
    await ctx.db.delete(row)
    try:
        await ctx.db.flush()
    except StaleDataError:
        raise Conflict("this record was changed by someone else; reload it and try again") from None

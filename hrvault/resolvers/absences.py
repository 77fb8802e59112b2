"""Absence requests and their decisions.

Approved means approved as it was: a change to what an absence asks for (type, dates,
reason) makes it a new request again, whoever changes it and whatever was decided. The
decision it had stays in the audit log as the old values of ``status``, ``approver_id``
and ``decided_at``. It then waits among the requested absences, where approvers find
every new request, and neither the person it is about, nor whoever made or changed it,
may decide it (``permissions/deciding.py``).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select

from hrvault.crypto import columns
from hrvault.crypto.columns import SealedColumn
from hrvault.errors import Conflict, bad_input
from hrvault.models import Absence, AbsenceStatus, AbsenceType
from hrvault.permissions.deciding import Decider, require_decider
from hrvault.permissions.enforce import require
from hrvault.resolvers import rows, validation
from hrvault.resolvers.context import RequestContext
from hrvault.resolvers.sealed import SealedValue
from hrvault.resolvers.sensitive_writes import create_sealed, update_sealed
from hrvault.vocabulary import Action, FieldGroup

MAX_ABSENCE_DAYS = 731


async def list_absence_types(ctx: RequestContext) -> list[AbsenceType]:
    return list(
        await ctx.reader.all(
            select(AbsenceType)
            .where(AbsenceType.tenant_id == ctx.tenant_id)
            .order_by(AbsenceType.name)
        )
    )


def _check_dates(start: date, end: date) -> None:
    validation.date_range(start, end, "endDate")
    if (end - start).days >= MAX_ABSENCE_DAYS:
        raise bad_input("endDate", f"an absence may last at most {MAX_ABSENCE_DAYS} days")


def _groups_written(with_reason: bool) -> set[FieldGroup]:
    """A reason note is ``absence_reason`` data: writing one needs that group too."""
    return {FieldGroup.ABSENCE, FieldGroup.ABSENCE_REASON} if with_reason else {FieldGroup.ABSENCE}


def _reason(value: str | None) -> dict[SealedColumn, SealedValue]:
    return {columns.ABSENCE_REASON: validation.optional_text(value, "reason", max_length=1000)}


def _new_request_status(absence_type: AbsenceType) -> AbsenceStatus:
    """Types without approval are approved at once; the others wait for a decision."""
    return AbsenceStatus.REQUESTED if absence_type.requires_approval else AbsenceStatus.APPROVED


async def request_absence(
    ctx: RequestContext,
    raw_employee_id: str,
    raw_type_id: str,
    start: date,
    end: date,
    *,
    reason: str | None = None,
) -> Absence:
    employee = await rows.get_person(ctx, raw_employee_id, "employeeId")
    require(ctx.policy, employee, Action.ADD, _groups_written(reason is not None))
    absence_type = await rows.get_row(ctx, AbsenceType, raw_type_id, "absenceTypeId")
    _check_dates(start, end)
    absence = Absence(
        id=uuid.uuid4(),
        employee_id=employee.id,
        absence_type_id=absence_type.id,
        start_date=start,
        end_date=end,
        status=_new_request_status(absence_type),
    )
    return await create_sealed(ctx, absence, _reason(reason))


async def update_absence(
    ctx: RequestContext, raw_id: str, version: int, changes: dict[str, Any]
) -> Absence:
    absence = await rows.get_row(ctx, Absence, raw_id, "id")
    employee = await rows.get_person(ctx, absence.employee_id, "id")
    require(ctx.policy, employee, Action.EDIT, _groups_written("reason" in changes))
    rows.check_version(absence, version)
    if absence.status is AbsenceStatus.CANCELLED:
        raise Conflict("a cancelled absence cannot be changed")
    sealed = _reason(changes.pop("reason")) if "reason" in changes else {}
    cleaned: dict[str, Any] = {}
    absence_type: AbsenceType | None = None
    for name, value in changes.items():
        if value is None:
            raise bad_input(name, "cannot be null")
        if name == "absence_type_id":
            absence_type = await rows.get_row(ctx, AbsenceType, value, "absenceTypeId")
            cleaned[name] = absence_type.id
        else:
            cleaned[name] = value
    _check_dates(
        cleaned.get("start_date", absence.start_date), cleaned.get("end_date", absence.end_date)
    )
    asks_otherwise = bool(sealed) or any(
        getattr(absence, name) != value for name, value in cleaned.items()
    )
    if asks_otherwise:
        absence_type = absence_type or await rows.get_row(
            ctx, AbsenceType, absence.absence_type_id, "absenceTypeId"
        )
        cleaned |= {
            "status": _new_request_status(absence_type),
            "approver_id": None,
            "decided_at": None,
        }
    return await update_sealed(ctx, absence, version, sealed, cleaned)


_ALLOWED_DECISIONS = {
    AbsenceStatus.APPROVED: {AbsenceStatus.REQUESTED},
    AbsenceStatus.REJECTED: {AbsenceStatus.REQUESTED},
    AbsenceStatus.CANCELLED: {AbsenceStatus.REQUESTED, AbsenceStatus.APPROVED},
}


def _shaped_by(absence: Absence) -> tuple[uuid.UUID | None, ...]:
    """Who made the request and, while it waits for a decision, who last changed it; once
    decided, the last change is the decision itself."""
    if absence.status is AbsenceStatus.REQUESTED:
        return (absence.created_by, absence.updated_by)
    return (absence.created_by,)


async def decide_absence(
    ctx: RequestContext, raw_id: str, version: int, decision: AbsenceStatus
) -> Absence:
    """Move an absence to approved, rejected or cancelled, if its current status allows.

    Cancelling is a change (``edit``), which the person themselves may make; approving
    and rejecting are decisions, which never they, nor whoever asked, may take."""
    if decision is AbsenceStatus.CANCELLED:
        absence, _ = await rows.person_row_for_change(
            ctx, Absence, raw_id, Action.EDIT, FieldGroup.ABSENCE
        )
    else:
        absence = await rows.get_row(ctx, Absence, raw_id, "id")
        employee = await rows.get_person(ctx, absence.employee_id, "id")
        principal = ctx.require_principal()
        require_decider(
            ctx.policy,
            employee,
            FieldGroup.ABSENCE,
            Decider(principal.actor_id, principal.employee_id),
            requested_by=_shaped_by(absence),
        )
    rows.check_version(absence, version)
    if absence.status not in _ALLOWED_DECISIONS[decision]:
        raise Conflict(f"a {absence.status.value} absence cannot become {decision.value}")
    changes: dict[str, Any] = {"status": decision}
    if decision is not AbsenceStatus.CANCELLED:
        changes["approver_id"] = ctx.require_principal().employee_id
        changes["decided_at"] = ctx.clock.now()
    return await rows.update(ctx, absence, version, changes)

"""Changing compensation: effective-dated base pay and additional pay.

Pay records are history, so they follow the actions on ``salary``: a new record is an
``add``, correcting one an ``edit``, removing a mistaken one a ``delete``.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select

from hrvault.crypto import columns as c
from hrvault.errors import bad_input
from hrvault.models import AdditionalCompensation, Compensation
from hrvault.models.enums import ExtraPayKind, PayFrequency, PayPeriod
from hrvault.resolvers import identifiers, rows, validation
from hrvault.resolvers.context import RequestContext
from hrvault.resolvers.sensitive_writes import (
    FieldSpec,
    create_sealed,
    remove_person_row,
    sealed_values,
    update_sealed,
)
from hrvault.vocabulary import Action, FieldGroup

_COMPENSATION_SPECS = {
    "amount": FieldSpec(c.PAY_AMOUNT, lambda v: identifiers.amount(v, "amount"), required=True),
    "currency": FieldSpec(
        c.PAY_CURRENCY, lambda v: identifiers.currency(v, "currency"), required=True
    ),
    "period": FieldSpec(c.PAY_PERIOD, lambda v: PayPeriod(v).value, required=True),
    "pay_frequency": FieldSpec(c.PAY_FREQUENCY, lambda v: PayFrequency(v).value, required=True),
    "reason": FieldSpec(
        c.PAY_REASON, lambda v: validation.optional_text(v, "reason", max_length=500)
    ),
}


async def _check_date_free(
    ctx: RequestContext, employee_id: uuid.UUID, day: date, except_id: uuid.UUID | None = None
) -> None:
    clash = select(Compensation.id).where(
        Compensation.tenant_id == ctx.tenant_id,
        Compensation.employee_id == employee_id,
        Compensation.effective_from == day,
    )
    if except_id is not None:
        clash = clash.where(Compensation.id != except_id)
    if await ctx.db.scalar(clash) is not None:
        raise bad_input("effectiveFrom", "this person already has a pay record from that date")


async def add_compensation(ctx: RequestContext, sent: dict[str, Any]) -> Compensation:
    employee = await rows.person_for_change(
        ctx, sent.pop("employee"), "employee", Action.ADD, FieldGroup.SALARY
    )
    effective_from: date = sent.pop("effective_from")
    await _check_date_free(ctx, employee.id, effective_from)
    values = sealed_values(_COMPENSATION_SPECS, sent, creating=True)
    record = Compensation(id=uuid.uuid4(), employee_id=employee.id, effective_from=effective_from)
    return await create_sealed(ctx, record, values)


async def update_compensation(
    ctx: RequestContext, raw_id: str, version: int, sent: dict[str, Any]
) -> Compensation:
    record, _ = await rows.person_row_for_change(
        ctx, Compensation, raw_id, Action.EDIT, FieldGroup.SALARY
    )
    plain: dict[str, Any] = {}
    if sent.get("effective_from") is not None:
        await _check_date_free(ctx, record.employee_id, sent["effective_from"], record.id)
        plain["effective_from"] = sent["effective_from"]
    elif "effective_from" in sent:
        raise bad_input("effectiveFrom", "cannot be null")
    values = sealed_values(_COMPENSATION_SPECS, sent, creating=False, plain=("effective_from",))
    return await update_sealed(ctx, record, version, values, plain)


async def remove_compensation(ctx: RequestContext, raw_id: str, version: int) -> Compensation:
    return await remove_person_row(
        ctx, Compensation, raw_id, version, Action.DELETE, FieldGroup.SALARY
    )


_ADDITIONAL_SPECS = {
    "kind": FieldSpec(c.EXTRA_PAY_KIND, lambda v: ExtraPayKind(v).value, required=True),
    "amount": FieldSpec(
        c.EXTRA_PAY_AMOUNT, lambda v: identifiers.amount(v, "amount"), required=True
    ),
    "currency": FieldSpec(
        c.EXTRA_PAY_CURRENCY, lambda v: identifiers.currency(v, "currency"), required=True
    ),
    "start_date": FieldSpec(c.EXTRA_PAY_START, lambda v: v, required=True),
    "end_date": FieldSpec(c.EXTRA_PAY_END, lambda v: v),
    "description": FieldSpec(
        c.EXTRA_PAY_DESCRIPTION,
        lambda v: validation.optional_text(v, "description", max_length=500),
    ),
}


async def add_additional_compensation(
    ctx: RequestContext, sent: dict[str, Any]
) -> AdditionalCompensation:
    employee = await rows.person_for_change(
        ctx, sent.pop("employee"), "employee", Action.ADD, FieldGroup.SALARY
    )
    validation.date_range(sent["start_date"], sent.get("end_date"), "endDate")
    values = sealed_values(_ADDITIONAL_SPECS, sent, creating=True)
    record = AdditionalCompensation(id=uuid.uuid4(), employee_id=employee.id)
    return await create_sealed(ctx, record, values)


async def update_additional_compensation(
    ctx: RequestContext, raw_id: str, version: int, sent: dict[str, Any]
) -> AdditionalCompensation:
    record, _ = await rows.person_row_for_change(
        ctx, AdditionalCompensation, raw_id, Action.EDIT, FieldGroup.SALARY
    )
    if "start_date" in sent or "end_date" in sent:
        await ctx.sealed.keys_of(record.employee_id)
        start = sent.get("start_date") or ctx.sealed.open_date(c.EXTRA_PAY_START, record)
        end = (
            sent["end_date"]
            if "end_date" in sent
            else ctx.sealed.open_date(c.EXTRA_PAY_END, record)
        )
        if start is not None:
            validation.date_range(start, end, "endDate")
    values = sealed_values(_ADDITIONAL_SPECS, sent, creating=False)
    return await update_sealed(ctx, record, version, values)


async def remove_additional_compensation(
    ctx: RequestContext, raw_id: str, version: int
) -> AdditionalCompensation:
    return await remove_person_row(
        ctx, AdditionalCompensation, raw_id, version, Action.DELETE, FieldGroup.SALARY
    )

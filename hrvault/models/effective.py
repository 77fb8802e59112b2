"""Statements for effective-dated history: what is current on a given day."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import BindParameter, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.sql import Subquery

from hrvault.models import ReportingLine

# A value, or a parameter bound when the statement runs (for statements built once).
TenantId = uuid.UUID | BindParameter[uuid.UUID]
Day = date | BindParameter[date]


def current_managers_subquery(tenant_id: TenantId, today: Day) -> Subquery:
    """``(employee_id, manager_id)`` of the primary reporting line effective today."""
    return (
        select(ReportingLine.employee_id, ReportingLine.manager_id)
        .where(ReportingLine.tenant_id == tenant_id, ReportingLine.effective_from <= today)
        .order_by(ReportingLine.employee_id, ReportingLine.effective_from.desc())
        .ext(distinct_on(ReportingLine.employee_id))
        .subquery("current_manager")
    )

"""Per-request DataLoaders: every relation of a list is fetched in one statement."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import BindParameter, Select, bindparam, select

from hrvault.models import (
    Absence,
    AbsenceType,
    Department,
    Employee,
    Employment,
    JobAssignment,
    Office,
    ReportingLine,
)
from hrvault.models.effective import current_jobs, current_managers_subquery
from hrvault.resolvers.batches import Loader
from hrvault.resolvers.reader import Reader

Row = TypeVar("Row", Employee, Department, Office, AbsenceType)
Keyed = TypeVar("Keyed", JobAssignment, ReportingLine, Employment, Absence)

# The statements are built once and bound per batch: building one (and its cache key)
# costs more CPU than running it. Each is bound to the tenant, today and the batch's keys.
_TENANT: BindParameter[uuid.UUID] = bindparam("tenant_id")
_TODAY: BindParameter[date] = bindparam("today")
_KEYS: BindParameter[list[uuid.UUID]] = bindparam("keys", expanding=True)


def _by_id_statement(model: type[Row]) -> Select[Row]:
    return select(model).where(model.tenant_id == _TENANT, model.id.in_(_KEYS))


def _history_statement(model: type[Keyed], order: Any) -> Select[Keyed]:
    """All rows per employee, newest first (scheduled future rows included)."""
    return (
        select(model)
        .where(model.tenant_id == _TENANT, model.employee_id.in_(_KEYS))
        .order_by(order.desc(), model.id)
    )


_CURRENT_MANAGER = current_managers_subquery(_TENANT, _TODAY)
_CURRENT_JOBS = current_jobs(_TENANT, _TODAY).where(JobAssignment.employee_id.in_(_KEYS))
_MANAGER_IDS = select(_CURRENT_MANAGER.c.employee_id, _CURRENT_MANAGER.c.manager_id).where(
    _CURRENT_MANAGER.c.employee_id.in_(_KEYS)
)
_DIRECT_REPORTS = (
    select(_CURRENT_MANAGER.c.manager_id, Employee)
    .join(_CURRENT_MANAGER, _CURRENT_MANAGER.c.employee_id == Employee.id)
    .where(Employee.tenant_id == _TENANT, _CURRENT_MANAGER.c.manager_id.in_(_KEYS))
    .order_by(Employee.last_name, Employee.first_name, Employee.id)
)
_EMPLOYEES = _by_id_statement(Employee)
_DEPARTMENTS = _by_id_statement(Department)
_OFFICES = _by_id_statement(Office)
_ABSENCE_TYPES = _by_id_statement(AbsenceType)
_JOB_HISTORY = _history_statement(JobAssignment, JobAssignment.effective_from)
_REPORTING_HISTORY = _history_statement(ReportingLine, ReportingLine.effective_from)
_EMPLOYMENTS = _history_statement(Employment, Employment.start_date)
_ABSENCES = _history_statement(Absence, Absence.start_date)


class Loaders:
    def __init__(self, reader: Reader, tenant_id: uuid.UUID, today: date) -> None:
        self._reader = reader
        self._tenant_id = tenant_id
        self._today = today
        self.employee = Loader[uuid.UUID, Employee | None](self._by_id(_EMPLOYEES))
        self.department = Loader[uuid.UUID, Department | None](self._by_id(_DEPARTMENTS))
        self.office = Loader[uuid.UUID, Office | None](self._by_id(_OFFICES))
        self.absence_type = Loader[uuid.UUID, AbsenceType | None](self._by_id(_ABSENCE_TYPES))
        self.current_job = Loader[uuid.UUID, JobAssignment | None](self._current_job)
        self.current_manager_id = Loader[uuid.UUID, uuid.UUID | None](self._manager_id)
        self.direct_reports = Loader[uuid.UUID, list[Employee]](self._direct_reports)
        self.job_history = Loader[uuid.UUID, list[JobAssignment]](self._history(_JOB_HISTORY))
        self.reporting_history = Loader[uuid.UUID, list[ReportingLine]](
            self._history(_REPORTING_HISTORY)
        )
        self.employments = Loader[uuid.UUID, list[Employment]](self._history(_EMPLOYMENTS))
        self.absences = Loader[uuid.UUID, list[Absence]](self._history(_ABSENCES))

    def _bound(self, keys: list[uuid.UUID]) -> dict[str, Any]:
        return {"tenant_id": self._tenant_id, "keys": keys}

    def _bound_today(self, keys: list[uuid.UUID]) -> dict[str, Any]:
        return {"tenant_id": self._tenant_id, "today": self._today, "keys": keys}

    def _by_id(self, statement: Select[Row]) -> Any:
        async def load(ids: list[uuid.UUID]) -> Sequence[Row | None]:
            rows = await self._reader.all(statement, self._bound(ids))
            found = {row.id: row for row in rows}
            return [found.get(i) for i in ids]

        return load

    def _history(self, statement: Select[Keyed]) -> Any:
        async def load(employee_ids: list[uuid.UUID]) -> Sequence[list[Keyed]]:
            rows = await self._reader.all(statement, self._bound(employee_ids))
            grouped: dict[uuid.UUID, list[Keyed]] = defaultdict(list)
            for row in rows:
                grouped[row.employee_id].append(row)
            return [grouped[i] for i in employee_ids]

        return load

    async def _current_job(self, employee_ids: list[uuid.UUID]) -> Sequence[JobAssignment | None]:
        rows = await self._reader.all(_CURRENT_JOBS, self._bound_today(employee_ids))
        found = {row.employee_id: row for row in rows}
        return [found.get(i) for i in employee_ids]

    async def _manager_id(self, employee_ids: list[uuid.UUID]) -> Sequence[uuid.UUID | None]:
        rows = await self._reader.rows(_MANAGER_IDS, self._bound_today(employee_ids))
        found: dict[uuid.UUID, uuid.UUID | None] = {row[0]: row[1] for row in rows}
        return [found.get(i) for i in employee_ids]

    async def _direct_reports(self, manager_ids: list[uuid.UUID]) -> Sequence[list[Employee]]:
        rows = await self._reader.rows(_DIRECT_REPORTS, self._bound_today(manager_ids))
        grouped: dict[uuid.UUID, list[Employee]] = defaultdict(list)
        for manager_id, employee in rows:
            grouped[manager_id].append(employee)
            self.employee.prime(employee.id, employee)
        return [grouped[i] for i in manager_ids]

"""Per-request DataLoaders: every relation of a list is fetched in one statement."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select
from strawberry.dataloader import DataLoader

from hrvault.models import (
    Absence,
    AbsenceType,
    AdditionalCompensation,
    BankAccount,
    Compensation,
    Department,
    EmergencyContact,
    Employee,
    Employment,
    IdentityDetails,
    JobAssignment,
    Office,
    PersonalDetails,
    ReportingLine,
)
from hrvault.models.effective import current_jobs, current_managers_subquery
from hrvault.resolvers.reader import Reader

Row = TypeVar("Row", Employee, Department, Office, AbsenceType)
Keyed = TypeVar(
    "Keyed",
    JobAssignment,
    ReportingLine,
    Employment,
    Absence,
    BankAccount,
    EmergencyContact,
    Compensation,
    AdditionalCompensation,
)
OnePerPerson = TypeVar("OnePerPerson", PersonalDetails, IdentityDetails)


class Loaders:
    def __init__(self, reader: Reader, tenant_id: uuid.UUID, today: date) -> None:
        self._reader = reader
        self._tenant_id = tenant_id
        self._today = today
        self.employee = DataLoader[uuid.UUID, Employee | None](self._by_id(Employee))
        self.department = DataLoader[uuid.UUID, Department | None](self._by_id(Department))
        self.office = DataLoader[uuid.UUID, Office | None](self._by_id(Office))
        self.absence_type = DataLoader[uuid.UUID, AbsenceType | None](self._by_id(AbsenceType))
        self.current_job = DataLoader[uuid.UUID, JobAssignment | None](self._current_job)
        self.current_manager_id = DataLoader[uuid.UUID, uuid.UUID | None](self._manager_id)
        self.direct_reports = DataLoader[uuid.UUID, list[Employee]](self._direct_reports)
        self.job_history = DataLoader[uuid.UUID, list[JobAssignment]](
            self._history(JobAssignment, JobAssignment.effective_from)
        )
        self.reporting_history = DataLoader[uuid.UUID, list[ReportingLine]](
            self._history(ReportingLine, ReportingLine.effective_from)
        )
        self.employments = DataLoader[uuid.UUID, list[Employment]](
            self._history(Employment, Employment.start_date)
        )
        self.absences = DataLoader[uuid.UUID, list[Absence]](
            self._history(Absence, Absence.start_date)
        )
        self.personal = DataLoader[uuid.UUID, PersonalDetails | None](
            self._one_per_person(PersonalDetails)
        )
        self.identity = DataLoader[uuid.UUID, IdentityDetails | None](
            self._one_per_person(IdentityDetails)
        )
        self.bank_accounts = DataLoader[uuid.UUID, list[BankAccount]](
            self._history(BankAccount, BankAccount.is_primary, BankAccount.created_at)
        )
        self.emergency_contacts = DataLoader[uuid.UUID, list[EmergencyContact]](
            self._history(EmergencyContact, -EmergencyContact.position)  # first to call first
        )
        self.compensations = DataLoader[uuid.UUID, list[Compensation]](
            self._history(Compensation, Compensation.effective_from)
        )
        self.additional_compensations = DataLoader[uuid.UUID, list[AdditionalCompensation]](
            self._history(AdditionalCompensation, AdditionalCompensation.created_at)
        )

    def _by_id(self, model: type[Row]) -> Any:
        async def load(ids: list[uuid.UUID]) -> Sequence[Row | None]:
            rows = await self._reader.all(
                select(model).where(model.tenant_id == self._tenant_id, model.id.in_(ids))
            )
            found = {row.id: row for row in rows}
            return [found.get(i) for i in ids]

        return load

    def _one_per_person(self, model: type[OnePerPerson]) -> Any:
        async def load(employee_ids: list[uuid.UUID]) -> Sequence[OnePerPerson | None]:
            rows = await self._reader.all(
                select(model).where(
                    model.tenant_id == self._tenant_id, model.employee_id.in_(employee_ids)
                )
            )
            found = {row.employee_id: row for row in rows}
            return [found.get(i) for i in employee_ids]

        return load

    def _history(self, model: type[Keyed], *order: Any) -> Any:
        """All rows per employee, newest (greatest ``order``) first, future rows included."""

        async def load(employee_ids: list[uuid.UUID]) -> Sequence[list[Keyed]]:
            rows = await self._reader.all(
                select(model)
                .where(model.tenant_id == self._tenant_id, model.employee_id.in_(employee_ids))
                .order_by(*(o.desc() for o in order), model.id)
            )
            grouped: dict[uuid.UUID, list[Keyed]] = defaultdict(list)
            for row in rows:
                grouped[row.employee_id].append(row)
            return [grouped[i] for i in employee_ids]

        return load

    async def _current_job(self, employee_ids: list[uuid.UUID]) -> Sequence[JobAssignment | None]:
        rows = await self._reader.all(
            current_jobs(self._tenant_id, self._today).where(
                JobAssignment.employee_id.in_(employee_ids)
            )
        )
        found = {row.employee_id: row for row in rows}
        return [found.get(i) for i in employee_ids]

    async def _manager_id(self, employee_ids: list[uuid.UUID]) -> Sequence[uuid.UUID | None]:
        current = current_managers_subquery(self._tenant_id, self._today)
        rows = await self._reader.rows(
            select(current.c.employee_id, current.c.manager_id).where(
                current.c.employee_id.in_(employee_ids)
            )
        )
        found: dict[uuid.UUID, uuid.UUID | None] = {row[0]: row[1] for row in rows}
        return [found.get(i) for i in employee_ids]

    async def _direct_reports(self, manager_ids: list[uuid.UUID]) -> Sequence[list[Employee]]:
        current = current_managers_subquery(self._tenant_id, self._today)
        rows = await self._reader.rows(
            select(current.c.manager_id, Employee)
            .join(current, current.c.employee_id == Employee.id)
            .where(Employee.tenant_id == self._tenant_id, current.c.manager_id.in_(manager_ids))
            .order_by(Employee.last_name, Employee.first_name, Employee.id)
        )
        grouped: dict[uuid.UUID, list[Employee]] = defaultdict(list)
        for manager_id, employee in rows:
            grouped[manager_id].append(employee)
            self.employee.prime(employee.id, employee)
        return [grouped[i] for i in manager_ids]

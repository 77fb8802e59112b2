"""Who the viewer is to other people: their reports (direct and all) and department.

A viewer who is an employee reaches people through where each person stands today
(``employee_current``): the subject's own row says who their manager is, who is above
them and which department they are in, so deciding about one person reads that row and
never the viewer's whole team. The same reach is a SQL condition the database evaluates
for lists (``scope_clause``), never a list of ids. Support grants, partner consents and
the audience of one subject name their people instead (``direct_reports``,
``all_reports``, ``department``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.models import Department, Employee, EmployeeCurrent
from hrvault.models.current import refresh_current_state
from hrvault.vocabulary import Scope


def placement_of(subject: Any) -> EmployeeCurrent | None:
    """The subject's current placement if it was loaded with them (``Employee.placement``
    is loaded eagerly); never a lazy load, which would be I/O in a synchronous check."""
    loaded = getattr(subject, "__dict__", {}).get("placement")
    return loaded if isinstance(loaded, EmployeeCurrent) else None


@dataclass(frozen=True)
class Relations:
    """The viewer and how each person-relative scope reaches people."""

    viewer: uuid.UUID | None
    direct_reports: frozenset[uuid.UUID] = field(default_factory=frozenset)
    all_reports: frozenset[uuid.UUID] = field(default_factory=frozenset)
    department: frozenset[uuid.UUID] = field(default_factory=frozenset)
    """People named for each scope (grants and consents that list people)."""
    tenant_id: uuid.UUID | None = None
    """Set for an employee viewer: reports and department come from placements."""
    departments: frozenset[uuid.UUID] = field(default_factory=frozenset)
    """The employee viewer's current department and every department below it."""

    @property
    def placed(self) -> bool:
        return self.tenant_id is not None and self.viewer is not None

    def scopes_reaching(self, subject: Any) -> frozenset[Scope]:
        employee_id: uuid.UUID = subject.id
        scopes = {Scope.ALL}
        if employee_id == self.viewer:
            scopes.add(Scope.SELF)
        if employee_id in self.direct_reports:
            scopes.add(Scope.DIRECT_REPORTS)
        if employee_id in self.all_reports:
            scopes.add(Scope.ALL_REPORTS)
        if employee_id in self.department:
            scopes.add(Scope.DEPARTMENT)
        placement = placement_of(subject) if self.placed else None
        if placement is not None:
            if placement.manager_id == self.viewer:
                scopes.add(Scope.DIRECT_REPORTS)
            if self.viewer in placement.managers:
                scopes.add(Scope.ALL_REPORTS)
            if placement.department_id in self.departments:
                scopes.add(Scope.DEPARTMENT)
        return frozenset(scopes)

    def scope_clause(self, scope: Scope) -> ColumnElement[bool] | None:
        """SQL condition on ``employees`` for the people ``scope`` reaches (None: nobody)."""
        if scope is Scope.SELF:
            return Employee.id == self.viewer if self.viewer else None
        named = {
            Scope.DIRECT_REPORTS: self.direct_reports,
            Scope.ALL_REPORTS: self.all_reports,
            Scope.DEPARTMENT: self.department,
        }[scope]
        placed = self._placed_clause(scope)
        listed = Employee.id.in_(sorted(named)) if named else None
        if placed is not None and listed is not None:
            return placed | listed
        return placed if placed is not None else listed

    def _placed_clause(self, scope: Scope) -> ColumnElement[bool] | None:
        if self.tenant_id is None or self.viewer is None:
            return None
        people = select(EmployeeCurrent.employee_id).where(
            EmployeeCurrent.tenant_id == self.tenant_id
        )
        if scope is Scope.DIRECT_REPORTS:
            people = people.where(EmployeeCurrent.manager_id == self.viewer)
        elif scope is Scope.ALL_REPORTS:
            people = people.where(EmployeeCurrent.managers.contains([self.viewer]))
        else:
            subtree = department_subtree(self.tenant_id, self.viewer)
            people = people.where(EmployeeCurrent.department_id.in_(select(subtree.c.id)))
        return Employee.id.in_(people)


def department_subtree(tenant_id: uuid.UUID, employee_id: uuid.UUID) -> Any:
    """The employee's current department and every department below it (a recursive CTE)."""
    subtree = (
        select(Department.id)
        .join(
            EmployeeCurrent,
            (EmployeeCurrent.tenant_id == Department.tenant_id)
            & (EmployeeCurrent.department_id == Department.id),
        )
        .where(Department.tenant_id == tenant_id, EmployeeCurrent.employee_id == employee_id)
        .cte("department_subtree", recursive=True)
    )
    return subtree.union(
        select(Department.id)
        .join(subtree, Department.parent_id == subtree.c.id)
        .where(Department.tenant_id == tenant_id)
    )


async def resolve_relations(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    viewer: uuid.UUID | None,
    scopes: frozenset[Scope],
    today: date,
) -> Relations:
    """The viewer's relations: placements brought up to ``today``, and the viewer's
    departments if a grant reaches by department (departments are few)."""
    await refresh_current_state(db, tenant_id, today)
    if viewer is None:
        return Relations(viewer=None)
    departments: frozenset[uuid.UUID] = frozenset()
    if Scope.DEPARTMENT in scopes:
        subtree = department_subtree(tenant_id, viewer)
        departments = frozenset(await db.scalars(select(subtree.c.id)))
    return Relations(viewer, tenant_id=tenant_id, departments=departments)


@dataclass(frozen=True)
class Audience:
    """The people around one employee, seen from that employee: who reaches them how."""

    subject: uuid.UUID
    direct_manager: uuid.UUID | None
    managers: frozenset[uuid.UUID]
    department_and_above: frozenset[uuid.UUID]

    def relations_of(
        self, viewer: uuid.UUID | None, viewer_department: uuid.UUID | None
    ) -> Relations:
        """The viewer's relations, restricted to the subject: the same shape the engine uses."""
        if viewer is None:
            return Relations(viewer=None)
        subject = frozenset({self.subject})
        return Relations(
            viewer=viewer,
            direct_reports=subject if viewer == self.direct_manager else frozenset(),
            all_reports=subject if viewer in self.managers else frozenset(),
            department=subject if viewer_department in self.department_and_above else frozenset(),
        )


def _placement(
    tenant_id: uuid.UUID, subject: uuid.UUID
) -> Select[uuid.UUID | None, list[uuid.UUID], uuid.UUID | None]:
    return select(
        EmployeeCurrent.manager_id, EmployeeCurrent.managers, EmployeeCurrent.department_id
    ).where(EmployeeCurrent.tenant_id == tenant_id, EmployeeCurrent.employee_id == subject)


async def resolve_audience(
    db: AsyncSession, tenant_id: uuid.UUID, subject: uuid.UUID, today: date
) -> Audience:
    """The subject's chain of managers and department ancestry (two short statements)."""
    await refresh_current_state(db, tenant_id, today)
    row = (await db.execute(_placement(tenant_id, subject))).first()
    manager, managers, department = (row[0], row[1], row[2]) if row else (None, [], None)
    ancestry = (
        select(Department.id, Department.parent_id)
        .where(Department.tenant_id == tenant_id, Department.id == department)
        .cte("ancestry", recursive=True)
    )
    ancestry = ancestry.union(
        select(Department.id, Department.parent_id)
        .join(ancestry, Department.id == ancestry.c.parent_id)
        .where(Department.tenant_id == tenant_id)
    )
    departments = frozenset(await db.scalars(select(ancestry.c.id))) if department else frozenset()
    return Audience(subject, manager, frozenset(managers) - {subject}, departments)

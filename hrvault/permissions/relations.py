"""Who the viewer is to other people: reports (direct and all) and department members.

Each set is one statement over the effective-dated reporting lines and job assignments,
resolved once per request and only for the scopes the viewer's grants use.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.models import Department
from hrvault.models.effective import current_jobs_subquery, current_managers_subquery
from hrvault.vocabulary import Scope


@dataclass(frozen=True)
class Relations:
    """The viewer's employee id and the people each person-relative scope reaches."""

    viewer: uuid.UUID | None
    direct_reports: frozenset[uuid.UUID] = field(default_factory=frozenset)
    all_reports: frozenset[uuid.UUID] = field(default_factory=frozenset)
    department: frozenset[uuid.UUID] = field(default_factory=frozenset)

    def scopes_reaching(self, employee_id: uuid.UUID) -> frozenset[Scope]:
        scopes = {Scope.ALL}
        if employee_id == self.viewer:
            scopes.add(Scope.SELF)
        if employee_id in self.direct_reports:
            scopes.add(Scope.DIRECT_REPORTS)
        if employee_id in self.all_reports:
            scopes.add(Scope.ALL_REPORTS)
        if employee_id in self.department:
            scopes.add(Scope.DEPARTMENT)
        return frozenset(scopes)


async def _reports(
    db: AsyncSession, tenant_id: uuid.UUID, viewer: uuid.UUID, today: date
) -> tuple[frozenset[uuid.UUID], frozenset[uuid.UUID]]:
    """Direct and all (transitive) reports through today's primary reporting lines."""
    lines = current_managers_subquery(tenant_id, today)
    chain = (
        select(lines.c.employee_id, literal(1).label("depth"))
        .where(lines.c.manager_id == viewer)
        .cte("reports", recursive=True)
    )
    chain = chain.union(
        select(lines.c.employee_id, literal(2).label("depth")).join(
            chain, lines.c.manager_id == chain.c.employee_id
        )
    )
    rows = (await db.execute(select(chain.c.employee_id, chain.c.depth))).all()
    everyone = frozenset(row[0] for row in rows) - {viewer}
    direct = frozenset(row[0] for row in rows if row[1] == 1)
    return direct, everyone


async def _department_members(
    db: AsyncSession, tenant_id: uuid.UUID, viewer: uuid.UUID, today: date
) -> frozenset[uuid.UUID]:
    """People whose current job is in the viewer's current department or below it."""
    jobs = current_jobs_subquery(tenant_id, today)
    subtree = (
        select(Department.id)
        .join(jobs, jobs.c.department_id == Department.id)
        .where(Department.tenant_id == tenant_id, jobs.c.employee_id == viewer)
        .cte("subtree", recursive=True)
    )
    subtree = subtree.union(
        select(Department.id)
        .join(subtree, Department.parent_id == subtree.c.id)
        .where(Department.tenant_id == tenant_id)
    )
    members = await db.scalars(
        select(jobs.c.employee_id).join(subtree, jobs.c.department_id == subtree.c.id)
    )
    return frozenset(members)


async def resolve_relations(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    viewer: uuid.UUID | None,
    scopes: frozenset[Scope],
    today: date,
) -> Relations:
    """The sets the given scopes need; a viewer who is no employee has none of them."""
    if viewer is None:
        return Relations(viewer=None)
    direct: frozenset[uuid.UUID] = frozenset()
    everyone: frozenset[uuid.UUID] = frozenset()
    department: frozenset[uuid.UUID] = frozenset()
    if scopes & {Scope.DIRECT_REPORTS, Scope.ALL_REPORTS}:
        direct, everyone = await _reports(db, tenant_id, viewer, today)
    if Scope.DEPARTMENT in scopes:
        department = await _department_members(db, tenant_id, viewer, today)
    return Relations(viewer, direct, everyone, department)


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


async def resolve_audience(
    db: AsyncSession, tenant_id: uuid.UUID, subject: uuid.UUID, today: date
) -> Audience:
    """The subject's chain of managers and department ancestry (two statements)."""
    lines = current_managers_subquery(tenant_id, today)
    chain = (
        select(lines.c.manager_id, literal(1).label("depth"))
        .where(lines.c.employee_id == subject, lines.c.manager_id.is_not(None))
        .cte("managers", recursive=True)
    )
    chain = chain.union(
        select(lines.c.manager_id, literal(2).label("depth"))
        .join(chain, lines.c.employee_id == chain.c.manager_id)
        .where(lines.c.manager_id.is_not(None))
    )
    rows = (await db.execute(select(chain.c.manager_id, chain.c.depth))).all()
    direct = next((row[0] for row in rows if row[1] == 1), None)

    jobs = current_jobs_subquery(tenant_id, today)
    ancestry = (
        select(Department.id, Department.parent_id)
        .join(jobs, jobs.c.department_id == Department.id)
        .where(Department.tenant_id == tenant_id, jobs.c.employee_id == subject)
        .cte("ancestry", recursive=True)
    )
    ancestry = ancestry.union(
        select(Department.id, Department.parent_id)
        .join(ancestry, Department.id == ancestry.c.parent_id)
        .where(Department.tenant_id == tenant_id)
    )
    departments = frozenset(await db.scalars(select(ancestry.c.id)))
    return Audience(subject, direct, frozenset(row[0] for row in rows) - {subject}, departments)

"""Who can see what: explanations answered by the same engine that enforces access."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from hrvault.models import Employee, EmployeeCurrent, Role, RoleGrant, User, UserRole
from hrvault.permissions.compile import load_policy
from hrvault.permissions.grants import Grant
from hrvault.permissions.policy import Decision, GrantSource, Policy
from hrvault.permissions.relations import resolve_audience
from hrvault.resolvers import rows
from hrvault.resolvers.context import RequestContext
from hrvault.vocabulary import PERSON_GROUPS, Action, FieldGroup


@dataclass(frozen=True)
class GroupAccess:
    field_group: FieldGroup
    allowed: tuple[tuple[Action, Decision], ...]


def _explain(policy: Policy, subject: Employee) -> list[GroupAccess]:
    explained = []
    for group in PERSON_GROUPS:
        decisions = ((action, policy.decide(subject, group, action)) for action in Action)
        explained.append(GroupAccess(group, tuple((a, d) for a, d in decisions if d.allowed)))
    return explained


async def explain_user_access(
    ctx: RequestContext, raw_user_id: str, raw_employee_id: str
) -> list[GroupAccess]:
    """For each field group, what the user may do for the employee, and which grant says so."""
    async with ctx.reader.exclusive() as db:
        user = await rows.get_row(ctx, User, raw_user_id, "userId")
        subject = await rows.get_row(ctx, Employee, raw_employee_id, "employeeId")
        policy = await load_policy(
            db,
            ctx.tenant_id,
            viewer_employee_id=user.employee_id,
            today=ctx.today(),
            user_id=user.id,
        )
    return _explain(policy, subject)


async def preview_role_access(
    ctx: RequestContext, raw_role_id: str, raw_viewer_id: str | None, raw_employee_id: str
) -> list[GroupAccess]:
    """ "View as role": what a holder of only this role, being ``viewer``, could do."""
    async with ctx.reader.exclusive() as db:
        role = await rows.get_row(ctx, Role, raw_role_id, "roleId")
        viewer = (
            await rows.get_row(ctx, Employee, raw_viewer_id, "viewerId") if raw_viewer_id else None
        )
        subject = await rows.get_row(ctx, Employee, raw_employee_id, "employeeId")
        policy = await load_policy(
            db,
            ctx.tenant_id,
            viewer_employee_id=viewer.id if viewer else None,
            today=ctx.today(),
            role_id=role.id,
        )
    return _explain(policy, subject)


async def who_can_access(
    ctx: RequestContext, raw_employee_id: str, group: FieldGroup, action: Action
) -> list[tuple[User, Decision]]:
    """Every active user who may take ``action`` on ``group`` for the employee, and why."""
    tenant_id = ctx.tenant_id
    async with ctx.reader.exclusive() as db:
        subject = await rows.get_row(ctx, Employee, raw_employee_id, "employeeId")
        audience = await resolve_audience(db, tenant_id, subject.id, ctx.today())
        granted = await db.execute(
            select(UserRole.user_id, Role.id, Role.name, RoleGrant)
            .join(Role, (Role.tenant_id == UserRole.tenant_id) & (Role.id == UserRole.role_id))
            .join(
                RoleGrant, (RoleGrant.tenant_id == Role.tenant_id) & (RoleGrant.role_id == Role.id)
            )
            .where(
                UserRole.tenant_id == tenant_id,
                RoleGrant.field_group == group,
                RoleGrant.action == action,
            )
        )
        sources: dict[uuid.UUID, list[GrantSource]] = defaultdict(list)
        for user_id, role_id, role_name, grant in granted.all():
            sources[user_id].append(
                GrantSource(
                    role_id,
                    role_name,
                    Grant(grant.field_group, grant.action, grant.scope, grant.include_former),
                )
            )
        users = list(
            await db.scalars(
                select(User)
                .where(User.tenant_id == tenant_id, User.id.in_(sources), User.is_active)
                .order_by(User.email)
            )
        )
        current = await db.execute(
            select(EmployeeCurrent.employee_id, EmployeeCurrent.department_id)
            .join(
                User,
                (User.tenant_id == EmployeeCurrent.tenant_id)
                & (User.employee_id == EmployeeCurrent.employee_id),
            )
            .where(EmployeeCurrent.tenant_id == tenant_id, User.id.in_(sources), User.is_active)
        )
        departments = {row[0]: row[1] for row in current.all()}
    answers = []
    for user in users:
        relations = audience.relations_of(
            user.employee_id, departments.get(user.employee_id) if user.employee_id else None
        )
        decision = Policy(sources[user.id], [], relations).decide(subject, group, action)
        if decision.allowed:
            answers.append((user, decision))
    return answers

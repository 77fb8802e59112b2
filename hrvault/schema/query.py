"""Root query fields: thin calls into ``hrvault.resolvers``."""

from __future__ import annotations

import uuid

import strawberry

from hrvault.errors import not_found
from hrvault.permissions.access import PeopleData, requires
from hrvault.resolvers import (
    absences,
    access,
    employees,
    org,
    roles,
    security_settings,
    support_access,
    validation,
)
from hrvault.schema import caps, fields
from hrvault.schema.audit_query import AuditQuery
from hrvault.schema.bounds import cap_note, capped, paged
from hrvault.schema.documents import DocumentQuery
from hrvault.schema.inputs import EmployeeFilter
from hrvault.schema.integrations import IntegrationQuery
from hrvault.schema.types.absence import AbsenceType
from hrvault.schema.types.admin import (
    AccessHolder,
    FieldGroupAccess,
    Role,
    RoleRef,
    SessionSettings,
    UserAccount,
)
from hrvault.schema.types.base import ActionEnum, FieldGroupEnum, Info
from hrvault.schema.types.employee import (
    Employee,
    EmployeeConnection,
    employee_connection,
    shown_employee,
    visible_employee,
)
from hrvault.schema.types.org import Department, Office
from hrvault.schema.types.support import SupportGrantView
from hrvault.schema.types.viewer import Viewer
from hrvault.vocabulary import Ability, FieldGroup


def _optional_id(value: strawberry.ID | None, field: str) -> uuid.UUID | None:
    return None if value is None else validation.parse_id(value, field)


@strawberry.type
class PeopleQuery:
    @fields.query(description="The caller.")
    async def me(self, info: Info) -> Viewer:
        principal = info.context.require_principal()
        employee = None
        if principal.employee_id is not None:
            row = await info.context.loaders.employee.load(principal.employee_id)
            employee = visible_employee(info, row)
        held = await roles.roles_of(info.context, principal.actor_id) if principal.actor_id else []
        return Viewer(
            user_id=strawberry.ID(str(principal.actor_id)),
            display_name=principal.display_name,
            employee=employee,
            roles=[RoleRef.from_row(role) for role in held],
            abilities=sorted(info.context.policy.abilities),
        )

    @fields.query(access=PeopleData)
    async def employee(self, info: Info, id: strawberry.ID) -> Employee:
        row = await employees.get_employee(info.context, id)
        if row is None:
            raise not_found("employee")
        return shown_employee(info, row)

    @fields.query(access=PeopleData, description="Employees, a page at a time.", metadata=paged())
    async def employees(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        filter: EmployeeFilter | None = None,
    ) -> EmployeeConnection:
        given = filter or EmployeeFilter()
        page = await employees.list_employees(
            info.context,
            first=first,
            after=after,
            where=employees.EmployeeFilter(
                department_id=_optional_id(given.department, "filter.department"),
                office_id=_optional_id(given.office, "filter.office"),
                manager_id=_optional_id(given.manager, "filter.manager"),
                status=given.status,
                search=given.search,
                national_id=(
                    (given.national_id.country, given.national_id.number)
                    if given.national_id
                    else None
                ),
            ),
        )
        return employee_connection(info, page)

    @fields.query(metadata=capped(caps.DEPARTMENTS), description=cap_note(caps.DEPARTMENTS))
    async def departments(self, info: Info) -> list[Department]:
        return [Department.from_row(row) for row in await org.list_departments(info.context)]

    @fields.query(metadata=capped(caps.OFFICES), description=cap_note(caps.OFFICES))
    async def offices(self, info: Info) -> list[Office]:
        return [Office.from_row(row) for row in await org.list_offices(info.context)]

    @fields.query(metadata=capped(caps.KINDS), description=cap_note(caps.KINDS))
    async def absence_types(self, info: Info) -> list[AbsenceType]:
        rows = await absences.list_absence_types(info.context)
        return [AbsenceType.from_row(row) for row in rows]


ADMIN_READ = requires(Ability.MANAGE_ROLES, Ability.MANAGE_USERS)


@strawberry.type
class AdminQuery:
    @fields.query(access=ADMIN_READ, metadata=capped(caps.ROLES), description=cap_note(caps.ROLES))
    async def roles(self, info: Info) -> list[Role]:
        return [Role.from_definition(d) for d in await roles.list_roles(info.context)]

    @fields.query(access=ADMIN_READ, description="Session limits and the step-up window.")
    async def session_settings(self, info: Info) -> SessionSettings:
        return SessionSettings.of(await security_settings.session_settings(info.context))

    @fields.query(access=ADMIN_READ, metadata=capped(caps.USERS), description=cap_note(caps.USERS))
    async def users(self, info: Info) -> list[UserAccount]:
        return [UserAccount.from_row(u, held) for u, held in await roles.list_users(info.context)]

    @fields.query(
        access=ADMIN_READ,
        description="For each field group: what the user may do for the employee, and why.",
        metadata=capped(len(FieldGroup)),
    )
    async def access_explanation(
        self, info: Info, user_id: strawberry.ID, employee_id: strawberry.ID
    ) -> list[FieldGroupAccess]:
        explained = await access.explain_user_access(info.context, user_id, employee_id)
        return [FieldGroupAccess.from_access(a) for a in explained]

    @fields.query(
        access=ADMIN_READ,
        description="Every user who may, and which grant says so. " + cap_note(caps.USERS),
        metadata=capped(caps.USERS),
    )
    async def who_can_access(
        self,
        info: Info,
        employee_id: strawberry.ID,
        field_group: FieldGroupEnum,  # type: ignore[valid-type]
        action: ActionEnum,  # type: ignore[valid-type]
    ) -> list[AccessHolder]:
        holders = await access.who_can_access(info.context, employee_id, field_group, action)
        return [AccessHolder.from_decision(user, decision) for user, decision in holders]

    @fields.query(
        access=requires(Ability.MANAGE_ROLES),
        description="View as role: what a holder of only this role, being `viewerId`, could do.",
        metadata=capped(len(FieldGroup)),
    )
    async def role_access_preview(
        self,
        info: Info,
        role_id: strawberry.ID,
        employee_id: strawberry.ID,
        viewer_id: strawberry.ID | None = None,
    ) -> list[FieldGroupAccess]:
        explained = await access.preview_role_access(info.context, role_id, viewer_id, employee_id)
        return [FieldGroupAccess.from_access(a) for a in explained]

    @fields.query(
        access=requires(Ability.MANAGE_SUPPORT_ACCESS),
        description="Support grants and requests, newest first, with what staff did under "
        "each. " + cap_note(caps.SUPPORT_GRANTS),
        metadata=capped(caps.SUPPORT_GRANTS),
    )
    async def support_access(self, info: Info) -> list[SupportGrantView]:
        ctx = info.context
        grants = await support_access.list_grants(ctx)
        actions = await support_access.actions_under(ctx, [g.id for g in grants])
        now = ctx.clock.now()
        return [
            SupportGrantView.from_row(g, now, [a for a in actions if a.via_id == g.id])
            for g in grants
        ]


@strawberry.type
class Query(PeopleQuery, AdminQuery, AuditQuery, IntegrationQuery, DocumentQuery):
    """All queries; the areas' classes contribute the fields."""

"""P5 by property: random org charts and random custom roles, compared with an oracle.

The oracle below walks the org chart the plain way (follow managers upwards, follow
department parents upwards) and knows nothing of the engine's sets or SQL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hrvault.db import bind_tenant, session_factory
from hrvault.models import (
    Department,
    Employee,
    EmployeeStatus,
    JobAssignment,
    ReportingLine,
    Role,
    RoleGrant,
)
from hrvault.vocabulary import Action, FieldGroup, Scope
from tests.support import Api, TenantFactory

GROUPS = (FieldGroup.BASIC, FieldGroup.JOB)


@dataclass(frozen=True)
class Org:
    managers: tuple[int | None, ...]  # per employee: index of the manager (always earlier)
    department_parents: tuple[int | None, ...]  # per department: index of the parent (earlier)
    departments: tuple[int, ...]  # per employee: their department
    former: tuple[bool, ...]
    viewer: int
    grants: tuple[tuple[FieldGroup, Scope, bool], ...]


@st.composite
def orgs(draw: st.DrawFn) -> Org:
    size = draw(st.integers(3, 9))
    managers = tuple(
        None if i == 0 else draw(st.one_of(st.none(), st.integers(0, i - 1))) for i in range(size)
    )
    department_count = draw(st.integers(1, 4))
    parents = tuple(
        None if i == 0 else draw(st.one_of(st.none(), st.integers(0, i - 1)))
        for i in range(department_count)
    )
    departments = tuple(draw(st.integers(0, department_count - 1)) for _ in range(size))
    former = tuple(draw(st.booleans()) if i else False for i in range(size))
    grants = tuple(
        draw(
            st.lists(
                st.tuples(st.sampled_from(GROUPS), st.sampled_from(list(Scope)), st.booleans()),
                min_size=1,
                max_size=5,
                unique_by=lambda g: (g[0], g[1]),
            )
        )
    )
    return Org(managers, parents, departments, former, draw(st.integers(0, size - 1)), grants)


def oracle(org: Org, group: FieldGroup, target: int) -> bool:
    """Whether the viewer may see ``group`` of ``target``, worked out the plain way."""
    viewer = org.viewer

    def above(person: int) -> list[int]:
        chain, manager = [], org.managers[person]
        while manager is not None:
            chain.append(manager)
            manager = org.managers[manager]
        return chain

    def department_and_above(department: int) -> list[int]:
        chain: list[int] = []
        current: int | None = department
        while current is not None:
            chain.append(current)
            current = org.department_parents[current]
        return chain

    for grant_group, scope, include_former in org.grants:
        if grant_group is not group or (org.former[target] and not include_former):
            continue
        if (
            scope is Scope.ALL
            or (scope is Scope.SELF and target == viewer)
            or (scope is Scope.DIRECT_REPORTS and org.managers[target] == viewer)
            or (scope is Scope.ALL_REPORTS and viewer in above(target))
            or (
                scope is Scope.DEPARTMENT
                and org.departments[viewer] in department_and_above(org.departments[target])
            )
        ):
            return True
    return False


async def _build(tenants: TenantFactory, org: Org) -> tuple[list[uuid.UUID], str]:
    tenant = await tenants.create(employees=0, roles=())
    sessions = session_factory(tenants.engine)
    since = date.today() - timedelta(days=30)
    now = tenants.clock.now()
    role = Role(id=uuid.uuid4(), name="Random", description="")
    async with sessions() as db:
        await bind_tenant(db, tenant.id)
        departments = [uuid.uuid4() for _ in org.department_parents]
        people = [uuid.uuid4() for _ in org.managers]
        rows: list[object] = []
        for index, parent in enumerate(org.department_parents):
            rows.append(
                Department(
                    id=departments[index],
                    name=f"D{index}",
                    parent_id=None if parent is None else departments[parent],
                )
            )
        for index, person in enumerate(people):
            status = EmployeeStatus.TERMINATED if org.former[index] else EmployeeStatus.ACTIVE
            rows.append(
                Employee(
                    id=person,
                    employee_number=f"P{index}",
                    first_name="P",
                    last_name=f"{index:02d}",
                    status=status,
                )
            )
        for index, person in enumerate(people):
            manager = org.managers[index]
            rows.append(
                ReportingLine(
                    employee_id=person,
                    manager_id=None if manager is None else people[manager],
                    effective_from=since,
                )
            )
            rows.append(
                JobAssignment(
                    employee_id=person,
                    title=f"T{index}",
                    department_id=departments[org.departments[index]],
                    effective_from=since,
                )
            )
        rows.append(role)
        for row in rows:
            row.tenant_id = tenant.id  # type: ignore[attr-defined]
            row.stamp_created(None, now)  # type: ignore[attr-defined]
            db.add(row)
            await db.flush()
        for group, scope, include_former in org.grants:
            db.add(
                RoleGrant(
                    tenant_id=tenant.id,
                    role_id=role.id,
                    field_group=group,
                    action=Action.SEE,
                    scope=scope,
                    include_former=include_former,
                )
            )
        await db.commit()
    login = await tenants.add_user(tenant, people[org.viewer], ("Random",))
    return people, login.token


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(org=orgs())
async def test_visibility_matches_the_oracle(api: Api, tenants: TenantFactory, org: Org) -> None:
    people, token = await _build(tenants, org)
    body = await api.gql("{ employees(first: 100) { nodes { id jobTitle } } }", token=token)
    assert "errors" not in body, body
    nodes = body["data"]["employees"]["nodes"]
    shown = {uuid.UUID(node["id"]) for node in nodes}
    expected = {
        person for index, person in enumerate(people) if oracle(org, FieldGroup.BASIC, index)
    }
    assert shown == expected

    restricted = {tuple(path) for path in (body.get("extensions") or {}).get("restricted", [])}
    for position, node in enumerate(nodes):
        index = people.index(uuid.UUID(node["id"]))
        job_visible = oracle(org, FieldGroup.JOB, index)
        assert (node["jobTitle"] == f"T{index}") is job_visible
        assert (("employees", "nodes", position, "jobTitle") in restricted) is not job_visible

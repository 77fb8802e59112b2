"""Writes: validation with typed errors, optimistic locking, and nothing half-written."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support import Api, TenantFactory, TenantHandle, error_codes

CREATE_EMPLOYEE = (
    "mutation($in: CreateEmployeeInput!) { createEmployee(input: $in)"
    " { id name employeeNumber status version } }"
)
UPDATE_EMPLOYEE = (
    "mutation($id: ID!, $in: UpdateEmployeeInput!) { updateEmployee(id: $id, input: $in)"
    " { id firstName preferredName name version } }"
)


async def _rows(owner_engine: AsyncEngine, tenant: TenantHandle) -> dict[str, Any]:
    """Row counts and versions of the tenant, read as the owner."""
    async with owner_engine.connect() as conn:
        result = await conn.execute(
            text(
                "SELECT 'employees' AS t, count(*), sum(version) FROM employees WHERE tenant_id = :t"
                " UNION ALL SELECT 'departments', count(*), sum(version) FROM departments"
                " WHERE tenant_id = :t"
                " UNION ALL SELECT 'offices', count(*), sum(version) FROM offices WHERE tenant_id = :t"
                " UNION ALL SELECT 'jobs', count(*), sum(version) FROM job_assignments"
                " WHERE tenant_id = :t"
                " UNION ALL SELECT 'lines', count(*), sum(version) FROM reporting_lines"
                " WHERE tenant_id = :t"
                " UNION ALL SELECT 'employments', count(*), sum(version) FROM employments"
                " WHERE tenant_id = :t"
                " UNION ALL SELECT 'absences', count(*), sum(version) FROM absences"
                " WHERE tenant_id = :t"
            ),
            {"t": tenant.id},
        )
        return {row[0]: (row[1], row[2]) for row in result}


async def test_create_and_update_an_employee(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=1)
    created = await api.data(
        CREATE_EMPLOYEE,
        {"in": {"employeeNumber": "X1", "firstName": " Ada ", "lastName": "Lovelace"}},
        token=tenant.token,
    )
    employee = created["createEmployee"]
    assert employee["name"] == "Ada Lovelace"
    assert (employee["status"], employee["version"]) == ("ACTIVE", 1)
    updated = await api.data(
        UPDATE_EMPLOYEE,
        {"id": employee["id"], "in": {"version": 1, "preferredName": "Countess"}},
        token=tenant.token,
    )
    assert updated["updateEmployee"] == {
        "id": employee["id"],
        "firstName": "Ada",
        "preferredName": "Countess",
        "name": "Countess Lovelace",
        "version": 2,
    }


async def test_a_stale_version_is_a_conflict_and_writes_nothing(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine
) -> None:
    tenant = await tenants.create(employees=2)
    target = str(tenant.employees[1])
    await api.data(
        UPDATE_EMPLOYEE, {"id": target, "in": {"version": 1, "firstName": "Bo"}}, token=tenant.token
    )
    before = await _rows(owner_engine, tenant)
    body = await api.gql(
        UPDATE_EMPLOYEE,
        {"id": target, "in": {"version": 1, "firstName": "Lost"}},
        token=tenant.token,
    )
    assert error_codes(body) == ["CONFLICT"]
    assert body["errors"][0]["extensions"]["currentVersion"] == 2
    assert await _rows(owner_engine, tenant) == before


async def test_concurrent_updates_of_one_version_let_exactly_one_win(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=2)
    target = str(tenant.employees[1])
    results = await asyncio.gather(
        *(
            api.gql(
                UPDATE_EMPLOYEE,
                {"id": target, "in": {"version": 1, "firstName": f"Writer{i}"}},
                token=tenant.token,
            )
            for i in range(6)
        )
    )
    winners = [r for r in results if "errors" not in r]
    assert len(winners) == 1
    assert all(error_codes(r) == ["CONFLICT"] for r in results if "errors" in r)
    final = await api.data(
        "query($id: ID!) { employee(id: $id) { firstName version } }",
        {"id": target},
        token=tenant.token,
    )
    assert final["employee"] == {
        "firstName": winners[0]["data"]["updateEmployee"]["firstName"],
        "version": 2,
    }


BAD_INPUTS = [
    (
        "empty name",
        CREATE_EMPLOYEE,
        {"in": {"employeeNumber": "1", "firstName": " ", "lastName": "L"}},
    ),
    (
        "duplicate number",
        CREATE_EMPLOYEE,
        {"in": {"employeeNumber": "N00000", "firstName": "F", "lastName": "L"}},
    ),
    (
        "control character",
        CREATE_EMPLOYEE,
        {"in": {"employeeNumber": "Z", "firstName": "F\x00", "lastName": "L"}},
    ),
    (
        "name too long",
        CREATE_EMPLOYEE,
        {"in": {"employeeNumber": "Z", "firstName": "F" * 101, "lastName": "L"}},
    ),
    (
        "bad office timezone",
        'mutation { createOffice(input: {name: "A", countryCode: "SE", timezone: "Mars/Base"}) { id } }',
        {},
    ),
    (
        "bad country",
        'mutation { createOffice(input: {name: "A", countryCode: "XX", timezone: "UTC"}) { id } }',
        {},
    ),
    ("malformed id", 'mutation { updateEmployee(id: "nope", input: {version: 1}) { id } }', {}),
    (
        "fte above 100",
        "mutation($e: ID!) { createEmployment(input: {employee: $e, employmentType: PERMANENT,"
        ' startDate: "2030-01-01", ftePercent: "120", legalEntity: "L", countryCode: "SE"}) { id } }',
        {"e": "EMPLOYEE"},
    ),
    (
        "end before start",
        "mutation($e: ID!) { createEmployment(input: {employee: $e, employmentType: PERMANENT,"
        ' startDate: "2030-01-01", endDate: "2029-01-01", ftePercent: "50", legalEntity: "L",'
        ' countryCode: "SE"}) { id } }',
        {"e": "EMPLOYEE"},
    ),
    ("bad cursor", '{ employees(first: 5, after: "not-a-cursor") { nodes { id } } }', {}),
    ("page too large", "{ employees(first: 101) { nodes { id } } }", {}),
    ("page empty", "{ employees(first: 0) { nodes { id } } }", {}),
    ("wrong variable type", CREATE_EMPLOYEE, {"in": {"employeeNumber": 5}}),
]


@pytest.mark.parametrize(
    ("case", "document", "variables"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS]
)
async def test_bad_input_gets_a_typed_error_and_writes_nothing(
    api: Api,
    tenants: TenantFactory,
    owner_engine: AsyncEngine,
    case: str,
    document: str,
    variables: dict[str, Any],
) -> None:
    tenant = await tenants.create(employees=1)
    variables = {
        k: (str(tenant.employees[0]) if v == "EMPLOYEE" else v) for k, v in variables.items()
    }
    before = await _rows(owner_engine, tenant)
    body = await api.gql(document, variables, token=tenant.token)
    assert set(error_codes(body)) == {"BAD_USER_INPUT"}, body
    assert await _rows(owner_engine, tenant) == before


async def test_a_failing_second_mutation_undoes_the_first(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine
) -> None:
    tenant = await tenants.create(employees=1)
    before = await _rows(owner_engine, tenant)
    body = await api.gql(
        'mutation { ok: createOffice(input: {name: "Kept?", countryCode: "SE", timezone: "UTC"})'
        ' { id } bad: createOffice(input: {name: "B", countryCode: "XX", timezone: "UTC"}) { id } }',
        token=tenant.token,
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert await _rows(owner_engine, tenant) == before


async def test_malformed_documents_get_typed_errors(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=1)
    assert error_codes(await api.gql("{ employees(first: 1 { id", token=tenant.token)) == [
        "GRAPHQL_PARSE_FAILED"
    ]
    assert error_codes(await api.gql("{ employees { nope } }", token=tenant.token)) == [
        "GRAPHQL_VALIDATION_FAILED"
    ]
    response = await api.client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


async def test_scheduled_job_changes_take_effect_on_their_date(
    api: Api, tenants: TenantFactory, clock: Any
) -> None:
    from datetime import timedelta

    tenant = await tenants.create(employees=2)
    person = str(tenant.employees[1])
    start = (clock.now().date() + timedelta(days=10)).isoformat()
    await api.data(
        "mutation($e: ID!, $d: Date!) { createJobAssignment(input: {employee: $e,"
        ' title: "Staff Engineer", effectiveFrom: $d}) { id } }',
        {"e": person, "d": start},
        token=tenant.token,
    )
    query = "query($id: ID!) { employee(id: $id) { jobTitle jobHistory { title effectiveFrom } } }"
    now = await api.data(query, {"id": person}, token=tenant.token)
    assert now["employee"]["jobTitle"] == "Engineer"
    assert [j["title"] for j in now["employee"]["jobHistory"]] == ["Staff Engineer", "Engineer"]
    clock.advance(timedelta(days=10))
    token = await api.login(tenant.slug, tenant.email)
    later = await api.data(query, {"id": person}, token=token)
    assert later["employee"]["jobTitle"] == "Staff Engineer"


async def test_reporting_loops_are_refused(api: Api, tenants: TenantFactory, clock: Any) -> None:
    from datetime import timedelta

    tenant = await tenants.create(employees=3)
    boss, report, other = (str(e) for e in tenant.employees)
    line = (
        "mutation($e: ID!, $m: ID!, $d: Date!) { createReportingLine(input: {employee: $e,"
        " manager: $m, effectiveFrom: $d}) { id } }"
    )
    last_month = (clock.now().date() - timedelta(days=30)).isoformat()
    long_ago = "2001-01-01"  # before any line: the loop would only close later
    await api.data(line, {"e": other, "m": report, "d": last_month}, token=tenant.token)
    # now: other -> report -> boss
    for employee, manager, day in (
        (boss, other, last_month),
        (boss, report, long_ago),
        (report, report, last_month),
    ):
        body = await api.gql(line, {"e": employee, "m": manager, "d": day}, token=tenant.token)
        assert error_codes(body) == ["BAD_USER_INPUT"], (employee, manager, day)
    team = await api.data(
        "query($id: ID!) { employee(id: $id) { directReports { id } manager { id } } }",
        {"id": report},
        token=tenant.token,
    )
    assert team["employee"] == {"directReports": [{"id": other}], "manager": {"id": boss}}


async def test_departments_cannot_nest_inside_themselves(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=1)
    root, engineering = str(tenant.departments["root"]), str(tenant.departments["engineering"])
    body = await api.gql(
        "mutation($id: ID!, $p: ID!) { updateDepartment(id: $id, input: {version: 1, parent: $p}) { id } }",
        {"id": root, "p": engineering},
        token=tenant.token,
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_absence_decisions_follow_the_status_rules(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=2)
    employee = await tenants.add_user(tenant, tenant.employees[1], ("employee",))
    requested = await api.data(
        "mutation($e: ID!, $t: ID!) { requestAbsence(input: {employee: $e, absenceType: $t,"
        ' startDate: "2030-03-02", endDate: "2030-03-06"}) { id status version } }',
        {"e": str(tenant.employees[1]), "t": str(tenant.absence_types["vacation"])},
        token=employee.token,
    )
    absence = requested["requestAbsence"]
    assert absence["status"] == "REQUESTED"
    decide = "mutation($id: ID!, $v: Int!) { %s(id: $id, version: $v) { status version approver { id } } }"
    approved = await api.data(
        decide % "approveAbsence", {"id": absence["id"], "v": 1}, token=tenant.token
    )
    assert approved["approveAbsence"] == {
        "status": "APPROVED",
        "version": 2,
        "approver": {"id": str(tenant.employees[0])},
    }
    again = await api.gql(
        decide % "rejectAbsence", {"id": absence["id"], "v": 2}, token=tenant.token
    )
    assert error_codes(again) == ["CONFLICT"]
    cancelled = await api.data(
        decide % "cancelAbsence", {"id": absence["id"], "v": 2}, token=tenant.token
    )
    assert cancelled["cancelAbsence"]["status"] == "CANCELLED"


async def test_sick_leave_needs_no_approval(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=1)
    data = await api.data(
        "mutation($e: ID!, $t: ID!) { requestAbsence(input: {employee: $e, absenceType: $t,"
        ' startDate: "2030-03-02", endDate: "2030-03-02"}) { status absenceType { code isHealthRelated } } }',
        {"e": str(tenant.employees[0]), "t": str(tenant.absence_types["sick"])},
        token=tenant.token,
    )
    assert data["requestAbsence"] == {
        "status": "APPROVED",
        "absenceType": {"code": "sick", "isHealthRelated": True},
    }


async def test_unknown_ids_are_not_found(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=1)
    body = await api.gql(
        "query($id: ID!) { employee(id: $id) { id } }",
        {"id": str(uuid.uuid4())},
        token=tenant.token,
    )
    assert error_codes(body) == ["NOT_FOUND"]

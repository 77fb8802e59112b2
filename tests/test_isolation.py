"""P1: no request of one tenant can read, change, count or detect another tenant's data.

Two walls: the application filters by tenant, and PostgreSQL row-level security stops a
query that forgot to. Each wall is tested on its own.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.db import APP_ROLE, bind_tenant, session_factory
from tests.support import Api, TenantFactory, TenantHandle, error_codes

TENANT_TABLES = (
    "absence_types",
    "absences",
    "departments",
    "document_categories",
    "document_links",
    "documents",
    "employees",
    "employments",
    "job_assignments",
    "offices",
    "reporting_lines",
    "sessions",
    "users",
)


async def _history_ids(api: Api, tenant: TenantHandle) -> dict[str, str]:
    """Ids of one row of each kind in the tenant, fetched as its own admin."""
    absence = await api.data(
        "mutation($e: ID!, $t: ID!) { requestAbsence(input: {employee: $e, absenceType: $t,"
        ' startDate: "2030-01-07", endDate: "2030-01-08"}) { id } }',
        {"e": str(tenant.employees[1]), "t": str(tenant.absence_types["vacation"])},
        token=tenant.token,
    )
    person = await api.data(
        "query($id: ID!) { employee(id: $id) { jobHistory { id } reportingLines { id }"
        " employments { id } } }",
        {"id": str(tenant.employees[1])},
        token=tenant.token,
    )
    uploaded = await api.upload(
        tenant.employees[1], "contract", b"%PDF-1.7 victim", token=tenant.token
    )
    categories = await api.data("{ documentCategories { id code } }", token=tenant.token)
    return {
        "job": person["employee"]["jobHistory"][0]["id"],
        "line": person["employee"]["reportingLines"][0]["id"],
        "employment": person["employee"]["employments"][0]["id"],
        "absence": absence["requestAbsence"]["id"],
        "document": uploaded.json()["data"]["uploadDocument"]["id"],
        "category": categories["documentCategories"][0]["id"],
    }


# (operation, variables built from the victim's ids): every operation that takes an id.
CROSS_TENANT_OPERATIONS: list[tuple[str, str, Any]] = [
    ("employee", "query($id: ID!) { employee(id: $id) { id name } }", lambda v: {"id": v["emp"]}),
    (
        "updateEmployee",
        "mutation($id: ID!) { updateEmployee(id: $id, input: {version: 1, firstName: "
        '"X"}) { id } }',
        lambda v: {"id": v["emp"]},
    ),
    (
        "updateOffice",
        'mutation($id: ID!) { updateOffice(id: $id, input: {version: 1, name: "X"}) { id } }',
        lambda v: {"id": v["office"]},
    ),
    (
        "updateDepartment",
        'mutation($id: ID!) { updateDepartment(id: $id, input: {version: 1, name: "X"}) { id } }',
        lambda v: {"id": v["dept"]},
    ),
    (
        "createDepartment.parent",
        'mutation($id: ID!) { createDepartment(input: {name: "X", parent: $id}) { id } }',
        lambda v: {"id": v["dept"]},
    ),
    (
        "createDepartment.head",
        'mutation($id: ID!) { createDepartment(input: {name: "X", head: $id}) { id } }',
        lambda v: {"id": v["emp"]},
    ),
    (
        "createJobAssignment.employee",
        'mutation($id: ID!) { createJobAssignment(input: {employee: $id, title: "X",'
        ' effectiveFrom: "2031-01-01"}) { id } }',
        lambda v: {"id": v["emp"]},
    ),
    (
        "createJobAssignment.department",
        'mutation($id: ID!, $own: ID!) { createJobAssignment(input: {employee: $own, title: "X",'
        ' effectiveFrom: "2031-01-01", department: $id}) { id } }',
        lambda v: {"id": v["dept"], "own": v["own_emp"]},
    ),
    (
        "createJobAssignment.office",
        'mutation($id: ID!, $own: ID!) { createJobAssignment(input: {employee: $own, title: "X",'
        ' effectiveFrom: "2031-01-01", office: $id}) { id } }',
        lambda v: {"id": v["office"], "own": v["own_emp"]},
    ),
    (
        "updateJobAssignment",
        "mutation($id: ID!) { updateJobAssignment(id: $id, input: {version: 1, title: "
        '"X"}) { id } }',
        lambda v: {"id": v["job"]},
    ),
    (
        "createReportingLine.employee",
        "mutation($id: ID!) { createReportingLine(input: {employee: $id,"
        ' effectiveFrom: "2031-01-01"}) { id } }',
        lambda v: {"id": v["emp"]},
    ),
    (
        "createReportingLine.manager",
        "mutation($id: ID!, $own: ID!) { createReportingLine(input: {employee: $own, manager: $id,"
        ' effectiveFrom: "2031-01-01"}) { id } }',
        lambda v: {"id": v["emp"], "own": v["own_emp"]},
    ),
    (
        "updateReportingLine",
        "mutation($id: ID!) { updateReportingLine(id: $id, input: {version: 1,"
        ' effectiveFrom: "2031-02-01"}) { id } }',
        lambda v: {"id": v["line"]},
    ),
    (
        "createEmployment",
        "mutation($id: ID!) { createEmployment(input: {employee: $id, employmentType: PERMANENT,"
        ' startDate: "2031-01-01", ftePercent: "100", legalEntity: "X", countryCode: "SE"})'
        " { id } }",
        lambda v: {"id": v["emp"]},
    ),
    (
        "updateEmployment",
        'mutation($id: ID!) { updateEmployment(id: $id, input: {version: 1, legalEntity: "X"})'
        " { id } }",
        lambda v: {"id": v["employment"]},
    ),
    (
        "requestAbsence.employee",
        "mutation($id: ID!, $t: ID!) { requestAbsence(input: {employee: $id, absenceType: $t,"
        ' startDate: "2031-01-01", endDate: "2031-01-02"}) { id } }',
        lambda v: {"id": v["emp"], "t": v["own_type"]},
    ),
    (
        "requestAbsence.absenceType",
        "mutation($id: ID!, $own: ID!) { requestAbsence(input: {employee: $own, absenceType: $id,"
        ' startDate: "2031-01-01", endDate: "2031-01-02"}) { id } }',
        lambda v: {"id": v["type"], "own": v["own_emp"]},
    ),
    (
        "updateAbsence",
        "mutation($id: ID!) { updateAbsence(id: $id, input: {version: 1,"
        ' endDate: "2030-01-09"}) { id } }',
        lambda v: {"id": v["absence"]},
    ),
    (
        "approveAbsence",
        "mutation($id: ID!) { approveAbsence(id: $id, version: 1) { id } }",
        lambda v: {"id": v["absence"]},
    ),
    (
        "rejectAbsence",
        "mutation($id: ID!) { rejectAbsence(id: $id, version: 1) { id } }",
        lambda v: {"id": v["absence"]},
    ),
    (
        "cancelAbsence",
        "mutation($id: ID!) { cancelAbsence(id: $id, version: 1) { id } }",
        lambda v: {"id": v["absence"]},
    ),
    (
        "documents",
        "query($id: ID!) { documents(employeeId: $id) { id } }",
        lambda v: {"id": v["emp"]},
    ),
    ("document", "query($id: ID!) { document(id: $id) { id } }", lambda v: {"id": v["document"]}),
    (
        "createDocumentDownloadUrl",
        "mutation($id: ID!) { createDocumentDownloadUrl(id: $id) { url } }",
        lambda v: {"id": v["document"]},
    ),
    (
        "deleteDocument",
        "mutation($id: ID!) { deleteDocument(id: $id) }",
        lambda v: {"id": v["document"]},
    ),
    (
        "updateDocumentCategory",
        'mutation($id: ID!) { updateDocumentCategory(id: $id, input: {version: 1, name: "X"})'
        " { id } }",
        lambda v: {"id": v["category"]},
    ),
    (
        "deleteDocumentCategory",
        "mutation($id: ID!) { deleteDocumentCategory(id: $id, version: 1) }",
        lambda v: {"id": v["category"]},
    ),
]


async def _snapshot(owner_engine: AsyncEngine, tenant_id: uuid.UUID) -> dict[str, list[Any]]:
    """Every row of a tenant, read as the owner: the ground truth of what was written."""
    snapshot = {}
    async with owner_engine.connect() as conn:
        for table in TENANT_TABLES:
            result = await conn.execute(
                text(f"SELECT * FROM {table} WHERE tenant_id = :t ORDER BY id"), {"t": tenant_id}
            )
            snapshot[table] = [tuple(row) for row in result]
    return snapshot


@pytest.mark.parametrize(
    ("name", "document", "variables"),
    CROSS_TENANT_OPERATIONS,
    ids=[o[0] for o in CROSS_TENANT_OPERATIONS],
)
async def test_another_tenants_id_answers_like_a_missing_id(
    api: Api,
    tenants: TenantFactory,
    owner_engine: AsyncEngine,
    name: str,
    document: str,
    variables: Any,
) -> None:
    attacker = await tenants.create(employees=2)
    victim = await tenants.create(employees=2)
    victim_ids = {
        "emp": str(victim.employees[1]),
        "dept": str(victim.departments["engineering"]),
        "office": str(victim.offices["hq"]),
        "type": str(victim.absence_types["vacation"]),
        "own_emp": str(attacker.employees[1]),
        "own_type": str(attacker.absence_types["vacation"]),
        **await _history_ids(api, victim),
    }
    missing_ids = {
        key: (value if key.startswith("own") else str(uuid.uuid4()))
        for key, value in victim_ids.items()
    }
    before = await _snapshot(owner_engine, victim.id)

    crossing = await api.gql(document, variables(victim_ids), token=attacker.token)
    missing = await api.gql(document, variables(missing_ids), token=attacker.token)

    assert error_codes(crossing) == ["NOT_FOUND"]
    assert crossing == missing, "another tenant's id must be indistinguishable from a missing id"
    assert await _snapshot(owner_engine, victim.id) == before


async def test_lists_show_only_the_callers_tenant(api: Api, tenants: TenantFactory) -> None:
    mine = await tenants.create(employees=3)
    other = await tenants.create(employees=5)
    data = await api.data(
        "{ employees(first: 100) { nodes { id } } departments { id } offices { id } }",
        token=mine.token,
    )
    seen = {node["id"] for node in data["employees"]["nodes"]}
    assert seen == {str(e) for e in mine.employees}
    assert not seen & {str(e) for e in other.employees}
    assert {d["id"] for d in data["departments"]} == {str(d) for d in mine.departments.values()}
    filtered = await api.data(
        "query($d: ID!) { employees(first: 100, filter: {department: $d}) { nodes { id } } }",
        {"d": str(other.departments["engineering"])},
        token=mine.token,
    )
    assert filtered["employees"]["nodes"] == []


async def test_row_level_security_alone_confines_a_query_without_tenant_filter(
    app_engine: AsyncEngine, tenants: TenantFactory
) -> None:
    first = await tenants.create(employees=3)
    second = await tenants.create(employees=4)
    async with session_factory(app_engine)() as db:
        await bind_tenant(db, first.id)
        rows = (await db.execute(text("SELECT id, tenant_id FROM employees"))).all()
    assert {row.tenant_id for row in rows} == {first.id}
    assert {row.id for row in rows} == set(first.employees)
    assert not {row.id for row in rows} & set(second.employees)


async def test_without_a_tenant_every_table_is_empty(
    app_engine: AsyncEngine, tenants: TenantFactory
) -> None:
    await tenants.create(employees=2)
    async with app_engine.connect() as conn:
        for table in (*TENANT_TABLES, "tenants"):
            count = await conn.scalar(text(f"SELECT count(*) FROM {table}"))
            assert count == 0, f"{table} shows {count} rows with no tenant bound"


async def test_row_level_security_refuses_writing_into_another_tenant(
    app_engine: AsyncEngine, tenants: TenantFactory
) -> None:
    first = await tenants.create(employees=1)
    second = await tenants.create(employees=1)
    async with session_factory(app_engine)() as db:
        await bind_tenant(db, first.id)
        with pytest.raises(DBAPIError, match="row-level security"):
            await db.execute(
                text(
                    "INSERT INTO offices (tenant_id, id, name, address, country_code, timezone,"
                    " created_at, updated_at, version) VALUES (:t, gen_random_uuid(), 'Spy',"
                    " '', 'SE', 'UTC', now(), now(), 1)"
                ),
                {"t": second.id},
            )
    async with session_factory(app_engine)() as db:
        await bind_tenant(db, first.id)
        changed = await db.execute(
            text("UPDATE employees SET first_name = 'Spy' WHERE tenant_id = :t"), {"t": second.id}
        )
        assert changed.rowcount == 0  # type: ignore[attr-defined]
        await db.rollback()


async def test_a_row_cannot_reference_another_tenants_row(
    owner_engine: AsyncEngine, tenants: TenantFactory
) -> None:
    """Composite foreign keys include tenant_id: even the owner cannot link across tenants."""
    first = await tenants.create(employees=1)
    second = await tenants.create(employees=1)
    async with owner_engine.connect() as conn:
        with pytest.raises(IntegrityError):
            await conn.execute(
                text(
                    "INSERT INTO reporting_lines (tenant_id, id, employee_id, manager_id,"
                    " effective_from, created_at, updated_at, version)"
                    " VALUES (:t, gen_random_uuid(), :e, :m, current_date, now(), now(), 1)"
                ),
                {"t": first.id, "e": first.employees[0], "m": second.employees[0]},
            )


async def test_every_tenant_table_forces_row_level_security(owner_engine: AsyncEngine) -> None:
    async with owner_engine.connect() as conn:
        tables = (
            await conn.execute(
                text(
                    "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity"
                    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'public' AND c.relkind = 'r'"
                    " AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid"
                    " AND a.attname = 'tenant_id' AND NOT a.attisdropped)"
                )
            )
        ).all()
    assert {row.relname for row in tables} >= set(TENANT_TABLES)
    assert all(row.relrowsecurity and row.relforcerowsecurity for row in tables), tables


async def test_the_application_role_owns_nothing_and_cannot_bypass(
    owner_engine: AsyncEngine,
) -> None:
    async with owner_engine.connect() as conn:
        role = (
            await conn.execute(
                text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"),
                {"r": APP_ROLE},
            )
        ).one()
        owned = await conn.scalar(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = :r"),
            {"r": APP_ROLE},
        )
    assert (role.rolsuper, role.rolbypassrls, owned) == (False, False, 0)

"""Approved means approved as it was: a changed absence is a new request, and nobody
decides a request about themselves or one they made or changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support import Api, Login, TenantFactory, TenantHandle, error_codes

REQUEST = (
    "mutation($e: ID!, $t: ID!) { requestAbsence(input: {employee: $e, absenceType: $t,"
    ' startDate: "2031-03-02", endDate: "2031-03-06"}) { id status version } }'
)
UPDATE = (
    "mutation($id: ID!, $i: UpdateAbsenceInput!) { updateAbsence(id: $id, input: $i) {"
    " status version decidedAt approver { id } } }"
)
DECIDE = "mutation($id: ID!, $v: Int!) { %s(id: $id, version: $v) { status version } }"
ABSENCES = "query($id: ID!) { employee(id: $id) { absences { id status version } } }"
LOG = """query($f: AuditLogFilter) { auditLog(first: 100, filter: $f) { edges { node {
  action changes { field old new } } } } }"""


@dataclass(frozen=True)
class Team:
    """An Owner (the tenant's first login), an HR Admin and an employee, each a person."""

    tenant: TenantHandle
    hr: Login
    employee: Login

    @property
    def employee_id(self) -> str:
        return str(self.tenant.employees[1])

    @property
    def hr_id(self) -> str:
        return str(self.tenant.employees[2])


@pytest.fixture
async def team(tenants: TenantFactory) -> Team:
    tenant = await tenants.create(employees=3)
    employee = await tenants.add_user(tenant, tenant.employees[1], ("employee",))
    hr = await tenants.add_user(tenant, tenant.employees[2], ("hr_admin",))
    return Team(tenant, hr, employee)


async def _request(api: Api, team: Team, token: str, person: str, kind: str = "vacation") -> Any:
    made = await api.data(
        REQUEST, {"e": person, "t": str(team.tenant.absence_types[kind])}, token=token
    )
    return made["requestAbsence"]


async def _decide(api: Api, name: str, absence: dict[str, Any], token: str) -> dict[str, Any]:
    return await api.gql(DECIDE % name, {"id": absence["id"], "v": absence["version"]}, token=token)


async def _approved(api: Api, team: Team) -> dict[str, Any]:
    """An absence the employee asked for and the Owner approved."""
    absence = await _request(api, team, team.employee.token, team.employee_id)
    approved = await _decide(api, "approveAbsence", absence, team.tenant.token)
    assert approved["data"]["approveAbsence"]["status"] == "APPROVED", approved
    return {"id": absence["id"], "version": approved["data"]["approveAbsence"]["version"]}


async def _snapshot(owner_engine: AsyncEngine, tenant: TenantHandle) -> list[Any]:
    """Every absence as stored, and how many changes the audit chain records (a refusal
    is recorded as a security event of its own: see ``_refusals``)."""
    async with owner_engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT id, status, version, start_date, end_date, approver_id, decided_at"
                " FROM absences WHERE tenant_id = :t ORDER BY id"
            ),
            {"t": tenant.id},
        )
        changes = await conn.scalar(
            text("SELECT count(*) FROM audit_log WHERE tenant_id = :t AND action <> 'refused'"),
            {"t": tenant.id},
        )
    return [*(tuple(row) for row in rows), changes]


async def _refusals(owner_engine: AsyncEngine, tenant: TenantHandle) -> list[str | None]:
    """The operations whose refusals the tenant's chain records, oldest first."""
    async with owner_engine.connect() as conn:
        rows = await conn.scalars(
            text(
                "SELECT entity_id FROM audit_log"
                " WHERE tenant_id = :t AND action = 'refused' ORDER BY seq"
            ),
            {"t": tenant.id},
        )
        return list(rows)


CHANGES = {
    "endDate": {"endDate": "2031-03-09"},
    "startDate": {"startDate": "2031-03-01"},
    "absenceType": None,  # filled in with the tenant's unpaid leave
    "reason": {"reason": "moving house"},
}


@pytest.mark.parametrize("changed", list(CHANGES))
async def test_an_employee_who_changes_an_approved_absence_asks_again(
    api: Api, team: Team, changed: str
) -> None:
    absence = await _approved(api, team)
    change = CHANGES[changed] or {"absenceType": str(team.tenant.absence_types["unpaid"])}
    updated = await api.data(
        UPDATE,
        {"id": absence["id"], "i": {"version": absence["version"], **change}},
        token=team.employee.token,
    )
    assert updated["updateAbsence"] == {
        "status": "REQUESTED",
        "version": absence["version"] + 1,
        "decidedAt": None,
        "approver": None,
    }
    # Approvers find it where they find every new request: among the requested absences.
    listed = await api.data(ABSENCES, {"id": team.employee_id}, token=team.tenant.token)
    assert {"id": absence["id"], "status": "REQUESTED", "version": absence["version"] + 1} in (
        listed["employee"]["absences"]
    )
    again = await _decide(
        api,
        "approveAbsence",
        {"id": absence["id"], "version": absence["version"] + 1},
        team.tenant.token,
    )
    assert again["data"]["approveAbsence"]["status"] == "APPROVED", again


async def test_the_prior_decision_stays_in_the_audit_log(api: Api, team: Team) -> None:
    absence = await _approved(api, team)
    await api.data(
        UPDATE,
        {"id": absence["id"], "i": {"version": absence["version"], "endDate": "2031-03-09"}},
        token=team.employee.token,
    )
    log = await api.data(
        LOG, {"f": {"entityId": absence["id"], "action": "update"}}, token=team.tenant.token
    )
    changes = [
        {c["field"]: (c["old"], c["new"]) for c in edge["node"]["changes"]}
        for edge in log["auditLog"]["edges"]
    ]
    reopened = next(c for c in changes if "end_date" in c)
    assert reopened["status"] == ("approved", "requested")
    assert reopened["approver_id"] == (str(team.tenant.employees[0]), None)
    assert reopened["decided_at"][0] is not None
    assert reopened["decided_at"][1] is None


async def test_a_changed_rejected_absence_is_asked_for_again(api: Api, team: Team) -> None:
    absence = await _request(api, team, team.employee.token, team.employee_id)
    rejected = (await _decide(api, "rejectAbsence", absence, team.tenant.token))["data"]
    updated = await api.data(
        UPDATE,
        {
            "id": absence["id"],
            "i": {"version": rejected["rejectAbsence"]["version"], "startDate": "2031-03-04"},
        },
        token=team.employee.token,
    )
    assert updated["updateAbsence"]["status"] == "REQUESTED"


async def test_an_unchanged_update_keeps_the_decision(api: Api, team: Team) -> None:
    absence = await _approved(api, team)
    same = await api.data(
        UPDATE,
        {"id": absence["id"], "i": {"version": absence["version"], "endDate": "2031-03-06"}},
        token=team.employee.token,
    )
    assert same["updateAbsence"]["status"] == "APPROVED"


async def test_a_change_to_a_type_without_approval_is_approved_as_a_new_request_would_be(
    api: Api, team: Team
) -> None:
    absence = await _approved(api, team)
    change = {"version": absence["version"], "absenceType": str(team.tenant.absence_types["sick"])}
    updated = await api.data(UPDATE, {"id": absence["id"], "i": change}, token=team.employee.token)
    assert updated["updateAbsence"]["status"] == "APPROVED"
    assert updated["updateAbsence"]["approver"] is None


@pytest.mark.parametrize("decision", ["approveAbsence", "rejectAbsence"])
@pytest.mark.parametrize("who", ["owner", "hr"])
async def test_nobody_decides_their_own_absence(
    api: Api, team: Team, owner_engine: AsyncEngine, decision: str, who: str
) -> None:
    token, person = {
        "owner": (team.tenant.token, str(team.tenant.employees[0])),
        "hr": (team.hr.token, team.hr_id),
    }[who]
    absence = await _request(api, team, token, person)
    before = await _snapshot(owner_engine, team.tenant)
    refused = await _decide(api, decision, absence, token)
    assert error_codes(refused) == ["FORBIDDEN"]
    assert refused["errors"][0]["extensions"]["reason"] == "own_record"
    assert refused["data"] is None
    assert await _snapshot(owner_engine, team.tenant) == before
    assert await _refusals(owner_engine, team.tenant) == [decision]


@pytest.mark.parametrize("decision", ["approveAbsence", "rejectAbsence"])
async def test_nobody_decides_a_request_they_made_for_someone_else(
    api: Api, team: Team, owner_engine: AsyncEngine, decision: str
) -> None:
    absence = await _request(api, team, team.hr.token, team.employee_id)
    before = await _snapshot(owner_engine, team.tenant)
    refused = await _decide(api, decision, absence, team.hr.token)
    assert error_codes(refused) == ["FORBIDDEN"]
    assert refused["errors"][0]["extensions"]["reason"] == "own_request"
    assert await _snapshot(owner_engine, team.tenant) == before
    assert await _refusals(owner_engine, team.tenant) == [decision]
    decided = await _decide(api, decision, absence, team.tenant.token)  # a second person may
    assert "errors" not in decided, decided


async def test_nobody_decides_a_request_they_changed(
    api: Api, team: Team, owner_engine: AsyncEngine
) -> None:
    """An approver who reshapes an employee's approved absence cannot approve the result."""
    absence = await _approved(api, team)
    changed = await api.data(
        UPDATE,
        {"id": absence["id"], "i": {"version": absence["version"], "endDate": "2031-03-20"}},
        token=team.hr.token,
    )
    assert changed["updateAbsence"]["status"] == "REQUESTED"
    reopened = {"id": absence["id"], "version": changed["updateAbsence"]["version"]}
    before = await _snapshot(owner_engine, team.tenant)
    refused = await _decide(api, "approveAbsence", reopened, team.hr.token)
    assert error_codes(refused) == ["FORBIDDEN"]
    assert refused["errors"][0]["extensions"]["reason"] == "own_request"
    assert await _snapshot(owner_engine, team.tenant) == before
    assert await _refusals(owner_engine, team.tenant) == ["approveAbsence"]
    approved = await _decide(api, "approveAbsence", reopened, team.tenant.token)
    assert approved["data"]["approveAbsence"]["status"] == "APPROVED", approved


async def test_an_employee_may_still_cancel_their_own_absence(api: Api, team: Team) -> None:
    absence = await _approved(api, team)
    cancelled = await _decide(api, "cancelAbsence", absence, team.employee.token)
    assert cancelled["data"]["cancelAbsence"]["status"] == "CANCELLED", cancelled

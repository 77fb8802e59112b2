"""Support staff reach a tenant only through a live grant the tenant gave, within its
scope, with a fresh TOTP step-up, and everything they do lands in the tenant's log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.support import Api, StaffLogin, TenantFactory, TenantHandle, error_codes, staff_session

GRANT = (
    "mutation($i: SupportAccessInput!, $s: ID, $e: [ID!]) {"
    " createSupportGrant(input: $i, staffId: $s, employeeIds: $e) { id fieldGroups } }"
)
ACTIVATE = "mutation($t: String!, $g: ID!) { activateSupportGrant(tenant: $t, grantId: $g) { id } }"
PEOPLE = "query People { employees { nodes { id name employments { id } } } }"
RENAME = (
    "mutation Rename($id: ID!) { updateEmployee(id: $id, input: {version: 1,"
    ' preferredName: "Fixed"}) { id } }'
)


async def _grant(
    api: Api, tenants: TenantFactory, tenant: TenantHandle, **given: Any
) -> dict[str, Any]:
    await tenants.step_up(tenant)
    staff_id = given.pop("staff_id", None)
    employees = given.pop("employee_ids", None)
    made = await api.data(
        GRANT,
        {
            "i": {"reason": "Payroll export fails", "ticket": "SUP-42", **given},
            "s": staff_id,
            "e": employees,
        },
        token=tenant.token,
    )
    grant: dict[str, Any] = made["createSupportGrant"]
    return grant


async def _under(api: Api, staff: StaffLogin, tenant: TenantHandle, grant: str) -> None:
    await api.data(ACTIVATE, {"t": tenant.slug, "g": grant}, token=staff.token)


async def test_without_a_grant_staff_reach_nothing(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=2)
    staff = await staff_session(api, tenants)
    assert error_codes(await api.gql(PEOPLE, token=staff.token)) == ["UNAUTHENTICATED"]
    other = await tenants.create(employees=1)
    foreign = await _grant(api, tenants, other)
    refused = await api.gql(ACTIVATE, {"t": tenant.slug, "g": foreign["id"]}, token=staff.token)
    assert error_codes(refused) == ["FORBIDDEN"]  # a grant of another tenant is no grant here
    assert error_codes(await api.gql(PEOPLE, token=staff.token)) == ["UNAUTHENTICATED"]


async def test_a_grant_named_for_someone_else_is_refused(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=1)
    staff = await staff_session(api, tenants)
    colleague = await staff_session(api, tenants)
    grant = await _grant(api, tenants, tenant, staff_id=str(colleague.staff_id))
    refused = await api.gql(ACTIVATE, {"t": tenant.slug, "g": grant["id"]}, token=staff.token)
    assert refused["errors"][0]["extensions"] == {"code": "FORBIDDEN", "supportGrant": "other"}


async def test_a_request_waits_for_approval_and_lapses_after_a_day(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    staff = await staff_session(api, tenants)
    ask = (
        'mutation($t: String!) { requestSupportAccess(tenant: $t, input: {reason: "Login bug",'
        " hours: 2}) { id state } }"
    )
    asked = (await api.data(ask, {"t": tenant.slug}, token=staff.token))["requestSupportAccess"]
    assert asked["state"] == "REQUESTED"
    early = await api.gql(ACTIVATE, {"t": tenant.slug, "g": asked["id"]}, token=staff.token)
    assert early["errors"][0]["extensions"]["supportGrant"] == "requested"
    await tenants.step_up(tenant)
    approve = "mutation($g: ID!) { approveSupportRequest(id: $g) { state expiresAt } }"
    approved = await api.data(approve, {"g": asked["id"]}, token=tenant.token)
    assert approved["approveSupportRequest"]["state"] == "LIVE"
    await _under(api, staff, tenant, asked["id"])
    assert "errors" not in await api.gql(PEOPLE, token=staff.token)

    late = (await api.data(ask, {"t": tenant.slug}, token=staff.token))["requestSupportAccess"]
    api.clock.advance(timedelta(hours=24))
    tenant.token = await api.login(tenant.slug, tenant.email)  # with a code: stepped up
    lapsed = await api.gql(approve, {"g": late["id"]}, token=tenant.token)
    assert error_codes(lapsed) == ["CONFLICT"]


async def test_revoking_ends_access_on_the_next_request(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=2)
    staff = await staff_session(api, tenants)
    grant = await _grant(api, tenants, tenant)
    await _under(api, staff, tenant, grant["id"])
    assert "errors" not in await api.gql(PEOPLE, token=staff.token)
    revoke = "mutation($g: ID!) { revokeSupportGrant(id: $g) { state } }"
    revoked = await api.data(revoke, {"g": grant["id"]}, token=tenant.token)
    assert revoked["revokeSupportGrant"]["state"] == "REVOKED"
    body = await api.gql(PEOPLE, token=staff.token)
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "supportGrant": "revoked"}


async def test_a_grant_expires_on_time(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=1)
    staff = await staff_session(api, tenants)
    grant = await _grant(api, tenants, tenant, hours=1)
    await _under(api, staff, tenant, grant["id"])
    token = staff.token
    for _ in range(6):  # stay active and stepped up for 54 minutes
        api.clock.advance(timedelta(minutes=9))
        token = await _step_up(api, staff, token)
        assert "errors" not in await api.gql(PEOPLE, token=token)
    api.clock.advance(timedelta(minutes=6))
    body = await api.gql(PEOPLE, token=token)
    assert body["errors"][0]["extensions"]["supportGrant"] == "expired"


async def _step_up(api: Api, staff: StaffLogin, token: str) -> str:
    data = await api.data(
        "mutation($c: String!) { verifyStepUp(code: $c) { token } }",
        {"c": api.code(staff.account)},
        token=token,
    )
    renewed: str = data["verifyStepUp"]["token"]
    return renewed


async def test_every_request_needs_a_step_up_in_the_last_15_minutes(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    staff = await staff_session(api, tenants)
    grant = await _grant(api, tenants, tenant)
    await _under(api, staff, tenant, grant["id"])
    api.clock.advance(timedelta(minutes=14))
    assert "errors" not in await api.gql(PEOPLE, token=staff.token)
    api.clock.advance(timedelta(minutes=1, seconds=1))
    assert error_codes(await api.gql(PEOPLE, token=staff.token)) == ["STEP_UP_REQUIRED"]
    token = await _step_up(api, staff, staff.token)
    assert "errors" not in await api.gql(PEOPLE, token=token)
    api.clock.advance(timedelta(minutes=15, seconds=1))  # idle: the staff session ends
    assert error_codes(await api.gql(PEOPLE, token=token)) == ["UNAUTHENTICATED"]


async def test_a_staff_session_ends_after_8_hours_however_busy(
    api: Api, tenants: TenantFactory
) -> None:
    await tenants.create(employees=1)
    staff = await staff_session(api, tenants)
    token = staff.token
    for _ in range(34):  # 34 x 14 min = 7 h 56 min, never idle for long
        api.clock.advance(timedelta(minutes=14))
        token = await _step_up(api, staff, token)
    api.clock.advance(timedelta(minutes=5))
    late = await api.gql(
        "mutation($c: String!) { verifyStepUp(code: $c) { token } }",
        {"c": api.code(staff.account)},
        token=token,
    )
    assert error_codes(late) == ["UNAUTHENTICATED"]


async def test_scope_is_the_grant_never_more(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=3)
    staff = await staff_session(api, tenants)
    default = await _grant(api, tenants, tenant)
    assert not {"IDENTITY", "BANK", "SALARY", "PERSONAL", "ABSENCE_REASON"} & set(
        default["fieldGroups"]
    )
    named = str(tenant.employees[1])
    grant = await _grant(api, tenants, tenant, fieldGroups=["BASIC"], employee_ids=[named])
    await _under(api, staff, tenant, grant["id"])
    body = await api.gql(PEOPLE, token=staff.token)
    nodes = body["data"]["employees"]["nodes"]
    assert [n["id"] for n in nodes] == [named]  # only the named employee
    assert nodes[0]["employments"] is None  # employment is outside the grant
    assert body["extensions"]["restricted"] == [["employees", "nodes", 0, "employments"]]
    write = await api.gql(RENAME, {"id": named}, token=staff.token)
    assert error_codes(write) == ["FORBIDDEN"]  # read-only grant
    for admin in (
        'mutation { createRole(input: {name: "Backdoor"}) { id } }',
        "{ supportAccess { id } }",
        "{ roles { id } }",
    ):
        assert error_codes(await api.gql(admin, token=staff.token)) == ["FORBIDDEN"]


async def test_staff_reads_and_writes_are_in_the_tenant_log(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=2)
    staff = await staff_session(api, tenants)
    grant = await _grant(api, tenants, tenant, writable=True)
    await _under(api, staff, tenant, grant["id"])
    target = str(tenant.employees[1])
    assert "errors" not in await api.gql(PEOPLE, token=staff.token)
    assert "errors" not in await api.gql(RENAME, {"id": target}, token=staff.token)
    seen = await api.data(
        "{ supportAccess { id reason ticket actions { action entityType operation staffName } } }",
        token=tenant.token,
    )
    mine = next(g for g in seen["supportAccess"] if g["id"] == grant["id"])
    actions = {(a["action"], a["entityType"], a["operation"]) for a in mine["actions"]}
    assert ("activate", "SupportGrant", None) in actions
    assert ("read", "PersonalData", "People") in actions  # the read, with what was read
    assert ("update", "Employee", "Rename") in actions
    assert {a["staffName"] for a in mine["actions"]} == {"Sam Support"}
    log = await api.data(
        '{ auditLog(filter: {action: "update"}) { edges { node { actor { kind id } operation } } } }',
        token=tenant.token,
    )
    assert {"actor": {"kind": "support", "id": str(staff.staff_id)}, "operation": "Rename"} in [
        e["node"] for e in log["auditLog"]["edges"]
    ]


async def test_a_declined_request_opens_nothing(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=1)
    staff = await staff_session(api, tenants)
    ask = (
        'mutation($t: String!) { requestSupportAccess(tenant: $t, input: {reason: "Bug"}) { id } }'
    )
    asked = (await api.data(ask, {"t": tenant.slug}, token=staff.token))["requestSupportAccess"]
    await tenants.step_up(tenant)
    decline = "mutation($g: ID!) { declineSupportRequest(id: $g) { state } }"
    declined = await api.data(decline, {"g": asked["id"]}, token=tenant.token)
    assert declined["declineSupportRequest"]["state"] == "DECLINED"
    refused = await api.gql(ACTIVATE, {"t": tenant.slug, "g": asked["id"]}, token=staff.token)
    assert refused["errors"][0]["extensions"] == {"code": "FORBIDDEN", "supportGrant": "declined"}
    assert error_codes(await api.gql(PEOPLE, token=staff.token)) == ["UNAUTHENTICATED"]


async def test_a_grant_lasts_four_hours_unless_told_and_never_over_72(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    await tenants.step_up(tenant)
    create = "mutation($i: SupportAccessInput!) { createSupportGrant(input: $i) { id expiresAt } }"
    made = await api.data(create, {"i": {"reason": "Slow export"}}, token=tenant.token)
    expires = datetime.fromisoformat(made["createSupportGrant"]["expiresAt"])
    assert expires == api.clock.now() + timedelta(hours=4)
    for hours in (73, 0, -1):
        refused = await api.gql(
            create, {"i": {"reason": "Too long", "hours": hours}}, token=tenant.token
        )
        assert error_codes(refused) == ["BAD_USER_INPUT"], hours
    longest = await api.data(create, {"i": {"reason": "Audit", "hours": 72}}, token=tenant.token)
    longest_expiry = datetime.fromisoformat(longest["createSupportGrant"]["expiresAt"])
    assert longest_expiry == api.clock.now() + timedelta(hours=72)

"""P8 for what did not happen: a refused mutation is a security event in the tenant's chain
(who, which operation, why; never the refused arguments), counted but not chained again
within its minute, so a flood cannot grow the log without bound."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

from graphql import GraphQLError, parse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.clock import ManualClock
from hrvault.errors import BadUserInput, Forbidden, TotpEnrollmentRequired
from tests.support import Api, TenantFactory, TenantHandle, error_codes

LOG = """query($f: AuditLogFilter) { auditLog(first: 100, filter: $f) { edges { node {
  seq action entityType entityId operation actor { kind id name }
  changes { field fieldGroup old new redacted } } } } }"""
CREATE_ROLE = "mutation($n: String!) { sneaky: createRole(input: {name: $n}) { id } }"


async def _refusals(api: Api, token: str) -> list[dict[str, Any]]:
    data = await api.data(LOG, {"f": {"action": "refused"}}, token=token)
    return [edge["node"] for edge in data["auditLog"]["edges"]]


def _details(record: dict[str, Any]) -> dict[str, Any]:
    return {c["field"]: c["new"] for c in record["changes"] if c["field"] != "minute"}


async def _chain_length(owner_engine: AsyncEngine, tenant: TenantHandle) -> int:
    async with owner_engine.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM audit_log WHERE tenant_id = :t"), {"t": tenant.id}
        )
    return int(count or 0)


async def test_a_refused_mutation_is_recorded_without_its_arguments(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=3)
    colleague = await tenants.add_user(tenant, tenant.employees[1], ("employee",))
    secret = f"Role {secrets.token_hex(6)}"
    refused = await api.gql(CREATE_ROLE, {"n": secret}, token=colleague.token)
    assert error_codes(refused) == ["FORBIDDEN"]
    auditor = await tenants.add_user(tenant, tenant.employees[2], ("auditor",))
    for reader in (tenant.token, auditor.token):
        [record] = await _refusals(api, reader)
        assert (record["entityType"], record["entityId"]) == ("Operation", "createRole")
        assert record["actor"]["id"] == colleague.user_id
        assert _details(record) == {
            "code": "FORBIDDEN",
            "reason": "missing_ability",
            "unrecorded_before": 0,
        }
        assert not any(c["redacted"] for c in record["changes"])
    whole_log = await api.data(LOG, {"f": None}, token=tenant.token)
    assert secret not in json.dumps(whole_log)
    integrity = await api.data("{ auditIntegrity { ok } }", token=auditor.token)
    assert integrity["auditIntegrity"]["ok"] is True


async def test_a_missing_step_up_is_recorded_as_its_own_reason(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)  # the Owner, never stepped up
    refused = await api.gql(CREATE_ROLE, {"n": "Needs step-up"}, token=tenant.token)
    assert error_codes(refused) == ["STEP_UP_REQUIRED"]
    [record] = await _refusals(api, tenant.token)
    assert record["entityId"] == "createRole"
    assert _details(record) == {
        "code": "STEP_UP_REQUIRED",
        "reason": "step_up_required",
        "unrecorded_before": 0,
    }


async def test_a_flood_of_refusals_chains_one_record_per_minute_and_counts_the_rest(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine, clock: ManualClock
) -> None:
    tenant = await tenants.create(employees=3)
    colleague = await tenants.add_user(tenant, tenant.employees[1], ("employee",))
    other = await tenants.add_user(tenant, tenant.employees[2], ("employee",))
    before = await _chain_length(owner_engine, tenant)
    for attempt in range(12):
        body = await api.gql(CREATE_ROLE, {"n": f"Flood {attempt}"}, token=colleague.token)
        assert error_codes(body) == ["FORBIDDEN"]
    await api.gql(CREATE_ROLE, {"n": "Another caller"}, token=other.token)
    assert await _chain_length(owner_engine, tenant) == before + 2  # one per principal

    clock.advance(timedelta(minutes=1))
    await api.gql(CREATE_ROLE, {"n": "Next minute"}, token=colleague.token)
    assert await _chain_length(owner_engine, tenant) == before + 3
    mine = [r for r in await _refusals(api, tenant.token) if r["actor"]["id"] == colleague.user_id]
    assert [_details(r)["unrecorded_before"] for r in mine] == [11, 0]  # newest first
    integrity = await api.data("{ auditIntegrity { ok } }", token=tenant.token)
    assert integrity["auditIntegrity"]["ok"] is True


def test_every_refusal_of_the_forbidden_family_is_caught_by_its_root_field_name() -> None:
    """Generic: a Forbidden raised anywhere (a delegation check too) counts, by the field's
    name whatever its alias; bad input is no refusal."""
    from hrvault.audit.refusals import Refusal, refusals_in

    document = parse(
        "mutation M { ...F x: resetTotp(userId: 1) y: createRole(input: {}) z: logout }"
        " fragment F on Mutation { w: grantRole }"
    )
    errors = [
        GraphQLError("no", path=["x"], original_error=Forbidden("no", reason="delegation")),
        GraphQLError("no", path=["y", "id"], original_error=TotpEnrollmentRequired("enrol")),
        GraphQLError("no", path=["w"], original_error=Forbidden("no")),
        GraphQLError("bad", path=["z"], original_error=BadUserInput("bad")),
    ]
    assert refusals_in(errors, document, "M") == [
        Refusal("resetTotp", "FORBIDDEN", "delegation"),
        Refusal("createRole", "TOTP_ENROLLMENT_REQUIRED", "totp_enrollment_required"),
        Refusal("grantRole", "FORBIDDEN", "forbidden"),
    ]

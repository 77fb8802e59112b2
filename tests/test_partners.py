"""P7: partner integrations get data only through consented, scoped, expiring tokens.

Everything goes through HTTP, as a partner's client would; time moves on a manual clock.
"""

from __future__ import annotations

import hashlib
import stat
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.app import create_app
from hrvault.auth.partner_tokens import (
    PARTNER_TOKEN_PREFIX,
    TOKEN_LENGTH,
    _base62,
    _checksum,
    _from_base62,
    new_partner_token,
    parse_partner_token,
)
from hrvault.clock import ManualClock
from hrvault.config import Settings
from hrvault.partner_sweep import sweep_idle_tokens
from hrvault.schema.cookies import SESSION_COOKIE
from tests.partner_support import CREATE_TOKEN, REGISTER, issue, register, terms
from tests.support import Api, StatementCounter, TenantFactory, TenantHandle, error_codes

PEOPLE = "{ employees { nodes { id name jobTitle } } }"
TOKENS = "query { integrations { id tokens { id prefix revokedAt revokedReason lastUsedAt lastUsedIp expiresAt } } }"


@pytest.fixture(autouse=True)
def stepped_up_admins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Consent and tokens need a recent TOTP step-up: every admin here has just done one."""
    create = TenantFactory.create

    async def create_and_step_up(self: TenantFactory, **options: Any) -> TenantHandle:
        tenant = await create(self, **options)
        await self.step_up(tenant)
        return tenant

    monkeypatch.setattr(TenantFactory, "create", create_and_step_up)


async def _partner(
    api: Api, admin: str, *, days: int | None = None, **overrides: Any
) -> tuple[dict[str, Any], str]:
    integration = await register(api, admin, **overrides)
    issued = await issue(api, admin, integration["id"], days)
    token: str = issued["token"]
    return integration, token


async def _works(api: Api, token: str) -> bool:
    body = await api.gql(PEOPLE, token=token)
    return "errors" not in body


async def _tokens(api: Api, admin: str) -> list[dict[str, Any]]:
    data = await api.data(TOKENS, token=admin)
    return [t for i in data["integrations"] for t in i["tokens"]]


# --- format and storage ---------------------------------------------------------------


def test_token_format_has_prefix_checksum_and_tenant() -> None:
    tenant = uuid.uuid4()
    token = new_partner_token(tenant).value.reveal()
    assert token.startswith(PARTNER_TOKEN_PREFIX)
    assert len(token) == TOKEN_LENGTH
    assert token[len(PARTNER_TOKEN_PREFIX) :].isalnum()
    parsed = parse_partner_token(token)
    assert parsed is not None
    assert parsed.tenant_id == tenant
    assert "hrv_pat_" not in repr(parsed)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert parse_partner_token(flipped) is None
    body = token[:20] + ("x" if token[20] != "x" else "y") + token[21:-6]
    assert parse_partner_token(body + token[-6:]) is None
    assert parse_partner_token(body + _checksum(body)) is not None  # only the checksum caught it


async def test_token_shown_once_and_stored_only_as_a_keyed_hash(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine, settings: Settings
) -> None:
    tenant = await tenants.create()
    _, token = await _partner(api, tenant.token)
    async with owner_engine.connect() as conn:
        dump = (
            await conn.execute(
                text("SELECT t::text, token_hash FROM partner_tokens t WHERE tenant_id = :t"),
                {"t": tenant.id},
            )
        ).one()
    assert token not in dump[0]
    assert dump[1] != hashlib.sha256(token.encode()).digest()  # keyed, not a plain hash
    listed = await _tokens(api, tenant.token)
    assert listed[0]["prefix"] == token[: len(PARTNER_TOKEN_PREFIX) + 8]
    assert token not in str(listed)
    key = settings.token_key_path
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


# --- proof: checksum before any database lookup ------------------------------------------


async def test_malformed_tokens_are_rejected_before_any_database_lookup(
    api: Api, tenants: TenantFactory, statements: StatementCounter
) -> None:
    tenant = await tenants.create()
    _, token = await _partner(api, tenant.token)
    bad_checksum = token[:-1] + ("A" if token[-1] != "A" else "B")
    statements.reset()
    body = await api.gql(PEOPLE, token=bad_checksum)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert not [s for s in statements.statements if "partner_tokens" in s]
    # a well-formed token that is not ours does get looked up (so the check above can fail)
    forged = new_partner_token(tenant.id).value.reveal()
    statements.reset()
    assert error_codes(await api.gql(PEOPLE, token=forged)) == ["UNAUTHENTICATED"]
    assert [s for s in statements.statements if "partner_tokens" in s]


# --- proof: expired, revoked, rotated-out, auto-revoked -----------------------------------


async def test_expired_token_is_refused(
    api: Api, tenants: TenantFactory, clock: ManualClock
) -> None:
    tenant = await tenants.create()
    _, token = await _partner(api, tenant.token, days=10)
    assert await _works(api, token)
    clock.advance(timedelta(days=10, seconds=1))
    body = await api.gql(PEOPLE, token=token)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert "expired" in body["errors"][0]["message"]


async def test_expiry_is_required_and_at_most_a_year(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create()
    integration = await register(api, tenant.token)
    issued = await issue(api, tenant.token, integration["id"])
    listed = await _tokens(api, tenant.token)
    assert listed[0]["expiresAt"] == issued["info"]["expiresAt"]
    body = await api.gql(
        "mutation($i: ID!) { createPartnerToken(integrationId: $i, expiresInDays: 400) { token } }",
        {"i": integration["id"]},
        token=tenant.token,
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_revoked_token_is_refused_on_the_next_request(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create()
    _, token = await _partner(api, tenant.token)
    assert await _works(api, token)
    token_id = (await _tokens(api, tenant.token))[0]["id"]
    await api.data(
        "mutation($id: ID!) { revokePartnerToken(id: $id) { revokedAt } }",
        {"id": token_id},
        token=tenant.token,
    )
    assert error_codes(await api.gql(PEOPLE, token=token)) == ["UNAUTHENTICATED"]


async def test_rotation_keeps_the_old_token_for_the_grace_period_only(
    api: Api, tenants: TenantFactory, clock: ManualClock
) -> None:
    tenant = await tenants.create()
    _, old = await _partner(api, tenant.token)
    old_id = (await _tokens(api, tenant.token))[0]["id"]
    rotated = await api.data(
        "mutation($id: ID!) { rotatePartnerToken(id: $id, graceHours: 48) { token info { id } } }",
        {"id": old_id},
        token=tenant.token,
    )
    new = rotated["rotatePartnerToken"]["token"]
    assert new != old
    assert await _works(api, old)
    assert await _works(api, new)
    clock.advance(timedelta(hours=48, seconds=1))
    assert error_codes(await api.gql(PEOPLE, token=old)) == ["UNAUTHENTICATED"]
    assert await _works(api, new)
    too_long = await api.gql(
        "mutation($id: ID!) { rotatePartnerToken(id: $id, graceHours: 169) { token } }",
        {"id": rotated["rotatePartnerToken"]["info"]["id"]},
        token=await api.login(tenant.slug, tenant.email),
    )
    assert error_codes(too_long) == ["BAD_USER_INPUT"]


async def test_tokens_unused_for_30_days_are_revoked_on_use_and_by_the_sweep(
    api: Api, tenants: TenantFactory, clock: ManualClock, owner_engine: AsyncEngine
) -> None:
    tenant = await tenants.create()
    _, used = await _partner(api, tenant.token)
    _, never_presented = await _partner(api, tenant.token, partnerName="Other")
    assert await _works(api, used)
    clock.advance(timedelta(days=29))
    assert await _works(api, used)  # use resets the idle clock
    clock.advance(timedelta(days=30))
    body = await api.gql(PEOPLE, token=used)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert "30 days" in body["errors"][0]["message"]
    admin = await api.login(tenant.slug, tenant.email)
    reasons = {t["prefix"]: t["revokedReason"] for t in await _tokens(api, admin)}
    assert reasons[used[:16]] == "idle"
    assert reasons[never_presented[:16]] is None
    assert await sweep_idle_tokens(owner_engine, clock.now()) >= 1
    reasons = {t["prefix"]: t["revokedReason"] for t in await _tokens(api, admin)}
    assert reasons[never_presented[:16]] == "idle"
    clock.advance(timedelta(days=-59))  # even back in time, a revoked token stays revoked
    assert error_codes(await api.gql(PEOPLE, token=never_presented)) == ["UNAUTHENTICATED"]


# --- proof: tenants ---------------------------------------------------------------------


async def test_a_token_of_one_tenant_is_useless_on_another(
    api: Api, tenants: TenantFactory
) -> None:
    ours = await tenants.create()
    theirs = await tenants.create()
    _, token = await _partner(api, ours.token)
    body = await api.gql(
        "query($id: ID!) { employee(id: $id) { name } }",
        {"id": str(theirs.employees[1])},
        token=token,
    )
    assert error_codes(body) == ["NOT_FOUND"]
    names = [p["id"] for p in (await api.data(PEOPLE, token=token))["employees"]["nodes"]]
    assert {str(e) for e in ours.employees} == set(names)
    # the same secret re-addressed to the other tenant (with a valid checksum) is unknown there
    body = token[len(PARTNER_TOKEN_PREFIX) : -6]
    number = _from_base62(body)
    assert number is not None
    payload = number.to_bytes(49, "big")[:-16] + theirs.id.bytes
    moved = PARTNER_TOKEN_PREFIX + _base62(int.from_bytes(payload, "big"), 66)
    moved += _checksum(moved)
    moved_token = parse_partner_token(moved)
    assert moved_token is not None
    assert moved_token.tenant_id == theirs.id
    assert error_codes(await api.gql(PEOPLE, token=moved)) == ["UNAUTHENTICATED"]


# --- proof: consent decides fields and mutations ------------------------------------------


async def test_fields_outside_consent_are_null_and_restricted(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create()
    _, token = await _partner(api, tenant.token, categories=["BASIC"])
    body = await api.gql(PEOPLE, token=token)
    assert "errors" not in body
    nodes = body["data"]["employees"]["nodes"]
    assert nodes
    assert all(n["name"] and n["jobTitle"] is None for n in nodes)
    assert ["employees", "nodes", 0, "jobTitle"] in body["extensions"]["restricted"]


async def test_mutations_outside_consent_are_forbidden_and_write_nothing(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create()
    person = str(tenant.employees[1])
    update = (
        "mutation($id: ID!) { updateEmployee(id: $id, input: {version: 1,"
        ' preferredName: "Partnered"}) { preferredName version } }'
    )
    _, reader = await _partner(api, tenant.token, categories=["BASIC", "JOB"])
    assert error_codes(await api.gql(update, {"id": person}, token=reader)) == ["FORBIDDEN"]
    job = (
        'mutation($e: ID!) { createJobAssignment(input: {employee: $e, title: "X",'
        ' effectiveFrom: "2030-01-01"}) { id } }'
    )
    _, writer = await _partner(
        api, tenant.token, categories=["BASIC"], access="READ_WRITE", partnerName="Writer"
    )
    assert error_codes(await api.gql(job, {"e": person}, token=writer)) == ["FORBIDDEN"]
    check = "query($id: ID!) { employee(id: $id) { preferredName version jobHistory { id } } }"
    after = (await api.data(check, {"id": person}, token=tenant.token))["employee"]
    assert after["preferredName"] is None
    assert len(after["jobHistory"]) == 1
    written = await api.data(update, {"id": person}, token=writer)
    assert written["updateEmployee"]["preferredName"] == "Partnered"


async def test_partners_cannot_call_authentication_admin_audit_or_key_operations(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create()
    _, token = await _partner(api, tenant.token, categories=list(_ALL_GROUPS), access="READ_WRITE")
    for document in (
        "{ me { displayName } }",
        "{ roles { id } }",
        "{ users { id } }",
        "{ auditLog { edges { cursor } } }",
        "{ auditSigningKey { keyId } }",
        "{ integrations { id } }",
        "{ dataTransfers { partnerName } }",
        "{ subProcessors { name } }",
        "{ offices { id } }",
        "mutation { logout }",
        'mutation { createRole(input: {name: "Sneaky"}) { id } }',
        'mutation { createOffice(input: {name: "X", countryCode: "SE", timezone: "UTC"}) { id } }',
        f'mutation {{ login(tenant: "{tenant.slug}", email: "{tenant.email}", password: "x") {{ token }} }}',
    ):
        body = await api.gql(document, token=token)
        assert error_codes(body) == ["FORBIDDEN"], (document, body)
        assert body["errors"][0]["extensions"]["reason"] == "partner_not_allowed"
    issue_more = await api.gql(
        "mutation($i: RegisterIntegrationInput!) { registerIntegration(input: $i) { id } }",
        {"i": terms()},
        token=token,
    )
    assert error_codes(issue_more) == ["FORBIDDEN"]


_ALL_GROUPS = (
    "BASIC JOB EMPLOYMENT PERSONAL IDENTITY BANK EMERGENCY SALARY ABSENCE ABSENCE_REASON DOCUMENTS"
).split()


async def test_restriction_to_a_department_limits_the_people_reached(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=4)
    _, token = await _partner(
        api, tenant.token, departments=[str(tenant.departments["engineering"])]
    )
    seen = {n["id"] for n in (await api.data(PEOPLE, token=token))["employees"]["nodes"]}
    assert seen == {str(e) for e in tenant.employees[1:]}
    body = await api.gql(
        "query($id: ID!) { employee(id: $id) { name } }",
        {"id": str(tenant.employees[0])},
        token=token,
    )
    assert error_codes(body) == ["NOT_FOUND"]


async def test_cookies_never_carry_a_partner_token(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create()
    _, token = await _partner(api, tenant.token)
    response = await api.client.post(
        "/graphql", json={"query": PEOPLE}, headers={"cookie": f"{SESSION_COOKIE}={token}"}
    )
    assert error_codes(response.json()) == ["UNAUTHENTICATED"]


# --- proof: people leave, consent is revoked ---------------------------------------------


async def test_a_token_survives_the_deletion_of_the_admin_who_created_it(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine
) -> None:
    tenant = await tenants.create()
    admin = await tenants.add_user(tenant, None, ("owner",), step_up=True)
    integration, token = await _partner(api, admin.token)
    assert integration["consentedBy"] == admin.user_id
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("SELECT set_config('hrvault.tenant_id', :t, true)"), {"t": str(tenant.id)}
        )
        deleted = await conn.execute(
            text("DELETE FROM users WHERE tenant_id = :t AND id = :u"),
            {"t": tenant.id, "u": uuid.UUID(admin.user_id)},
        )
        assert deleted.rowcount == 1
    assert await _works(api, token)
    listed = (await api.data("{ integrations { consentedByName } }", token=tenant.token))[
        "integrations"
    ]
    assert listed[0]["consentedByName"] == admin.email


async def test_revoking_consent_revokes_its_tokens(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create()
    integration, token = await _partner(api, tenant.token)
    second = (await issue(api, tenant.token, integration["id"]))["token"]
    assert await _works(api, token)
    await api.data(
        "mutation($id: ID!, $v: Int!) { revokeIntegration(id: $id, version: $v) { revokedAt } }",
        {"id": integration["id"], "v": integration["version"]},
        token=tenant.token,
    )
    for each in (token, second):
        assert error_codes(await api.gql(PEOPLE, token=each)) == ["UNAUTHENTICATED"]
    assert {t["revokedReason"] for t in await _tokens(api, tenant.token)} == {"consent_revoked"}
    again = await api.gql(
        "mutation($i: ID!) { createPartnerToken(integrationId: $i) { token } }",
        {"i": integration["id"]},
        token=tenant.token,
    )
    assert error_codes(again) == ["BAD_USER_INPUT"]


# --- proof: the audit log ---------------------------------------------------------------


async def test_partner_reads_and_writes_are_in_the_audit_log_with_the_integration(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create()
    integration, token = await _partner(
        api, tenant.token, categories=["BASIC", "SALARY"], access="READ_WRITE"
    )
    person = str(tenant.employees[1])
    await api.data(
        "query Sync($id: ID!) { employee(id: $id) { name } }", {"id": person}, token=token
    )
    await api.data(
        'mutation Push($id: ID!) { updateEmployee(id: $id, input: {version: 1, preferredName: "P"}) { id } }',
        {"id": person},
        token=token,
    )
    records = (
        await api.data(
            "query($a: ID!) { auditLog(filter: {actorId: $a}) { edges { node { action"
            " entityType operation actor { kind id name } changes { field fieldGroup new } } } } }",
            {"a": integration["id"]},
            token=tenant.token,
        )
    )["auditLog"]["edges"]
    by_operation = {r["node"]["operation"]: r["node"] for r in records}
    read, write = by_operation["Sync"], by_operation["Push"]
    for record in (read, write):
        assert record["actor"] == {
            "kind": "partner",
            "id": integration["id"],
            "name": "Payroll Partner",
        }
    assert read["action"] == "read"
    assert read["changes"] == [{"field": "people", "fieldGroup": "basic", "new": [person]}]
    assert write["action"] == "update"
    assert write["entityType"] == "Employee"


# --- rate limit, register, transfers -------------------------------------------------------


async def test_each_token_is_rate_limited(
    tenants: TenantFactory,
    app_engine: AsyncEngine,
    clock: ManualClock,
    settings: Settings,
    api: Api,
) -> None:
    tenant = await tenants.create()
    _, token = await _partner(api, tenant.token)
    _, other = await _partner(api, tenant.token, partnerName="Other")
    limited = Settings(data_dir=settings.data_dir, partner_rate_limit=3)
    app = create_app(limited, engine=app_engine, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://hrvault.test") as client:
        slow = Api(client, clock)
        for _ in range(3):
            assert await _works(slow, token)
        body = await slow.gql(PEOPLE, token=token)
        assert error_codes(body) == ["RATE_LIMITED"]
        assert await _works(slow, other)
        clock.advance(timedelta(minutes=1))
        assert await _works(slow, token)


async def test_consent_is_recorded_and_the_transfer_register_lists_it(
    api: Api, tenants: TenantFactory, clock: ManualClock
) -> None:
    tenant = await tenants.create()
    outside = await api.gql(REGISTER, {"i": terms(processingCountry="US")}, token=tenant.token)
    assert error_codes(outside) == ["BAD_USER_INPUT"]
    made = await register(
        api,
        tenant.token,
        processingCountry="US",
        transferBasis="STANDARD_CONTRACTUAL_CLAUSES",
        categories=["SALARY", "BASIC"],
    )
    assert made["consentedBy"] == str(tenant.user_id)
    assert made["consentedByName"] == "First00000 Last00000"
    assert '"categories": ["basic", "salary"]' in made["consent"]
    await register(api, tenant.token, partnerName="Local")
    transfers = (
        await api.data(
            "{ dataTransfers { partnerName categories processingCountry insideEea transferBasis"
            " active } }",
            token=tenant.token,
        )
    )["dataTransfers"]
    assert {
        "partnerName": "Payroll Partner",
        "categories": ["BASIC", "SALARY"],
        "processingCountry": "US",
        "insideEea": False,
        "transferBasis": "STANDARD_CONTRACTUAL_CLAUSES",
        "active": True,
    } in transfers
    assert any(t["partnerName"] == "Local" and t["transferBasis"] is None for t in transfers)
    subs = (await api.data("{ subProcessors { name country transferBasis } }", token=tenant.token))[
        "subProcessors"
    ]
    assert subs
    assert all(s["country"] for s in subs)


async def test_registering_needs_manage_integrations(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create()
    employee = await tenants.add_user(tenant, tenant.employees[1], ("employee",))
    body = await api.gql(REGISTER, {"i": terms()}, token=employee.token)
    assert error_codes(body) == ["FORBIDDEN"]


async def test_consent_and_tokens_need_a_recent_step_up(
    api: Api, tenants: TenantFactory, clock: Any
) -> None:
    from datetime import timedelta

    tenant = await tenants.create()
    integration = await register(api, tenant.token)
    clock.advance(timedelta(minutes=11))
    for document, variables in (
        (REGISTER, {"i": terms(partnerName="Late")}),
        (CREATE_TOKEN, {"i": integration["id"], "d": None}),
    ):
        body = await api.gql(document, variables, token=tenant.token)
        assert error_codes(body) == ["STEP_UP_REQUIRED"], body

"""P4/P6: a tenant chooses which roles need TOTP, its session limits and its step-up window."""

from __future__ import annotations

from datetime import timedelta

from hrvault.clock import ManualClock
from tests.support import PASSWORD, Api, TenantFactory, error_codes

LOGIN = (
    "mutation($t: String!, $e: String!, $p: String!) { login(tenant: $t, email: $e,"
    " password: $p) { token nextStep } }"
)
REQUIRE = (
    "mutation($r: ID!, $q: Boolean!) { setRoleTotpRequirement(roleId: $r, required: $q)"
    " { name requiresTotp } }"
)
SETTINGS = (
    "{ sessionSettings { idleTimeoutSeconds absoluteLifetimeSeconds stepUpWindowSeconds version } }"
)
UPDATE = (
    "mutation($v: Int!, $i: Int, $w: Int) { updateSessionSettings(input: {version: $v,"
    " idleTimeoutSeconds: $i, stepUpWindowSeconds: $w}) { idleTimeoutSeconds stepUpWindowSeconds version } }"
)


async def _payroll(api: Api, token: str) -> str:
    roles = (await api.data("{ roles { id name requiresTotp } }", token=token))["roles"]
    return next(r["id"] for r in roles if r["name"] == "Payroll")


async def test_a_role_can_be_made_to_require_totp_and_back(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    await tenants.step_up(tenant)
    holder = await tenants.add_user(tenant, None, ("payroll",), log_in=False)
    payroll = await _payroll(api, tenant.token)
    changed = await api.data(REQUIRE, {"r": payroll, "q": True}, token=tenant.token)
    assert changed["setRoleTotpRequirement"] == {"name": "Payroll", "requiresTotp": True}
    login = await api.data(LOGIN, {"t": tenant.slug, "e": holder.email, "p": PASSWORD})
    assert login["login"]["nextStep"] == "ENROL_ONLY"
    await api.data(REQUIRE, {"r": payroll, "q": False}, token=tenant.token)
    again = await api.data(LOGIN, {"t": tenant.slug, "e": holder.email, "p": PASSWORD})
    assert again["login"]["nextStep"] == "FULL"


async def test_security_settings_need_a_fresh_step_up(
    api: Api, tenants: TenantFactory, clock: ManualClock
) -> None:
    tenant = await tenants.create(employees=1)
    await tenants.step_up(tenant)
    clock.advance(timedelta(minutes=11))
    payroll = await _payroll(api, tenant.token)
    refused = await api.gql(REQUIRE, {"r": payroll, "q": True}, token=tenant.token)
    assert error_codes(refused) == ["STEP_UP_REQUIRED"]
    refused = await api.gql(UPDATE, {"v": 1, "i": 600}, token=tenant.token)
    assert error_codes(refused) == ["STEP_UP_REQUIRED"]


async def test_session_limits_apply_to_open_sessions(
    api: Api, tenants: TenantFactory, clock: ManualClock
) -> None:
    tenant = await tenants.create(employees=1)
    bystander = await tenants.add_user(tenant, None, ("employee",))
    await tenants.step_up(tenant)
    current = (await api.data(SETTINGS, token=tenant.token))["sessionSettings"]
    assert current["idleTimeoutSeconds"] == 1800
    updated = await api.data(UPDATE, {"v": current["version"], "i": 300}, token=tenant.token)
    assert updated["updateSessionSettings"]["idleTimeoutSeconds"] == 300
    clock.advance(timedelta(minutes=6))
    assert error_codes(await api.gql("{ me { displayName } }", token=bystander.token)) == [
        "UNAUTHENTICATED"
    ]


async def test_bad_or_stale_settings_are_refused_and_change_nothing(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    await tenants.step_up(tenant)
    version = (await api.data(SETTINGS, token=tenant.token))["sessionSettings"]["version"]
    too_short = await api.gql(UPDATE, {"v": version, "i": 5}, token=tenant.token)
    assert error_codes(too_short) == ["BAD_USER_INPUT"]
    window = await api.gql(UPDATE, {"v": version, "w": 7200}, token=tenant.token)
    assert error_codes(window) == ["BAD_USER_INPUT"]
    stale = await api.gql(UPDATE, {"v": version + 5, "i": 600}, token=tenant.token)
    assert error_codes(stale) == ["CONFLICT"]
    after = (await api.data(SETTINGS, token=tenant.token))["sessionSettings"]
    assert (after["idleTimeoutSeconds"], after["stepUpWindowSeconds"], after["version"]) == (
        1800,
        600,
        version,
    )


async def test_a_shorter_step_up_window_applies_at_once(
    api: Api, tenants: TenantFactory, clock: ManualClock
) -> None:
    tenant = await tenants.create(employees=1)
    await tenants.step_up(tenant)
    version = (await api.data(SETTINGS, token=tenant.token))["sessionSettings"]["version"]
    await api.data(UPDATE, {"v": version, "w": 120}, token=tenant.token)
    clock.advance(timedelta(minutes=3))
    payroll = await _payroll(api, tenant.token)
    refused = await api.gql(REQUIRE, {"r": payroll, "q": True}, token=tenant.token)
    assert error_codes(refused) == ["STEP_UP_REQUIRED"]
    assert refused["errors"][0]["extensions"]["stepUpWindowSeconds"] == 120

"""P4: sessions end after idle time, after an absolute lifetime, and at once on logout."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.clock import ManualClock
from tests.support import PASSWORD, Api, TenantFactory, error_codes

ME = "{ me { displayName } }"
LOGIN = (
    "mutation($t: String!, $e: String!, $p: String!) {"
    " login(tenant: $t, email: $e, password: $p) { token expiresAt idleTimeoutSeconds } }"
)


async def _works(api: Api, token: str) -> bool:
    body = await api.gql(ME, token=token)
    if "errors" in body:
        assert error_codes(body) == ["UNAUTHENTICATED"], body
        return False
    return True


async def test_login_sets_a_strict_cookie_and_stores_only_a_hash(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine
) -> None:
    tenant = await tenants.create(employees=1)
    response = await api.post(LOGIN, {"t": tenant.slug, "e": tenant.email, "p": PASSWORD})
    token = response.json()["data"]["login"]["token"]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"__Host-hrvault_session={token};")  # the API is on HTTPS
    for attribute in ("HttpOnly", "Secure", "SameSite=strict", "Path=/"):
        assert attribute.lower() in cookie.lower()
    async with owner_engine.connect() as conn:
        stored = (
            await conn.execute(
                text("SELECT s::text AS row, token_hash FROM sessions s WHERE tenant_id = :t"),
                {"t": tenant.id},
            )
        ).all()
    assert hashlib.sha256(token.encode()).digest() in {row.token_hash for row in stored}
    assert all(token not in row.row for row in stored)


async def test_the_cookie_alone_authenticates(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=1)
    await api.post(LOGIN, {"t": tenant.slug, "e": tenant.email, "p": PASSWORD})
    assert api.client.cookies.get("__Host-hrvault_session")
    body = await api.gql(ME)
    assert body["data"]["me"]["displayName"] == "First00000 Last00000"


@pytest.mark.parametrize("wrong", ["tenant", "email", "password", "all"])
async def test_every_login_failure_answers_the_same(
    api: Api, tenants: TenantFactory, wrong: str
) -> None:
    tenant = await tenants.create(employees=1)
    reference = await api.gql(
        LOGIN, {"t": tenant.slug, "e": tenant.email, "p": "not the password at all"}
    )
    attempt = {"t": tenant.slug, "e": tenant.email, "p": PASSWORD}
    if wrong in ("tenant", "all"):
        attempt["t"] = "no-such-tenant"
    if wrong in ("email", "all"):
        attempt["e"] = "nobody@example.test"
    if wrong in ("password", "all"):
        attempt["p"] = "not the password at all"
    body = await api.gql(LOGIN, attempt)
    assert body == reference
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None


async def test_idle_sessions_expire_and_activity_keeps_them_alive(
    api: Api, tenants: TenantFactory, clock: ManualClock
) -> None:
    tenant = await tenants.create(employees=1)
    for _ in range(4):  # two hours of activity, a request every 29 minutes
        clock.advance(timedelta(minutes=29))
        assert await _works(api, tenant.token)
    clock.advance(timedelta(minutes=30, seconds=1))
    assert not await _works(api, tenant.token)
    clock.advance(timedelta(minutes=5))  # a refused token does not come back either
    assert not await _works(api, tenant.token)


async def test_sessions_end_at_their_absolute_lifetime_despite_activity(
    api: Api, tenants: TenantFactory, clock: ManualClock
) -> None:
    tenant = await tenants.create(employees=1)
    for _ in range(23):  # 11.5 hours of steady use
        clock.advance(timedelta(minutes=30) - timedelta(seconds=1))
        assert await _works(api, tenant.token)
    clock.advance(timedelta(minutes=31))
    assert not await _works(api, tenant.token)


async def test_tenant_limits_apply_to_open_sessions(
    api: Api, tenants: TenantFactory, clock: ManualClock, owner_engine: AsyncEngine
) -> None:
    tenant = await tenants.create(employees=1)
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("UPDATE tenants SET idle_timeout_seconds = 300 WHERE id = :t"), {"t": tenant.id}
        )
    clock.advance(timedelta(minutes=4))
    assert await _works(api, tenant.token)
    clock.advance(timedelta(minutes=5, seconds=1))
    assert not await _works(api, tenant.token)


async def test_logout_revokes_this_session_only(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=1)
    other_device = await api.login(tenant.slug, tenant.email)
    assert (await api.data("mutation { logout }", token=tenant.token))["logout"] is True
    assert not await _works(api, tenant.token)
    assert await _works(api, other_device)


async def test_logout_everywhere_revokes_every_session_of_the_user(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    second = await api.login(tenant.slug, tenant.email)
    third = await api.login(tenant.slug, tenant.email)
    bystander = await tenants.create(employees=1)
    ended = await api.data("mutation { logoutEverywhere }", token=second)
    assert ended["logoutEverywhere"] == 3
    for token in (tenant.token, second, third):
        assert not await _works(api, token)
    assert await _works(api, bystander.token)


async def test_forged_and_malformed_tokens_are_refused(api: Api, tenants: TenantFactory) -> None:
    mine = await tenants.create(employees=1)
    other = await tenants.create(employees=1)
    payload = base64.urlsafe_b64decode(mine.token.removeprefix("hrvs1_"))
    moved = "hrvs1_" + base64.urlsafe_b64encode(other.id.bytes + payload[16:]).decode()
    for token in (moved, mine.token[:-2], mine.token + "A", "hrvs1_" + "A" * 64, "garbage"):
        assert not await _works(api, token), token
    assert await _works(api, mine.token)


async def test_anonymous_callers_get_unauthenticated(api: Api) -> None:
    body = await api.gql("{ employees(first: 1) { nodes { id } } }")
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None


async def test_login_works_while_a_stale_cookie_is_present(
    api: Api, tenants: TenantFactory, clock: ManualClock
) -> None:
    tenant = await tenants.create(employees=1)
    await api.post(LOGIN, {"t": tenant.slug, "e": tenant.email, "p": PASSWORD})
    clock.advance(timedelta(hours=13))
    assert error_codes(await api.gql(ME)) == ["UNAUTHENTICATED"]
    fresh = await api.gql(LOGIN, {"t": tenant.slug, "e": tenant.email, "p": PASSWORD})
    assert "errors" not in fresh
    assert (await api.gql(ME))["data"]["me"]["displayName"]

"""TOTP: enrolment, sealed seeds, replay, concurrent use, throttling, recovery codes,
two-step login, required enrolment, step-up expiry and disabling."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.auth.seed_sealing import PlatformSeedSealer, SealedSeedError, SeedOwner
from hrvault.auth.throttle import CredentialKind, credential_limits
from hrvault.config import Secret, Settings
from tests.support import PASSWORD, Api, TenantFactory, error_codes

LOGIN = (
    "mutation($t: String!, $e: String!, $p: String!) { login(tenant: $t, email: $e,"
    " password: $p) { token nextStep } }"
)
COMPLETE = "mutation($c: String!) { completeLogin(code: $c) { token } }"
STEP_UP = "mutation($c: String!) { verifyStepUp(code: $c) { token } }"
ME = "{ me { displayName } }"
CREATE_ROLE = 'mutation { createRole(input: {name: "Sensitive"}) { id } }'


async def _pending(api: Api, slug: str, email: str) -> str:
    data = await api.data(LOGIN, {"t": slug, "e": email, "p": PASSWORD})
    assert data["login"]["nextStep"] == "TOTP_PENDING"
    token: str = data["login"]["token"]
    return token


async def test_a_required_role_may_only_enrol_and_gets_ten_strong_recovery_codes(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine
) -> None:
    tenant = await tenants.create(employees=1, require_totp=True)
    login = await tenants.add_user(tenant, None, ("hr_admin",), log_in=False)
    raw = await api.data(LOGIN, {"t": tenant.slug, "e": login.email, "p": PASSWORD})
    assert raw["login"]["nextStep"] == "ENROL_ONLY"
    token = raw["login"]["token"]
    assert error_codes(await api.gql(ME, token=token)) == ["TOTP_ENROLLMENT_REQUIRED"]
    enrolled = await api.enrol(token, f"{tenant.slug}/{login.email}")
    assert len(set(enrolled["recoveryCodes"])) == 10
    assert all(len(c.replace("-", "")) == 20 for c in enrolled["recoveryCodes"])  # 100 bits
    assert error_codes(await api.gql(ME, token=token)) == ["UNAUTHENTICATED"]  # renewed
    assert "errors" not in await api.gql(ME, token=enrolled["token"])
    again = await api.data(LOGIN, {"t": tenant.slug, "e": login.email, "p": PASSWORD})
    assert again["login"]["nextStep"] == "TOTP_PENDING"
    async with owner_engine.connect() as conn:
        stored = (
            await conn.execute(
                text(
                    "SELECT c.seed_sealed, r.code_hash FROM totp_credentials c JOIN recovery_codes r"
                    " ON r.tenant_id = c.tenant_id AND r.user_id = c.id WHERE c.tenant_id = :t"
                ),
                {"t": tenant.id},
            )
        ).all()
    seed = api.devices[f"{tenant.slug}/{login.email}"].reveal().encode()
    plain_codes = {c.replace("-", "").encode() for c in enrolled["recoveryCodes"]}
    assert stored
    assert all(seed not in s and h not in plain_codes for s, h in stored)


async def _role(api: Api, token: str, name: str) -> str:
    roles = (await api.data("{ roles { id name } }", token=token))["roles"]
    return str(next(r["id"] for r in roles if r["name"] == name))


async def test_two_step_login_and_a_replayed_code_is_refused(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1, require_totp=True)
    account = f"{tenant.slug}/{tenant.email}"
    pending = await _pending(api, tenant.slug, tenant.email)
    assert error_codes(await api.gql(ME, token=pending)) == ["TOTP_REQUIRED"]
    code = api.code(account)
    done = await api.data(COMPLETE, {"c": code}, token=pending)
    assert "errors" not in await api.gql(ME, token=done["completeLogin"]["token"])
    again = await _pending(api, tenant.slug, tenant.email)
    assert error_codes(await api.gql(COMPLETE, {"c": code}, token=again)) == ["INVALID_CODE"]


async def test_two_concurrent_uses_of_one_code_let_only_one_pass(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1, require_totp=True)
    first = await _pending(api, tenant.slug, tenant.email)
    second = await _pending(api, tenant.slug, tenant.email)
    code = api.code(f"{tenant.slug}/{tenant.email}")
    bodies = await asyncio.gather(
        api.gql(COMPLETE, {"c": code}, token=first), api.gql(COMPLETE, {"c": code}, token=second)
    )
    assert sorted(str(error_codes(b)) for b in bodies) == ["['INVALID_CODE']", "[]"]


async def test_brute_force_hits_the_throttle_with_a_retry_time(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1, require_totp=True)
    api = api.from_address(f"203.0.113.{secrets.randbelow(250) + 1}")
    pending = await _pending(api, tenant.slug, tenant.email)
    for _ in range(5):
        wrong = await api.gql(COMPLETE, {"c": "000000"}, token=pending)
        assert error_codes(wrong) in (["INVALID_CODE"], ["TOO_MANY_ATTEMPTS"])
    blocked = await api.gql(
        COMPLETE, {"c": api.code(f"{tenant.slug}/{tenant.email}")}, token=pending
    )
    assert error_codes(blocked) == ["TOO_MANY_ATTEMPTS"]
    assert blocked["errors"][0]["extensions"]["retryAfterSeconds"] >= 1
    assert "retryAt" in blocked["errors"][0]["extensions"]
    api.clock.advance(timedelta(seconds=3))
    fresh = await _pending(api, tenant.slug, tenant.email)
    ok = await api.gql(COMPLETE, {"c": api.code(f"{tenant.slug}/{tenant.email}")}, token=fresh)
    assert error_codes(ok) == []


async def test_wrong_codes_from_one_address_do_not_keep_the_owner_out(
    api: Api, tenants: TenantFactory
) -> None:
    """Someone who has the password guesses codes from their address; the owner, at
    theirs, still completes the login."""
    tenant = await tenants.create(employees=1, require_totp=True)
    attacker = api.from_address(f"203.0.113.{secrets.randbelow(250) + 1}")
    owner = api.from_address(f"198.51.100.{secrets.randbelow(250) + 1}")
    guessing = await _pending(attacker, tenant.slug, tenant.email)
    for _ in range(5):
        assert error_codes(await attacker.gql(COMPLETE, {"c": "000000"}, token=guessing)) == [
            "INVALID_CODE"
        ]
    blocked = await attacker.gql(COMPLETE, {"c": "000000"}, token=guessing)
    assert error_codes(blocked) == ["TOO_MANY_ATTEMPTS"]
    mine = await _pending(owner, tenant.slug, tenant.email)
    done = await owner.gql(COMPLETE, {"c": owner.code(f"{tenant.slug}/{tenant.email}")}, token=mine)
    assert error_codes(done) == []


async def test_a_recovery_code_works_once(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=1, require_totp=True)
    user = await tenants.add_user(tenant, None, ("employee",))
    enrolled = await api.enrol(user.token, f"{tenant.slug}/{user.email}")
    code = enrolled["recoveryCodes"][0]
    first = await _pending(api, tenant.slug, user.email)
    assert error_codes(await api.gql(COMPLETE, {"c": code.lower()}, token=first)) == []
    second = await _pending(api, tenant.slug, user.email)
    assert error_codes(await api.gql(COMPLETE, {"c": code}, token=second)) == ["INVALID_CODE"]


async def test_step_up_goes_stale_after_the_tenant_window(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=1)
    await tenants.step_up(tenant)
    old = tenant.token
    await tenants.step_up(tenant)
    assert tenant.token != old  # a new token on step-up; the old one is gone
    assert error_codes(await api.gql(ME, token=old)) == ["UNAUTHENTICATED"]
    api.clock.advance(timedelta(minutes=10, seconds=1))
    stale = await api.gql(CREATE_ROLE, token=tenant.token)
    assert error_codes(stale) == ["STEP_UP_REQUIRED"]
    assert stale["errors"][0]["extensions"]["stepUpWindowSeconds"] == 600
    await tenants.step_up(tenant)
    assert error_codes(await api.gql(CREATE_ROLE, token=tenant.token)) == []


async def test_a_pending_login_expires_after_five_minutes(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=1, require_totp=True)
    pending = await _pending(api, tenant.slug, tenant.email)
    api.clock.advance(timedelta(minutes=5, seconds=1))
    late = await api.gql(COMPLETE, {"c": api.code(f"{tenant.slug}/{tenant.email}")}, token=pending)
    assert error_codes(late) == ["UNAUTHENTICATED"]


async def test_disabling_needs_a_fresh_step_up_and_ends_other_sessions(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    await tenants.step_up(tenant)
    other = await api.login(tenant.slug, tenant.email)
    api.clock.advance(timedelta(minutes=11))
    assert error_codes(await api.gql("mutation { disableTotp }", token=tenant.token)) == [
        "STEP_UP_REQUIRED"
    ]
    await tenants.step_up(tenant)
    assert (await api.data("mutation { disableTotp }", token=tenant.token))["disableTotp"] == 1
    assert error_codes(await api.gql(ME, token=other)) == ["UNAUTHENTICATED"]
    assert "errors" not in await api.gql(ME, token=tenant.token)
    records = await api.data(
        '{ auditLog(filter: {action: "totp_disabled"}) { edges { node { action } } } }',
        token=tenant.token,
    )
    assert records["auditLog"]["edges"]


def test_a_platform_sealed_seed_opens_only_for_its_owner_and_hides_its_key() -> None:
    sealer = PlatformSeedSealer(bytes(range(32)))
    owner = SeedOwner(None, uuid.uuid4())
    sealed = sealer.seal(Secret("JBSWY3DPEHPK3PXP"), owner)
    assert b"JBSWY3DPEHPK3PXP" not in sealed
    assert sealer.open(sealed, owner).reveal() == "JBSWY3DPEHPK3PXP"
    with pytest.raises(SealedSeedError):
        sealer.open(sealed, SeedOwner(owner.tenant_id, uuid.uuid4()))
    with pytest.raises(SealedSeedError):
        sealer.open(sealed, SeedOwner(uuid.uuid4(), owner.account_id))  # not a user's seed
    with pytest.raises(SealedSeedError):
        PlatformSeedSealer(bytes(32)).open(sealed, owner)
    assert "0102" not in repr(sealer)


@pytest.mark.parametrize(
    ("attempts", "wait"),
    [
        (1, 2),
        (5, 2),  # the burst is spent: the next code after 2 s
        (6, 4),
        (10, 64),
        (16, 3600),  # 4096 s, cut to the longest wait
        (99, 3600),
        (10**6, 3600),  # concurrent failures can push the count far; still an hour
    ],
)
def test_wrong_codes_wait_twice_as_long_after_five_up_to_an_hour(
    attempts: int, wait: float
) -> None:
    limit = credential_limits(Settings())[CredentialKind.CODE].account_address
    assert limit.after(attempts).interval == wait

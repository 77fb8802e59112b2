"""Tenant users' TOTP seeds are sealed under the tenant data key: bound to their user,
re-sealed by key rotation, shredded with the tenant's keys; seeds sealed under the
platform key before keep working and move under the tenant key at their next use."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hrvault.auth.seed_sealing import SealedSeedError, SeedKey, SeedOwner, SeedSealing
from hrvault.auth.seed_sealing import load_or_create_sealer as platform_sealer
from hrvault.auth.totp import new_seed
from hrvault.cli import main
from hrvault.config import Settings
from hrvault.crypto.formats import FIELD_V1, KeyScope, key_header
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.shredding import destroy_tenant_keys
from hrvault.db import bind_tenant
from tests.crypto.conftest import Columns
from tests.support import (
    PASSWORD,
    Api,
    Login,
    TenantFactory,
    TenantHandle,
    error_codes,
    staff_session,
)

LOGIN = (
    "mutation($t: String!, $e: String!, $p: String!) { login(tenant: $t, email: $e,"
    " password: $p) { token nextStep } }"
)
COMPLETE = "mutation($c: String!) { completeLogin(code: $c) { token } }"


async def _enrolled(tenants: TenantFactory, tenant: TenantHandle) -> Login:
    return await tenants.add_user(tenant, None, ("employee",), step_up=True)


async def _complete(api: Api, tenant: TenantHandle, email: str, code: str) -> dict[str, Any]:
    pending = await api.data(LOGIN, {"t": tenant.slug, "e": email, "p": PASSWORD})
    assert pending["login"]["nextStep"] == "TOTP_PENDING"
    return await api.gql(COMPLETE, {"c": code}, token=pending["login"]["token"])


async def _credential(owner_engine: AsyncEngine, tenant: uuid.UUID, user: str) -> Any:
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("SELECT set_config('hrvault.tenant_id', :t, true)"), {"t": str(tenant)}
        )
        return (
            await conn.execute(
                text(
                    "SELECT seed_sealed, platform_sealed_seed, last_step FROM totp_credentials"
                    " WHERE tenant_id = :t AND id = :u"
                ),
                {"t": tenant, "u": uuid.UUID(user)},
            )
        ).one()


async def _set_seed(
    owner_engine: AsyncEngine, tenant: uuid.UUID, user: str, **columns: bytes | None
) -> None:
    """Write a user's stored seed columns directly, as someone with database access could."""
    assignments = ", ".join(f"{name} = :{name}" for name in columns)
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("SELECT set_config('hrvault.tenant_id', :t, true)"), {"t": str(tenant)}
        )
        await conn.execute(
            text(
                f"UPDATE totp_credentials SET {assignments}, last_step = NULL"
                " WHERE tenant_id = :t AND id = :u"
            ),
            {"t": tenant, "u": uuid.UUID(user), **columns},
        )


async def test_a_users_seed_is_sealed_under_the_tenant_key_for_that_user_only(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine
) -> None:
    tenant = await tenants.create(employees=1)
    other_tenant = await tenants.create(employees=1)
    alice, bob = await _enrolled(tenants, tenant), await _enrolled(tenants, tenant)
    carol = await _enrolled(tenants, other_tenant)
    stored = await _credential(owner_engine, tenant.id, alice.user_id)
    assert stored.platform_sealed_seed is None
    assert stored.seed_sealed[:6] == key_header(FIELD_V1.tag, KeyScope.TENANT, 1)
    seed = api.devices[f"{tenant.slug}/{alice.email}"].reveal()
    assert seed.encode() not in stored.seed_sealed

    # Alice's sealed seed copied onto Bob, and onto Carol in another tenant: neither
    # opens, so Alice's authenticator logs neither of them in.
    await _set_seed(owner_engine, tenant.id, bob.user_id, seed_sealed=stored.seed_sealed)
    await _set_seed(owner_engine, other_tenant.id, carol.user_id, seed_sealed=stored.seed_sealed)
    code = api.code(f"{tenant.slug}/{alice.email}")
    for where, login in ((tenant, bob), (other_tenant, carol)):
        refused = await _complete(api, where, login.email, code)
        assert error_codes(refused) == ["DATA_INTEGRITY"]
        assert "does not open" in refused["errors"][0]["message"]
    assert error_codes(await _complete(api, tenant, alice.email, code)) == []


async def test_seeds_sealed_under_the_platform_key_keep_working_and_move_on_first_use(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine, settings: Settings
) -> None:
    """A seed enrolled before seeds moved under the tenant key, as an upgraded database
    holds it (the platform key file is the app's own)."""
    tenant = await tenants.create(employees=1)
    user = await _enrolled(tenants, tenant)
    account = f"{tenant.slug}/{user.email}"
    seed = new_seed()
    owner = SeedOwner(tenant.id, uuid.UUID(user.user_id))
    legacy = platform_sealer(settings.seed_key_path).seal(seed, owner)
    await _set_seed(
        owner_engine, tenant.id, user.user_id, seed_sealed=None, platform_sealed_seed=legacy
    )
    api.devices[account] = seed

    wrong = await _complete(api, tenant, user.email, "000000")
    assert error_codes(wrong) == ["INVALID_CODE"]
    unchanged = await _credential(owner_engine, tenant.id, user.user_id)
    assert (unchanged.seed_sealed, unchanged.platform_sealed_seed) == (None, legacy)

    assert error_codes(await _complete(api, tenant, user.email, api.code(account))) == []
    moved = await _credential(owner_engine, tenant.id, user.user_id)
    assert moved.platform_sealed_seed is None
    assert moved.seed_sealed[:6] == key_header(FIELD_V1.tag, KeyScope.TENANT, 1)
    assert error_codes(await _complete(api, tenant, user.email, api.code(account))) == []


async def test_key_rotation_reseals_seeds_and_logins_go_on(
    command_env: None,
    api: Api,
    tenants: TenantFactory,
    owner_engine: AsyncEngine,
    columns: Columns,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``hrvault keys rotate`` and ``keys reencrypt``, in this process (where the crypto
    tests' own sealed columns are registered too)."""
    tenant = await tenants.create(employees=1)
    user = await _enrolled(tenants, tenant)
    before = await _credential(owner_engine, tenant.id, user.user_id)
    assert await asyncio.to_thread(main, ["keys", "rotate", "--tenant", str(tenant.id)]) == 0
    capsys.readouterr()
    args = ["keys", "reencrypt", "--tenant", tenant.slug, "--json"]
    assert await asyncio.to_thread(main, args) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["complete"], result["retired_tenant_versions"]) == (True, [1])
    assert result["values_resealed"] == 1  # the seed, this tenant's only sealed value
    after = await _credential(owner_engine, tenant.id, user.user_id)
    assert after.seed_sealed[:6] == key_header(FIELD_V1.tag, KeyScope.TENANT, 2)
    assert after.seed_sealed != before.seed_sealed
    code = api.code(f"{tenant.slug}/{user.email}")
    assert error_codes(await _complete(api, tenant, user.email, code)) == []


async def test_destroying_the_tenant_keys_shreds_its_seeds(
    api: Api,
    tenants: TenantFactory,
    keyring: TenantKeyring,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    owner_engine: AsyncEngine,
) -> None:
    tenant = await tenants.create(employees=1)
    user = await _enrolled(tenants, tenant)
    owner = SeedOwner(tenant.id, uuid.UUID(user.user_id))
    sealed = (await _credential(owner_engine, tenant.id, user.user_id)).seed_sealed
    seeds = SeedSealing(platform_sealer(settings.seed_key_path), keyring)
    async with sessions() as db:
        await bind_tenant(db, tenant.id)
        opened = await seeds.open(db, sealed, owner, SeedKey.TENANT)
        assert opened.reveal() == api.devices[f"{tenant.slug}/{user.email}"].reveal()
        await destroy_tenant_keys(db, keyring, tenant.id)
        await db.commit()
    async with sessions() as db:
        await bind_tenant(db, tenant.id)
        with pytest.raises(SealedSeedError):
            await seeds.open(db, sealed, owner, SeedKey.TENANT)
    code = api.code(f"{tenant.slug}/{user.email}")
    assert error_codes(await _complete(api, tenant, user.email, code)) == ["DATA_INTEGRITY"]


def _spellings(secret: bytes) -> list[str]:
    return [secret.hex(), base64.b64encode(secret).decode(), repr(secret)[2:-1]]


async def test_no_seed_or_recovery_code_in_any_database_row(
    api: Api,
    tenants: TenantFactory,
    owner_engine: AsyncEngine,
) -> None:
    """Dump every row of every table as a backup would hold it: no seed (as text or as
    its key bytes) and no recovery code, of a user or of staff, is in it."""
    tenant = await tenants.create(employees=1)
    enrolled = await api.enrol(
        (await tenants.add_user(tenant, None, ("employee",))).token, "seeds/user"
    )
    staff = await staff_session(api, tenants)
    seeds = [api.devices["seeds/user"].reveal(), api.devices[staff.account].reveal()]
    codes = [*enrolled["recoveryCodes"], *staff.recovery_codes]
    secrets = [s.encode() for s in seeds] + [base64.b32decode(s) for s in seeds]
    secrets += [c.encode() for c in codes] + [c.replace("-", "").encode() for c in codes]
    dump = []
    async with owner_engine.connect() as conn:
        tables = await conn.execute(
            text(
                "SELECT schemaname, tablename FROM pg_tables WHERE schemaname IN ('public', 'keystore')"
            )
        )
        for schema, table in tables.all():
            rows = (await conn.execute(text(f'SELECT * FROM "{schema}"."{table}"'))).all()
            dump += [repr(tuple(row)) for row in rows]
            dump += [bytes(cell).hex() for row in rows for cell in row if isinstance(cell, bytes)]
    dumped = "\n".join(dump)
    assert str(staff.staff_id) in dumped  # the dump reaches the staff and seed tables
    for secret in secrets:
        for spelling in _spellings(secret):
            assert spelling not in dumped

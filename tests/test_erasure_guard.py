"""The one way a tenant's audit records may be deleted, and every way they may not.

The append-only trigger lets a DELETE through only when the transaction is bound to the
tenant, names it as the tenant being erased, its erasure record exists and none of its
keys is live. Each refused case below lacks exactly one of those, or is not a DELETE.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hrvault.crypto.keyring import TenantKeyring
from hrvault.db import bind_tenant, session_factory
from hrvault.offboarding import ERASING_SETTING, destroy_keys, find_tenant
from tests.support import TenantFactory, TenantHandle


@dataclass
class Pair:
    erased: TenantHandle
    """Its keys are destroyed and its erasure is on record; its rows are still there."""
    live: TenantHandle


@pytest.fixture
async def pair(tenants: TenantFactory, owner_engine: AsyncEngine, keyring: TenantKeyring) -> Pair:
    erased, live = await tenants.create(employees=1), await tenants.create(employees=1)
    sessions = session_factory(owner_engine)
    await destroy_keys(sessions, keyring, await find_tenant(sessions, erased.slug), operator="test")
    return Pair(erased, live)


async def _settings(
    conn: AsyncConnection, bound: uuid.UUID | None, erasing: uuid.UUID | None
) -> None:
    for name, value in (("hrvault.tenant_id", bound), (ERASING_SETTING, erasing)):
        if value is not None:
            await conn.execute(
                text("SELECT set_config(:n, :v, true)"), {"n": name, "v": str(value)}
            )


REFUSED = {
    # name: (statement, tenant the rows belong to, tenant bound, tenant named as erased)
    "nothing set": ("DELETE FROM audit_log WHERE tenant_id = :t", "erased", None, None),
    "not bound": ("DELETE FROM audit_log WHERE tenant_id = :t", "erased", None, "erased"),
    "not named": ("DELETE FROM audit_log WHERE tenant_id = :t", "erased", "erased", None),
    "other tenant named": (
        "DELETE FROM audit_log WHERE tenant_id = :t",
        "erased",
        "erased",
        "live",
    ),
    "bound to another": ("DELETE FROM audit_log WHERE tenant_id = :t", "erased", "live", "erased"),
    "live keys, no record": ("DELETE FROM audit_log WHERE tenant_id = :t", "live", "live", "live"),
    "update": (
        "UPDATE audit_log SET action = 'x' WHERE tenant_id = :t",
        "erased",
        "erased",
        "erased",
    ),
    "truncate": ("TRUNCATE audit_log", "erased", "erased", "erased"),
    "truncate checkpoints": ("TRUNCATE audit_checkpoints", "erased", "erased", "erased"),
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_the_audit_log_stays_append_only_outside_an_erasure(
    pair: Pair, owner_engine: AsyncEngine, case: str
) -> None:
    statement, rows_of, bound, erasing = REFUSED[case]
    ids = {"erased": pair.erased.id, "live": pair.live.id, None: None}
    async with owner_engine.connect() as conn:
        await _settings(conn, ids[bound], ids[erasing])
        with pytest.raises(DBAPIError, match="append-only"):
            await conn.execute(text(statement), {"t": ids[rows_of]})
        await conn.rollback()


async def test_inside_the_erasure_the_records_can_be_deleted(
    pair: Pair, owner_engine: AsyncEngine
) -> None:
    async with owner_engine.connect() as conn:
        await _settings(conn, pair.erased.id, pair.erased.id)
        deleted = await conn.execute(
            text("DELETE FROM audit_log WHERE tenant_id = :t"), {"t": pair.erased.id}
        )
        assert deleted.rowcount > 0  # type: ignore[attr-defined]
        await conn.rollback()


async def test_the_application_role_cannot_delete_even_inside_an_erasure(
    pair: Pair, app_engine: AsyncEngine
) -> None:
    async with session_factory(app_engine)() as db:
        await bind_tenant(db, pair.erased.id)
        await db.execute(
            text("SELECT set_config(:n, :v, true)"),
            {"n": ERASING_SETTING, "v": str(pair.erased.id)},
        )
        with pytest.raises(DBAPIError, match="permission denied"):
            await db.execute(
                text("DELETE FROM audit_log WHERE tenant_id = :t"), {"t": pair.erased.id}
            )


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM tenant_erasures",
        "INSERT INTO tenant_erasures (erased_tenant_id, slug, operator, destroyed_keys,"
        " keys_destroyed_at) VALUES (gen_random_uuid(), 'x', 'x', '{}', now())",
        "UPDATE tenant_erasures SET completed_at = now()",
        "DELETE FROM tenant_erasures",
    ],
)
async def test_the_application_role_cannot_touch_erasure_records(
    app_engine: AsyncEngine, statement: str
) -> None:
    async with app_engine.connect() as conn:
        with pytest.raises(DBAPIError, match="permission denied"):
            await conn.execute(text(statement))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE tenant_erasures SET operator = 'someone else' WHERE erased_tenant_id = :t",
        "DELETE FROM tenant_erasures WHERE erased_tenant_id = :t",
        "TRUNCATE tenant_erasures",
    ],
)
async def test_a_complete_erasure_record_never_changes(
    run: Any, tenants: TenantFactory, owner_engine: AsyncEngine, statement: str
) -> None:
    tenant = await tenants.create(employees=1)
    code, _ = run("tenant", "destroy", tenant.slug, "--confirm", tenant.slug)
    assert code == 0
    async with owner_engine.connect() as conn:
        with pytest.raises(DBAPIError, match="kept as it was completed"):
            await conn.execute(text(statement), {"t": tenant.id})

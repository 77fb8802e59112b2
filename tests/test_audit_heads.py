"""P8 at the tail: the application role changes no audit table, only an appended record
moves a chain head, and records removed after the last checkpoint are found."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.audit.checkpoints import write_checkpoints
from hrvault.audit.operator import verify_tenant
from hrvault.audit.signing import load_or_create_signer
from hrvault.clock import ManualClock
from hrvault.config import Settings
from hrvault.db import APP_ROLE, bind_tenant, session_factory
from tests.support import Api, TenantFactory, TenantHandle

RENAME = (
    "mutation($id: ID!, $v: Int!, $n: String!) { updateEmployee(id: $id, input: {version: $v,"
    " firstName: $n}) { version } }"
)
INTEGRITY = "{ auditIntegrity { ok lastSeq firstBrokenSeq problem } }"


async def test_the_application_role_holds_no_update_or_delete_on_any_audit_table(
    owner_engine: AsyncEngine,
) -> None:
    async with owner_engine.connect() as conn:
        tables = list(
            await conn.scalars(
                text(
                    "SELECT c.oid::regclass::text FROM pg_class c"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE c.relkind IN ('r', 'p') AND c.relname LIKE '%audit%'"
                    " AND n.nspname = 'public'"
                )
            )
        )
        granted = (
            await conn.execute(
                text(
                    "SELECT t, p FROM unnest(CAST(:tables AS text[])) AS t,"
                    " unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE']) AS p"
                    " WHERE has_table_privilege(:role, t, p)"
                    " OR (p = 'UPDATE' AND has_any_column_privilege(:role, t, 'UPDATE'))"
                ),
                {"tables": tables, "role": APP_ROLE},
            )
        ).all()
    assert {"audit_log", "audit_heads", "audit_checkpoints", "staff_audit_log"} <= set(tables)
    assert granted == []


async def test_the_application_role_cannot_move_or_fork_a_head(
    app_engine: AsyncEngine, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    other = await tenants.create(employees=1)
    async with session_factory(app_engine)() as db:
        await bind_tenant(db, tenant.id)
        head = (
            await db.execute(
                text("SELECT seq, hash FROM audit_heads WHERE tenant_id = :t"), {"t": tenant.id}
            )
        ).one()
        forged = {"t": tenant.id, "s": head.seq + 5, "p": head.hash, "h": bytes(32)}
        attempts = {
            "UPDATE audit_heads SET seq = 0 WHERE tenant_id = :t": "permission denied",
            "SELECT * FROM hrvault_audit_lock_head(:o)": "bound tenant",
            "INSERT INTO audit_log (tenant_id, seq, format_version, occurred_at, actor_kind,"
            " actor_name, action, entity_type, changes, prev_hash, hash) VALUES (:t, :s, 2,"
            " now(), 'system', 'forger', 'create', 'X', '[]', :p, :h)": "does not extend",
        }
        for statement, refusal in attempts.items():
            with pytest.raises(DBAPIError, match=refusal):
                async with db.begin_nested():
                    await db.execute(text(statement), {**forged, "o": other.id})


async def _edit(api: Api, tenant: TenantHandle, version: int, name: str) -> int:
    body = await api.data(
        RENAME, {"id": str(tenant.employees[0]), "v": version, "n": name}, token=tenant.token
    )
    new_version: int = body["updateEmployee"]["version"]
    return new_version


async def test_records_removed_after_the_last_checkpoint_are_found(
    api: Api,
    tenants: TenantFactory,
    owner_engine: AsyncEngine,
    settings: Settings,
    clock: ManualClock,
    run: Any,
) -> None:
    tenant = await tenants.create(employees=1)
    version = await _edit(api, tenant, 1, "Signed")
    signer = load_or_create_signer(settings.signing_key_path)
    await write_checkpoints(owner_engine, signer, clock.now())
    clock.advance(timedelta(seconds=1))
    for name in ("After one", "After two"):
        version = await _edit(api, tenant, version, name)
    report = await verify_tenant(owner_engine, tenant.id, signer)
    assert report.ok, report
    removed_from = report.last_seq - 1
    async with owner_engine.begin() as conn:
        await conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER append_only"))
        await conn.execute(
            text("SELECT set_config('hrvault.tenant_id', :t, true)"), {"t": str(tenant.id)}
        )
        await conn.execute(
            text("DELETE FROM audit_log WHERE tenant_id = :t AND seq >= :s"),
            {"t": tenant.id, "s": removed_from},
        )
        await conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER append_only"))
    report = await verify_tenant(owner_engine, tenant.id, signer)
    assert (report.ok, report.first_broken_seq) == (False, removed_from), report
    via_api = (await api.data(INTEGRITY, token=tenant.token))["auditIntegrity"]
    assert (via_api["ok"], via_api["firstBrokenSeq"]) == (False, removed_from)
    code, printed = await asyncio.to_thread(run, "audit", "verify", "--tenant", str(tenant.id))
    assert (code, printed["ok"], printed["first_broken_seq"]) == (3, False, removed_from)
    assert "removed" in printed["problem"]

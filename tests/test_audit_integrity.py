"""P8/P13 under attack: faults mid-request, concurrency, tampering by the database owner."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.audit.archive import dump
from hrvault.audit.checkpoints import write_checkpoints
from hrvault.audit.offline_verify import verify_archive
from hrvault.audit.operator import read_chain, verify_tenant
from hrvault.audit.signing import load_or_create_signer, public_pem
from hrvault.clock import ManualClock
from hrvault.config import Settings
from hrvault.db import bind_tenant, session_factory
from tests.support import Api, TenantFactory, TenantHandle, error_codes

RENAME = (
    "mutation($id: ID!, $v: Int!, $n: String!) { updateEmployee(id: $id, input: {version: $v,"
    " firstName: $n}) { version } }"
)
INTEGRITY = "{ auditIntegrity { ok records lastSeq checkpoints firstBrokenSeq problem } }"


async def _state(owner_engine: AsyncEngine, tenant: TenantHandle) -> tuple[Any, ...]:
    async with owner_engine.connect() as conn:
        names = (
            await conn.execute(
                text("SELECT first_name, version FROM employees WHERE tenant_id = :t ORDER BY id"),
                {"t": tenant.id},
            )
        ).all()
        records = await conn.scalar(
            text("SELECT count(*) FROM audit_log WHERE tenant_id = :t"), {"t": tenant.id}
        )
    return (tuple(map(tuple, names)), records)


@pytest.fixture
async def fault(owner_engine: AsyncEngine) -> AsyncIterator[Any]:
    """Install a trigger that fails (or kills the connection) for one tenant's rows."""
    installed: list[tuple[str, str]] = []

    async def install(table: str, tenant: TenantHandle, action: str, when: str) -> None:
        name = f"fault_{len(installed)}"
        async with owner_engine.begin() as conn:
            await conn.execute(
                text(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                    f" {action}; RETURN NEW; END $$"
                )
            )
            await conn.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE {when} ON {table} FOR EACH ROW"
                    f" WHEN (NEW.tenant_id = '{tenant.id}') EXECUTE FUNCTION {name}()"
                )
            )
        installed.append((name, table))

    yield install
    async with owner_engine.begin() as conn:
        for name, table in installed:
            await conn.execute(text(f"DROP TRIGGER {name} ON {table}"))
            await conn.execute(text(f"DROP FUNCTION {name}()"))


@pytest.mark.parametrize(
    ("table", "action", "when", "answer"),
    [
        (
            "audit_log",
            "RAISE EXCEPTION 'audit storage failed'",
            "INSERT",
            (200, "INTERNAL_SERVER_ERROR"),
        ),
        (
            "employees",
            "RAISE EXCEPTION 'data storage failed'",
            "UPDATE",
            (200, "INTERNAL_SERVER_ERROR"),
        ),
        # A lost connection is the database out of reach: try again later.
        (
            "audit_log",
            "PERFORM pg_terminate_backend(pg_backend_pid())",
            "INSERT",
            (503, "SERVICE_UNAVAILABLE"),
        ),
    ],
    ids=["audit-insert-fails", "data-write-fails", "connection-dropped"],
)
async def test_a_fault_leaves_neither_change_nor_record(
    api: Api,
    tenants: TenantFactory,
    owner_engine: AsyncEngine,
    fault: Any,
    table: str,
    action: str,
    when: str,
    answer: tuple[int, str],
) -> None:
    tenant = await tenants.create(employees=2)
    before = await _state(owner_engine, tenant)
    await fault(table, tenant, action, when)
    response = await api.post(
        RENAME, {"id": str(tenant.employees[1]), "v": 1, "n": "Lost"}, token=tenant.token
    )
    body = response.json()
    assert (response.status_code, error_codes(body)) == (answer[0], [answer[1]])
    assert "failed" not in json.dumps(body)  # the cause is logged, not shown
    assert await _state(owner_engine, tenant) == before
    assert (await api.data(INTEGRITY, token=tenant.token))["auditIntegrity"]["ok"] is True


async def test_concurrent_writers_keep_both_chains_gapless(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine
) -> None:
    first = await tenants.create(employees=25)
    second = await tenants.create(employees=25)

    async def rename(tenant: TenantHandle, index: int) -> dict[str, Any]:
        return await api.gql(
            RENAME,
            {"id": str(tenant.employees[index]), "v": 1, "n": f"N{index}"},
            token=tenant.token,
        )

    results = await asyncio.gather(*(rename(t, i) for i in range(25) for t in (first, second)))
    assert all("errors" not in r for r in results), [r for r in results if "errors" in r][:2]
    for tenant in (first, second):
        async with owner_engine.connect() as conn:
            await conn.execute(
                text("SELECT set_config('hrvault.tenant_id', :t, false)"), {"t": str(tenant.id)}
            )
            seqs = list(
                await conn.scalars(
                    text("SELECT seq FROM audit_log WHERE tenant_id = :t ORDER BY seq"),
                    {"t": tenant.id},
                )
            )
        assert seqs == list(range(1, len(seqs) + 1))
        report = (await api.data(INTEGRITY, token=tenant.token))["auditIntegrity"]
        assert (report["ok"], report["records"]) == (True, len(seqs))


async def test_the_application_role_cannot_rewrite_history(
    app_engine: AsyncEngine, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    for statement in (
        "UPDATE audit_log SET action = 'nothing' WHERE tenant_id = :t",
        "DELETE FROM audit_log WHERE tenant_id = :t",
        "TRUNCATE audit_log",
        "DELETE FROM audit_checkpoints WHERE tenant_id = :t",
    ):
        async with session_factory(app_engine)() as db:
            await bind_tenant(db, tenant.id)
            with pytest.raises(DBAPIError, match="permission denied"):
                await db.execute(text(statement), {"t": tenant.id})


async def test_even_the_owner_is_stopped_by_the_append_only_trigger(
    owner_engine: AsyncEngine, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    async with owner_engine.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            await conn.execute(text("DELETE FROM audit_log WHERE tenant_id = :t"), {"t": tenant.id})


async def _history(api: Api, tenant: TenantHandle, edits: int) -> None:
    version = 1
    for edit in range(edits):
        body = await api.data(
            RENAME,
            {"id": str(tenant.employees[0]), "v": version, "n": f"Edit{edit}"},
            token=tenant.token,
        )
        version = body["updateEmployee"]["version"]


TAMPERING = {
    "edit": "UPDATE audit_log SET changes = '[]' WHERE tenant_id = :t AND seq = 5",
    "delete": "DELETE FROM audit_log WHERE tenant_id = :t AND seq = 5",
    "reorder": (
        "UPDATE audit_log SET seq = -5 WHERE tenant_id = :t AND seq = 5;"
        " UPDATE audit_log SET seq = 5 WHERE tenant_id = :t AND seq = 6;"
        " UPDATE audit_log SET seq = 6 WHERE tenant_id = :t AND seq = -5"
    ),
    "truncate-after-checkpoint": "DELETE FROM audit_log WHERE tenant_id = :t AND seq >= 7",
}


@pytest.mark.parametrize("tampering", list(TAMPERING))
async def test_tampering_by_the_owner_is_found_at_the_right_record(
    api: Api,
    tenants: TenantFactory,
    owner_engine: AsyncEngine,
    settings: Settings,
    clock: ManualClock,
    tampering: str,
) -> None:
    tenant = await tenants.create(employees=1)
    await _history(api, tenant, 6)
    signer = load_or_create_signer(settings.signing_key_path)
    assert await write_checkpoints(owner_engine, signer, clock.now()) >= 1
    clean = await verify_tenant(owner_engine, tenant.id, signer)
    assert clean.ok, clean
    async with owner_engine.begin() as conn:
        await conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER append_only"))
        await conn.execute(
            text("SELECT set_config('hrvault.tenant_id', :t, true)"), {"t": str(tenant.id)}
        )
        for statement in TAMPERING[tampering].split(";"):
            await conn.execute(text(statement), {"t": tenant.id})
        await conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER append_only"))
    report = await verify_tenant(owner_engine, tenant.id, signer)
    assert not report.ok
    assert report.first_broken_seq == (7 if tampering.startswith("truncate") else 5), report
    via_api = (await api.data(INTEGRITY, token=tenant.token))["auditIntegrity"]
    assert (via_api["ok"], via_api["firstBrokenSeq"]) == (False, report.first_broken_seq)


async def test_an_export_verifies_offline_and_a_forged_one_does_not(
    api: Api,
    tenants: TenantFactory,
    owner_engine: AsyncEngine,
    settings: Settings,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    tenant = await tenants.create(employees=1)
    await _history(api, tenant, 3)
    signer = load_or_create_signer(settings.signing_key_path)
    await write_checkpoints(owner_engine, signer, clock.now())
    records, checkpoints = await read_chain(owner_engine, tenant.id)
    archive = tmp_path / "chain.jsonl"
    archive.write_text("".join(line + "\n" for line in dump(tenant.id, records, checkpoints)))
    key = tmp_path / "key.pem"
    key.write_text(public_pem(signer.public_key))
    published = await api.data("{ auditSigningKey { keyId publicKeyPem } }", token=tenant.token)
    assert published["auditSigningKey"] == {"keyId": signer.key_id, "publicKeyPem": key.read_text()}
    offline = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hrvault.audit.offline_verify",
        str(archive),
        str(key),
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await offline.communicate()
    assert (offline.returncode, output.decode().split(":")[0]) == (0, "ok"), output
    lines = archive.read_text().splitlines()
    forged = json.loads(lines[3])
    forged["actor_name"] = "somebody else"
    lines[3] = json.dumps(forged)
    archive.write_text("\n".join(lines) + "\n")
    report = verify_archive(archive, key)
    assert (report.ok, report.first_broken_seq) == (False, forged["seq"])

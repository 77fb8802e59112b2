"""P6/P8 for the vendor's own staff: each staff member's audit records form a hash chain
like a tenant's, and edits, deletions, reorderings and a removed tail are all found."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.audit.staff_chain import verify_staff_chains
from hrvault.db import create_engine, session_factory
from hrvault.models.migrations import alembic_config, upgrade_to_head
from tests.support import Api, TenantFactory, staff_session
from tests.test_seed_migration import scratch

__all__ = ["scratch"]  # a fresh database per test, for upgrading from an older revision

TAMPERING = {
    "edit": [
        "UPDATE staff_audit_log SET actor_name = 'someone else' WHERE staff_id = :s AND seq = 2"
    ],
    "delete": ["DELETE FROM staff_audit_log WHERE staff_id = :s AND seq = 2"],
    "reorder": [
        "UPDATE staff_audit_log SET seq = -2 WHERE staff_id = :s AND seq = 2",
        "UPDATE staff_audit_log SET seq = 2 WHERE staff_id = :s AND seq = 3",
        "UPDATE staff_audit_log SET seq = 3 WHERE staff_id = :s AND seq = -2",
    ],
    "truncate-tail": ["DELETE FROM staff_audit_log WHERE staff_id = :s AND seq >= 3"],
}


async def _staff_with_history(api: Api, tenants: TenantFactory) -> uuid.UUID:
    """A staff member with a few account events: login, enrolment, a step-up, logout."""
    staff = await staff_session(api, tenants)
    token = await api.step_up(staff.token, staff.account)
    await api.data("mutation { staffLogout }", token=token)
    return staff.staff_id


@pytest.mark.parametrize("tampering", list(TAMPERING))
async def test_tampering_with_a_staff_chain_is_found_at_the_right_record(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine, tampering: str
) -> None:
    staff_id = await _staff_with_history(api, tenants)
    before = (await verify_staff_chains(owner_engine))[staff_id]
    assert before.ok, before
    assert before.records >= 4
    async with owner_engine.begin() as conn:
        await conn.execute(text("ALTER TABLE staff_audit_log DISABLE TRIGGER append_only"))
        await conn.execute(
            text("SELECT set_config('hrvault.staff_id', :s, true)"), {"s": str(staff_id)}
        )
        for statement in TAMPERING[tampering]:
            await conn.execute(text(statement), {"s": staff_id})
        await conn.execute(text("ALTER TABLE staff_audit_log ENABLE TRIGGER append_only"))
    report = (await verify_staff_chains(owner_engine))[staff_id]
    assert (report.ok, report.first_broken_seq) == (False, 3 if "tail" in tampering else 2), report


async def test_the_command_line_verifies_every_staff_chain(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine, run: Any
) -> None:
    staff_id = await _staff_with_history(api, tenants)
    code, printed = await asyncio.to_thread(run, "audit", "verify", "--staff")
    assert str(staff_id) not in {b["staff_id"] for b in printed["broken"]}
    assert printed["records"] >= 4
    async with owner_engine.begin() as conn:
        await conn.execute(text("ALTER TABLE staff_audit_log DISABLE TRIGGER append_only"))
        await conn.execute(
            text("SELECT set_config('hrvault.staff_id', :s, true)"), {"s": str(staff_id)}
        )
        await conn.execute(
            text("UPDATE staff_audit_log SET actor_name = 'someone' WHERE staff_id = :s"),
            {"s": staff_id},
        )
        await conn.execute(text("ALTER TABLE staff_audit_log ENABLE TRIGGER append_only"))
    code, printed = await asyncio.to_thread(run, "audit", "verify", "--staff")
    [mine] = [b for b in printed["broken"] if b["staff_id"] == str(staff_id)]
    assert (code, printed["ok"], mine["first_broken_seq"]) == (3, False, 1)


async def test_the_application_role_cannot_fork_a_staff_chain(
    api: Api, tenants: TenantFactory, app_engine: AsyncEngine
) -> None:
    staff_id = await _staff_with_history(api, tenants)
    async with session_factory(app_engine)() as db:
        await db.execute(
            text("SELECT set_config('hrvault.staff_id', :s, true)"), {"s": str(staff_id)}
        )
        attempts = {
            "UPDATE staff_audit_heads SET seq = 0 WHERE staff_id = :s": "permission denied",
            "SELECT * FROM hrvault_staff_audit_lock_head(:o)": "named staff member",
            "INSERT INTO staff_audit_log (staff_id, seq, format_version, occurred_at, action,"
            " actor_kind, actor_name, details, prev_hash, hash) VALUES (:s, 99, 1, now(),"
            " 'login', 'system', 'forger', '{}', :h, :h)": "does not extend",
        }
        for statement, refusal in attempts.items():
            with pytest.raises(DBAPIError, match=refusal):
                async with db.begin_nested():
                    await db.execute(
                        text(statement), {"s": staff_id, "o": uuid.uuid4(), "h": bytes(32)}
                    )


async def test_upgrading_chains_the_staff_records_written_before(scratch: URL) -> None:
    await asyncio.to_thread(command.upgrade, alembic_config(scratch), "0011")
    members = [uuid.uuid4(), uuid.uuid4()]
    conn = await asyncpg.connect(scratch.set(drivername="postgresql").render_as_string(False))
    try:
        for index, member in enumerate(members):
            await conn.execute("SELECT set_config('hrvault.staff_id', $1, false)", str(member))
            await conn.execute(
                "INSERT INTO support_staff (id, email, display_name, password_hash, created_at)"
                " VALUES ($1, $2, 'Old Agent', 'x', now())",
                member,
                f"old-{index}@vendor.test",
            )
            for action in ("create", "login", "logout")[: index + 2]:
                await conn.execute(
                    "INSERT INTO staff_audit_log (staff_id, occurred_at, action, actor_kind,"
                    " actor_name, details) VALUES ($1, now(), $2, 'system', 'op',"
                    ' \'{"reason": "é"}\')',
                    member,
                    action,
                )
    finally:
        await conn.close()
    await asyncio.to_thread(upgrade_to_head, scratch)
    engine = create_engine(scratch, pool_size=1)
    try:
        reports = await verify_staff_chains(engine)
    finally:
        await engine.dispose()
    assert {m: (r.ok, r.records) for m, r in reports.items()} == {
        members[0]: (True, 2),
        members[1]: (True, 3),
    }

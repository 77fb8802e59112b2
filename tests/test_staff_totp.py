"""Support staff's second factor: recovery codes, replay, concurrent use, throttling, the
pending login's expiry, the operator's TOTP reset and the staff audit log."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.db import session_factory
from tests.support import PASSWORD, Api, StaffLogin, TenantFactory, error_codes, staff_session

STAFF_LOGIN = (
    "mutation($e: String!, $p: String!) { staffLogin(email: $e, password: $p) { token nextStep } }"
)
COMPLETE = "mutation($c: String!) { completeLogin(code: $c) { token } }"
STEP_UP = "mutation($c: String!) { verifyStepUp(code: $c) { token } }"
ASK = (
    'mutation($t: String!) { requestSupportAccess(tenant: $t, input: {reason: "Login bug"})'
    " { id } }"
)


async def _pending(api: Api, staff: StaffLogin) -> str:
    data = await api.data(STAFF_LOGIN, {"e": staff.email, "p": PASSWORD})
    assert data["staffLogin"]["nextStep"] == "TOTP_PENDING"
    token: str = data["staffLogin"]["token"]
    return token


async def _staff_rows(owner_engine: AsyncEngine, staff_id: uuid.UUID, query: str) -> list[Any]:
    """Rows of a staff table as the owner sees them (row-level security: name the staff)."""
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("SELECT set_config('hrvault.staff_id', :s, true)"), {"s": str(staff_id)}
        )
        return list((await conn.execute(text(query), {"s": staff_id})).all())


async def test_staff_get_ten_strong_recovery_codes_stored_only_as_hashes(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine
) -> None:
    staff = await staff_session(api, tenants)
    assert len(set(staff.recovery_codes)) == 10
    assert all(len(code.replace("-", "")) == 20 for code in staff.recovery_codes)  # 100 bits
    stored = await _staff_rows(
        owner_engine,
        staff.staff_id,
        "SELECT code_hash, used_at FROM staff_recovery_codes WHERE staff_id = :s",
    )
    assert len(stored) == 10
    plain = {c.encode() for code in staff.recovery_codes for c in (code, code.replace("-", ""))}
    assert all(len(row.code_hash) == 32 and row.code_hash not in plain for row in stored)
    assert all(row.used_at is None for row in stored)


async def test_a_staff_recovery_code_logs_in_once_and_steps_up_once(
    api: Api, tenants: TenantFactory
) -> None:
    staff = await staff_session(api, tenants)
    first, second = staff.recovery_codes[:2]
    pending = await _pending(api, staff)
    done = await api.data(COMPLETE, {"c": first.lower()}, token=pending)
    token = done["completeLogin"]["token"]
    again = await _pending(api, staff)
    assert error_codes(await api.gql(COMPLETE, {"c": first}, token=again)) == ["INVALID_CODE"]
    stepped = await api.data(STEP_UP, {"c": second}, token=token)
    assert error_codes(
        await api.gql(STEP_UP, {"c": second}, token=stepped["verifyStepUp"]["token"])
    ) == ["INVALID_CODE"]


async def test_a_staff_code_is_accepted_once_even_by_two_concurrent_logins(
    api: Api, tenants: TenantFactory
) -> None:
    staff = await staff_session(api, tenants)
    first, second = await _pending(api, staff), await _pending(api, staff)
    code = api.code(staff.account)
    bodies = await asyncio.gather(
        api.gql(COMPLETE, {"c": code}, token=first), api.gql(COMPLETE, {"c": code}, token=second)
    )
    assert sorted(str(error_codes(b)) for b in bodies) == ["['INVALID_CODE']", "[]"]
    third = await _pending(api, staff)
    assert error_codes(await api.gql(COMPLETE, {"c": code}, token=third)) == ["INVALID_CODE"]


async def test_guessing_staff_codes_hits_the_throttle_and_waits_double(
    api: Api, tenants: TenantFactory
) -> None:
    staff = await staff_session(api, tenants)
    api = api.from_address(f"198.51.100.{secrets.randbelow(250) + 1}")
    pending = await _pending(api, staff)
    for _ in range(5):
        assert error_codes(await api.gql(COMPLETE, {"c": "000000"}, token=pending)) == [
            "INVALID_CODE"
        ]
    blocked = await api.gql(COMPLETE, {"c": api.code(staff.account)}, token=pending)
    assert error_codes(blocked) == ["TOO_MANY_ATTEMPTS"]
    assert blocked["errors"][0]["extensions"]["retryAfterSeconds"] == 2
    api.clock.advance(timedelta(seconds=2))
    assert error_codes(await api.gql(COMPLETE, {"c": "000000"}, token=pending)) == ["INVALID_CODE"]
    again = await api.gql(COMPLETE, {"c": staff.recovery_codes[0]}, token=pending)
    assert error_codes(again) == ["TOO_MANY_ATTEMPTS"]  # recovery codes are throttled alike
    assert again["errors"][0]["extensions"]["retryAfterSeconds"] == 4
    api.clock.advance(timedelta(seconds=4))
    assert error_codes(await api.gql(COMPLETE, {"c": api.code(staff.account)}, token=pending)) == []


async def test_a_pending_staff_login_expires_after_five_minutes(
    api: Api, tenants: TenantFactory
) -> None:
    staff = await staff_session(api, tenants)
    pending = await _pending(api, staff)
    api.clock.advance(timedelta(minutes=5, seconds=1))
    late = await api.gql(COMPLETE, {"c": api.code(staff.account)}, token=pending)
    assert error_codes(late) == ["UNAUTHENTICATED"]


async def test_an_operator_resets_a_staff_members_totp_and_their_sessions_end(
    run: Any, api: Api, tenants: TenantFactory, owner_engine: AsyncEngine
) -> None:
    staff = await staff_session(api, tenants)
    other = await staff_session(api, tenants)
    args = ("staff", "reset-totp", "--email", staff.email, "--reason", "SUP-9 lost phone")
    code, body = await asyncio.to_thread(run, *args)
    assert (code, body) == (
        0,
        {"id": str(staff.staff_id), "email": staff.email, "sessions_ended": 1},
    )
    assert error_codes(await api.gql(ASK, {"t": "any"}, token=staff.token)) == ["UNAUTHENTICATED"]
    assert error_codes(await api.gql(ASK, {"t": "none"}, token=other.token)) == ["NOT_FOUND"]
    login = await api.data(STAFF_LOGIN, {"e": staff.email, "p": PASSWORD})
    assert login["staffLogin"]["nextStep"] == "ENROL_ONLY"  # the seed is gone, codes too:
    assert (
        await _staff_rows(
            owner_engine, staff.staff_id, "SELECT 1 FROM staff_recovery_codes WHERE staff_id = :s"
        )
        == []
    )
    code, again = await asyncio.to_thread(run, *args)
    assert (code, again["error"]["code"]) == (1, "CONFLICT")  # nothing enrolled any more
    args = ("staff", "reset-totp", "--email", "nobody@vendor.test", "--reason", "typo")
    code, unknown = await asyncio.to_thread(run, *args)
    assert (code, unknown["error"]["code"]) == (1, "NOT_FOUND")
    records = await _staff_rows(
        owner_engine,
        staff.staff_id,
        "SELECT action, actor_kind, actor_name, details FROM staff_audit_log"
        " WHERE staff_id = :s AND action = 'totp_reset'",
    )
    assert [(r.actor_kind, r.actor_name, r.details) for r in records] == [
        ("system", "hrvault staff reset-totp", {"sessions_ended": 1, "reason": "SUP-9 lost phone"})
    ]


async def test_every_staff_account_event_is_in_the_append_only_staff_log(
    run: Any, api: Api, owner_engine: AsyncEngine, app_engine: AsyncEngine
) -> None:
    email = f"agent-{secrets.token_hex(3)}@vendor.test"
    create = ("staff", "create", "--email", email, "--name", "Ada Agent", "--password-stdin")
    code, made = await asyncio.to_thread(run, *create, stdin=f"{PASSWORD}\n")
    assert code == 0
    account = f"staff/{email}"
    first = await api.data(STAFF_LOGIN, {"e": email, "p": PASSWORD})
    enrolled = await api.enrol(first["staffLogin"]["token"], account)
    token = await api.step_up(enrolled["token"], account)
    await api.data("mutation { staffLogout }", token=token)
    staff_id = uuid.UUID(made["id"])
    records = await _staff_rows(
        owner_engine,
        staff_id,
        "SELECT action, actor_kind, actor_name, request_id FROM staff_audit_log"
        " WHERE staff_id = :s ORDER BY seq",
    )
    assert [(r.action, r.actor_kind, r.actor_name) for r in records] == [
        ("create", "system", "hrvault staff create"),
        ("login", "support", "Ada Agent"),
        ("totp_enrollment_started", "support", "Ada Agent"),
        ("totp_enrolled", "support", "Ada Agent"),
        ("step_up", "support", "Ada Agent"),
        ("logout", "support", "Ada Agent"),
    ]
    assert all(r.request_id for r in records[1:])
    async with session_factory(app_engine)() as db:
        await db.execute(
            text("SELECT set_config('hrvault.staff_id', :s, true)"), {"s": str(staff_id)}
        )
        for statement in (
            "UPDATE staff_audit_log SET action = 'nothing' WHERE staff_id = :s",
            "DELETE FROM staff_audit_log WHERE staff_id = :s",
        ):
            with pytest.raises(DBAPIError, match="permission denied"):
                async with db.begin_nested():
                    await db.execute(text(statement), {"s": staff_id})

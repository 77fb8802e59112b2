"""What every authenticated request costs before its own reads (issue 21).

Round trips are counted on the wire (``tests/wire_counter.py``): BEGIN, one statement
that binds the tenant, checks the session and reads the policy version, the reads, and
COMMIT. The compiled policy is kept between requests under that version, and the
version moves with every change to roles, grants or memberships, in any process.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.app import create_app
from hrvault.clock import ManualClock
from hrvault.config import Settings
from hrvault.db import DatabaseUrls, create_engine, discard_closed
from tests.conftest import OpenApi
from tests.sensitive_support import SensitiveWriter
from tests.support import Api, TenantFactory, error_codes, random_address
from tests.wire_counter import RoundTripCounter

AUTHENTICATE = "SELECT * FROM hrvault_authenticate("
DEPARTMENTS = "{ departments { name } }"
ME = "{ me { displayName employee { name } } }"
PAGE = (
    "{ employees(first: 50) { nodes { id name jobTitle department { name } manager { name } } } }"
)
SENSITIVE = (
    "query($id: ID!) { employee(id: $id) { id name workEmail"
    " personal { birthDate privateEmail } identity { nationalId } } }"
)
AUDIT = "{ auditLog(first: 20) { edges { node { seq action entityType } } } }"


@pytest.fixture
async def wire(database: DatabaseUrls) -> AsyncIterator[RoundTripCounter]:
    counter = RoundTripCounter(database.app)
    await counter.up()
    yield counter
    await counter.close()


@contextlib.asynccontextmanager
async def counted_app(
    settings: Settings, wire: RoundTripCounter, clock: ManualClock
) -> AsyncIterator[tuple[Api, AsyncEngine]]:
    """An app whose one pooled connection goes through the counter."""
    engine = create_engine(wire.url(), pool_size=1)
    app = create_app(settings, engine=engine, clock=clock)
    transport = httpx.ASGITransport(app=app, client=random_address())
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="https://hrvault.test") as client,
        ):
            yield Api(client, clock), engine
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def counted_api(
    settings: Settings, wire: RoundTripCounter, clock: ManualClock
) -> AsyncIterator[Api]:
    async with counted_app(settings, wire, clock) as (api, _):
        yield api


async def round_trips(
    api: Api, wire: RoundTripCounter, document: str, variables: dict[str, Any], token: str
) -> list[str]:
    """The round trips of a request once connection, statements and policy are warm."""
    for _ in range(2):
        await api.data(document, variables, token=token)
    wire.reset()
    await api.data(document, variables, token=token)
    return list(wire.round_trips)


@pytest.mark.parametrize(
    ("document", "data_statements"),
    # departments: one read. me: the viewer's employee and roles. The page: the page, then its loaders (current jobs,
    # managers, departments). One employee with sealed details: the employee, their
    # personal and identity rows, their person key, and the audit record of the read
    # (the chain's head, then the append). The audit log: its page and the actors.
    [(DEPARTMENTS, 1), (ME, 2), (PAGE, 4), (SENSITIVE, 6), (AUDIT, 2)],
    ids=["departments", "me", "page-of-50", "employee-with-sealed-fields", "audit-log"],
)
async def test_an_authenticated_read_pays_three_fixed_round_trips(
    api: Api,
    settings: Settings,
    wire: RoundTripCounter,
    clock: ManualClock,
    tenants: TenantFactory,
    document: str,
    data_statements: int,
) -> None:
    tenant = await tenants.create(employees=60)
    await tenants.step_up(tenant)
    subject = str(tenant.employees[1])
    await SensitiveWriter(api, tenant.token).everything(subject)
    variables = {"id": subject} if "$id" in document else {}
    async with counted_api(settings, wire, clock) as counted:
        sent = await round_trips(counted, wire, document, variables, tenant.token)
    # Before: pre-ping (BEGIN, ping, ROLLBACK), BEGIN, the tenant, the session's update,
    # the policy, the reads, COMMIT.
    assert sent[0] == "BEGIN;", sent
    assert sent[1].startswith(AUTHENTICATE), sent
    assert sent[-1] == "COMMIT;", sent
    assert not [s for s in sent if s.startswith("prepare: ")], sent
    assert len(sent) == 3 + data_statements, sent
    if data_statements == 1:
        assert len(sent) <= 4, sent


ABILITIES = "{ me { abilities } }"
DIRECTORY = "{ me { roles { name } } }"


async def test_a_role_change_made_in_one_app_applies_to_the_next_request_in_another(
    api: Api, open_api: OpenApi, settings: Settings, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=2)
    login = await tenants.add_user(tenant, tenant.employees[1], ("employee",))
    await tenants.step_up(tenant)
    roles = {
        r["name"]: r["id"]
        for r in (await api.data("{ roles { id name } }", token=tenant.token))["roles"]
    }
    async with open_api(settings) as other:
        assert (
            "SEE_AUDIT" not in (await other.data(ABILITIES, token=login.token))["me"]["abilities"]
        )
        await api.data(
            "mutation($u: ID!, $r: ID!) { assignRole(userId: $u, roleId: $r) { id } }",
            {"u": login.user_id, "r": roles["Auditor"]},
            token=tenant.token,
        )
        assert "SEE_AUDIT" in (await other.data(ABILITIES, token=login.token))["me"]["abilities"]
        await api.data(
            "mutation($u: ID!, $r: ID!) { removeRole(userId: $u, roleId: $r) { id } }",
            {"u": login.user_id, "r": roles["Auditor"]},
            token=tenant.token,
        )
        assert (
            "SEE_AUDIT" not in (await other.data(ABILITIES, token=login.token))["me"]["abilities"]
        )


async def test_a_grant_change_applies_to_the_next_request_of_every_holder_in_another_app(
    api: Api, open_api: OpenApi, settings: Settings, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=3)
    await tenants.step_up(tenant)
    made = await api.data(
        'mutation { createRole(input: {name: "Directory", grants: '
        "[{fieldGroup: BASIC, action: SEE, scope: ALL}]}) { id version } }",
        token=tenant.token,
    )
    role = made["createRole"]
    holders = [await tenants.add_user(tenant, tenant.employees[i], ("Directory",)) for i in (1, 2)]
    someone = str(tenant.employees[0])
    read = "query($id: ID!) { employee(id: $id) { name } }"
    async with open_api(settings) as other:
        for holder in holders:  # both warm the same role set's cached policy
            assert (await other.data(read, {"id": someone}, token=holder.token))["employee"]["name"]
        await api.data(
            "mutation($id: ID!, $v: Int!) { updateRole(id: $id, input: {version: $v, grants:"
            " [{fieldGroup: BASIC, action: SEE, scope: SELF}]}) { id } }",
            {"id": role["id"], "v": role["version"]},
            token=tenant.token,
        )
        for holder in holders:
            body = await other.gql(read, {"id": someone}, token=holder.token)
            assert error_codes(body) == ["NOT_FOUND"], body


async def test_a_membership_written_by_any_path_moves_the_policy_version(
    api: Api, owner_engine: AsyncEngine, tenants: TenantFactory
) -> None:
    """The version is kept by triggers, so even a write outside the application counts."""
    tenant = await tenants.create(employees=2)
    login = await tenants.add_user(tenant, tenant.employees[1], ("employee",))
    assert "SEE_AUDIT" not in (await api.data(ABILITIES, token=login.token))["me"]["abilities"]
    async with owner_engine.begin() as db:
        await db.execute(
            text("SELECT set_config('hrvault.tenant_id', :t, true)"), {"t": str(tenant.id)}
        )
        await db.execute(
            text(
                "INSERT INTO user_roles (tenant_id, user_id, role_id, created_at)"
                " SELECT tenant_id, :u, id, now() FROM roles"
                " WHERE tenant_id = :t AND builtin_key = 'auditor'"
            ),
            {"u": login.user_id, "t": tenant.id},
        )
    assert "SEE_AUDIT" in (await api.data(ABILITIES, token=login.token))["me"]["abilities"]


async def last_seen(owner_engine: AsyncEngine, tenant_id: object) -> list[Any]:
    async with owner_engine.begin() as db:
        await db.execute(
            text("SELECT set_config('hrvault.tenant_id', :t, true)"), {"t": str(tenant_id)}
        )
        return list(
            (
                await db.execute(
                    text("SELECT last_seen_at FROM sessions WHERE tenant_id = :t"), {"t": tenant_id}
                )
            ).scalars()
        )


async def test_last_seen_is_written_at_most_once_a_minute_and_idle_expiry_never_runs_late(
    api: Api, owner_engine: AsyncEngine, clock: ManualClock, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)  # idle timeout: 30 minutes
    await api.data(ABILITIES, token=tenant.token)
    seen = await last_seen(owner_engine, tenant.id)
    for _ in range(5):  # within a minute: no write
        clock.advance(timedelta(seconds=10))
        await api.data(ABILITIES, token=tenant.token)
    assert await last_seen(owner_engine, tenant.id) == seen
    clock.advance(timedelta(seconds=11))  # stale by 61 s: written
    await api.data(ABILITIES, token=tenant.token)
    assert await last_seen(owner_engine, tenant.id) == [clock.now()]
    # Idle from the last write, not the last request: never a moment beyond the limit.
    clock.advance(timedelta(seconds=50))
    await api.data(ABILITIES, token=tenant.token)  # not written: 50 s stale
    clock.advance(timedelta(minutes=30) - timedelta(seconds=50))
    body = await api.gql(ABILITIES, token=tenant.token)
    assert error_codes(body) == ["UNAUTHENTICATED"], body


async def test_requests_sharing_a_session_never_wait_on_its_row(
    api: Api, owner_engine: AsyncEngine, clock: ManualClock, tenants: TenantFactory
) -> None:
    """Another request holding the session row (touching it, or anything else) does not
    hold this one up: the stale last-seen is left for a later request to write."""
    tenant = await tenants.create(employees=1)
    await api.data(ABILITIES, token=tenant.token)
    clock.advance(timedelta(minutes=2))
    async with owner_engine.connect() as holder:
        await holder.execute(
            text("SELECT set_config('hrvault.tenant_id', :t, true)"), {"t": str(tenant.id)}
        )
        await holder.execute(text("SELECT id FROM sessions FOR UPDATE"))
        async with asyncio.timeout(60):  # on main: waits for the holder forever
            assert (await api.data(ABILITIES, token=tenant.token))["me"]["abilities"]
        await holder.rollback()


@pytest.mark.parametrize("noticed", [True, False], ids=["noticed", "unnoticed"])
async def test_a_connection_dropped_while_idle_costs_no_request(
    settings: Settings,
    wire: RoundTripCounter,
    clock: ManualClock,
    tenants: TenantFactory,
    noticed: bool,
) -> None:
    """No pre-ping: a closed connection is replaced at checkout, and one whose end the
    driver has not seen yet fails the first statement, which is tried again once."""
    tenant = await tenants.create(employees=1)
    async with counted_app(settings, wire, clock) as (counted, engine):
        await counted.data(ABILITIES, token=tenant.token)
        if not noticed:  # the checkout check misses it: the first statement fails
            event.remove(engine.sync_engine.pool, "checkout", discard_closed)
        await wire.down()
        await wire.up()
        assert (await counted.data(ABILITIES, token=tenant.token))["me"]["abilities"]

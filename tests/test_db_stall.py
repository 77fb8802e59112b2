"""A database that stalls or goes away: a typed 503 by the deadline, and the pool heals.

The app reaches the test database through a proxy the test owns (``tests/stall_proxy.py``):
stalled, it keeps every connection open and passes nothing on; down, it refuses. The
timeout is two seconds. Each request runs under ``asyncio.timeout`` as a guard against
hanging the suite; that guard is generous, so no test depends on how fast the machine is.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.app import create_app
from hrvault.clock import ManualClock
from hrvault.config import GraphQLLimits, Settings
from hrvault.db import DatabaseUrls, create_engine
from hrvault.models import Office
from hrvault.models.audit import AuditRecord
from hrvault.resolvers import org
from hrvault.resolvers.context import RequestContext
from tests.stall_proxy import StallingProxy
from tests.support import Api, TenantFactory, error_codes, random_address
from tests.test_documents import link, pdf, upload

TIMEOUT = 2.0
GUARD = 3 * TIMEOUT + 5
ME = "{ me { displayName } }"
CREATE = (
    'mutation { createOffice(input: {name: "Stalled", countryCode: "SE", timezone: "UTC"}) { id } }'
)


@pytest.fixture
async def proxy(database: DatabaseUrls) -> AsyncIterator[StallingProxy]:
    proxy = StallingProxy(database.app)
    await proxy.up()
    yield proxy
    await proxy.close()


@contextlib.asynccontextmanager
async def proxied_api(
    settings: Settings, proxy: StallingProxy, clock: ManualClock, *, pool_size: int = 2
) -> AsyncIterator[Api]:
    """An app with a two-second deadline whose every connection goes through the proxy."""
    engine = create_engine(proxy.url(), pool_size=pool_size)
    quick = replace(settings, graphql=GraphQLLimits(timeout_seconds=TIMEOUT))
    app = create_app(quick, engine=engine, clock=clock)
    transport = httpx.ASGITransport(app=app, client=random_address())
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="https://hrvault.test") as client,
        ):
            yield Api(client, clock)
    finally:
        proxy.resume()
        await engine.dispose()


async def guarded(request: Any) -> httpx.Response:
    """The response, or a failed test if none came long after the deadline."""
    async with asyncio.timeout(GUARD):
        response: httpx.Response = await request
    return response


def assert_refused_for_now(response: httpx.Response, *codes: str) -> None:
    """A 503 in GraphQL's error shape that says when to try again."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/json"
    assert error_codes(response.json()) in [[code] for code in codes]
    retry_after = int(response.headers["retry-after"])
    assert retry_after >= 1
    assert response.json()["errors"][0]["extensions"]["retryAfterSeconds"] == retry_after


async def test_a_request_in_a_stall_gets_a_503_and_the_next_one_after_it_succeeds(
    settings: Settings, proxy: StallingProxy, clock: ManualClock, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    async with proxied_api(settings, proxy, clock) as api:
        await api.data(ME, token=tenant.token)  # the pool holds a connection through the proxy
        proxy.stall()
        response = await guarded(api.post(ME, token=tenant.token))
        assert_refused_for_now(response, "OPERATION_TIMED_OUT")
        proxy.resume()
        for _ in range(3):
            assert "errors" not in (await guarded(api.post(ME, token=tenant.token))).json()


async def test_ten_clients_in_a_stall_all_get_json_503s_and_the_pool_heals(
    settings: Settings, proxy: StallingProxy, clock: ManualClock, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    async with proxied_api(settings, proxy, clock, pool_size=2) as api:
        await api.data(ME, token=tenant.token)
        proxy.stall()
        # Four connections at most (two and two overflow): six of the ten wait for one.
        stalled = await guarded(
            asyncio.gather(*(api.post(ME, token=tenant.token) for _ in range(10)))
        )
        for response in stalled:
            assert_refused_for_now(response, "OPERATION_TIMED_OUT")
        proxy.resume()
        healed = await guarded(
            asyncio.gather(*(api.post(ME, token=tenant.token) for _ in range(10)))
        )
    for response in healed:
        assert response.status_code == 200, response.text
        assert "errors" not in response.json(), response.text


async def test_a_database_that_refuses_connections_is_a_503_until_it_is_back(
    settings: Settings, proxy: StallingProxy, clock: ManualClock, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    async with proxied_api(settings, proxy, clock) as api:
        await api.data(ME, token=tenant.token)
        await proxy.down()  # the pooled connection is dropped, new ones are refused
        for _ in range(3):
            response = await guarded(api.post(ME, token=tenant.token))
            assert_refused_for_now(response, "SERVICE_UNAVAILABLE")
        await proxy.up()
        assert "errors" not in (await guarded(api.post(ME, token=tenant.token))).json()


async def test_busy_clients_caught_by_a_stall_keep_nothing_and_the_pool_heals(
    settings: Settings,
    proxy: StallingProxy,
    clock: ManualClock,
    tenants: TenantFactory,
    owner_engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Five mutations in flight; the first insert to reach the database stalls it, so the
    others are caught wherever they are (connecting, waiting for a connection, in the
    middle of their transaction), and five queries come in during the stall."""
    tenant = await tenants.create(employees=1)
    real_create = org.create_office
    stalled = asyncio.Event()

    async def stall_after_the_insert(ctx: RequestContext, fields: dict[str, Any]) -> object:
        created = await real_create(ctx, fields)  # the row is in the transaction
        proxy.stall()  # the audit record and the commit never get an answer
        stalled.set()
        return created

    async def audit_records() -> int:
        async with owner_engine.connect() as conn:
            count = await conn.scalar(
                select(func.count())
                .select_from(AuditRecord)
                .where(AuditRecord.tenant_id == tenant.id)
            )
        return int(count or 0)

    async def client(index: int, api: Api) -> httpx.Response:
        if index % 2:
            await stalled.wait()
            return await api.post(ME, token=tenant.token)
        return await api.post(CREATE.replace("Stalled", f"Stalled {index}"), token=tenant.token)

    records_before = await audit_records()
    async with proxied_api(settings, proxy, clock) as api:
        monkeypatch.setattr(org, "create_office", stall_after_the_insert)
        caught = await guarded(asyncio.gather(*(client(i, api) for i in range(10))))
        for response in caught:
            assert_refused_for_now(response, "OPERATION_TIMED_OUT")
        monkeypatch.undo()
        proxy.resume()
        healed = await guarded(asyncio.gather(*(client(i, api) for i in range(1, 10, 2))))
        assert all("errors" not in response.json() for response in healed)
        offices = await api.data("{ offices { name } }", token=tenant.token)
    assert [office["name"] for office in offices["offices"]] == ["HQ"]
    async with owner_engine.connect() as conn:
        kept = await conn.scalar(
            select(func.count())
            .select_from(Office)
            .where(Office.tenant_id == tenant.id, Office.name.like("Stalled%"))
        )
    assert kept == 0
    assert await audit_records() == records_before


async def test_readiness_answers_unavailable_in_a_stall_and_ready_after(
    settings: Settings, proxy: StallingProxy, clock: ManualClock
) -> None:
    async with proxied_api(settings, proxy, clock) as api:
        assert (await guarded(api.client.get("/readyz"))).status_code == 200
        proxy.stall()
        stalled = await guarded(api.client.get("/readyz"))
        assert stalled.status_code == 503
        assert stalled.json() == {"status": "unavailable", "database": "unreachable"}
        proxy.resume()
        assert (await guarded(api.client.get("/readyz"))).json()["status"] == "ok"


async def test_a_download_in_a_stall_gets_a_503_and_its_link_still_works_after(
    settings: Settings,
    proxy: StallingProxy,
    clock: ManualClock,
    tenants: TenantFactory,
    api: Api,
) -> None:
    tenant = await tenants.create(employees=2)
    content = pdf(5000)
    document = await upload(api, tenant.token, tenant.employees[1], content)
    url = await link(api, tenant.token, document["id"])
    async with proxied_api(settings, proxy, clock) as proxied:
        await proxied.data(ME, token=tenant.token)
        proxy.stall()
        stalled = await guarded(proxied.client.get(url))
        assert_refused_for_now(stalled, "OPERATION_TIMED_OUT")
        proxy.resume()
        served = await guarded(proxied.client.get(url))  # the stalled use never committed
    assert served.status_code == 200
    assert served.content == content


async def test_the_app_starts_in_a_stall_and_serves_once_it_ends(
    settings: Settings, proxy: StallingProxy, clock: ManualClock, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    proxy.stall()
    async with asyncio.timeout(2 * GUARD), proxied_api(settings, proxy, clock) as api:
        assert_refused_for_now(await api.post(ME, token=tenant.token), "OPERATION_TIMED_OUT")
        proxy.resume()
        assert "errors" not in (await api.post(ME, token=tenant.token)).json()

"""Credential attempts are throttled per account and address, per account and per client
address, in PostgreSQL; requests in general are limited per principal."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.app import create_app
from hrvault.auth.throttle import client_network
from hrvault.buckets import Rate
from hrvault.clock import ManualClock
from hrvault.config import Settings
from hrvault.db import APP_ROLE
from tests.conftest import OpenApi
from tests.support import PASSWORD, Api, TenantFactory, TenantHandle, error_codes, random_address

LOGIN = (
    "mutation($t: String!, $e: String!, $p: String!) {"
    " login(tenant: $t, email: $e, password: $p) { token } }"
)
WRONG = "not the password at all"


async def attempt(api: Api, tenant: TenantHandle, password: str, email: str | None = None) -> Any:
    response = await api.post(LOGIN, {"t": tenant.slug, "e": email or tenant.email, "p": password})
    assert response.status_code == 200, response.text
    return response


@pytest.fixture
def address() -> tuple[str, int]:
    return random_address()


@pytest.fixture
async def from_address(
    settings: Settings, open_api: OpenApi, address: tuple[str, int]
) -> AsyncIterator[Api]:
    """The default API seen from an address no other test uses."""
    async with open_api(settings, client=address) as api:
        yield api


async def test_an_account_gets_five_attempts_then_one_a_minute(
    from_address: Api, tenants: TenantFactory, clock: ManualClock
) -> None:
    tenant = await tenants.create(employees=1)
    for _ in range(5):
        assert error_codes((await attempt(from_address, tenant, WRONG)).json()) == [
            "UNAUTHENTICATED"
        ]
    refused = await attempt(from_address, tenant, PASSWORD)  # even the right password waits
    error = refused.json()["errors"][0]
    assert error["extensions"] == {
        "code": "TOO_MANY_ATTEMPTS",
        "retryAfterSeconds": 60,
        "retryAt": (clock.now() + timedelta(seconds=60)).isoformat(),
    }
    assert refused.headers["retry-after"] == "60"
    assert refused.json()["data"] is None
    clock.advance(timedelta(seconds=59))
    assert error_codes((await attempt(from_address, tenant, PASSWORD)).json()) == [
        "TOO_MANY_ATTEMPTS"
    ]
    clock.advance(timedelta(seconds=1))
    assert "errors" not in (await attempt(from_address, tenant, PASSWORD)).json()


async def test_unknown_accounts_are_throttled_alike(
    from_address: Api, tenants: TenantFactory
) -> None:
    """The answers never tell an existing account from a made-up one."""
    tenant = await tenants.create(employees=1)
    ghost = f"nobody-{secrets.token_hex(4)}@{tenant.slug}.test"
    answers = [(await attempt(from_address, tenant, WRONG, email)).json() for email in [ghost] * 6]
    real = [(await attempt(from_address, tenant, WRONG)).json() for _ in range(6)]
    assert answers == real
    assert error_codes(real[-1]) == ["TOO_MANY_ATTEMPTS"]


async def test_a_success_forgets_the_accounts_failures(
    from_address: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    for _ in range(4):
        await attempt(from_address, tenant, WRONG)
    assert "errors" not in (await attempt(from_address, tenant, PASSWORD)).json()
    for _ in range(5):
        assert error_codes((await attempt(from_address, tenant, WRONG)).json()) == [
            "UNAUTHENTICATED"
        ]


async def test_one_address_is_throttled_across_accounts(
    settings: Settings, open_api: OpenApi, tenants: TenantFactory
) -> None:
    accounts = [await tenants.create(employees=1) for _ in range(4)]
    strict = replace(settings, credential_limit_ip=Rate(3, 300))
    address = random_address()
    async with open_api(strict, client=address) as api:
        for tenant in accounts[:3]:
            assert error_codes((await attempt(api, tenant, WRONG)).json()) == ["UNAUTHENTICATED"]
        refused = await attempt(api, accounts[3], PASSWORD)
        assert refused.json()["errors"][0]["extensions"]["retryAfterSeconds"] == 100
    async with open_api(strict, client=random_address()) as elsewhere:
        assert "errors" not in (await attempt(elsewhere, accounts[3], PASSWORD)).json()


async def test_attempts_count_in_every_server_process(
    settings: Settings, open_api: OpenApi, tenants: TenantFactory
) -> None:
    """Two apps (two processes behind a load balancer) share the count in PostgreSQL."""
    tenant = await tenants.create(employees=1)
    address = random_address()
    async with (
        open_api(settings, client=address) as one,
        open_api(settings, client=address) as two,
    ):
        for api in (one, two, one, two, one):
            await attempt(api, tenant, WRONG)
        assert error_codes((await attempt(two, tenant, PASSWORD)).json()) == ["TOO_MANY_ATTEMPTS"]


async def test_an_attacker_at_one_address_does_not_keep_the_owner_out(
    settings: Settings, open_api: OpenApi, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    async with (
        open_api(settings, client=random_address()) as attacker,
        open_api(settings, client=random_address()) as owner,
    ):
        for _ in range(5):
            await attempt(attacker, tenant, WRONG)
        assert error_codes((await attempt(attacker, tenant, PASSWORD)).json()) == [
            "TOO_MANY_ATTEMPTS"
        ]
        assert "errors" not in (await attempt(owner, tenant, PASSWORD)).json()
        assert error_codes((await attempt(attacker, tenant, PASSWORD)).json()) == [
            "TOO_MANY_ATTEMPTS"
        ]


async def test_guesses_from_many_addresses_hit_the_accounts_ceiling(
    settings: Settings, open_api: OpenApi, tenants: TenantFactory, clock: ManualClock
) -> None:
    """Credential stuffing from a botnet: two guesses per address, yet the account is
    bounded, and it refills slowly; the owner's known address is not kept out."""
    tenant = await tenants.create(employees=1)
    ceiling = replace(settings, credential_limit_account=Rate(8, 8 * 600))
    home_address = random_address()
    async with open_api(ceiling, client=home_address) as home:
        assert "errors" not in (await attempt(home, tenant, PASSWORD)).json()
    for _ in range(4):
        async with open_api(ceiling, client=random_address()) as bot:
            for _ in range(2):
                assert error_codes((await attempt(bot, tenant, WRONG)).json()) == [
                    "UNAUTHENTICATED"
                ]
    async with open_api(ceiling, client=random_address()) as bot:
        refused = (await attempt(bot, tenant, PASSWORD)).json()
        assert error_codes(refused) == ["TOO_MANY_ATTEMPTS"]
        assert refused["errors"][0]["extensions"]["retryAfterSeconds"] == 600
        clock.advance(timedelta(seconds=600))
        assert error_codes((await attempt(bot, tenant, WRONG)).json()) == ["UNAUTHENTICATED"]
        assert error_codes((await attempt(bot, tenant, WRONG)).json()) == ["TOO_MANY_ATTEMPTS"]
    async with open_api(ceiling, client=random_address()) as new_place:
        assert error_codes((await attempt(new_place, tenant, PASSWORD)).json()) == [
            "TOO_MANY_ATTEMPTS"
        ]
    async with open_api(ceiling, client=home_address) as home:
        assert "errors" not in (await attempt(home, tenant, PASSWORD)).json()


async def test_parallel_guesses_cannot_outrun_the_count(
    from_address: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    answers = await asyncio.gather(*(attempt(from_address, tenant, WRONG) for _ in range(9)))
    codes = sorted(error_codes(a.json())[0] for a in answers)
    assert codes == ["TOO_MANY_ATTEMPTS"] * 4 + ["UNAUTHENTICATED"] * 5


async def test_buckets_hold_hashes_only_and_the_app_role_only_uses_them(
    from_address: Api,
    address: tuple[str, int],
    tenants: TenantFactory,
    owner_engine: AsyncEngine,
) -> None:
    tenant = await tenants.create(employees=1)
    await attempt(from_address, tenant, WRONG)
    async with owner_engine.connect() as conn:
        rows = (await conn.execute(text("SELECT b::text AS row FROM credential_buckets b"))).all()
        privileges = {
            privilege: await conn.scalar(
                text("SELECT has_table_privilege(:role, 'credential_buckets', :p)"),
                {"role": APP_ROLE, "p": privilege},
            )
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES")
        }
    assert rows
    everything = " ".join(row.row for row in rows)
    for secret in (tenant.email, tenant.slug, address[0]):
        assert secret not in everything
    assert privileges == {
        "SELECT": True,
        "INSERT": True,
        "UPDATE": True,
        "DELETE": True,
        "TRUNCATE": False,
        "REFERENCES": False,
    }


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::9", "2001:db8:1:2::/64"),
        (None, "unknown"),
    ],
)
def test_ipv6_clients_are_counted_by_their_network(address: str | None, counted_as: str) -> None:
    assert client_network(address) == counted_as


async def test_requests_are_limited_per_principal(
    settings: Settings, open_api: OpenApi, tenants: TenantFactory, clock: ManualClock
) -> None:
    first, second = await tenants.create(employees=1), await tenants.create(employees=1)
    limited = replace(settings, request_limit=Rate(3, 60))
    async with open_api(limited, client=random_address()) as api:
        for _ in range(3):
            await api.data("{ offices { name } }", token=first.token)
        refused = await api.post("{ offices { name } }", token=first.token)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "20"
        assert refused.json()["errors"][0]["extensions"] == {
            "code": "RATE_LIMITED",
            "retryAfterSeconds": 20,
        }
        await api.data("{ offices { name } }", token=second.token)  # someone else is fine
        clock.advance(timedelta(seconds=20))
        await api.data("{ offices { name } }", token=first.token)


async def test_anonymous_requests_are_limited_per_address(
    settings: Settings, app_engine: AsyncEngine, clock: ManualClock
) -> None:
    app = create_app(replace(settings, request_limit=Rate(2, 60)), engine=app_engine, clock=clock)

    def client(address: tuple[str, int]) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=address)
        return httpx.AsyncClient(transport=transport, base_url="https://hrvault.test")

    async with (
        app.router.lifespan_context(app),
        client(random_address()) as one,
        client(random_address()) as other,
    ):
        for _ in range(2):
            assert (await one.post("/graphql", json={"query": "{ __typename }"})).status_code == 200
        assert (await one.post("/graphql", json={"query": "{ __typename }"})).status_code == 429
        assert (await other.post("/graphql", json={"query": "{ __typename }"})).status_code == 200

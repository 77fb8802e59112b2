"""CORS by exact origin, proxy headers only from trusted proxies, cookies per scheme, and
refusals in GraphQL's error shape."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hrvault.buckets import Rate
from hrvault.config import Settings
from tests.conftest import OpenApi
from tests.support import PASSWORD, TenantFactory, error_codes

FRONTEND = "https://app.example.com"
PREFLIGHT = {
    "access-control-request-method": "POST",
    "access-control-request-headers": "content-type",
}


async def test_listed_origins_may_call_with_credentials(
    settings: Settings, open_api: OpenApi
) -> None:
    async with open_api(replace(settings, cors_origins=(FRONTEND,))) as api:
        preflight = await api.client.options("/graphql", headers={"origin": FRONTEND, **PREFLIGHT})
        call = await api.client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"origin": FRONTEND}
        )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == FRONTEND
    assert preflight.headers["access-control-allow-methods"] == "GET, POST"
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert call.headers["access-control-allow-origin"] == FRONTEND
    assert call.headers["access-control-allow-credentials"] == "true"


@pytest.mark.parametrize("cors_origins", [(FRONTEND,), ()], ids=["listed-others", "none"])
async def test_other_origins_get_no_cors_grant(
    settings: Settings, open_api: OpenApi, cors_origins: tuple[str, ...]
) -> None:
    evil = "https://evil.example"
    async with open_api(replace(settings, cors_origins=cors_origins)) as api:
        preflight = await api.client.options("/graphql", headers={"origin": evil, **PREFLIGHT})
        call = await api.client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"origin": evil}
        )
    assert preflight.status_code >= 400
    for response in (preflight, call):
        assert not any(name.startswith("access-control-") for name in response.headers)


PROXY = ("10.0.0.2", 4000)
STRANGER = ("203.0.113.9", 4000)


@pytest.mark.parametrize(
    ("client", "forwarded_https"),
    [(PROXY, True), (STRANGER, False)],
    ids=["trusted-proxy", "anyone-else"],
)
async def test_forwarded_proto_is_believed_from_trusted_proxies_only(
    settings: Settings,
    open_api: OpenApi,
    tenants: TenantFactory,
    client: tuple[str, int],
    forwarded_https: bool,
) -> None:
    tenant = await tenants.create(employees=1)
    behind_proxy = replace(settings, trusted_proxies=("10.0.0.0/24",))
    async with open_api(behind_proxy, client=client, base_url="http://hrvault.internal") as api:
        response = await api.client.post(
            "/graphql",
            json={
                "query": "mutation($t: String!, $e: String!, $p: String!) {"
                " login(tenant: $t, email: $e, password: $p) { token } }",
                "variables": {"t": tenant.slug, "e": tenant.email, "p": PASSWORD},
            },
            headers={"x-forwarded-proto": "https"},
        )
    assert ("strict-transport-security" in response.headers) is forwarded_https
    cookie_name = response.headers["set-cookie"].split("=", 1)[0]
    assert cookie_name == ("__Host-hrvault_session" if forwarded_https else "hrvault_session")


@pytest.mark.parametrize(
    ("client", "separate"), [(PROXY, True), (STRANGER, False)], ids=["trusted-proxy", "anyone-else"]
)
async def test_forwarded_for_is_believed_from_trusted_proxies_only(
    settings: Settings, open_api: OpenApi, client: tuple[str, int], separate: bool
) -> None:
    """Anonymous requests count per address: behind a trusted proxy, per forwarded one."""
    one_each = replace(settings, trusted_proxies=("10.0.0.0/24",), request_limit=Rate(1, 60))
    async with open_api(one_each, client=client) as api:
        statuses = [
            (
                await api.client.post(
                    "/graphql",
                    json={"query": "{ __typename }"},
                    headers={"x-forwarded-for": f"198.51.100.{n}"},
                )
            ).status_code
            for n in (1, 2)
        ]
    assert statuses == ([200, 200] if separate else [200, 429])


async def test_a_bare_cookie_is_ignored_over_https(
    open_api: OpenApi, settings: Settings, tenants: TenantFactory
) -> None:
    """Over HTTPS only the __Host- cookie counts: one planted without the prefix (by a
    sibling subdomain, or over plain HTTP) authenticates nobody."""
    tenant = await tenants.create(employees=1)
    async with open_api(settings) as api:
        api.client.cookies.set("hrvault_session", tenant.token)
        assert error_codes(await api.gql("{ me { displayName } }")) == ["UNAUTHENTICATED"]
        api.client.cookies.clear()
        api.client.cookies.set("__Host-hrvault_session", tenant.token)
        assert (await api.data("{ me { displayName } }"))["me"]


@pytest.mark.parametrize(
    ("content", "content_type", "code"),
    [
        (b"{not json", "application/json", "BAD_REQUEST"),
        (b'"a string"', "application/json", "BAD_REQUEST"),
        (b"null", "application/json", "BAD_REQUEST"),
        (b"[]", "application/json", "BATCH_NOT_ALLOWED"),
        (b'{"query": 42}', "application/json", "BAD_REQUEST"),
        (b'{"variables": {}}', "application/json", "BAD_REQUEST"),
        (b'{"query": "{ __typename }", "variables": [1]}', "application/json", "BAD_REQUEST"),
        (b'{"query": "fragment F on Query { __typename }"}', "application/json", "BAD_REQUEST"),
    ],
)
async def test_malformed_requests_get_typed_errors(
    settings: Settings, open_api: OpenApi, content: bytes, content_type: str, code: str
) -> None:
    async with open_api(settings) as api:
        response = await api.client.post(
            "/graphql", content=content, headers={"content-type": content_type}
        )
    assert response.status_code == 400
    assert error_codes(response.json()) == [code]

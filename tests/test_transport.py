"""Cookies per scheme, and refusals in GraphQL's error shape."""

from __future__ import annotations

import pytest

from hrvault.config import Settings
from tests.conftest import OpenApi
from tests.support import TenantFactory, error_codes


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

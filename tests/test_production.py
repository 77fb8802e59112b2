"""Production settings: no schema leaks (introspection, suggestions), no IDE, no GET
mutations, and requests a browser could forge cross-site are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from hrvault.config import Environment, Settings
from tests.conftest import OpenApi
from tests.support import Api, TenantFactory, error_codes


@pytest.fixture
async def production(settings: Settings, open_api: OpenApi) -> AsyncIterator[Api]:
    async with open_api(replace(settings, environment=Environment.PRODUCTION)) as api:
        yield api


@pytest.fixture
async def development(settings: Settings, open_api: OpenApi) -> AsyncIterator[Api]:
    async with open_api(settings) as api:
        yield api


@pytest.mark.parametrize(
    "document",
    [
        "{ __schema { types { name } } }",
        '{ __type(name: "Employee") { fields { name } } }',
        "{ me { __typename } __schema { queryType { name } } }",
    ],
)
async def test_production_refuses_introspection(production: Api, document: str) -> None:
    body = await production.gql(document)
    assert "INTROSPECTION_DISABLED" in error_codes(body)
    assert body.get("data") is None


async def test_production_still_answers_typename(production: Api) -> None:
    assert await production.data("{ __typename }") == {"__typename": "Query"}


# Each document is wrong in a way graphql-core answers with "Did you mean …?".
MISTAKES = [
    ("field", "{ employes { nodes { id } } }", {}),
    ("argument", "{ employees(frist: 1) { nodes { id } } }", {}),
    ("enum literal", "{ employees(filter: {status: ACTIV}) { nodes { id } } }", {}),
    ("input field", "{ employees(filter: {statuss: ACTIVE}) { nodes { id } } }", {}),
    (
        "enum variable",
        "query($s: EmployeeStatus) { employees(filter: {status: $s}) { nodes { id } } }",
        {"s": "ACTIV"},
    ),
    ("subfields", "{ me }", {}),
    ("type", "query($f: EmployeFilter) { __typename }", {}),
]


@pytest.mark.parametrize(("kind", "document", "variables"), MISTAKES, ids=[m[0] for m in MISTAKES])
async def test_production_suggests_nothing(
    development: Api,
    production: Api,
    tenants: TenantFactory,
    kind: str,
    document: str,
    variables: dict[str, object],
) -> None:
    tenant = await tenants.create(employees=1)
    helpful = await development.gql(document, variables, token=tenant.token)
    assert any("Did you mean" in e["message"] for e in helpful["errors"]), helpful
    quiet = await production.gql(document, variables, token=tenant.token)
    assert quiet["errors"]
    assert error_codes(quiet) == error_codes(helpful)
    assert all("Did you mean" not in e["message"] for e in quiet["errors"]), quiet


async def test_production_runs_queries_over_get_but_never_mutations(
    production: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    auth = {"authorization": f"Bearer {tenant.token}"}
    query = await production.client.get(
        "/graphql", params={"query": "{ offices { name } }"}, headers=auth
    )
    assert query.json() == {"data": {"offices": [{"name": "HQ"}]}}
    for mutation in ("mutation { logoutEverywhere }", "mutation M { logout }"):
        response = await production.client.get("/graphql", params={"query": mutation}, headers=auth)
        assert response.status_code == 400
        assert error_codes(response.json()) == ["OPERATION_NOT_ALLOWED"]
    # The session survived both attempts.
    assert (await production.data("{ me { displayName } }", token=tenant.token))["me"]


async def test_production_serves_no_ide(production: Api) -> None:
    page = await production.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert "graphiql" not in page.text.lower()
    assert error_codes(page.json()) == ["NOT_FOUND"]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query": "mutation { logoutEverywhere }"}\r\n--x--\r\n',
        ),
        ("application/x-www-form-urlencoded", b"query=mutation%20%7B%20logoutEverywhere%20%7D"),
        ("text/plain", b'{"query": "mutation { logoutEverywhere }"}'),
    ],
    ids=["multipart", "form", "text"],
)
async def test_production_refuses_what_a_browser_sends_cross_site_without_asking(
    production: Api, tenants: TenantFactory, content_type: str, body: bytes
) -> None:
    """A page on another site can POST these content types with the user's cookie and no
    CORS preflight; only application/json (which needs a preflight) is accepted."""
    tenant = await tenants.create(employees=1)
    production.client.cookies.set("__Host-hrvault_session", tenant.token)
    response = await production.client.post(
        "/graphql", content=body, headers={"content-type": content_type}
    )
    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_REQUEST"]
    production.client.cookies.clear()
    assert (await production.data("{ me { displayName } }", token=tenant.token))["me"]

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


GENERIC = {
    "the document is not valid for this API",
    "a variable does not fit the type the operation declares",
}
# Each document is wrong in a way graphql-core explains by naming schema members.
INVALID = [
    ("unknown field", "{ employees(first: 1) { nodes { id salaryBand } } }", {}, "Employee"),
    ("missing argument", "{ employee { id } }", {}, "ID!"),
    ("wrong literal type", '{ employees(first: "ten") { nodes { id } } }', {}, "Int"),
    (
        "missing input field",
        "mutation($i: CreateOfficeInput!) { createOffice(input: $i) { id } }",
        {"i": {"name": "Lund"}},
        "countryCode",
    ),
    (
        "sensitive value in the wrong place",
        "query($n: Int!) { employees(first: $n) { nodes { id } } }",
        {"n": "Ingrid Holm"},
        "Int",
    ),
    (
        "sensitive literal in the wrong place",
        '{ employees(first: "880320-0016") { nodes { id } } }',
        {},
        "Int",
    ),
]


@pytest.mark.parametrize(
    ("kind", "document", "variables", "named"), INVALID, ids=[i[0] for i in INVALID]
)
async def test_production_validation_errors_name_nothing_of_the_schema(
    development: Api,
    production: Api,
    tenants: TenantFactory,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    document: str,
    variables: dict[str, object],
    named: str,
) -> None:
    """Development explains; production gives the code and a generic message, and keeps
    the explanation (without the values sent) in the log under the request id."""
    tenant = await tenants.create(employees=1)
    helpful = await development.gql(document, variables, token=tenant.token)
    assert any(named in e["message"] for e in helpful["errors"]), helpful

    response = await production.post(document, variables, token=tenant.token)
    quiet = response.json()
    assert error_codes(quiet) == error_codes(helpful)
    assert set(error_codes(quiet)) <= {"GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"}
    for error in quiet["errors"]:
        assert error["message"] in GENERIC, error
        assert named not in error["message"]
    request_id = response.headers["x-request-id"]
    logged = [r.getMessage() for r in caplog.records if request_id in r.getMessage()]
    assert any(named in line for line in logged), logged
    for secret in ("Ingrid Holm", "880320-0016", "Lund"):
        assert all(secret not in line for line in logged), logged


async def test_production_keeps_the_messages_hrvault_words_itself(
    production: Api, tenants: TenantFactory
) -> None:
    """A date outside the window and a resolver's own refusal name no schema member; they
    keep their message, which tells the client what to change."""
    tenant = await tenants.create(employees=1)
    out_of_window = await production.gql(
        "query($t: DateTime) { sensitiveReads(to: $t) { edges { cursor } } }",
        {"t": "9999-01-01T00:00:00Z"},
        token=tenant.token,
    )
    assert error_codes(out_of_window) == ["BAD_USER_INPUT"]
    assert out_of_window["errors"][0]["message"].startswith("dates must be from 1900-01-01")
    bad_id = await production.gql('{ employee(id: "nope") { id } }', token=tenant.token)
    assert error_codes(bad_id) == ["BAD_USER_INPUT"]
    assert bad_id["errors"][0]["message"] == "id: is not a valid id"

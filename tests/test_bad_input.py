"""Bad input at the HTTP edge and in arguments: every answer is JSON with a typed code and
a fitting 4xx status, never a text/plain page or an internal error, and nothing changes.

Each case here was answered with a text/plain 500, an ``INTERNAL_SERVER_ERROR`` or a
plain 405 before, or was accepted (dates in the year 9999).
"""

from __future__ import annotations

import gzip
import json
import logging
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.config import Settings
from tests.conftest import OpenApi
from tests.partner_support import REGISTER, terms
from tests.sensitive_support import ADD_PAY, PAY
from tests.support import Api, TenantFactory, TenantHandle, error_codes

CREATE_OFFICE = (
    'mutation($n: String!) { createOffice(input: {name: $n, countryCode: "SE",'
    ' timezone: "Europe/Stockholm"}) { id } }'
)
REQUEST_ABSENCE = (
    "mutation($e: ID!, $t: ID!, $s: Date!, $u: Date!) { requestAbsence(input: {employee: $e,"
    " absenceType: $t, startDate: $s, endDate: $u}) { id } }"
)


def refusal(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is the typed JSON refusal: status, code, request id header."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    assert response.headers["x-request-id"]
    body: dict[str, Any] = response.json()
    assert error_codes(body) == [code], body
    return body


async def offices(api: Api, tenant: TenantHandle) -> list[str]:
    data = await api.data("{ offices { name } }", token=tenant.token)
    return sorted(o["name"] for o in data["offices"])


def office_request(name: str) -> dict[str, Any]:
    return {"query": CREATE_OFFICE, "variables": {"n": name}}


async def post_raw(api: Api, tenant: TenantHandle, body: bytes, **headers: str) -> httpx.Response:
    return await api.client.post(
        "/graphql",
        content=body,
        headers={
            "authorization": f"Bearer {tenant.token}",
            "content-type": "application/json",
            **headers,
        },
    )


async def test_a_body_that_is_not_utf8_is_a_bad_request(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=1)
    body = json.dumps(office_request("Göteborg"), ensure_ascii=False).encode("latin-1")
    refusal(await post_raw(api, tenant, body), 400, "BAD_REQUEST")
    assert await offices(api, tenant) == ["HQ"]


@pytest.mark.parametrize("charset", ["latin-1", "ISO-8859-1", "utf-16", "nonsense"])
async def test_a_charset_other_than_utf8_is_unsupported(
    api: Api, tenants: TenantFactory, charset: str
) -> None:
    tenant = await tenants.create(employees=1)
    body = json.dumps(office_request("Lund")).encode()
    response = await post_raw(
        api, tenant, body, **{"content-type": f"application/json; charset={charset}"}
    )
    refusal(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert await offices(api, tenant) == ["HQ"]


async def test_utf8_named_in_any_spelling_is_accepted(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=1)
    body = json.dumps(office_request("Malmö"), ensure_ascii=False).encode()
    response = await post_raw(
        api, tenant, body, **{"content-type": 'application/json; charset="UTF-8"'}
    )
    assert response.status_code == 200, response.text
    assert await offices(api, tenant) == ["HQ", "Malmö"]


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "identity, gzip"])
async def test_a_compressed_body_is_unsupported(
    api: Api, tenants: TenantFactory, encoding: str
) -> None:
    tenant = await tenants.create(employees=1)
    body = gzip.compress(json.dumps(office_request("Uppsala")).encode())
    response = await post_raw(api, tenant, body, **{"content-encoding": encoding})
    refusal(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert response.headers["accept-encoding"] == "identity"
    assert await offices(api, tenant) == ["HQ"]


async def test_an_identity_encoding_is_fine(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=1)
    body = json.dumps(office_request("Kiruna")).encode()
    response = await post_raw(api, tenant, body, **{"content-encoding": "identity"})
    assert response.status_code == 200, response.text
    assert await offices(api, tenant) == ["HQ", "Kiruna"]


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param('{"n": ' + "9" * 5000 + "}", id="5000-digit-integer"),
        pytest.param('{"n": ' + "9" * 200 + "}", id="200-digit-integer"),
        pytest.param('{"n": ' + "[" * 50_000 + "]" * 50_000 + "}", id="nested-50000"),
        pytest.param('{"n": ' + '{"a":' * 200 + "1" + "}" * 200 + "}", id="nested-200"),
        pytest.param('{"n": "a\\ud800b"}', id="lone-surrogate"),
        pytest.param('{"n": "\\udfff"}', id="lone-low-surrogate"),
        pytest.param('{"n": NaN}', id="nan"),
        pytest.param('{"n": Infinity}', id="infinity"),
    ],
)
async def test_variables_json_cannot_hurt_the_parser(
    api: Api, tenants: TenantFactory, raw: str
) -> None:
    tenant = await tenants.create(employees=1)
    body = ('{"query": ' + json.dumps(CREATE_OFFICE) + ', "variables": ' + raw + "}").encode()
    refusal(await post_raw(api, tenant, body), 400, "BAD_REQUEST")
    if len(raw) < 10_000:  # what fits in a URL
        get = await api.client.get(
            "/graphql",
            params={"query": "query($n: String) { __typename }", "variables": raw},
            headers={"authorization": f"Bearer {tenant.token}"},
        )
        refusal(get, 400, "BAD_REQUEST")
    assert await offices(api, tenant) == ["HQ"]


async def test_a_lone_surrogate_in_the_document_itself_is_a_bad_request(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    document = CREATE_OFFICE.replace("($n: String!) ", "").replace("$n", '"x@@"')
    body = json.dumps({"query": document}).replace("@@", "\\ud800").encode()
    response = await post_raw(api, tenant, body)
    assert response.status_code == 400, response.text
    assert error_codes(response.json()) == ["BAD_REQUEST"]
    assert await offices(api, tenant) == ["HQ"]


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/graphql", "GET, POST"),
        ("/healthz", "GET, HEAD"),
        ("/readyz", "GET, HEAD"),
        ("/files/not-a-token", "GET"),
    ],
)
async def test_other_methods_get_a_typed_405_with_allow(api: Api, path: str, allowed: str) -> None:
    taken = set(allowed.split(", "))
    for method in {"PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "HEAD", "POST"} - taken:
        response = await api.client.request(method, path, content=b'{"query": "{ __typename }"}')
        assert response.status_code == 405, (method, response.text)
        assert response.headers["content-type"].startswith("application/json"), method
        if method != "HEAD":
            assert error_codes(response.json()) == ["METHOD_NOT_ALLOWED"], method
        assert {m.strip() for m in response.headers["allow"].split(",")} == taken, method


async def test_an_unknown_path_is_a_typed_404(api: Api) -> None:
    for method in ("GET", "POST", "DELETE"):
        refusal(await api.client.request(method, "/nowhere/../etc"), 404, "NOT_FOUND")


async def test_a_head_request_to_graphql_runs_nothing(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=1)
    response = await api.client.head(
        "/graphql",
        params={"query": "mutation { logoutEverywhere }"},
        headers={"authorization": f"Bearer {tenant.token}"},
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.headers["content-type"].startswith("application/json")
    assert (await api.data("{ me { displayName } }", token=tenant.token))["me"]


async def test_an_unexpected_failure_outside_graphql_is_a_json_500_with_the_request_id(
    settings: Settings,
    open_api: OpenApi,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The last resort: any exception that escapes a route becomes the typed 500 (not
    Starlette's text/plain page), and the detail goes to the log under the request id."""

    async def broken(request: object) -> None:
        raise RuntimeError("internal detail: /var/lib/secret")

    monkeypatch.setattr("hrvault.app.healthz", broken)
    async with open_api(settings) as api:
        response = await api.client.get("/healthz", headers={"x-request-id": "probe-12345678"})
    body = refusal(response, 500, "INTERNAL_SERVER_ERROR")
    assert body["errors"][0]["extensions"]["requestId"] == "probe-12345678"
    assert "secret" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("probe-12345678" in r.getMessage() for r in failures)
    assert any(r.exc_info and "/var/lib/secret" in str(r.exc_info[1]) for r in failures)


async def test_a_category_no_partner_may_hold_is_bad_user_input(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine
) -> None:
    tenant = await tenants.create(employees=1)
    await tenants.step_up(tenant)
    for categories in (["ADMINISTRATION"], ["BASIC", "ADMINISTRATION"], ["ORGANISATION"]):
        body = await api.gql(REGISTER, {"i": terms(categories=categories)}, token=tenant.token)
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        assert body["errors"][0]["extensions"]["field"] == "categories"
    async with owner_engine.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM integrations WHERE tenant_id = :t"), {"t": tenant.id}
        )
    assert count == 0


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("9999-01-01", "9999-01-02"),
        ("9999-12-31", "9999-12-31"),
        ("2026-01-05", "9999-12-31"),
        ("1000-01-01", "1000-01-02"),
        ("0001-01-01", "0001-01-01"),
    ],
)
async def test_absences_far_outside_a_working_life_are_refused(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine, start: str, end: str
) -> None:
    tenant = await tenants.create(employees=1)
    variables = {
        "e": str(tenant.employees[0]),
        "t": str(tenant.absence_types["vacation"]),
        "s": start,
        "u": end,
    }
    body = await api.gql(REQUEST_ABSENCE, variables, token=tenant.token)
    assert set(error_codes(body)) == {"BAD_USER_INPUT"}, body
    literal = REQUEST_ABSENCE.replace(", $s: Date!, $u: Date!", "")
    literal = literal.replace("$s", f'"{start}"').replace("$u", f'"{end}"')
    body = await api.gql(literal, {k: variables[k] for k in ("e", "t")}, token=tenant.token)
    assert set(error_codes(body)) == {"BAD_USER_INPUT"}, body
    async with owner_engine.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM absences WHERE tenant_id = :t"), {"t": tenant.id}
        )
    assert count == 0


async def test_pay_from_the_year_9999_is_refused(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine
) -> None:
    tenant = await tenants.create(employees=1)
    await tenants.step_up(tenant)
    employee = str(tenant.employees[0])
    for day in ("9999-01-01", "1899-12-31"):
        pay = {**PAY, "employee": employee, "effectiveFrom": day}
        body = await api.gql(ADD_PAY, {"i": pay}, token=tenant.token)
        assert error_codes(body) == ["BAD_USER_INPUT"], body
    async with owner_engine.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM compensations WHERE tenant_id = :t"), {"t": tenant.id}
        )
    assert count == 0


@pytest.mark.parametrize(
    "moment",
    ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "2026-01-01T00:00:00"],
    ids=["overflows-to-utc", "underflows-to-utc", "no-offset"],
)
async def test_date_times_outside_the_bounds_or_without_offset_are_bad_user_input(
    api: Api, tenants: TenantFactory, moment: str
) -> None:
    tenant = await tenants.create(employees=1)
    for document in (
        "query($t: DateTime) { auditLog(filter: {from: $t}) { edges { cursor } } }",
        "query($t: DateTime) { sensitiveReads(to: $t) { edges { cursor } } }",
    ):
        body = await api.gql(document, {"t": moment}, token=tenant.token)
        assert error_codes(body) == ["BAD_USER_INPUT"], body


@pytest.mark.parametrize("fte", ["NaN", "-NaN", "sNaN", "Infinity", "1e999999", "1" * 60])
async def test_a_decimal_that_is_no_number_is_bad_user_input(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine, fte: str
) -> None:
    tenant = await tenants.create(employees=1)
    body = await api.gql(
        "mutation($e: ID!, $f: Decimal!) { createEmployment(input: {employee: $e,"
        ' employmentType: PERMANENT, startDate: "2026-01-01", ftePercent: $f,'
        ' legalEntity: "X AB", countryCode: "SE"}) { id } }',
        {"e": str(tenant.employees[0]), "f": fte},
        token=tenant.token,
    )
    assert error_codes(body) == ["BAD_USER_INPUT"], body
    async with owner_engine.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM employments WHERE tenant_id = :t"), {"t": tenant.id}
        )
    assert count == 1  # the one the tenant was made with


async def test_dates_and_times_inside_the_window_still_work(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    for moment in ("2026-01-01T00:00:00Z", "1999-12-31T23:59:59.5+05:30"):
        await api.data(
            "query($t: DateTime) { auditLog(filter: {from: $t}) { edges { cursor } } }",
            {"t": moment},
            token=tenant.token,
        )
    made = await api.data(
        REQUEST_ABSENCE,
        {
            "e": str(tenant.employees[0]),
            "t": str(tenant.absence_types["vacation"]),
            "s": "2031-05-04",
            "u": "2031-05-05",
        },
        token=tenant.token,
    )
    assert made["requestAbsence"]["id"]

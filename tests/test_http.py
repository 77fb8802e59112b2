"""The HTTP edge: headers, size limits, request ids, probes, and errors that leak nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.app import create_app
from hrvault.config import Environment, Settings
from hrvault.db import create_engine
from hrvault.resolvers import org
from tests.support import Api, TenantFactory, error_codes


async def test_api_responses_carry_the_security_headers(api: Api) -> None:
    response = await api.post("{ __typename }")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_plain_http_gets_no_hsts(settings: Settings, app_engine: AsyncEngine) -> None:
    app = create_app(settings, engine=app_engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hrvault.test") as client:
        response = await client.get("/healthz")
    assert "strict-transport-security" not in response.headers


async def test_every_response_has_a_request_id(api: Api) -> None:
    first = await api.client.get("/healthz")
    second = await api.client.get("/healthz", headers={"x-request-id": "lb-1234567890"})
    spoofed = await api.client.get("/healthz", headers={"x-request-id": "<script>"})
    assert len(first.headers["x-request-id"]) == 32
    assert second.headers["x-request-id"] == "lb-1234567890"
    assert spoofed.headers["x-request-id"] != "<script>"


async def test_oversized_bodies_are_refused_before_parsing(api: Api) -> None:
    huge = "{ " + "__typename " * 120_000 + "}"
    response = await api.post(huge)
    assert response.status_code == 413
    assert error_codes(response.json()) == ["PAYLOAD_TOO_LARGE"]


async def test_oversized_chunked_bodies_are_refused(api: Api) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"x" * 64_000

    response = await api.client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_readiness_follows_the_database(api: Api, settings: Settings) -> None:
    assert (await api.client.get("/readyz")).json() == {"status": "ok", "database": "ok"}
    dead = create_engine(make_url("postgresql+asyncpg://nobody@127.0.0.1:9/nowhere"))
    app = create_app(settings, engine=dead)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://x") as client,
    ):
        response = await client.get("/readyz")
        alive = await client.get("/healthz")
    await dead.dispose()
    assert response.status_code == 503
    assert alive.status_code == 200


async def test_unexpected_errors_are_masked_with_a_request_id(
    api: Api,
    tenants: TenantFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tenant = await tenants.create(employees=1)

    async def explode(ctx: object) -> None:
        raise RuntimeError("SELECT secret_column FROM internals")

    monkeypatch.setattr(org, "list_offices", explode)
    response = await api.post("{ offices { id } }", token=tenant.token)
    body = response.json()
    assert error_codes(body) == ["INTERNAL_SERVER_ERROR"]
    assert "secret_column" not in response.text
    assert body["errors"][0]["extensions"]["requestId"] == response.headers["x-request-id"]
    assert "secret_column" in caplog.text  # the detail goes to the log only


async def test_the_ide_is_served_in_development_only(
    settings: Settings, app_engine: AsyncEngine, api: Api
) -> None:
    page = await api.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    production = create_app(
        replace(settings, environment=Environment.PRODUCTION), engine=app_engine
    )
    transport = httpx.ASGITransport(app=production)
    async with httpx.AsyncClient(transport=transport, base_url="https://hrvault.test") as client:
        hidden = await client.get("/graphql", headers={"accept": "text/html"})
    assert hidden.status_code == 404

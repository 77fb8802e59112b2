"""Test fixtures: a real PostgreSQL (embedded, or a fresh database on HRVAULT_DATABASE_URL).

Every test builds its own tenants with random slugs, so tests never see each other's
data and the database is never reset between them.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.app import create_app
from hrvault.clock import ManualClock
from hrvault.config import Settings
from hrvault.db import APP_ROLE, DatabaseUrls, create_engine
from hrvault.embedded_db import release_embedded_postgres, start_embedded_postgres
from hrvault.migrate import migrate
from tests.support import Api, StatementCounter, TenantFactory


async def _create_database(server: URL, name: str) -> None:
    conn = await asyncpg.connect(str(server.set(drivername="postgresql", database="postgres")))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_database(server: URL, name: str) -> None:
    conn = await asyncpg.connect(str(server.set(drivername="postgresql", database="postgres")))
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    """A short directory: the embedded server's socket path must stay under 100 bytes."""
    path = Path(tempfile.mkdtemp(prefix="hvt-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def database(data_dir: Path) -> Iterator[DatabaseUrls]:
    """A migrated database: a fresh one on the configured server, else the embedded one."""
    configured = os.environ.get("HRVAULT_DATABASE_URL")
    if configured:
        server = make_url(configured).set(drivername="postgresql+asyncpg")
        name = f"hrvault_test_{secrets.token_hex(4)}"
        asyncio.run(_create_database(server, name))
        owner = server.set(database=name)
    else:
        owner = start_embedded_postgres(data_dir)
    migrate(owner)
    yield DatabaseUrls(owner=owner, app=owner.set(username=APP_ROLE, password=None))
    if configured:
        asyncio.run(_drop_database(server, name))
    else:
        release_embedded_postgres(data_dir)


@pytest.fixture(scope="session")
async def app_engine(database: DatabaseUrls) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database.app, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def owner_engine(database: DatabaseUrls) -> AsyncIterator[AsyncEngine]:
    """The owner role: for inspecting raw rows the way an attacker with a dump would."""
    engine = create_engine(database.owner, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir)


@pytest.fixture
async def api(
    settings: Settings, app_engine: AsyncEngine, clock: ManualClock
) -> AsyncIterator[Api]:
    app = create_app(settings, engine=app_engine, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="https://hrvault.test") as client,
    ):
        yield Api(client, clock)


@pytest.fixture
def tenants(app_engine: AsyncEngine, clock: ManualClock, api: Api) -> TenantFactory:
    return TenantFactory(app_engine, clock, api)


@pytest.fixture
def statements(app_engine: AsyncEngine) -> Iterator[StatementCounter]:
    with StatementCounter(app_engine) as counter:
        yield counter

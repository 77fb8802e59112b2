"""Test fixtures: a real PostgreSQL (embedded, or a fresh database on HRVAULT_DATABASE_URL).

Every test builds its own tenants with random slugs, so tests never see each other's
data and the database is never reset between them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.app import create_app
from hrvault.clock import ManualClock
from hrvault.config import Settings
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.local_provider import create_key_file, read_key_file
from hrvault.crypto.master import verify_master_key
from hrvault.db import APP_ROLE, DatabaseUrls, create_engine, session_factory
from hrvault.embedded_db import release_embedded_postgres, start_embedded_postgres
from hrvault.migrate import migrate
from tests.sensitive_support import PLAINTEXTS
from tests.support import Api, StatementCounter, TenantFactory, random_address


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


@pytest.fixture(autouse=True)
def no_sensitive_value_is_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Through the whole suite: whatever hrvault logs, at any level, never holds one of the
    sensitive sample values the tests write (tests/sensitive_support.py)."""
    caplog.set_level(logging.DEBUG, logger="hrvault")
    yield
    logged = caplog.text
    leaked = [value for value in PLAINTEXTS if value in logged]
    assert not leaked, f"sensitive values in the log: {leaked}"


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    """A short directory: the embedded server's socket path must stay under 100 bytes."""
    path = Path(tempfile.mkdtemp(prefix="hvt-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def master_key_file(data_dir: Path) -> Path:
    """The session's master key, generated now, where settings look for it by default."""
    path = Settings(data_dir=data_dir).master_key_path
    create_key_file(path)
    return path


@pytest.fixture(scope="session")
def database(data_dir: Path, master_key_file: Path) -> Iterator[DatabaseUrls]:
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
async def app_engine(database: DatabaseUrls, master_key_file: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database.app, pool_size=5)
    # The first master key a database sees becomes its key: register the session's now, so
    # no test depends on which test happened to use a key first.
    async with session_factory(engine)() as db:
        await verify_master_key(db, read_key_file(master_key_file))
        await db.commit()
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
    transport = httpx.ASGITransport(app=app, client=random_address())
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="https://hrvault.test") as client,
    ):
        yield Api(client, clock)


OpenApi = Callable[..., AbstractAsyncContextManager[Api]]


@pytest.fixture
def open_api(app_engine: AsyncEngine, clock: ManualClock) -> OpenApi:
    """An API client for an app built from other settings, or seen from another address."""

    @contextlib.asynccontextmanager
    async def open_api(
        settings: Settings,
        *,
        client: tuple[str, int] | None = None,
        base_url: str = "https://hrvault.test",
    ) -> AsyncIterator[Api]:
        app = create_app(settings, engine=app_engine, clock=clock)
        transport = httpx.ASGITransport(app=app, client=client or random_address())
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url=base_url) as http,
        ):
            yield Api(http, clock)

    return open_api


@pytest.fixture
def keyring(app_engine: AsyncEngine, master_key_file: Path) -> TenantKeyring:
    """A fresh keyring (empty cache, zero counters) over the session's master key file."""
    return TenantKeyring(read_key_file(master_key_file), bookkeeping=session_factory(app_engine))


@pytest.fixture
def tenants(
    app_engine: AsyncEngine, clock: ManualClock, api: Api, keyring: TenantKeyring
) -> TenantFactory:
    return TenantFactory(app_engine, clock, api, keyring)


@pytest.fixture
def statements(app_engine: AsyncEngine) -> Iterator[StatementCounter]:
    with StatementCounter(app_engine) as counter:
        yield counter


@pytest.fixture
def run(database: DatabaseUrls, data_dir: Path, master_key_file: Path) -> Any:
    """``run(*args)``: ``hrvault ... --json`` in a subprocess on the test database.

    Returns the exit status and the one JSON object the command printed.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("HRVAULT_")}
    env["HRVAULT_MASTER_KEY_FILE"] = str(master_key_file)
    env["HRVAULT_DATA_DIR"] = str(data_dir)  # the session's keys, in both modes
    if os.environ.get("HRVAULT_DATABASE_URL"):
        env["HRVAULT_DATABASE_URL"] = database.owner.render_as_string(hide_password=False)

    def run(
        *args: str, stdin: str = "", extra_env: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        completed = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
            [sys.executable, "-m", "hrvault.cli", *args, "--json"],
            input=stdin,
            capture_output=True,
            text=True,
            env={**env, **(extra_env or {})},
            timeout=120,
            check=False,
        )
        lines = completed.stdout.strip().splitlines()
        assert len(lines) == 1, completed.stdout + completed.stderr
        return completed.returncode, json.loads(lines[0])

    return run

"""A missing, exposed or wrong master key stops the process with a clear message."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hrvault.app import create_app
from hrvault.config import Secret, Settings
from hrvault.crypto.errors import MasterKeyError
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.local_provider import (
    LocalKeyProvider,
    create_key_file,
    parse_environment_keys,
    read_key_file,
)
from hrvault.crypto.master import verify_master_key
from hrvault.crypto.material import KeyMaterial
from tests.support import TenantFactory


def wrong_key() -> Secret:
    return Secret(base64.b64encode(os.urandom(32)).decode())


async def test_the_sessions_master_key_verifies(
    sessions: async_sessionmaker[AsyncSession], master_key_file: Path
) -> None:
    async with sessions() as db:
        await verify_master_key(db, read_key_file(master_key_file))


async def test_a_wrong_master_key_is_refused_by_name(
    sessions: async_sessionmaker[AsyncSession], keyring: TenantKeyring
) -> None:
    async with sessions() as db:
        await keyring.verify(db)  # the database has its keys under the session's key
    async with sessions() as db:
        with pytest.raises(MasterKeyError, match="wrong master key: version 1"):
            await verify_master_key(db, parse_environment_keys(wrong_key().reveal()))


async def test_a_provider_lacking_a_version_in_use_is_refused(
    sessions: async_sessionmaker[AsyncSession], master_key_file: Path, tenants: TenantFactory
) -> None:
    await tenants.create(employees=0, roles=())  # its keys put the current version in use
    current = read_key_file(master_key_file)
    missing = max(current.versions)
    only_newer = LocalKeyProvider({missing + 5: KeyMaterial.generate()}, source="test")
    async with sessions() as db:
        with pytest.raises(MasterKeyError, match=rf"lacks master key version {missing} \("):
            await verify_master_key(db, only_newer)


async def test_the_app_refuses_to_start_with_a_wrong_key(
    settings: Settings, app_engine: AsyncEngine
) -> None:
    app = create_app(
        Settings(data_dir=settings.data_dir, master_key=wrong_key()), engine=app_engine
    )
    with pytest.raises(MasterKeyError, match="wrong master key"):
        async with app.router.lifespan_context(app):
            raise AssertionError("the app started with a wrong master key")


def test_the_app_refuses_to_start_without_a_key(tmp_path: Path, app_engine: AsyncEngine) -> None:
    with pytest.raises(MasterKeyError, match="hrvault keys init"):
        create_app(Settings(data_dir=tmp_path), engine=app_engine)
    exposed = tmp_path / "master.key"
    create_key_file(exposed)
    exposed.chmod(0o644)
    with pytest.raises(MasterKeyError, match="chmod 600"):
        create_app(Settings(data_dir=tmp_path), engine=app_engine)


async def test_the_app_starts_with_the_right_key(
    settings: Settings, app_engine: AsyncEngine
) -> None:
    app = create_app(settings, engine=app_engine)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://x") as client,
    ):
        assert (await client.get("/readyz")).status_code == 200
        assert isinstance(app.state.keyring, TenantKeyring)

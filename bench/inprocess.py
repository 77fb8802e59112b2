"""Shared pieces of the in-process benchmarks: a throwaway embedded database, a CPU meter
around the ASGI app, and a login."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hrvault.auth.users import create_user
from hrvault.config import Secret, Settings
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.local_provider import create_key_file
from hrvault.db import APP_ROLE, create_engine, session_factory
from hrvault.embedded_db import release_embedded_postgres, start_embedded_postgres
from hrvault.migrate import migrate
from hrvault.models import Role
from hrvault.permissions.membership import assign_role, find_role

PASSWORD = "bench password 2026"  # noqa: S105 - a throwaway database


@dataclass
class BenchDatabase:
    settings: Settings
    engine: AsyncEngine
    keyring: TenantKeyring
    owner: AsyncEngine
    """The database owner's engine, for seeding in bulk (COPY)."""


@contextlib.asynccontextmanager
async def embedded_database(prefix: str) -> AsyncIterator[BenchDatabase]:
    """A migrated embedded PostgreSQL with a fresh master key, removed afterwards."""
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        owner_url = await asyncio.to_thread(start_embedded_postgres, data_dir)
        await asyncio.to_thread(migrate, owner_url)
        engine = create_engine(owner_url.set(username=APP_ROLE), pool_size=2)
        owner = create_engine(owner_url, pool_size=1)
        settings = Settings(data_dir=data_dir)
        keyring = TenantKeyring.from_settings(
            settings, create_key_file(settings.master_key_path), session_factory(engine)
        )
        try:
            yield BenchDatabase(settings, engine, keyring, owner)
        finally:
            await engine.dispose()
            await owner.dispose()
    finally:
        release_embedded_postgres(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


async def add_owner(
    db: AsyncSession, tenant_id: uuid.UUID, now: datetime, employee_id: uuid.UUID | None = None
) -> str:
    """An Owner login (``PASSWORD``); the tenant's roles stop asking for TOTP, which the
    benches do not measure. Returns its email."""
    email = "owner@bench.test"
    user = await create_user(
        db,
        tenant_id=tenant_id,
        email=email,
        password=Secret(PASSWORD),
        employee_id=employee_id,
        actor_id=None,
        now=now,
    )
    owner = await find_role(db, tenant_id, "owner")
    await assign_role(db, tenant_id, user.id, owner.id, actor_id=None, now=now)
    await db.execute(update(Role).where(Role.tenant_id == tenant_id).values(requires_totp=False))
    return email


class CpuMeter:
    """ASGI wrapper recording the CPU time the app spends on each request (this thread)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.samples: list[float] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        started = time.thread_time()
        await self.app(scope, receive, send)
        self.samples.append(time.thread_time() - started)


async def login(client: httpx.AsyncClient, slug: str, email: str) -> dict[str, str]:
    """The authorization header of a fresh session (roles without required TOTP)."""
    answer = await client.post(
        "/graphql",
        json={
            "query": "mutation($t: String!, $e: String!, $p: String!) "
            "{ login(tenant: $t, email: $e, password: $p) { token } }",
            "variables": {"t": slug, "e": email, "p": PASSWORD},
        },
    )
    return {"authorization": f"Bearer {answer.json()['data']['login']['token']}"}

"""Shared pieces of the in-process benchmarks: a throwaway embedded database, a CPU meter
around the ASGI app, and a login."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.config import Settings
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.local_provider import create_key_file
from hrvault.db import APP_ROLE, create_engine, session_factory
from hrvault.embedded_db import release_embedded_postgres, start_embedded_postgres
from hrvault.migrate import migrate

PASSWORD = "bench password 2026"  # noqa: S105 - a throwaway database


@dataclass
class BenchDatabase:
    settings: Settings
    engine: AsyncEngine
    keyring: TenantKeyring


@contextlib.asynccontextmanager
async def embedded_database(prefix: str) -> AsyncIterator[BenchDatabase]:
    """A migrated embedded PostgreSQL with a fresh master key, removed afterwards."""
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        owner_url = await asyncio.to_thread(start_embedded_postgres, data_dir)
        await asyncio.to_thread(migrate, owner_url)
        engine = create_engine(owner_url.set(username=APP_ROLE), pool_size=2)
        settings = Settings(data_dir=data_dir)
        keyring = TenantKeyring.from_settings(
            settings, create_key_file(settings.master_key_path), session_factory(engine)
        )
        try:
            yield BenchDatabase(settings, engine, keyring)
        finally:
            await engine.dispose()
    finally:
        release_embedded_postgres(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


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

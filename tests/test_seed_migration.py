"""Upgrading a database whose users enrolled TOTP while seeds were sealed under the
platform key: the seeds stay, marked as such, for their next use to re-seal them."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from alembic import command
from sqlalchemy.engine import URL

from hrvault.db import DatabaseUrls
from hrvault.models.migrations import alembic_config, upgrade_to_head

BEFORE_SEEDS_MOVED = "0009"


def _plain(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
async def scratch(database: DatabaseUrls) -> AsyncIterator[URL]:
    """A new, empty database on the test server, dropped afterwards."""
    name = f"hrvault_upgrade_{secrets.token_hex(4)}"
    server = _plain(database.owner.set(database="postgres"))
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield database.owner.set(database=name)
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        await admin.execute(f'DROP DATABASE "{name}"')
    finally:
        await admin.close()


async def _credential(conn: asyncpg.Connection, tenant: uuid.UUID) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        "SELECT * FROM totp_credentials WHERE tenant_id = $1", tenant
    )
    return row


async def test_upgrading_keeps_platform_sealed_seeds_and_a_row_holds_one_seed(
    scratch: URL,
) -> None:
    await asyncio.to_thread(command.upgrade, alembic_config(scratch), BEFORE_SEEDS_MOVED)
    tenant, user = uuid.uuid4(), uuid.uuid4()
    legacy = b"\x01" + secrets.token_bytes(60)  # the platform sealer's layout
    conn = await asyncpg.connect(_plain(scratch))
    try:  # the whole connection acts in the tenant (row-level security)
        await conn.execute("SELECT set_config('hrvault.tenant_id', $1, false)", str(tenant))
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO tenants (id, slug, name, created_at, updated_at)"
                " VALUES ($1, 'upgraded', 'Upgraded', now(), now())",
                tenant,
            )
            await conn.execute(
                "INSERT INTO users (tenant_id, id, email, password_hash, is_active, created_at,"
                " updated_at) VALUES ($1, $2, 'a@upgraded.test', 'x', true, now(), now())",
                tenant,
                user,
            )
            await conn.execute(
                "INSERT INTO totp_credentials (tenant_id, user_id, sealed_seed, created_at,"
                " confirmed_at, last_step) VALUES ($1, $2, $3, now(), now(), 42)",
                tenant,
                user,
                legacy,
            )
        await asyncio.to_thread(upgrade_to_head, scratch)

        row = await _credential(conn, tenant)
        assert (row["id"], row["platform_sealed_seed"], row["seed_sealed"]) == (user, legacy, None)
        assert (row["last_step"], row["confirmed_at"] is not None) == (42, True)
        for both in ("seed_sealed = platform_sealed_seed", "platform_sealed_seed = NULL"):
            with pytest.raises(asyncpg.CheckViolationError):
                await conn.execute(f"UPDATE totp_credentials SET {both}")

        config = alembic_config(scratch)
        await asyncio.to_thread(command.downgrade, config, BEFORE_SEEDS_MOVED)
        back = await _credential(conn, tenant)
        assert (back["user_id"], back["sealed_seed"]) == (user, legacy)
    finally:
        await conn.close()

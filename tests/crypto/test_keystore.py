"""The key store: tenant-scoped under row-level security, append-only for the app role."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hrvault.clock import ManualClock
from hrvault.crypto.keyring import TenantKeyring
from hrvault.db import bind_tenant
from tests.crypto.conftest import Columns, Transactions, new_tenant

COUNT_KEYS = "SELECT count(*) FROM keystore.tenant_keys WHERE tenant_id = :t"


async def test_a_new_tenant_has_a_data_key_and_an_index_key(
    owner_engine: AsyncEngine, tenant: uuid.UUID, keyring: TenantKeyring
) -> None:
    async with owner_engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT purpose, version, state, master_version, length(wrapped)"
                    " FROM keystore.tenant_keys WHERE tenant_id = :t ORDER BY purpose"
                ),
                {"t": tenant},
            )
        ).all()
    master = keyring.provider.primary_version
    assert [tuple(r) for r in rows] == [
        ("data", 1, "active", master, 60),
        ("index", 1, "active", master, 60),
    ]


async def test_key_rows_show_only_to_their_tenant(
    sessions: async_sessionmaker[AsyncSession],
    keyring: TenantKeyring,
    clock: ManualClock,
    tx: Transactions,
    columns: Columns,
) -> None:
    first = await new_tenant(sessions, keyring, clock)
    second = await new_tenant(sessions, keyring, clock)
    async with tx(second) as t:
        await t.insert_note(columns, uuid.uuid4(), "a person key for the second tenant")
    async with sessions() as db:
        assert await db.scalar(text("SELECT count(*) FROM keystore.tenant_keys")) == 0
        await bind_tenant(db, first)
        for table in ("tenant_keys", "person_keys"):
            others = await db.scalar(
                text(f"SELECT count(*) FROM keystore.{table} WHERE tenant_id = :t"), {"t": second}
            )
            assert others == 0
        changed = await db.execute(
            text("UPDATE keystore.tenant_keys SET seals_reserved = 9 WHERE tenant_id = :t"),
            {"t": second},
        )
        assert changed.rowcount == 0  # type: ignore[attr-defined]


async def test_the_scan_setting_reads_every_tenant_but_writes_none(
    sessions: async_sessionmaker[AsyncSession], tenant: uuid.UUID
) -> None:
    async with sessions() as db:
        await db.execute(text("SELECT set_config('hrvault.keystore_scan', 'on', true)"))
        assert await db.scalar(text(COUNT_KEYS), {"t": tenant}) == 2
        assert await db.scalar(text("SELECT count(*) FROM keystore.person_keys")) == 0
        changed = await db.execute(
            text("UPDATE keystore.tenant_keys SET seals_reserved = 9 WHERE tenant_id = :t"),
            {"t": tenant},
        )
        assert changed.rowcount == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM keystore.tenant_keys WHERE tenant_id = :t",
        "UPDATE keystore.tenant_keys SET tenant_id = gen_random_uuid() WHERE tenant_id = :t",
        "UPDATE keystore.tenant_keys SET version = 7 WHERE tenant_id = :t",
        "DELETE FROM keystore.master_keys",
        "TRUNCATE keystore.person_keys",
    ],
)
async def test_the_app_role_cannot_delete_keys_or_rename_them(
    sessions: async_sessionmaker[AsyncSession], tenant: uuid.UUID, statement: str
) -> None:
    async with sessions() as db:
        await bind_tenant(db, tenant)
        with pytest.raises(DBAPIError, match="permission denied"):
            await db.execute(text(statement), {"t": tenant})


async def test_a_destroyed_key_never_comes_back(
    owner_engine: AsyncEngine, tenant: uuid.UUID
) -> None:
    async with owner_engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE keystore.tenant_keys SET state = 'destroyed', wrapped = NULL,"
                " master_version = NULL WHERE tenant_id = :t AND purpose = 'index'"
            ),
            {"t": tenant},
        )
    for change in ("state = 'active'", "retired_at = now()", "seals_reserved = 1"):
        async with owner_engine.begin() as conn:
            with pytest.raises(DBAPIError, match="never changes"):
                await conn.execute(
                    text(
                        f"UPDATE keystore.tenant_keys SET {change}"
                        " WHERE tenant_id = :t AND purpose = 'index'"
                    ),
                    {"t": tenant},
                )


async def test_a_live_key_must_keep_its_wrapped_bytes(
    owner_engine: AsyncEngine, tenant: uuid.UUID
) -> None:
    async with owner_engine.begin() as conn:
        with pytest.raises(DBAPIError, match="ck_tenant_keys_wrapped_while_live"):
            await conn.execute(
                text(
                    "UPDATE keystore.tenant_keys SET wrapped = NULL, master_version = NULL"
                    " WHERE tenant_id = :t"
                ),
                {"t": tenant},
            )


async def test_keystore_tables_force_row_level_security(owner_engine: AsyncEngine) -> None:
    async with owner_engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'keystore' AND c.relkind = 'r'"
                )
            )
        ).all()
    assert {r.relname: (r.relrowsecurity, r.relforcerowsecurity) for r in rows} == {
        "master_keys": (False, False),
        "tenant_keys": (True, True),
        "person_keys": (True, True),
    }

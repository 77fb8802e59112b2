"""Fixtures of the crypto tests: sealed test tables, registered like real sealed columns.

The tables are created at session start as the owner, with forced row-level security and
grants exactly like a tenant table, so the application role reads and writes them the
way it will read and write the sensitive HR tables.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hrvault.clock import ManualClock
from hrvault.crypto.cipher import TenantCipher
from hrvault.crypto.columns import SEALED_COLUMNS, SealedColumn, SealedKind
from hrvault.crypto.keyring import TenantKeyring
from hrvault.db import APP_ROLE, DatabaseUrls, bind_tenant, session_factory
from hrvault.tenancy import create_tenant

TABLES = {
    "crypto_notes": "employee_id uuid NOT NULL, note_sealed bytea, remark_sealed bytea",
    "crypto_secrets": "secret_sealed bytea",
    "crypto_documents": "employee_id uuid NOT NULL, file_key_sealed bytea",
}


@dataclass(frozen=True)
class Columns:
    note: SealedColumn
    remark: SealedColumn
    secret: SealedColumn
    document_key: SealedColumn


@pytest.fixture(scope="session")
async def columns(owner_engine: AsyncEngine) -> Columns:
    async with owner_engine.begin() as conn:
        for table, body in TABLES.items():
            await conn.execute(
                text(
                    f"CREATE TABLE IF NOT EXISTS {table} (tenant_id uuid NOT NULL"
                    f" REFERENCES tenants(id) ON DELETE CASCADE, id uuid NOT NULL, {body},"
                    " PRIMARY KEY (tenant_id, id))"
                )
            )
            await conn.execute(text(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"))
            await conn.execute(text(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY"))
            await conn.execute(text(f"DROP POLICY IF EXISTS tenant_isolation ON {table}"))
            await conn.execute(
                text(
                    f"CREATE POLICY tenant_isolation ON {table}"
                    " USING (tenant_id = hrvault_current_tenant())"
                    " WITH CHECK (tenant_id = hrvault_current_tenant())"
                )
            )
            await conn.execute(
                text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")
            )
    return Columns(
        note=SEALED_COLUMNS.register("crypto_notes", "note_sealed", person_column="employee_id"),
        remark=SEALED_COLUMNS.register(
            "crypto_notes", "remark_sealed", person_column="employee_id"
        ),
        secret=SEALED_COLUMNS.register("crypto_secrets", "secret_sealed"),
        document_key=SEALED_COLUMNS.register(
            "crypto_documents",
            "file_key_sealed",
            person_column="employee_id",
            holds=SealedKind.FILE_KEY,
        ),
    )


@pytest.fixture
def sessions(app_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(app_engine)


async def new_tenant(
    sessions: async_sessionmaker[AsyncSession], keyring: TenantKeyring, clock: ManualClock
) -> uuid.UUID:
    slug = f"k-{secrets.token_hex(5)}"
    async with sessions() as db:
        tenant = await create_tenant(db, name=slug, slug=slug, now=clock.now(), keyring=keyring)
        await db.commit()
    return tenant.id


@pytest.fixture
async def tenant(
    sessions: async_sessionmaker[AsyncSession], keyring: TenantKeyring, clock: ManualClock
) -> uuid.UUID:
    return await new_tenant(sessions, keyring, clock)


class Bound:
    """One transaction bound to a tenant, with its cipher: what a request holds."""

    def __init__(self, db: AsyncSession, cipher: TenantCipher) -> None:
        self.db = db
        self.cipher = cipher

    async def insert_note(
        self, columns: Columns, employee_id: uuid.UUID, note: str, remark: str | None = None
    ) -> uuid.UUID:
        row_id = uuid.uuid4()
        sealed = await self.cipher.seal_field(
            columns.note, note, row_id=row_id, person_id=employee_id
        )
        sealed_remark = (
            None
            if remark is None
            else await self.cipher.seal_field(
                columns.remark, remark, row_id=row_id, person_id=employee_id
            )
        )
        await self.db.execute(
            text(
                "INSERT INTO crypto_notes (tenant_id, id, employee_id, note_sealed, remark_sealed)"
                " VALUES (:t, :id, :e, :n, :r)"
            ),
            {
                "t": self.cipher.tenant_id,
                "id": row_id,
                "e": employee_id,
                "n": sealed,
                "r": sealed_remark,
            },
        )
        return row_id

    async def insert_secret(self, columns: Columns, secret: str) -> uuid.UUID:
        row_id = uuid.uuid4()
        sealed = await self.cipher.seal_field(columns.secret, secret, row_id=row_id)
        await self.db.execute(
            text("INSERT INTO crypto_secrets (tenant_id, id, secret_sealed) VALUES (:t, :id, :s)"),
            {"t": self.cipher.tenant_id, "id": row_id, "s": sealed},
        )
        return row_id

    async def notes(self) -> list[tuple[uuid.UUID, uuid.UUID, bytes, bytes | None]]:
        rows = await self.db.execute(
            text(
                "SELECT id, employee_id, note_sealed, remark_sealed FROM crypto_notes"
                " WHERE tenant_id = :t ORDER BY id"
            ),
            {"t": self.cipher.tenant_id},
        )
        return [
            (r.id, r.employee_id, bytes(r.note_sealed), r.remark_sealed and bytes(r.remark_sealed))
            for r in rows
        ]

    async def secrets(self) -> list[tuple[uuid.UUID, bytes]]:
        rows = await self.db.execute(
            text("SELECT id, secret_sealed FROM crypto_secrets WHERE tenant_id = :t ORDER BY id"),
            {"t": self.cipher.tenant_id},
        )
        return [(r.id, bytes(r.secret_sealed)) for r in rows]


class Transactions:
    """``async with tx(tenant_id) as t:`` runs one tenant transaction; it commits at the end."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], keyring: TenantKeyring) -> None:
        self._sessions = sessions
        self._keyring = keyring

    @asynccontextmanager
    async def __call__(
        self, tenant_id: uuid.UUID, keyring: TenantKeyring | None = None
    ) -> AsyncIterator[Bound]:
        async with self._sessions() as db:
            await bind_tenant(db, tenant_id)
            yield Bound(db, TenantCipher(keyring or self._keyring, db, tenant_id))
            await db.commit()


@pytest.fixture
def tx(sessions: async_sessionmaker[AsyncSession], keyring: TenantKeyring) -> Transactions:
    return Transactions(sessions, keyring)


@pytest.fixture
def command_env(
    monkeypatch: pytest.MonkeyPatch, database: DatabaseUrls, data_dir: Path, master_key_file: Path
) -> None:
    """The environment ``main`` reads when a test calls it in this process."""
    on_a_server = bool(os.environ.get("HRVAULT_DATABASE_URL"))
    for name in [name for name in os.environ if name.startswith("HRVAULT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HRVAULT_MASTER_KEY_FILE", str(master_key_file))
    if on_a_server:
        monkeypatch.setenv(
            "HRVAULT_DATABASE_URL", database.owner.render_as_string(hide_password=False)
        )
    else:
        monkeypatch.setenv("HRVAULT_DATA_DIR", str(data_dir))

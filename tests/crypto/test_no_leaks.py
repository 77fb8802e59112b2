"""Key bytes and sensitive plaintext never appear in logs, reprs, errors or database rows."""

from __future__ import annotations

import base64
import logging
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hrvault.config import Secret, Settings
from hrvault.crypto.binding import person_key_ad, tenant_key_context
from hrvault.crypto.errors import DataIntegrityError
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.local_provider import read_key_file
from hrvault.crypto.provider import WrappedKey
from hrvault.crypto.reencrypt import reencrypt_tenant
from hrvault.crypto.rotation import rotate_tenant_key
from hrvault.crypto.shredding import destroy_person_keys
from tests.crypto.conftest import Columns, Transactions

PLAINTEXT = ["SE35 5000 0000 0549 1000 0003", "19900101-1234", "Villa Villekulla 1", "84000.00"]


async def all_key_bytes(
    owner_engine: AsyncEngine, master_key_file: Path, tenant: uuid.UUID
) -> list[bytes]:
    """Every key of the tenant in the clear, and the master keys: what must never leak."""
    provider = read_key_file(master_key_file)
    keys = [key.reveal() for key in provider._keys.values()]
    async with owner_engine.connect() as conn:
        tenant_rows = (
            await conn.execute(
                text(
                    "SELECT purpose, version, master_version, wrapped FROM keystore.tenant_keys"
                    " WHERE tenant_id = :t AND wrapped IS NOT NULL"
                ),
                {"t": tenant},
            )
        ).all()
        person_rows = (
            await conn.execute(
                text(
                    "SELECT employee_id, version, tenant_key_version, wrapped"
                    " FROM keystore.person_keys WHERE tenant_id = :t AND wrapped IS NOT NULL"
                ),
                {"t": tenant},
            )
        ).all()
    data_keys = {}
    for row in tenant_rows:
        context = tenant_key_context(tenant, row.purpose, row.version)
        key = await provider.unwrap(WrappedKey(row.master_version, bytes(row.wrapped)), context)
        keys.append(key.reveal())
        if row.purpose == "data":
            data_keys[row.version] = key.reveal()
    for row in person_rows:
        wrapped = bytes(row.wrapped)
        ad = person_key_ad(tenant, row.employee_id, row.version, row.tenant_key_version)
        aead = AESGCM(data_keys[row.tenant_key_version])
        keys.append(aead.decrypt(wrapped[:12], wrapped[12:], ad))
    return keys


def spellings(secret: bytes) -> list[str]:
    return [secret.hex(), base64.b64encode(secret).decode(), repr(secret)[2:-1]]


async def test_nothing_secret_in_logs_reprs_or_errors(
    tx: Transactions,
    tenant: uuid.UUID,
    columns: Columns,
    keyring: TenantKeyring,
    sessions: async_sessionmaker[AsyncSession],
    owner_engine: AsyncEngine,
    master_key_file: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    people = [uuid.uuid4(), uuid.uuid4()]
    shown: list[str] = []
    with caplog.at_level(logging.DEBUG):
        async with tx(tenant) as t:
            for person, value in zip(people, PLAINTEXT, strict=False):
                await t.insert_note(columns, person, value, remark=PLAINTEXT[2])
            await t.insert_secret(columns, PLAINTEXT[3])
            shown += [repr(t.cipher), repr(keyring), repr(keyring.provider)]
        async with tx(tenant) as t:
            notes = await t.notes()
            await t.cipher.load_people(people)
            row, person, sealed, _ = notes[0]
            try:
                t.cipher.open_field(columns.note, sealed, row_id=uuid.uuid4(), person_id=person)
            except DataIntegrityError as exc:
                shown.append(repr(exc))
            shown.append(repr(t.cipher))
        secrets = set(await all_key_bytes(owner_engine, master_key_file, tenant))
        async with tx(tenant) as t:
            await rotate_tenant_key(t.db, keyring, tenant)
        await reencrypt_tenant(sessions, keyring, tenant, wait_seconds=10)
        secrets |= set(await all_key_bytes(owner_engine, master_key_file, tenant))
        async with tx(tenant) as t:
            await destroy_person_keys(t.db, tenant, people[1])
    settings = Settings(master_key=Secret(base64.b64encode(min(secrets)).decode()))
    shown += [repr(settings), str(settings.master_key)]
    everything = caplog.text + "\n".join(shown)
    assert "key management: tenant data key rotated" in caplog.text  # the log was captured
    assert len(secrets) >= 8  # master, data v1 and v2, index, two people's keys twice
    for secret in secrets:
        for spelling in spellings(secret):
            assert spelling not in everything
    for value in PLAINTEXT:
        assert value not in everything
    assert row


async def test_no_plaintext_or_key_in_any_database_row(
    tx: Transactions,
    tenant: uuid.UUID,
    columns: Columns,
    owner_engine: AsyncEngine,
    master_key_file: Path,
) -> None:
    """Dump every row of every table, data and key store, as a backup would hold it."""
    async with tx(tenant) as t:
        for value in PLAINTEXT:
            await t.insert_note(columns, uuid.uuid4(), value, remark=value)
            await t.insert_secret(columns, value)
    secrets = await all_key_bytes(owner_engine, master_key_file, tenant)
    async with owner_engine.connect() as conn:
        tables = (
            await conn.execute(
                text(
                    "SELECT schemaname, tablename FROM pg_tables"
                    " WHERE schemaname IN ('public', 'keystore')"
                )
            )
        ).all()
        dump = []
        for schema, table in tables:
            rows = (await conn.execute(text(f'SELECT * FROM "{schema}"."{table}"'))).all()
            dump += [repr(tuple(row)) for row in rows]
            dump += [
                bytes(cell).hex()
                for row in rows
                for cell in row
                if isinstance(cell, bytes | memoryview)
            ]
    dumped = "\n".join(dump)
    assert str(tenant) in dumped
    for value in PLAINTEXT:
        assert value not in dumped
        assert value.encode().hex() not in dumped
    for secret in secrets:
        for spelling in spellings(secret):
            assert spelling not in dumped

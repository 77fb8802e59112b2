"""Crypto-shredding: after a key is destroyed, nothing that remains opens what it sealed."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.crypto.binding import NO_PERSON, field_ad
from hrvault.crypto.blind_index import BlindIndex, normalize_national_id
from hrvault.crypto.errors import KeyDestroyedError, MissingKeyError
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.local_provider import read_key_file
from hrvault.crypto.shredding import destroy_person_keys, destroy_tenant_keys
from tests.crypto.conftest import Columns, Transactions
from tests.crypto.remaining_keys import every_remaining_key, opens_with_any

NATIONAL_ID = BlindIndex("test.shredding.national_id", normalize_national_id)


def note_ad(
    sealed: bytes, tenant: uuid.UUID, person: uuid.UUID, row: uuid.UUID, columns: Columns
) -> bytes:
    return field_ad(sealed[:6], tenant.bytes, person.bytes, row.bytes, columns.note.binding)


async def test_a_destroyed_person_cannot_be_read_by_anything_that_remains(
    tx: Transactions,
    tenant: uuid.UUID,
    columns: Columns,
    owner_engine: AsyncEngine,
    master_key_file: Path,
) -> None:
    erased, kept = uuid.uuid4(), uuid.uuid4()
    async with tx(tenant) as t:
        for index in range(3):
            await t.insert_note(columns, erased, f"erased person's note {index}")
        await t.insert_note(columns, kept, "kept person's note")
        backup = await t.notes()  # the database copy taken before the erasure
    async with tx(tenant) as t:
        receipt = await destroy_person_keys(t.db, tenant, erased)
    assert receipt.destroyed_keys == (f"person:{erased}:v1",)
    assert receipt.as_dict()["employee_id"] == str(erased)

    async with tx(tenant) as t:
        await t.cipher.load_people([erased, kept])
        for row, person, sealed, _ in backup:
            if person == erased:
                with pytest.raises(KeyDestroyedError):
                    t.cipher.open_field(columns.note, sealed, row_id=row, person_id=person)
            else:
                assert t.cipher.open_field(columns.note, sealed, row_id=row, person_id=person)

    keys = await every_remaining_key(owner_engine, read_key_file(master_key_file))
    assert len(keys) >= 3  # this tenant's data and index keys, the kept person's key
    for row, person, sealed, _ in backup:
        readable = opens_with_any(keys, sealed, note_ad(sealed, tenant, person, row, columns))
        assert readable == (person == kept)


async def test_writing_for_an_erased_person_starts_a_new_key(
    tx: Transactions, tenant: uuid.UUID, columns: Columns
) -> None:
    person = uuid.uuid4()
    async with tx(tenant) as t:
        await t.insert_note(columns, person, "before")
    async with tx(tenant) as t:
        await destroy_person_keys(t.db, tenant, person)
    async with tx(tenant) as t:
        new_row = await t.insert_note(columns, person, "after")
    async with tx(tenant) as t:
        await t.cipher.load_people([person])
        notes = {row: sealed for row, _, sealed, _ in await t.notes()}
        assert notes[new_row][:6] == b"\x01\x02\x00\x00\x00\x02"
        assert t.cipher.open_field(columns.note, notes[new_row], row_id=new_row, person_id=person)


async def test_an_offboarded_tenant_cannot_be_read_by_anything_that_remains(
    tx: Transactions,
    tenant: uuid.UUID,
    columns: Columns,
    keyring: TenantKeyring,
    owner_engine: AsyncEngine,
    master_key_file: Path,
) -> None:
    people = [uuid.uuid4(), uuid.uuid4()]
    async with tx(tenant) as t:
        for person in people:
            await t.insert_note(columns, person, "offboarded note")
        secret_row = await t.insert_secret(columns, "offboarded secret")
        digest = await t.cipher.blind_index(NATIONAL_ID, "19900101-1234")
    async with tx(tenant) as t:  # warm the keyring, as a running server would be
        notes, secrets = await t.notes(), await t.secrets()
        await t.cipher.load_tenant_keys()
        assert t.cipher.open_field(columns.secret, secrets[0][1], row_id=secret_row)

    async with tx(tenant) as t:
        receipt = await destroy_tenant_keys(t.db, keyring, tenant)
    assert set(receipt.destroyed_keys) == {
        f"tenant:{tenant}:data:v1",
        f"tenant:{tenant}:index:v1",
        *(f"person:{person}:v1" for person in people),
    }

    async with tx(tenant) as t:
        await t.cipher.load_people(people)
        await t.cipher.load_tenant_keys()
        for row, person, sealed, _ in notes:
            with pytest.raises(KeyDestroyedError):
                t.cipher.open_field(columns.note, sealed, row_id=row, person_id=person)
        with pytest.raises(KeyDestroyedError):
            t.cipher.open_field(columns.secret, secrets[0][1], row_id=secret_row)
        with pytest.raises(MissingKeyError):
            await t.cipher.blind_index(NATIONAL_ID, "19900101-1234")
    assert digest

    keys = await every_remaining_key(owner_engine, read_key_file(master_key_file))
    for row, person, sealed, _ in notes:
        assert not opens_with_any(keys, sealed, note_ad(sealed, tenant, person, row, columns))
    secret_ad = field_ad(
        secrets[0][1][:6], tenant.bytes, NO_PERSON, secret_row.bytes, columns.secret.binding
    )
    assert not opens_with_any(keys, secrets[0][1], secret_ad)
    async with owner_engine.connect() as conn:
        left = await conn.scalar(
            text(
                "SELECT count(*) FROM keystore.tenant_keys WHERE tenant_id = :t"
                " AND (wrapped IS NOT NULL OR state <> 'destroyed')"
            ),
            {"t": tenant},
        )
    assert left == 0

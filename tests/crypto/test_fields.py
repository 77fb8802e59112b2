"""Sealed fields: round trips, and a ciphertext that moved or changed never opens.

Every swap test takes a value that opens where it was sealed and shows that the same
bytes, copied to another row, column, person or tenant, raise ``DataIntegrityError``.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hrvault.clock import ManualClock
from hrvault.crypto.errors import DataIntegrityError, KeyNotLoadedError
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.local_provider import read_key_file
from tests.crypto.conftest import Columns, Transactions, new_tenant

VALUES = ["1990-01-01", "", "Östra Långgatan 7, 111 29 Stockholm", "€ 95 000,00", "x" * 500]


@pytest.mark.parametrize("value", VALUES)
async def test_person_and_tenant_values_round_trip(
    tx: Transactions, tenant: uuid.UUID, columns: Columns, value: str
) -> None:
    person = uuid.uuid4()
    async with tx(tenant) as t:
        note = await t.insert_note(columns, person, value)
        secret = await t.insert_secret(columns, value)
    assert secret
    async with tx(tenant) as t:
        [(row_id, employee, sealed, _)] = await t.notes()
        [(secret_id, sealed_secret)] = await t.secrets()
        await t.cipher.load_people([employee])
        await t.cipher.load_tenant_keys()
        assert row_id == note
        assert t.cipher.open_field(columns.note, sealed, row_id=note, person_id=person) == value
        assert t.cipher.open_field(columns.secret, sealed_secret, row_id=secret_id) == value
        assert value.encode() not in sealed or value == ""


async def test_sealing_twice_gives_different_bytes(
    tx: Transactions, tenant: uuid.UUID, columns: Columns
) -> None:
    person, row = uuid.uuid4(), uuid.uuid4()
    async with tx(tenant) as t:
        first = await t.cipher.seal_field(columns.note, "same", row_id=row, person_id=person)
        second = await t.cipher.seal_field(columns.note, "same", row_id=row, person_id=person)
    assert first != second
    assert first[:6] == second[:6]


async def test_a_value_copied_to_another_row_column_or_person_does_not_open(
    tx: Transactions, tenant: uuid.UUID, columns: Columns
) -> None:
    person, other_person = uuid.uuid4(), uuid.uuid4()
    async with tx(tenant) as t:
        row = await t.insert_note(columns, person, "alice's note", remark="alice's remark")
        other_row = await t.insert_note(columns, person, "another note")
        await t.insert_note(columns, other_person, "bob's note")
    async with tx(tenant) as t:
        rows = {
            row_id: (employee, note, remark) for row_id, employee, note, remark in await t.notes()
        }
        await t.cipher.load_people([person, other_person])
        _, sealed, sealed_remark = rows[row]
        open_ = t.cipher.open_field
        assert open_(columns.note, sealed, row_id=row, person_id=person) == "alice's note"
        assert sealed_remark is not None
        moved = [
            (columns.note, sealed, other_row, person),  # row to row
            (columns.remark, sealed, row, person),  # column to column
            (columns.note, sealed_remark, row, person),  # column to column, the other way
            (columns.note, sealed, row, other_person),  # to another person's key
        ]
        for column, value, row_id, person_id in moved:
            with pytest.raises(DataIntegrityError):
                open_(column, value, row_id=row_id, person_id=person_id)


async def test_a_value_copied_to_another_tenant_does_not_open(
    tx: Transactions,
    sessions: async_sessionmaker[AsyncSession],
    keyring: TenantKeyring,
    clock: ManualClock,
    columns: Columns,
) -> None:
    first = await new_tenant(sessions, keyring, clock)
    second = await new_tenant(sessions, keyring, clock)
    person = uuid.uuid4()
    async with tx(first) as t:
        row = await t.insert_note(columns, person, "first tenant's secret")
        secret_row = await t.insert_secret(columns, "first tenant's key")
        [(_, _, sealed, _)] = await t.notes()
        [(_, sealed_secret)] = await t.secrets()
    async with tx(second) as t:
        await t.insert_note(columns, person, "same person id, other tenant")
        await t.cipher.load_people([person])
        await t.cipher.load_tenant_keys()
        with pytest.raises(DataIntegrityError):
            t.cipher.open_field(columns.note, sealed, row_id=row, person_id=person)
        with pytest.raises(DataIntegrityError):
            t.cipher.open_field(columns.secret, sealed_secret, row_id=secret_row)


@pytest.mark.parametrize(
    ("where", "position"),
    [("version", 5), ("nonce", 10), ("ciphertext", 20), ("tag", -1)],
)
async def test_one_flipped_bit_anywhere_does_not_open(
    tx: Transactions, tenant: uuid.UUID, columns: Columns, where: str, position: int
) -> None:
    person = uuid.uuid4()
    async with tx(tenant) as t:
        row = await t.insert_note(columns, person, "tamper with me")
        [(_, _, sealed, _)] = await t.notes()
        await t.cipher.load_people([person])
        tampered = bytearray(sealed)
        tampered[position] ^= 0x01
        with pytest.raises(DataIntegrityError):
            t.cipher.open_field(columns.note, bytes(tampered), row_id=row, person_id=person)
        assert t.cipher.open_field(columns.note, sealed, row_id=row, person_id=person)


async def test_a_failure_is_counted_and_logged_without_the_value(
    tx: Transactions,
    tenant: uuid.UUID,
    columns: Columns,
    keyring: TenantKeyring,
    caplog: pytest.LogCaptureFixture,
) -> None:
    person = uuid.uuid4()
    async with tx(tenant) as t:
        row = await t.insert_note(columns, person, "never in a log")
        [(_, _, sealed, _)] = await t.notes()
        await t.cipher.load_people([person])
        before = keyring.metrics.snapshot()
        with (
            caplog.at_level(logging.INFO, logger="hrvault.security"),
            pytest.raises(DataIntegrityError),
        ):
            t.cipher.open_field(columns.note, sealed, row_id=uuid.uuid4(), person_id=person)
    assert (keyring.metrics.snapshot() - before).integrity_failures == 1
    [event] = [r for r in caplog.records if r.name == "hrvault.security"]
    assert "data integrity failure" in event.getMessage()
    assert str(tenant) in event.getMessage()
    assert "never in a log" not in caplog.text
    assert sealed.hex() not in caplog.text
    assert row


async def test_opening_needs_loaded_keys_and_the_right_kind_of_column(
    tx: Transactions, tenant: uuid.UUID, columns: Columns
) -> None:
    person = uuid.uuid4()
    async with tx(tenant) as t:
        row = await t.insert_note(columns, person, "value")
        secret_row = await t.insert_secret(columns, "value")
        [(_, _, sealed, _)] = await t.notes()
        [(_, sealed_secret)] = await t.secrets()
    async with tx(tenant) as t:
        with pytest.raises(KeyNotLoadedError, match="load_people"):
            t.cipher.open_field(columns.note, sealed, row_id=row, person_id=person)
        with pytest.raises(KeyNotLoadedError, match="load_tenant_keys"):
            t.cipher.open_field(columns.secret, sealed_secret, row_id=secret_row)
        with pytest.raises(ValueError, match="person_id"):
            t.cipher.open_field(columns.note, sealed, row_id=row)
        with pytest.raises(ValueError, match="person_id"):
            await t.cipher.seal_field(columns.secret, "v", row_id=row, person_id=person)
        with pytest.raises(ValueError, match="file keys"):
            await t.cipher.seal_field(columns.document_key, "v", row_id=row, person_id=person)


async def test_a_list_costs_one_decryption_per_field_and_one_tenant_unwrap(
    tx: Transactions,
    tenant: uuid.UUID,
    columns: Columns,
    master_key_file: Path,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The shape of the issue's promise: 10 permitted rows, 10 opens, <= 1 tenant unwrap."""
    people = [uuid.uuid4() for _ in range(25)]
    async with tx(tenant) as t:
        for person in people:
            await t.insert_note(columns, person, f"note of {person}")
    cold = TenantKeyring(read_key_file(master_key_file), bookkeeping=sessions)
    for round_ in range(2):
        before = cold.metrics.snapshot()
        async with tx(tenant, cold) as t:
            rows = await t.notes()
            permitted = rows[:10]
            await t.cipher.load_people(employee for _, employee, _, _ in permitted)
            opened = [
                t.cipher.open_field(columns.note, sealed, row_id=row, person_id=employee)
                for row, employee, sealed, _ in permitted
            ]
        spent = cold.metrics.snapshot() - before
        assert opened == [f"note of {employee}" for _, employee, _, _ in permitted]
        assert spent.field_opens == 10
        assert spent.person_key_unwraps == 10
        assert spent.tenant_key_unwraps == (1 if round_ == 0 else 0)
        assert spent.field_seals == 0


async def test_a_transaction_that_opens_nothing_unwraps_nothing(
    tx: Transactions, tenant: uuid.UUID, columns: Columns, keyring: TenantKeyring
) -> None:
    async with tx(tenant) as t:
        await t.insert_note(columns, uuid.uuid4(), "value")
    before = keyring.metrics.snapshot()
    async with tx(tenant) as t:
        assert len(await t.notes()) == 1
    assert keyring.metrics.snapshot() - before == type(before)()

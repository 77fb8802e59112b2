"""Rotation and re-encryption: new writes move at once, old values move in batches, nothing lost."""

from __future__ import annotations

import asyncio
import io
import random
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hrvault.crypto.cipher import TenantCipher
from hrvault.crypto.columns import SealedColumn
from hrvault.crypto.errors import UnregisteredSealedColumnError
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.reencrypt import ReencryptProgress, reencrypt_tenant
from hrvault.crypto.rotation import rotate_tenant_key
from hrvault.crypto.shredding import destroy_person_keys
from hrvault.db import APP_ROLE, DatabaseUrls, create_engine, session_factory
from tests.crypto.conftest import Columns, Transactions


async def rotate(tx: Transactions, keyring: TenantKeyring, tenant: uuid.UUID) -> int:
    async with tx(tenant) as t:
        return (await rotate_tenant_key(t.db, keyring, tenant)).active_version


async def key_states(owner_engine: AsyncEngine, tenant: uuid.UUID) -> dict[str, list[str]]:
    async with owner_engine.connect() as conn:
        tenant_keys = await conn.execute(
            text(
                "SELECT version, state, wrapped IS NULL AS erased FROM keystore.tenant_keys"
                " WHERE tenant_id = :t AND purpose = 'data' ORDER BY version"
            ),
            {"t": tenant},
        )
        person_keys = await conn.execute(
            text(
                "SELECT state, count(*) FROM keystore.person_keys WHERE tenant_id = :t"
                " GROUP BY state ORDER BY state"
            ),
            {"t": tenant},
        )
        return {
            "tenant": [
                f"v{r.version} {r.state}{' erased' if r.erased else ''}" for r in tenant_keys
            ],
            "person": [f"{state} {count}" for state, count in person_keys],
        }


async def read_everything(
    tx: Transactions, tenant: uuid.UUID, columns: Columns
) -> tuple[dict[uuid.UUID, str], set[bytes]]:
    """Every note and secret of the tenant opened, and the set of key headers they carry."""
    async with tx(tenant) as t:
        notes, secrets = await t.notes(), await t.secrets()
        await t.cipher.load_people({person for _, person, _, _ in notes})
        await t.cipher.load_tenant_keys()
        values = {
            row: t.cipher.open_field(columns.note, sealed, row_id=row, person_id=person)
            for row, person, sealed, _ in notes
        }
        values |= {
            row: t.cipher.open_field(columns.secret, sealed, row_id=row) for row, sealed in secrets
        }
        headers = {sealed[:6] for _, _, sealed, _ in notes} | {s[:6] for _, s in secrets}
    return values, headers


async def test_a_rotation_moves_new_writes_at_once(
    tx: Transactions, keyring: TenantKeyring, tenant: uuid.UUID, columns: Columns
) -> None:
    old_person, new_person = uuid.uuid4(), uuid.uuid4()
    async with tx(tenant) as t:
        before = await t.insert_note(columns, old_person, "before")
        secret_before = await t.insert_secret(columns, "secret before")
    assert await rotate(tx, keyring, tenant) == 2
    async with tx(tenant) as t:
        await t.insert_note(columns, old_person, "after, same person")
        await t.insert_note(columns, new_person, "after, new person")
        await t.insert_secret(columns, "secret after")
    async with tx(tenant) as t:
        secrets = dict(await t.secrets())
        person_keys = await t.db.execute(
            text(
                "SELECT employee_id, version, state, tenant_key_version FROM keystore.person_keys"
                " WHERE tenant_id = :t ORDER BY employee_id, version"
            ),
            {"t": tenant},
        )
        wrapping = {
            (r.employee_id, r.version): (r.state, r.tenant_key_version) for r in person_keys
        }
    assert secrets[secret_before][:6] == b"\x01\x01\x00\x00\x00\x01"
    assert [s[:6] for row, s in secrets.items() if row != secret_before] == [
        b"\x01\x01\x00\x00\x00\x02"
    ]
    assert wrapping == {
        (old_person, 1): ("decrypt_only", 1),
        (old_person, 2): ("active", 2),
        (new_person, 1): ("active", 2),
    }
    values, _ = await read_everything(tx, tenant, columns)
    assert sorted(values.values()) == sorted(
        ["before", "after, same person", "after, new person", "secret before", "secret after"]
    )
    assert before in values


async def test_reencryption_moves_everything_and_retires_the_old_key(
    tx: Transactions,
    keyring: TenantKeyring,
    tenant: uuid.UUID,
    columns: Columns,
    sessions: async_sessionmaker[AsyncSession],
    owner_engine: AsyncEngine,
) -> None:
    people = [uuid.uuid4() for _ in range(7)]
    async with tx(tenant) as t:
        for index, person in enumerate(people):
            await t.insert_note(columns, person, f"note {index}", remark=f"remark {index}")
        for index in range(5):
            await t.insert_secret(columns, f"secret {index}")
        document, person = uuid.uuid4(), people[0]
        sealer = await t.cipher.file_sealer(
            columns.document_key, document_id=document, person_id=person
        )
        body = b"".join(sealer.seal([b"a payslip"]))
        await t.db.execute(
            text("INSERT INTO crypto_documents VALUES (:t, :id, :e, :k)"),
            {"t": tenant, "id": document, "e": person, "k": sealer.key_header},
        )
    expected, _ = await read_everything(tx, tenant, columns)
    await rotate(tx, keyring, tenant)
    steps: list[ReencryptProgress] = []
    result = await reencrypt_tenant(
        sessions, keyring, tenant, batch_size=3, wait_seconds=10, progress=steps.append
    )
    assert result.complete, result
    assert (result.people_rekeyed, result.retired_tenant_versions) == (7, [1])
    assert result.values_resealed == 7 * 2 + 5 + 1
    assert [(s.done, s.total) for s in steps if s.stage == "people"] == [(3, 7), (6, 7), (7, 7)]
    assert await key_states(owner_engine, tenant) == {
        "tenant": ["v1 retired erased", "v2 active"],
        "person": ["active 7", "retired 7"],
    }
    values, headers = await read_everything(tx, tenant, columns)
    assert values == expected
    assert headers == {b"\x01\x02\x00\x00\x00\x02", b"\x01\x01\x00\x00\x00\x02"}
    async with tx(tenant) as t:
        [header] = (
            await t.db.execute(
                text("SELECT file_key_sealed FROM crypto_documents WHERE id = :d"), {"d": document}
            )
        ).scalars()
        await t.cipher.load_people([person])
        opener = t.cipher.file_opener(
            columns.document_key, header, document_id=document, person_id=person
        )
        assert header[:6] == b"\x02\x02\x00\x00\x00\x02"
        assert b"".join(opener.open(io.BytesIO(body))) == b"a payslip"

    again = await reencrypt_tenant(sessions, keyring, tenant, wait_seconds=10)
    assert (again.complete, again.people_rekeyed, again.values_resealed) == (True, 0, 0)
    assert (again.retired_tenant_versions, again.retired_person_keys) == ([], 0)


async def test_an_interrupted_run_resumes(
    tx: Transactions,
    keyring: TenantKeyring,
    tenant: uuid.UUID,
    columns: Columns,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with tx(tenant) as t:
        for index in range(6):
            await t.insert_note(columns, uuid.uuid4(), f"note {index}")
    expected, _ = await read_everything(tx, tenant, columns)
    await rotate(tx, keyring, tenant)

    def stop_after_first_batch(step: ReencryptProgress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await reencrypt_tenant(
            sessions, keyring, tenant, batch_size=2, progress=stop_after_first_batch
        )
    values, headers = await read_everything(tx, tenant, columns)
    assert values == expected
    assert len(headers) == 2  # two people moved, four not yet
    result = await reencrypt_tenant(sessions, keyring, tenant, batch_size=2, wait_seconds=10)
    assert result.complete
    assert result.values_resealed == 4
    values, headers = await read_everything(tx, tenant, columns)
    assert (values, headers) == (expected, {b"\x01\x02\x00\x00\x00\x02"})


async def test_erased_people_are_skipped_and_do_not_block_retirement(
    tx: Transactions,
    keyring: TenantKeyring,
    tenant: uuid.UUID,
    columns: Columns,
    sessions: async_sessionmaker[AsyncSession],
    owner_engine: AsyncEngine,
) -> None:
    erased, kept = uuid.uuid4(), uuid.uuid4()
    async with tx(tenant) as t:
        await t.insert_note(columns, erased, "erased")
        await t.insert_note(columns, kept, "kept")
        await destroy_person_keys(t.db, tenant, erased)
    await rotate(tx, keyring, tenant)
    result = await reencrypt_tenant(sessions, keyring, tenant, wait_seconds=10)
    assert (result.complete, result.values_resealed, result.retired_tenant_versions) == (
        True,
        1,
        [1],
    )
    states = await key_states(owner_engine, tenant)
    assert states["tenant"] == ["v1 retired erased", "v2 active"]


async def test_a_value_that_does_not_open_is_reported_and_keeps_its_key(
    tx: Transactions,
    keyring: TenantKeyring,
    tenant: uuid.UUID,
    columns: Columns,
    sessions: async_sessionmaker[AsyncSession],
    owner_engine: AsyncEngine,
) -> None:
    async with tx(tenant) as t:
        row = await t.insert_secret(columns, "will be tampered with")
        await t.insert_secret(columns, "fine")
    async with owner_engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE crypto_secrets SET secret_sealed = overlay(secret_sealed placing"
                " '\\xff'::bytea from 30 for 1) WHERE id = :id"
            ),
            {"id": row},
        )
    await rotate(tx, keyring, tenant)
    result = await reencrypt_tenant(sessions, keyring, tenant, wait_seconds=10)
    assert not result.complete
    assert result.unopenable_values == [f"crypto_secrets.secret_sealed row {row}"]
    assert (result.values_resealed, result.retired_tenant_versions) == (1, [])
    assert (await key_states(owner_engine, tenant))["tenant"] == ["v1 decrypt_only", "v2 active"]


async def test_an_unregistered_sealed_column_stops_reencryption(
    keyring: TenantKeyring,
    tenant: uuid.UUID,
    sessions: async_sessionmaker[AsyncSession],
    owner_engine: AsyncEngine,
    columns: Columns,
) -> None:
    async with owner_engine.begin() as conn:
        await conn.execute(text("CREATE TABLE crypto_forgotten (id uuid, salary_sealed bytea)"))
        await conn.execute(text(f"GRANT SELECT ON crypto_forgotten TO {APP_ROLE}"))
    try:
        with pytest.raises(UnregisteredSealedColumnError, match=r"crypto_forgotten\.salary_sealed"):
            await reencrypt_tenant(sessions, keyring, tenant)
    finally:
        async with owner_engine.begin() as conn:
            await conn.execute(text("DROP TABLE crypto_forgotten"))
    assert columns


@pytest.fixture
async def busy_engine(database: DatabaseUrls) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database.app, pool_size=8)
    yield engine
    await engine.dispose()


async def test_rotation_under_concurrent_reads_and_writes_loses_nothing(
    keyring: TenantKeyring,
    tenant: uuid.UUID,
    columns: Columns,
    busy_engine: AsyncEngine,
    owner_engine: AsyncEngine,
) -> None:
    sessions = session_factory(busy_engine)
    tx = Transactions(sessions, keyring)
    people = [uuid.uuid4() for _ in range(12)]
    rows: dict[uuid.UUID, uuid.UUID | None] = {}  # row -> person; None: a tenant-keyed secret
    async with tx(tenant) as t:
        for person in people:
            for _ in range(2):
                rows[await t.insert_note(columns, person, "initial")] = person
        for _ in range(40):
            rows[await t.insert_secret(columns, "initial")] = None
    latest = dict.fromkeys(rows, "initial")
    ever = {row: {"initial"} for row in rows}
    stop = asyncio.Event()
    reads = writes = 0
    rng = random.Random(8)

    async def writer(name: str) -> None:
        nonlocal writes
        while not stop.is_set():
            row = rng.choice(list(rows))
            value = f"{name} wrote {writes}"
            ever[row].add(value)
            column = columns.note if rows[row] else columns.secret
            async with tx(tenant) as t:
                sealed = await t.cipher.seal_field(column, value, row_id=row, person_id=rows[row])
                await t.db.execute(
                    text(
                        f"UPDATE {column.table} SET {column.column} = :s"
                        " WHERE tenant_id = :t AND id = :id"
                    ),
                    {"s": sealed, "t": tenant, "id": row},
                )
            latest[row] = value  # committed
            writes += 1
            await asyncio.sleep(0)

    async def reader() -> None:
        nonlocal reads
        while not stop.is_set():
            async with tx(tenant) as t:
                notes, secrets = await t.notes(), await t.secrets()  # rows first, keys after
                await t.cipher.load_people({person for _, person, _, _ in notes})
                await t.cipher.load_tenant_keys()
                for row, person, sealed, _ in notes:
                    value = t.cipher.open_field(columns.note, sealed, row_id=row, person_id=person)
                    assert value in ever[row]
                for row, sealed in secrets:
                    assert t.cipher.open_field(columns.secret, sealed, row_id=row) in ever[row]
            reads += 1
            await asyncio.sleep(0)

    workers = [asyncio.create_task(writer(f"w{i}")) for i in range(3)]
    workers += [asyncio.create_task(reader()) for _ in range(2)]
    await asyncio.sleep(0.3)
    await rotate(tx, keyring, tenant)
    result = await reencrypt_tenant(sessions, keyring, tenant, batch_size=4, wait_seconds=20)
    await asyncio.sleep(0.2)
    stop.set()
    await asyncio.gather(*workers)

    assert result.complete, result
    assert writes > 10, writes
    assert reads > 5, reads
    values, headers = await read_everything(tx, tenant, columns)
    assert values == latest
    assert headers == {b"\x01\x02\x00\x00\x00\x02", b"\x01\x01\x00\x00\x00\x02"}
    states = await key_states(owner_engine, tenant)
    assert states["tenant"] == ["v1 retired erased", "v2 active"]
    assert not [s for s in states["person"] if s.startswith("decrypt_only")]


async def test_keys_are_retired_only_after_older_transactions_end(
    tx: Transactions,
    keyring: TenantKeyring,
    tenant: uuid.UUID,
    columns: Columns,
    sessions: async_sessionmaker[AsyncSession],
    owner_engine: AsyncEngine,
) -> None:
    """A request that read a row before its re-seal still opens it: retiring waits for it."""
    person = uuid.uuid4()
    async with tx(tenant) as t:
        await t.insert_note(columns, person, "read before the re-seal")
    await rotate(tx, keyring, tenant)
    async with tx(tenant) as reader:
        [(row, _, old_bytes, _)] = await reader.notes()
        result = await reencrypt_tenant(sessions, keyring, tenant, wait_seconds=0.3)
        assert not result.complete
        assert "still open" in result.note
        assert (await key_states(owner_engine, tenant))["tenant"] == [
            "v1 decrypt_only",
            "v2 active",
        ]
        await reader.cipher.load_people([person])
        opened = reader.cipher.open_field(columns.note, old_bytes, row_id=row, person_id=person)
    assert opened == "read before the re-seal"
    result = await reencrypt_tenant(sessions, keyring, tenant, wait_seconds=10)
    assert (result.complete, result.values_resealed, result.retired_tenant_versions) == (
        True,
        0,
        [1],
    )


async def test_a_value_written_during_its_reseal_is_not_overwritten(
    tx: Transactions,
    keyring: TenantKeyring,
    tenant: uuid.UUID,
    columns: Columns,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real re-seal runs; a request commits a new value between its read and its write."""
    async with tx(tenant) as t:
        row = await t.insert_secret(columns, "old value")
    await rotate(tx, keyring, tenant)
    real_reseal = TenantCipher.reseal

    async def reseal_while_a_request_writes(
        self: TenantCipher, column: SealedColumn, sealed: bytes, **where: uuid.UUID
    ) -> bytes:
        resealed = await real_reseal(self, column, sealed, **where)
        async with tx(tenant) as request:
            newer = await request.cipher.seal_field(columns.secret, "newer value", row_id=row)
            await request.db.execute(
                text("UPDATE crypto_secrets SET secret_sealed = :s WHERE id = :id"),
                {"s": newer, "id": row},
            )
        return resealed

    monkeypatch.setattr(TenantCipher, "reseal", reseal_while_a_request_writes)
    result = await reencrypt_tenant(sessions, keyring, tenant, wait_seconds=10)
    assert (result.complete, result.values_resealed) == (True, 0)
    values, _ = await read_everything(tx, tenant, columns)
    assert values == {row: "newer value"}

"""The process keyring: bounded, expiring cache; usage counted against AES-GCM's bound."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hrvault.clock import ManualClock
from hrvault.crypto.errors import KeyUsageExhaustedError
from hrvault.crypto.keyring import CachePolicy, KeyUsageLimits, TenantKeyring
from hrvault.crypto.local_provider import read_key_file
from tests.crypto.conftest import Columns, Transactions, new_tenant


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def ring(
    master_key_file: Path,
    sessions: async_sessionmaker[AsyncSession],
    *,
    limits: KeyUsageLimits | None = None,
    cache: CachePolicy | None = None,
    monotonic: FakeMonotonic | None = None,
) -> TenantKeyring:
    return TenantKeyring(
        read_key_file(master_key_file),
        bookkeeping=sessions,
        limits=limits,
        cache=cache,
        monotonic=monotonic or FakeMonotonic(),
    )


async def open_one(
    tx: Transactions, keyring: TenantKeyring, tenant: uuid.UUID, columns: Columns
) -> str:
    async with tx(tenant, keyring) as t:
        [(row, person, sealed, _)] = await t.notes()
        await t.cipher.load_people([person])
        return t.cipher.open_field(columns.note, sealed, row_id=row, person_id=person)


async def test_the_cache_keeps_at_most_max_tenants(
    tx: Transactions,
    sessions: async_sessionmaker[AsyncSession],
    keyring: TenantKeyring,
    clock: ManualClock,
    columns: Columns,
    master_key_file: Path,
) -> None:
    tenants = [await new_tenant(sessions, keyring, clock) for _ in range(3)]
    for tenant in tenants:
        async with tx(tenant) as t:
            await t.insert_note(columns, uuid.uuid4(), "v")
    small = ring(master_key_file, sessions, cache=CachePolicy(max_tenants=2, ttl_seconds=60))
    for tenant in [*tenants, tenants[2], tenants[1]]:  # the last two are still cached
        await open_one(tx, small, tenant, columns)
    assert small.metrics.tenant_key_unwraps == 3
    await open_one(tx, small, tenants[0], columns)  # was evicted, least recently used
    assert small.metrics.tenant_key_unwraps == 4
    assert "cached_tenants=2" in repr(small)


async def test_cached_keys_expire(
    tx: Transactions,
    sessions: async_sessionmaker[AsyncSession],
    tenant: uuid.UUID,
    columns: Columns,
    master_key_file: Path,
) -> None:
    async with tx(tenant) as t:
        await t.insert_note(columns, uuid.uuid4(), "v")
    monotonic = FakeMonotonic()
    expiring = ring(
        master_key_file, sessions, cache=CachePolicy(ttl_seconds=30), monotonic=monotonic
    )
    await open_one(tx, expiring, tenant, columns)
    monotonic.now += 29
    await open_one(tx, expiring, tenant, columns)
    assert expiring.metrics.tenant_key_unwraps == 1
    monotonic.now += 2
    await open_one(tx, expiring, tenant, columns)
    assert expiring.metrics.tenant_key_unwraps == 2


async def usage(owner_engine: AsyncEngine, tenant: uuid.UUID) -> list[tuple[int, str, int]]:
    async with owner_engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT version, state, seals_reserved FROM keystore.tenant_keys"
                " WHERE tenant_id = :t AND purpose = 'data' ORDER BY version"
            ),
            {"t": tenant},
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_seals_are_counted_in_reserved_blocks(
    tx: Transactions,
    sessions: async_sessionmaker[AsyncSession],
    tenant: uuid.UUID,
    columns: Columns,
    master_key_file: Path,
    owner_engine: AsyncEngine,
) -> None:
    counting = ring(master_key_file, sessions, limits=KeyUsageLimits(tenant_block=8))
    assert await usage(owner_engine, tenant) == [(1, "active", 0)]
    async with tx(tenant, counting) as t:
        for index in range(3):
            await t.insert_secret(columns, f"s{index}")
    assert await usage(owner_engine, tenant) == [(1, "active", 8)]  # one block, committed apart
    async with tx(tenant, counting) as t:
        for index in range(6):
            await t.insert_secret(columns, f"t{index}")
    assert await usage(owner_engine, tenant) == [(1, "active", 16)]  # 9 seals: a second block


async def test_a_worn_tenant_key_is_rotated_by_the_next_writer(
    tx: Transactions,
    sessions: async_sessionmaker[AsyncSession],
    tenant: uuid.UUID,
    columns: Columns,
    master_key_file: Path,
    owner_engine: AsyncEngine,
) -> None:
    limits = KeyUsageLimits(rotate_after=4, refuse_after=100, tenant_block=4)
    worn = ring(master_key_file, sessions, limits=limits)
    async with tx(tenant, worn) as t:
        first = await t.insert_secret(columns, "under v1")
    async with tx(tenant, worn) as t:
        second = await t.insert_secret(columns, "under v2")
        sealed = dict(await t.secrets())
    assert await usage(owner_engine, tenant) == [(1, "decrypt_only", 4), (2, "active", 4)]
    assert sealed[first][:6] == b"\x01\x01\x00\x00\x00\x01"
    assert sealed[second][:6] == b"\x01\x01\x00\x00\x00\x02"
    async with tx(tenant, worn) as t:
        await t.cipher.load_tenant_keys()
        opened = {t.cipher.open_field(columns.secret, v, row_id=k) for k, v in sealed.items()}
    assert opened == {"under v1", "under v2"}


async def test_past_the_refusal_limit_nothing_is_sealed(
    tx: Transactions,
    sessions: async_sessionmaker[AsyncSession],
    tenant: uuid.UUID,
    columns: Columns,
    master_key_file: Path,
) -> None:
    """Rotation happens when a transaction starts; one that seals on and on is stopped."""
    limits = KeyUsageLimits(rotate_after=10, refuse_after=12, tenant_block=2, person_block=2)
    greedy = ring(master_key_file, sessions, limits=limits)
    async with tx(tenant, greedy) as t:
        for index in range(12):  # six blocks of two: 12 reserved, the limit
            await t.insert_secret(columns, f"value {index}")
        with pytest.raises(KeyUsageExhaustedError, match="has sealed 14 values; rotate it"):
            await t.insert_secret(columns, "one too many")


async def test_a_worn_person_key_is_replaced_and_old_values_still_open(
    tx: Transactions,
    sessions: async_sessionmaker[AsyncSession],
    tenant: uuid.UUID,
    columns: Columns,
    master_key_file: Path,
    owner_engine: AsyncEngine,
) -> None:
    limits = KeyUsageLimits(rotate_after=7, refuse_after=50, tenant_block=4, person_block=3)
    worn = ring(master_key_file, sessions, limits=limits)
    person = uuid.uuid4()
    for index in range(3):  # each transaction reserves a block of 3: 3, 6, 9 (> 7: replaced)
        async with tx(tenant, worn) as t:
            await t.insert_note(columns, person, f"note {index}")
    async with owner_engine.connect() as conn:
        keys = (
            await conn.execute(
                text(
                    "SELECT version, state, seals_reserved FROM keystore.person_keys"
                    " WHERE tenant_id = :t AND employee_id = :e ORDER BY version"
                ),
                {"t": tenant, "e": person},
            )
        ).all()
    assert [tuple(k) for k in keys] == [(1, "decrypt_only", 9), (2, "active", 3)]
    async with tx(tenant, worn) as t:
        notes = await t.notes()
        await t.cipher.load_people([person])
        opened = sorted(
            t.cipher.open_field(columns.note, sealed, row_id=row, person_id=person)
            for row, _, sealed, _ in notes
        )
    assert opened == ["note 0", "note 1", "note 2"]


def test_limits_stay_below_the_gcm_bound() -> None:
    assert KeyUsageLimits().rotate_after < KeyUsageLimits().refuse_after <= 2**32
    for bad in (
        {"rotate_after": 10, "refuse_after": 10},
        {"refuse_after": 2**33},
        {"tenant_block": 0},
        {"rotate_after": 10, "refuse_after": 12, "person_block": 3},
    ):
        with pytest.raises(ValueError, match=r"need|block"):
            KeyUsageLimits(**bad)  # type: ignore[arg-type]

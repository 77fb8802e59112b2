"""SQL over ``keystore.person_keys``; no cryptography here.

A writing transaction locks the active key rows of the people it writes for (in
employee order, so two multi-person writers cannot deadlock) and reserves a block of
seals on them in the same statement. Re-keying a person demotes that row, so it waits
for those writers and they cannot seal under the old key afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.crypto.keystore_schema import LIVE_STATES, KeyState, person_keys

_COLUMNS = (
    person_keys.c.employee_id,
    person_keys.c.version,
    person_keys.c.state,
    person_keys.c.tenant_key_version,
    person_keys.c.wrapped,
    person_keys.c.seals_reserved,
)


@dataclass(frozen=True)
class PersonKeyRow:
    employee_id: uuid.UUID
    version: int
    state: KeyState
    tenant_key_version: int | None
    wrapped: bytes | None
    seals_reserved: int


@dataclass(frozen=True)
class NewPersonKey:
    employee_id: uuid.UUID
    version: int
    tenant_key_version: int
    wrapped: bytes
    seals_reserved: int


def _row(row: Row[*tuple[Any, ...]]) -> PersonKeyRow:
    return PersonKeyRow(
        employee_id=row.employee_id,
        version=row.version,
        state=KeyState(row.state),
        tenant_key_version=row.tenant_key_version,
        wrapped=None if row.wrapped is None else bytes(row.wrapped),
        seals_reserved=row.seals_reserved,
    )


async def fetch(
    db: AsyncSession, tenant_id: uuid.UUID, employee_ids: Collection[uuid.UUID]
) -> list[PersonKeyRow]:
    """Every key row of these people, tombstones included."""
    rows = await db.execute(
        select(*_COLUMNS).where(
            person_keys.c.tenant_id == tenant_id, person_keys.c.employee_id.in_(employee_ids)
        )
    )
    return [_row(row) for row in rows]


async def reserve(
    db: AsyncSession, tenant_id: uuid.UUID, employee_ids: Collection[uuid.UUID], block: int
) -> list[PersonKeyRow]:
    """Lock these people's active keys in employee order and add ``block`` to their usage."""
    locked = (
        select(person_keys.c.employee_id, person_keys.c.version)
        .where(
            person_keys.c.tenant_id == tenant_id,
            person_keys.c.employee_id.in_(employee_ids),
            person_keys.c.state == KeyState.ACTIVE.value,
        )
        .order_by(person_keys.c.employee_id)
        .with_for_update(key_share=True)
        .cte("locked")
    )
    rows = await db.execute(
        update(person_keys)
        .where(
            person_keys.c.tenant_id == tenant_id,
            person_keys.c.employee_id == locked.c.employee_id,
            person_keys.c.version == locked.c.version,
        )
        .values(seals_reserved=person_keys.c.seals_reserved + block)
        .returning(*_COLUMNS)
    )
    return [_row(row) for row in rows]


async def demote(
    db: AsyncSession, tenant_id: uuid.UUID, employee_ids: Collection[uuid.UUID]
) -> None:
    await db.execute(
        update(person_keys)
        .where(
            person_keys.c.tenant_id == tenant_id,
            person_keys.c.employee_id.in_(employee_ids),
            person_keys.c.state == KeyState.ACTIVE.value,
        )
        .values(state=KeyState.DECRYPT_ONLY.value)
    )


async def next_versions(
    db: AsyncSession, tenant_id: uuid.UUID, employee_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """One past each person's highest version ever used: versions never repeat."""
    rows = await db.execute(
        select(person_keys.c.employee_id, func.max(person_keys.c.version))
        .where(person_keys.c.tenant_id == tenant_id, person_keys.c.employee_id.in_(employee_ids))
        .group_by(person_keys.c.employee_id)
    )
    highest = {employee_id: int(version) for employee_id, version in rows}
    return {employee_id: highest.get(employee_id, 0) + 1 for employee_id in employee_ids}


async def insert_new(
    db: AsyncSession, tenant_id: uuid.UUID, keys: Collection[NewPersonKey]
) -> set[uuid.UUID]:
    """Insert new active keys; a person another transaction just gave a key is skipped."""
    if not keys:
        return set()
    statement = (
        pg_insert(person_keys)
        .values(
            [
                {
                    "tenant_id": tenant_id,
                    "employee_id": key.employee_id,
                    "version": key.version,
                    "state": KeyState.ACTIVE.value,
                    "tenant_key_version": key.tenant_key_version,
                    "wrapped": key.wrapped,
                    "seals_reserved": key.seals_reserved,
                }
                for key in keys
            ]
        )
        .on_conflict_do_nothing()
        .returning(person_keys.c.employee_id)
    )
    return set((await db.scalars(statement)).all())


async def end(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    state: KeyState,
    *,
    employee_ids: Collection[uuid.UUID] | None = None,
) -> list[PersonKeyRow]:
    """Destroy (or retire) live keys, erasing their wrapped bytes; returns what was ended."""
    query = update(person_keys).where(
        person_keys.c.tenant_id == tenant_id, person_keys.c.state.in_(LIVE_STATES)
    )
    if employee_ids is not None:
        query = query.where(person_keys.c.employee_id.in_(employee_ids))
    rows = await db.execute(
        query.values(
            state=state.value, wrapped=None, tenant_key_version=None, retired_at=func.now()
        ).returning(*_COLUMNS)
    )
    return [_row(row) for row in rows]


def needing_rekey_condition(tenant_id: uuid.UUID, active_tenant_version: int) -> Any:
    """Live person keys that re-encryption must replace: superseded, or wrapped by an old key."""
    return (
        (person_keys.c.tenant_id == tenant_id)
        & person_keys.c.state.in_(LIVE_STATES)
        & (
            (person_keys.c.state == KeyState.DECRYPT_ONLY.value)
            | (person_keys.c.tenant_key_version != active_tenant_version)
        )
    )


async def people_needing_rekey(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    active_tenant_version: int,
    *,
    after: uuid.UUID | None,
    limit: int,
) -> list[uuid.UUID]:
    query = (
        select(person_keys.c.employee_id)
        .distinct()
        .where(needing_rekey_condition(tenant_id, active_tenant_version))
    )
    if after is not None:
        query = query.where(person_keys.c.employee_id > after)
    return list((await db.scalars(query.order_by(person_keys.c.employee_id).limit(limit))).all())


async def count_people_needing_rekey(
    db: AsyncSession, tenant_id: uuid.UUID, active_tenant_version: int
) -> int:
    query = select(func.count(person_keys.c.employee_id.distinct())).where(
        needing_rekey_condition(tenant_id, active_tenant_version)
    )
    return int(await db.scalar(query) or 0)


async def count_live_wrapped_by(
    db: AsyncSession, tenant_id: uuid.UUID, tenant_versions: Collection[int]
) -> int:
    query = select(func.count()).where(
        person_keys.c.tenant_id == tenant_id,
        person_keys.c.state.in_(LIVE_STATES),
        person_keys.c.tenant_key_version.in_(tenant_versions),
    )
    return int(await db.scalar(query) or 0)

"""Re-encryption: move every sealed value of a tenant onto its active key, then retire the old.

``hrvault keys rotate`` makes a new tenant data key active at once; ``reencrypt_tenant``
then, while the service keeps serving:

1. people: in batches (one transaction each), gives every person whose key is wrapped by
   an old tenant key, or who still has superseded key versions, a current key, and
   re-seals their values in every person-keyed column of the registry;
2. tenant values: in batches, re-seals every tenant-keyed value not under the active key;
3. waits until every transaction that began before the last re-seal has ended (a
   request that read a row before its re-seal may still be opening it), then retires
   each superseded key that nothing refers to any more: its wrapped bytes are erased.

Every write is a compare-and-swap on the exact sealed bytes that were read, so a value a
request changed in the meantime is never overwritten. Each batch commits on its own, so
an interrupted run loses nothing and a new run continues; a run with nothing to do
changes nothing. Values whose key was destroyed (erased people) are left as they are;
values that do not open are reported and keep their key from being retired.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import LargeBinary, Uuid, exists, func, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql import ColumnElement, TableClause, column, table

from hrvault.crypto import person_store, store
from hrvault.crypto.cipher import TenantCipher
from hrvault.crypto.columns import (
    SEALED_COLUMNS,
    SealedColumn,
    SealedColumnRegistry,
    unregistered_sealed_columns,
)
from hrvault.crypto.errors import (
    DataIntegrityError,
    KeyDestroyedError,
    MissingKeyError,
    UnregisteredSealedColumnError,
)
from hrvault.crypto.formats import HEADER_BYTES, KeyScope, key_header
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.keystore_schema import KeyPurpose, KeyState, person_keys
from hrvault.db import bind_tenant


@dataclass(frozen=True)
class ReencryptProgress:
    stage: str
    done: int
    total: int


@dataclass
class ReencryptResult:
    tenant_id: uuid.UUID
    active_version: int
    people_rekeyed: int = 0
    values_resealed: int = 0
    erased_values_skipped: int = 0
    unopenable_values: list[str] = field(default_factory=list)
    retired_tenant_versions: list[int] = field(default_factory=list)
    retired_person_keys: int = 0
    remaining_old_keys: int = 0
    complete: bool = False
    note: str = ""


class _Place:
    """A registered column as SQL: the table with the columns re-encryption touches."""

    def __init__(self, sealed: SealedColumn) -> None:
        self.sealed = sealed
        names = {"tenant_id", "id", sealed.person_column or "id"}
        columns = [column(name, Uuid) for name in sorted(names)]
        self.table: TableClause = table(sealed.table, *columns, column(sealed.column, LargeBinary))
        self.value = self.table.c[sealed.column]
        self.person = self.table.c[sealed.person_column] if sealed.person_column else None

    def prefix(self, version: int) -> bytes:
        return key_header(self.sealed.holds.format.tag, self.sealed.scope, version)

    def head(self) -> ColumnElement[bytes]:
        return func.substring(self.value, 1, HEADER_BYTES)


async def _swap(
    db: AsyncSession, place: _Place, tenant_id: uuid.UUID, row_id: uuid.UUID, old: bytes, new: bytes
) -> int:
    result = await db.execute(
        update(place.table)
        .where(place.table.c.tenant_id == tenant_id, place.table.c.id == row_id, place.value == old)
        .values({place.sealed.column: new})
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def _reseal(
    cipher: TenantCipher,
    db: AsyncSession,
    place: _Place,
    row_id: uuid.UUID,
    sealed: bytes,
    person_id: uuid.UUID | None,
    result: ReencryptResult,
) -> None:
    try:
        new = await cipher.reseal(place.sealed, sealed, row_id=row_id, person_id=person_id)
    except KeyDestroyedError:
        result.erased_values_skipped += 1
        return
    except DataIntegrityError:
        result.unopenable_values.append(f"{place.sealed.name} row {row_id}")
        return
    result.values_resealed += await _swap(db, place, cipher.tenant_id, row_id, sealed, new)


async def _people_batch(
    db: AsyncSession,
    keyring: TenantKeyring,
    tenant_id: uuid.UUID,
    people: list[uuid.UUID],
    places: list[_Place],
    result: ReencryptResult,
) -> None:
    cipher = TenantCipher(keyring, db, tenant_id)
    await cipher.prepare_writes(people)  # locks their keys; replaces the stale ones
    for place in places:
        if place.person is None:
            continue
        rows = await db.execute(
            select(place.table.c.id, place.person, place.value).where(
                place.table.c.tenant_id == tenant_id,
                place.person.in_(people),
                place.value.is_not(None),
            )
        )
        for row_id, person_id, sealed in rows.all():
            if not cipher.is_current(place.sealed, sealed, person_id=person_id):
                await _reseal(cipher, db, place, row_id, sealed, person_id, result)


async def _tenant_batch(
    db: AsyncSession,
    keyring: TenantKeyring,
    tenant_id: uuid.UUID,
    place: _Place,
    active_version: int,
    after: uuid.UUID | None,
    limit: int,
    result: ReencryptResult,
) -> uuid.UUID | None:
    query = select(place.table.c.id, place.value).where(
        place.table.c.tenant_id == tenant_id,
        place.value.is_not(None),
        place.head() != place.prefix(active_version),
    )
    if after is not None:
        query = query.where(place.table.c.id > after)
    rows = (await db.execute(query.order_by(place.table.c.id).limit(limit))).all()
    if not rows:
        return None
    cipher = TenantCipher(keyring, db, tenant_id)
    await cipher.load_tenant_keys()
    for row_id, sealed in rows:
        await _reseal(cipher, db, place, row_id, sealed, None, result)
    last: uuid.UUID = rows[-1][0]
    return last


async def wait_for_older_transactions(
    sessions: async_sessionmaker[AsyncSession], timeout_seconds: float
) -> int:
    """Wait until no session of this role and database runs a transaction begun before now.

    Returns how many are still open when the time runs out (0: none). Sessions of the
    same role are fully visible in ``pg_stat_activity`` without any extra privilege.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_seconds
    async with sessions() as db:
        cutoff = await db.scalar(text("SELECT clock_timestamp()"))
        while True:
            await db.rollback()  # statistics are a snapshot per transaction
            older = int(
                await db.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE usename = current_user"
                        " AND datname = current_database() AND pid <> pg_backend_pid()"
                        " AND xact_start < :cutoff"
                    ),
                    {"cutoff": cutoff},
                )
                or 0
            )
            if older == 0 or loop.time() >= deadline:
                return older
            await asyncio.sleep(0.05)


def _person_key_unreferenced(place: _Place) -> ColumnElement[bool]:
    """No value in this person-keyed column names the ``person_keys`` row being tested."""
    tag_and_scope = literal(bytes((place.sealed.holds.format.tag, KeyScope.PERSON)), LargeBinary)
    if place.person is None:
        raise ValueError(f"{place.sealed.name} is not person-keyed")
    return ~exists().where(
        place.table.c.tenant_id == person_keys.c.tenant_id,
        place.person == person_keys.c.employee_id,
        place.head() == tag_and_scope.op("||")(func.int4send(person_keys.c.version)),
    )


async def _tenant_key_referenced(
    db: AsyncSession, tenant_id: uuid.UUID, places: list[_Place], version: int
) -> bool:
    if await person_store.count_live_wrapped_by(db, tenant_id, [version]):
        return True
    for place in places:
        if place.sealed.scope is KeyScope.TENANT:
            named = exists().where(
                place.table.c.tenant_id == tenant_id, place.head() == place.prefix(version)
            )
            if await db.scalar(select(named)):
                return True
    return False


async def _retire(
    db: AsyncSession, tenant_id: uuid.UUID, places: list[_Place], result: ReencryptResult
) -> None:
    retired_people = await db.execute(
        update(person_keys)
        .where(
            person_keys.c.tenant_id == tenant_id,
            person_keys.c.state == KeyState.DECRYPT_ONLY.value,
            *(_person_key_unreferenced(p) for p in places if p.sealed.scope is KeyScope.PERSON),
        )
        .values(
            state=KeyState.RETIRED.value,
            wrapped=None,
            tenant_key_version=None,
            retired_at=func.now(),
        )
        .returning(person_keys.c.employee_id)
    )
    result.retired_person_keys += len(retired_people.all())
    old = [
        row.version
        for row in await store.all_keys(db, tenant_id, KeyPurpose.DATA)
        if row.state is KeyState.DECRYPT_ONLY
    ]
    retirable = [
        version
        for version in old
        if not await _tenant_key_referenced(db, tenant_id, places, version)
    ]
    if retirable:
        ended = await store.end_keys(
            db, tenant_id, KeyState.RETIRED, purpose=KeyPurpose.DATA, versions=retirable
        )
        result.retired_tenant_versions += sorted(row.version for row in ended)
    remaining_people = await person_store.count_people_needing_rekey(
        db, tenant_id, result.active_version
    )
    result.remaining_old_keys = remaining_people + len(old) - len(retirable)


async def reencrypt_tenant(
    sessions: async_sessionmaker[AsyncSession],
    keyring: TenantKeyring,
    tenant_id: uuid.UUID,
    *,
    registry: SealedColumnRegistry = SEALED_COLUMNS,
    batch_size: int = 100,
    wait_seconds: float = 60.0,
    progress: Callable[[ReencryptProgress], None] | None = None,
) -> ReencryptResult:
    """Re-seal a tenant's values under its active key and retire the superseded keys."""
    report = progress or (lambda _: None)
    async with sessions() as db:
        await bind_tenant(db, tenant_id)
        unregistered = await unregistered_sealed_columns(db, registry)
        if unregistered:
            raise UnregisteredSealedColumnError(
                "sealed columns missing from the registry: " + ", ".join(unregistered)
            )
        active = await store.active_key(db, tenant_id, KeyPurpose.DATA)
        if active is None:
            raise MissingKeyError(f"tenant {tenant_id} has no active data key")
        total = await person_store.count_people_needing_rekey(db, tenant_id, active.version)
    result = ReencryptResult(tenant_id, active.version)
    places = [_Place(sealed) for sealed in registry]

    after: uuid.UUID | None = None
    while True:
        async with sessions() as db:
            await bind_tenant(db, tenant_id)
            people = await person_store.people_needing_rekey(
                db, tenant_id, active.version, after=after, limit=batch_size
            )
            if not people:
                break
            await _people_batch(db, keyring, tenant_id, people, places, result)
            await db.commit()
        after = people[-1]
        result.people_rekeyed += len(people)
        report(
            ReencryptProgress("people", result.people_rekeyed, max(total, result.people_rekeyed))
        )

    for place in places:
        if place.sealed.scope is not KeyScope.TENANT:
            continue
        cursor: uuid.UUID | None = None
        while True:
            async with sessions() as db:
                await bind_tenant(db, tenant_id)
                cursor = await _tenant_batch(
                    db, keyring, tenant_id, place, active.version, cursor, batch_size, result
                )
                await db.commit()
            if cursor is None:
                break
            report(ReencryptProgress(place.sealed.name, result.values_resealed, 0))

    still_open = await wait_for_older_transactions(sessions, wait_seconds)
    if still_open:
        result.note = f"{still_open} transactions older than the re-seal are still open; run again"
        return result
    async with sessions() as db:
        await bind_tenant(db, tenant_id)
        await _retire(db, tenant_id, places, result)
        await db.commit()
    keyring.forget(tenant_id)
    result.complete = result.remaining_old_keys == 0 and not result.unopenable_values
    if result.unopenable_values:
        result.note = "values that do not open keep their keys; see the hrvault.security log"
    report(ReencryptProgress("retired", result.retired_person_keys, result.retired_person_keys))
    return result

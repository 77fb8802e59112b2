"""``hrvault tenant destroy``: keys first, then every row and file; nothing left opens a copy.

The tenants here are full ones (org, users, sessions, audit chain) with sealed values in
the crypto test tables, and a second tenant that must come through untouched.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.config import Settings
from hrvault.crypto.binding import NO_PERSON, field_ad
from hrvault.crypto.errors import KeyDestroyedError
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.local_provider import read_key_file
from hrvault.db import session_factory
from hrvault.offboarding import erase_tenant, find_tenant
from tests.crypto.conftest import Columns, Transactions
from tests.crypto.remaining_keys import every_remaining_key, opens_with_any
from tests.support import Api, TenantFactory, TenantHandle, error_codes

UNLINKED_TABLE = "offboarding_unlinked"
"""A tenant table with no foreign key to ``tenants``: only a sweep by ``tenant_id`` finds it."""


@dataclass
class Sealed:
    """The sealed values of one tenant, as a database copy taken now would hold them."""

    tenant_id: uuid.UUID
    notes: list[tuple[uuid.UUID, uuid.UUID, bytes, bytes | None]]
    secrets: list[tuple[uuid.UUID, bytes]]


@dataclass
class Scenario:
    victim: TenantHandle
    survivor: TenantHandle
    sealed: dict[uuid.UUID, Sealed]


@pytest.fixture(scope="session")
async def unlinked_table(owner_engine: AsyncEngine) -> str:
    async with owner_engine.begin() as conn:
        await conn.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS {UNLINKED_TABLE}"
                " (tenant_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (tenant_id, id))"
            )
        )
        await conn.execute(text(f"ALTER TABLE {UNLINKED_TABLE} ENABLE ROW LEVEL SECURITY"))
        await conn.execute(text(f"ALTER TABLE {UNLINKED_TABLE} FORCE ROW LEVEL SECURITY"))
        await conn.execute(text(f"DROP POLICY IF EXISTS tenant_isolation ON {UNLINKED_TABLE}"))
        await conn.execute(
            text(
                f"CREATE POLICY tenant_isolation ON {UNLINKED_TABLE}"
                " USING (tenant_id = hrvault_current_tenant())"
            )
        )
    return UNLINKED_TABLE


async def _populate(
    tenant: TenantHandle,
    tx: Transactions,
    columns: Columns,
    owner_engine: AsyncEngine,
    data_dir: Path,
) -> Sealed:
    async with tx(tenant.id) as t:
        for person in tenant.employees:
            await t.insert_note(columns, person, f"note of {person}", remark="private remark")
        await t.insert_secret(columns, f"secret of {tenant.slug}")
    async with tx(tenant.id) as t:
        sealed = Sealed(tenant.id, await t.notes(), await t.secrets())
    async with owner_engine.begin() as conn:
        # A head of department: a non-cascading key between two of the tenant's tables.
        await conn.execute(
            text("UPDATE departments SET head_employee_id = :e WHERE tenant_id = :t"),
            {"e": tenant.manager, "t": tenant.id},
        )
        await conn.execute(
            text(f"INSERT INTO {UNLINKED_TABLE} VALUES (:t, gen_random_uuid())"), {"t": tenant.id}
        )
    folder = Settings(data_dir=data_dir).files_path / str(tenant.id)
    (folder / "contracts").mkdir(parents=True)
    (folder / "contracts" / "one.sealed").write_bytes(b"\x01sealed")
    (folder / "two.sealed").write_bytes(b"\x01sealed")
    return sealed


@pytest.fixture
async def scenario(
    tenants: TenantFactory,
    tx: Transactions,
    columns: Columns,
    owner_engine: AsyncEngine,
    data_dir: Path,
    unlinked_table: str,
) -> Scenario:
    victim = await tenants.create(employees=3)
    survivor = await tenants.create(employees=2)
    sealed = {
        tenant.id: await _populate(tenant, tx, columns, owner_engine, data_dir)
        for tenant in (victim, survivor)
    }
    return Scenario(victim, survivor, sealed)


async def rows_naming(owner_engine: AsyncEngine, tenant_id: uuid.UUID) -> dict[str, int]:
    """Rows per table holding ``tenant_id`` (every table with the column, and ``tenants``)."""
    async with owner_engine.connect() as conn:
        tables = (
            await conn.scalars(
                text(
                    "SELECT table_name FROM information_schema.columns"
                    " WHERE table_schema = 'public' AND column_name = 'tenant_id'"
                )
            )
        ).all()
        counts = {
            table: await conn.scalar(
                text(f'SELECT count(*) FROM "{table}" WHERE tenant_id = :t'), {"t": tenant_id}
            )
            for table in tables
        }
        counts["tenants"] = await conn.scalar(
            text("SELECT count(*) FROM tenants WHERE id = :t"), {"t": tenant_id}
        )
    return counts


async def key_rows(owner_engine: AsyncEngine, tenant_id: uuid.UUID) -> set[tuple[str, bool]]:
    """Every key store row of a tenant as ``(key id, still wrapped)``."""
    async with owner_engine.connect() as conn:
        tenant_keys = await conn.execute(
            text(
                "SELECT purpose, version, wrapped IS NOT NULL AS live"
                " FROM keystore.tenant_keys WHERE tenant_id = :t"
            ),
            {"t": tenant_id},
        )
        person_keys = await conn.execute(
            text(
                "SELECT employee_id, version, wrapped IS NOT NULL AS live"
                " FROM keystore.person_keys WHERE tenant_id = :t"
            ),
            {"t": tenant_id},
        )
        return {
            *((f"tenant:{tenant_id}:{r.purpose}:v{r.version}", r.live) for r in tenant_keys),
            *((f"person:{r.employee_id}:v{r.version}", r.live) for r in person_keys),
        }


async def erasure_record(owner_engine: AsyncEngine, tenant_id: uuid.UUID) -> dict[str, Any] | None:
    async with owner_engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT * FROM tenant_erasures WHERE erased_tenant_id = :t"), {"t": tenant_id}
            )
        ).first()
    return None if row is None else dict(row._mapping)


def documents(data_dir: Path, tenant_id: uuid.UUID) -> list[str]:
    folder = Settings(data_dir=data_dir).files_path / str(tenant_id)
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def destroy(run: Any, tenant: TenantHandle, *extra: str) -> tuple[int, Any]:
    return run("tenant", "destroy", tenant.slug, "--confirm", tenant.slug, *extra)


def openable(keys: list[Any], sealed: Sealed, columns: Columns) -> list[bool]:
    """Whether each sealed value of the copy opens under any of ``keys``."""
    results = []
    for row, person, note, remark in sealed.notes:
        for column, value in ((columns.note, note), (columns.remark, remark)):
            if value is None:
                continue
            ad = field_ad(
                value[:6], sealed.tenant_id.bytes, person.bytes, row.bytes, column.binding
            )
            results.append(opens_with_any(keys, value, ad))
    for row, value in sealed.secrets:
        ad = field_ad(
            value[:6], sealed.tenant_id.bytes, NO_PERSON, row.bytes, columns.secret.binding
        )
        results.append(opens_with_any(keys, value, ad))
    return results


async def test_destroy_deletes_every_row_and_file_and_prints_a_receipt(
    run: Any, scenario: Scenario, owner_engine: AsyncEngine, data_dir: Path
) -> None:
    victim, survivor = scenario.victim, scenario.survivor
    before = await rows_naming(owner_engine, victim.id)
    survivor_before = await rows_naming(owner_engine, survivor.id)
    survivor_keys = await key_rows(owner_engine, survivor.id)
    keys = {key for key, _ in await key_rows(owner_engine, victim.id)}
    assert before[UNLINKED_TABLE] == 1
    assert before["audit_log"] > 0

    code, receipt = destroy(run, victim, "--operator", "Olga Operator")

    assert code == 0, receipt
    assert receipt["receipt_version"] == 1
    assert (receipt["tenant_id"], receipt["slug"]) == (str(victim.id), victim.slug)
    assert receipt["operator"] == "Olga Operator"
    assert keys == {
        f"tenant:{victim.id}:data:v1",
        f"tenant:{victim.id}:index:v1",
        *(f"person:{person}:v1" for person in victim.employees),
    }
    assert receipt["destroyed_keys"] == sorted(keys)
    assert receipt["rows_deleted"] == {table: n for table, n in before.items() if n}
    assert receipt["files_removed"] == 2
    destroyed_at = datetime.fromisoformat(receipt["keys_destroyed_at"])
    assert destroyed_at <= datetime.fromisoformat(receipt["completed_at"])

    assert set((await rows_naming(owner_engine, victim.id)).values()) == {0}
    assert not (Settings(data_dir=data_dir).files_path / str(victim.id)).exists()
    assert await key_rows(owner_engine, victim.id) == {(key, False) for key in keys}
    record = await erasure_record(owner_engine, victim.id)
    assert record is not None
    assert (record["slug"], record["operator"], record["destroyed_keys"]) == (
        victim.slug,
        "Olga Operator",
        sorted(keys),
    )
    assert (record["keys_destroyed_at"], record["rows_deleted"]) == (
        destroyed_at,
        receipt["rows_deleted"],
    )

    assert await rows_naming(owner_engine, survivor.id) == survivor_before
    assert await key_rows(owner_engine, survivor.id) == survivor_keys
    assert documents(data_dir, survivor.id) == ["contracts/one.sealed", "two.sealed"]


async def test_the_other_tenant_still_works_and_its_chain_verifies(
    run: Any, scenario: Scenario, api: Api, tx: Transactions, columns: Columns
) -> None:
    victim, survivor = scenario.victim, scenario.survivor
    assert destroy(run, victim)[0] == 0

    body = await api.gql("{ employees { nodes { id } } }", token=victim.token)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    page = await api.data("{ employees { nodes { id } } }", token=survivor.token)
    assert len(page["employees"]["nodes"]) == len(survivor.employees)
    code, report = run("audit", "verify", "--tenant", survivor.slug)
    assert (code, report["ok"]) == (0, True)
    assert report["records"] > 0
    sealed = scenario.sealed[survivor.id]
    async with tx(survivor.id) as t:
        await t.cipher.load_people(survivor.employees)
        opened = {
            t.cipher.open_field(columns.note, note, row_id=row, person_id=person)
            for row, person, note, _ in sealed.notes
        }
    assert opened == {f"note of {person}" for person in survivor.employees}


async def test_a_copy_taken_before_cannot_be_decrypted_with_anything_that_remains(
    run: Any,
    scenario: Scenario,
    columns: Columns,
    owner_engine: AsyncEngine,
    master_key_file: Path,
    tx: Transactions,
) -> None:
    """The copy is every sealed value of both tenants, dumped before the erasure."""
    victim, survivor = scenario.victim, scenario.survivor
    copy, kept = scenario.sealed[victim.id], scenario.sealed[survivor.id]
    keys_before = await every_remaining_key(owner_engine, read_key_file(master_key_file))
    assert all(openable(keys_before, copy, columns))  # so the check below can fail

    assert destroy(run, victim)[0] == 0

    keys = await every_remaining_key(owner_engine, read_key_file(master_key_file))
    assert not any(openable(keys, copy, columns))
    assert all(openable(keys, kept, columns))
    async with tx(victim.id) as t:  # this process's keyring was warm and was never told
        await t.cipher.load_people(victim.employees)
        await t.cipher.load_tenant_keys()
        for row, person, note, _ in copy.notes:
            with pytest.raises(KeyDestroyedError):
                t.cipher.open_field(columns.note, note, row_id=row, person_id=person)
        with pytest.raises(KeyDestroyedError):
            t.cipher.open_field(columns.secret, copy.secrets[0][1], row_id=copy.secrets[0][0])


async def test_the_erasing_process_forgets_the_tenant_keys_it_held(
    scenario: Scenario, keyring: TenantKeyring, owner_engine: AsyncEngine, settings: Any
) -> None:
    victim = scenario.victim
    sessions = session_factory(owner_engine)
    async with sessions() as db:  # warm: the unwrapped data key is cached
        tenant = await find_tenant(sessions, victim.slug)
        assert await keyring.data_key(db, victim.id, 1) is not None
        unwraps = keyring.metrics.tenant_key_unwraps
        await keyring.data_key(db, victim.id, 1)
        assert keyring.metrics.tenant_key_unwraps == unwraps

    await erase_tenant(sessions, keyring, tenant, operator="test", remove_files=lambda tenant_id: 0)

    async with sessions() as db:
        with pytest.raises(KeyDestroyedError):
            await keyring.data_key(db, victim.id, 1)


@pytest.mark.parametrize("confirmation", [None, "someone-else", "id", "SLUG"])
async def test_without_the_exact_slug_nothing_changes(
    run: Any,
    scenario: Scenario,
    owner_engine: AsyncEngine,
    data_dir: Path,
    api: Api,
    confirmation: str | None,
) -> None:
    victim = scenario.victim
    before = await rows_naming(owner_engine, victim.id)
    keys = await key_rows(owner_engine, victim.id)
    given = {"id": str(victim.id), "SLUG": victim.slug.upper()}.get(
        confirmation or "", confirmation
    )
    args = ["tenant", "destroy", str(victim.id)]
    if given is not None:
        args += ["--confirm", given]

    code, body = run(*args)

    assert (code, body["error"]["code"]) == (1, "CommandError")
    assert f"--confirm {victim.slug}" in body["error"]["message"]
    assert await rows_naming(owner_engine, victim.id) == before
    assert await key_rows(owner_engine, victim.id) == keys
    assert all(live for _, live in keys)
    assert await erasure_record(owner_engine, victim.id) is None
    assert documents(data_dir, victim.id) == ["contracts/one.sealed", "two.sealed"]
    assert await api.data("{ me { userId } }", token=victim.token)


async def test_running_again_answers_not_found_and_changes_nothing(
    run: Any, scenario: Scenario, owner_engine: AsyncEngine
) -> None:
    victim = scenario.victim
    assert destroy(run, victim)[0] == 0
    record = await erasure_record(owner_engine, victim.id)

    for name in (victim.slug, str(victim.id)):
        code, body = run("tenant", "destroy", name, "--confirm", victim.slug)
        assert (code, body["error"]["code"]) == (1, "NOT_FOUND")
        assert "was destroyed" in body["error"]["message"]
    code, body = run("tenant", "destroy", "never-existed", "--confirm", "never-existed")
    assert (code, body["error"]) == (1, {"code": "NOT_FOUND", "message": "tenant not found"})
    assert await erasure_record(owner_engine, victim.id) == record


@pytest.fixture
async def blocking_table(owner_engine: AsyncEngine) -> AsyncIterator[str]:
    """A tenant table whose key to ``tenants`` does not cascade (a schema mistake)."""
    async with owner_engine.begin() as conn:
        await conn.execute(
            text(
                "CREATE TABLE offboarding_blocking (tenant_id uuid NOT NULL"
                " CONSTRAINT fk_offboarding_blocking_tenant REFERENCES tenants (id),"
                " id uuid NOT NULL, PRIMARY KEY (tenant_id, id))"
            )
        )
        await conn.execute(text("ALTER TABLE offboarding_blocking ENABLE ROW LEVEL SECURITY"))
        await conn.execute(text("ALTER TABLE offboarding_blocking FORCE ROW LEVEL SECURITY"))
    yield "offboarding_blocking"
    async with owner_engine.begin() as conn:
        await conn.execute(text("DROP TABLE offboarding_blocking"))


async def test_a_run_stopped_after_the_keys_is_completed_by_the_next(
    run: Any,
    scenario: Scenario,
    owner_engine: AsyncEngine,
    blocking_table: str,
    data_dir: Path,
) -> None:
    victim = scenario.victim
    async with owner_engine.begin() as conn:
        await conn.execute(
            text(f"INSERT INTO {blocking_table} VALUES (:t, gen_random_uuid())"), {"t": victim.id}
        )
    before = await rows_naming(owner_engine, victim.id)
    keys = {key for key, _ in await key_rows(owner_engine, victim.id)}

    code, body = destroy(run, victim)

    assert (code, body["error"]["code"]) == (1, "CommandError")
    assert "fk_offboarding_blocking_tenant" in body["error"]["message"]
    assert await key_rows(owner_engine, victim.id) == {(key, False) for key in keys}
    assert await rows_naming(owner_engine, victim.id) == before
    assert documents(data_dir, victim.id) == ["contracts/one.sealed", "two.sealed"]
    record = await erasure_record(owner_engine, victim.id)
    assert record is not None
    assert (record["destroyed_keys"], record["completed_at"]) == (sorted(keys), None)

    async with owner_engine.begin() as conn:  # the operator fixes the schema's mistake
        await conn.execute(
            text(f"DELETE FROM {blocking_table} WHERE tenant_id = :t"), {"t": victim.id}
        )
    code, receipt = destroy(run, victim)

    assert code == 0, receipt
    assert receipt["destroyed_keys"] == sorted(keys)
    assert receipt["keys_destroyed_at"] == record["keys_destroyed_at"].isoformat()
    assert receipt["rows_deleted"] == {
        table: n for table, n in before.items() if n and table != blocking_table
    }
    assert set((await rows_naming(owner_engine, victim.id)).values()) == {0}
    assert not (Settings(data_dir=data_dir).files_path / str(victim.id)).exists()


class FilesUnreachable(OSError):
    """The file store failing in the middle of an erasure."""


async def test_a_failure_removing_files_keeps_the_rows_for_the_next_run(
    run: Any, scenario: Scenario, keyring: TenantKeyring, owner_engine: AsyncEngine
) -> None:
    victim = scenario.victim
    sessions = session_factory(owner_engine)
    tenant = await find_tenant(sessions, victim.slug)
    before = await rows_naming(owner_engine, victim.id)

    def unreachable(tenant_id: uuid.UUID) -> int:
        raise FilesUnreachable("document store unreachable")

    with pytest.raises(FilesUnreachable):
        await erase_tenant(sessions, keyring, tenant, operator="test", remove_files=unreachable)

    assert await rows_naming(owner_engine, victim.id) == before
    assert not any(live for _, live in await key_rows(owner_engine, victim.id))
    code, receipt = destroy(run, victim)
    assert (code, receipt["files_removed"]) == (0, 2)
    assert set((await rows_naming(owner_engine, victim.id)).values()) == {0}

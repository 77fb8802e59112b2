"""``hrvault keys ...``: init, rotate, reencrypt, rotate-master, and their refusals."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hrvault.cli import main
from hrvault.crypto.errors import MasterKeyError
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.local_provider import LocalKeyProvider, read_key_file
from hrvault.crypto.master import verify_master_key
from tests.crypto.conftest import Columns, Transactions
from tests.sensitive_support import READ_DETAILS, SensitiveWriter
from tests.support import Api, TenantFactory, build_org

IBANS = {True: "DE89 3704 0044 0532 0130 00", False: "SE45 5000 0000 0583 9825 7466"}


def test_init_creates_a_key_file_once(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "keys" / "master.key"
    env = {"HRVAULT_MASTER_KEY_FILE": str(path)}
    assert run("keys", "init", extra_env=env) == (0, {"created": str(path), "master_version": 1})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    code, body = run("keys", "init", extra_env=env)
    assert (code, body["error"]["code"]) == (2, "MasterKeyError")
    assert "already exists" in body["error"]["message"]
    code, body = run("keys", "init", extra_env={"HRVAULT_MASTER_KEY": "x"})
    assert (code, body["error"]["code"]) == (1, "CommandError")


def test_commands_refuse_a_wrong_or_missing_master_key(
    run: Any, tmp_path: Path, tenant: uuid.UUID
) -> None:
    """The database holds a tenant's keys, wrapped under the session's master key."""
    wrong = base64.b64encode(os.urandom(32)).decode()
    for args in (("serve",), ("tenant", "create", "--name", "Never Made")):
        code, body = run(*args, extra_env={"HRVAULT_MASTER_KEY": wrong})
        assert (code, body["error"]["code"]) == (2, "MasterKeyError")
        assert "wrong master key" in body["error"]["message"]
        assert wrong not in body["error"]["message"]
    code, body = run("serve", extra_env={"HRVAULT_MASTER_KEY_FILE": str(tmp_path / "none")})
    assert code == 2
    assert "hrvault keys init" in body["error"]["message"]


async def test_rotate_makes_a_new_version_active(run: Any, owner_engine: AsyncEngine) -> None:
    code, tenant = run("tenant", "create", "--name", f"Rotating {uuid.uuid4().hex[:6]}")
    assert code == 0
    assert run("keys", "rotate", "--tenant", tenant["slug"]) == (
        0,
        {"tenant_id": tenant["id"], "previous_version": 1, "active_version": 2},
    )
    code, body = run("keys", "rotate", "--tenant", "no-such-tenant")
    assert (code, body["error"]["code"]) == (1, "NOT_FOUND")
    async with owner_engine.connect() as conn:
        recorded = (
            await conn.execute(
                text(
                    "SELECT action, actor_kind, changes FROM audit_log"
                    " WHERE tenant_id = :t AND action = 'rotate_key'"
                ),
                {"t": uuid.UUID(tenant["id"])},
            )
        ).all()
    assert [(r.action, r.actor_kind) for r in recorded] == [("rotate_key", "system")]
    assert recorded[0].changes[0]["new"] == 2


def test_reencrypt_refuses_while_sealed_columns_are_unregistered(
    run: Any, columns: Columns
) -> None:
    """The subprocess has not registered the test tables' columns: it must not run."""
    code, tenant = run("tenant", "create", "--name", f"Unregistered {uuid.uuid4().hex[:6]}")
    code, body = run("keys", "reencrypt", "--tenant", tenant["id"])
    assert (code, body["error"]["code"]) == (1, "UnregisteredSealedColumnError")
    assert "crypto_notes.note_sealed" in body["error"]["message"]
    assert columns.note.name in body["error"]["message"]


async def test_reencrypt_shows_progress_and_prints_one_result(
    command_env: None,
    tx: Transactions,
    tenant: uuid.UUID,
    columns: Columns,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In this process, where the test columns are registered."""
    async with tx(tenant) as t:
        for index in range(5):
            await t.insert_note(columns, uuid.uuid4(), f"note {index}")
    args = ["keys", "reencrypt", "--tenant", str(tenant), "--batch-size", "2", "--json"]
    assert await asyncio.to_thread(main, ["keys", "rotate", "--tenant", str(tenant)]) == 0
    capsys.readouterr()
    assert await asyncio.to_thread(main, args) == 0
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert (result["complete"], result["people_rekeyed"], result["values_resealed"]) == (True, 5, 5)
    assert result["retired_tenant_versions"] == [1]
    assert err.splitlines() == [
        "reencrypt: people 2/5",
        "reencrypt: people 4/5",
        "reencrypt: people 5/5",
        "reencrypt: retired 5/5",
    ]


def _environment_value(provider: LocalKeyProvider) -> str:
    return ",".join(
        f"{version}:{base64.b64encode(key.reveal()).decode()}"
        for version, key in sorted(provider._keys.items())
    )


async def test_rotate_master_rewraps_every_tenant_key_and_touches_no_data(
    run: Any,
    tx: Transactions,
    tenant: uuid.UUID,
    columns: Columns,
    master_key_file: Path,
    owner_engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    person = uuid.uuid4()
    async with tx(tenant) as t:
        row = await t.insert_note(columns, person, "sealed before the master rotation")
        [(_, _, before, _)] = await t.notes()
    old = read_key_file(master_key_file)
    code, body = await asyncio.to_thread(
        run, "keys", "rotate-master", extra_env={"HRVAULT_MASTER_KEY": _environment_value(old)}
    )
    assert (code, body["error"]["code"]) == (1, "CommandError")  # environment keys: by hand

    code, body = await asyncio.to_thread(run, "keys", "rotate-master")
    new = read_key_file(master_key_file)
    assert code == 0
    assert body["master_version"] == new.primary_version == old.primary_version + 1
    async with owner_engine.connect() as conn:
        live = await conn.scalar(
            text("SELECT count(*) FROM keystore.tenant_keys WHERE wrapped IS NOT NULL")
        )
        under_new = await conn.scalar(
            text("SELECT count(*) FROM keystore.tenant_keys WHERE master_version = :v"),
            {"v": new.primary_version},
        )
    assert body["rewrapped"] == live == under_new
    assert body["tenants"] >= 1

    only_new = LocalKeyProvider(
        {new.primary_version: new._keys[new.primary_version]}, source="test"
    )
    only_old = LocalKeyProvider(
        {old.primary_version: old._keys[old.primary_version]}, source="test"
    )
    async with sessions() as db:
        await verify_master_key(db, only_new)
    async with sessions() as db:
        with pytest.raises(MasterKeyError, match="lacks master key"):
            await verify_master_key(db, only_old)
    ring = TenantKeyring(only_new, bookkeeping=sessions)
    async with tx(tenant, ring) as t:
        [(_, _, after, _)] = await t.notes()
        await t.cipher.load_people([person])
        opened = t.cipher.open_field(columns.note, after, row_id=row, person_id=person)
    assert (opened, after) == ("sealed before the master rotation", before)
    assert await asyncio.to_thread(run, "keys", "rotate-master", "--rewrap-only") == (
        0,
        {"master_version": new.primary_version, "rewrapped": 0, "tenants": 0},
    )


async def test_sensitive_details_read_back_equal_after_rotation_and_reencryption(
    command_env: None,
    columns: Columns,
    api: Api,
    tenants: TenantFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The real sealed columns, written through the API, survive a key rotation."""
    tenant = await tenants.create(employees=1)
    await tenants.step_up(tenant)
    people = await build_org(api, tenant)
    for person in (people["direct"], people["indirect"]):
        writer = SensitiveWriter(api, tenant.token)
        await writer.personal(person)
        await writer.bank(person, iban=IBANS[person == people["direct"]], holder="H")
        await writer.pay(person)
    before = {
        person: await api.data(READ_DETAILS, {"id": person}, token=tenant.token)
        for person in (people["direct"], people["indirect"])
    }

    assert await asyncio.to_thread(main, ["keys", "rotate", "--tenant", tenant.slug]) == 0
    capsys.readouterr()
    reencrypt = ["keys", "reencrypt", "--tenant", tenant.slug, "--json"]
    assert await asyncio.to_thread(main, reencrypt) == 0

    result = json.loads(capsys.readouterr().out)
    assert result["complete"] is True
    # personal, bank and pay values of two people, and the owner's TOTP seed
    assert result["values_resealed"] == 2 * (6 + 2 + 5) + 1
    for person, shown in before.items():
        assert await api.data(READ_DETAILS, {"id": person}, token=tenant.token) == shown

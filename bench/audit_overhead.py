"""What the audit trail costs a write: ``updateEmployee`` with and without it.

In-process over ASGI against an embedded PostgreSQL, mutations sent one at a time and
interleaved in rounds, so both variants see the same machine. Prints mutations per
second, app CPU per mutation and SQL statements per mutation. The baseline is the same
app with the audit schema extension removed from its schema (built here; the product
has no such switch). Run: ``.venv/bin/python bench/audit_overhead.py``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from inprocess import add_owner
from sqlalchemy import event

from hrvault.app import create_app
from hrvault.audit.extension import AuditTrailExtension
from hrvault.clock import SystemClock
from hrvault.config import Settings
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.local_provider import create_key_file
from hrvault.db import APP_ROLE, create_engine, session_factory
from hrvault.embedded_db import release_embedded_postgres, start_embedded_postgres
from hrvault.migrate import migrate
from hrvault.models import Employee, EmployeeStatus
from hrvault.tenancy import create_tenant

PASSWORD = "bench password 2026"  # noqa: S105 - a throwaway database
RENAME = (
    "mutation Rename($id: ID!, $v: Int!, $n: String!) { updateEmployee(id: $id,"
    " input: {version: $v, firstName: $n}) { version } }"
)


class Meter:
    """ASGI wrapper recording app CPU per request and counting SQL statements."""

    def __init__(self, app: Any, engine: Any) -> None:
        self.app = app
        self.cpu: list[float] = []
        self.statements = 0
        self.active = False
        event.listen(engine.sync_engine, "before_cursor_execute", self._count)

    def _count(self, *args: Any) -> None:
        if self.active:
            self.statements += 1

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        started = time.thread_time()
        self.active = True
        try:
            await self.app(scope, receive, send)
        finally:
            self.active = False
        self.cpu.append(time.thread_time() - started)


async def seed(engine: Any, keyring: TenantKeyring) -> tuple[str, list[uuid.UUID]]:
    now = SystemClock().now()
    async with session_factory(engine)() as db:
        tenant = await create_tenant(
            db, name="Audit bench", slug=f"ab-{uuid.uuid4().hex[:6]}", now=now, keyring=keyring
        )
        people = []
        for index in range(2):
            person = Employee(
                id=uuid.uuid4(),
                tenant_id=tenant.id,
                employee_number=f"A{index}",
                first_name="Bench",
                last_name=f"Person{index}",
                status=EmployeeStatus.ACTIVE,
            )
            person.stamp_created(None, now)
            db.add(person)
            people.append(person.id)
        await db.flush()
        await add_owner(db, tenant.id, now)
        await db.commit()
    return tenant.slug, people


async def run(mutations: int, rounds: int) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="hva-"))
    try:
        owner_url = await asyncio.to_thread(start_embedded_postgres, data_dir)
        await asyncio.to_thread(migrate, owner_url)
        engines = {
            name: create_engine(owner_url.set(username=APP_ROLE), pool_size=2)
            for name in ("audited", "baseline")
        }
        settings = Settings(data_dir=data_dir)
        keyring = TenantKeyring.from_settings(
            settings, create_key_file(settings.master_key_path), session_factory(engines["audited"])
        )
        slug, people = await seed(engines["audited"], keyring)
        apps = {name: create_app(settings, engine=engine) for name, engine in engines.items()}
        baseline_view = next(
            r.endpoint for r in apps["baseline"].routes if getattr(r, "path", "") == "/graphql"
        )
        baseline_view.schema.extensions = [
            e for e in baseline_view.schema.extensions if e is not AuditTrailExtension
        ]
        variants = {
            "audited": (Meter(apps["audited"], engines["audited"]), people[0]),
            "baseline": (Meter(apps["baseline"], engines["baseline"]), people[1]),
        }
        wall: dict[str, list[float]] = {name: [] for name in variants}
        statements: dict[str, list[int]] = {name: [] for name in variants}
        async with (
            apps["audited"].router.lifespan_context(apps["audited"]),
            apps["baseline"].router.lifespan_context(apps["baseline"]),
        ):
            clients = {}
            for name, (meter, person) in variants.items():
                client = httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=meter), base_url="http://b"
                )
                login = await client.post(
                    "/graphql",
                    json={
                        "query": "mutation($t: String!, $e: String!, $p: String!) "
                        "{ login(tenant: $t, email: $e, password: $p) { token } }",
                        "variables": {"t": slug, "e": "owner@bench.test", "p": PASSWORD},
                    },
                )
                token = login.json()["data"]["login"]["token"]
                clients[name] = (client, {"authorization": f"Bearer {token}"}, meter, person, [1])
            for _ in range(rounds):
                for name, (client, headers, meter, person, version) in clients.items():
                    meter.cpu.clear()
                    started = time.perf_counter()
                    for index in range(max(1, mutations // rounds)):
                        before = meter.statements
                        body = (
                            await client.post(
                                "/graphql",
                                json={
                                    "query": RENAME,
                                    "variables": {
                                        "id": str(person),
                                        "v": version[0],
                                        "n": f"N{index}",
                                    },
                                },
                                headers=headers,
                            )
                        ).json()
                        if "errors" in body:
                            raise RuntimeError(str(body["errors"])[:300])
                        version[0] = body["data"]["updateEmployee"]["version"]
                        statements[name].append(meter.statements - before)
                    wall[name].append((time.perf_counter() - started) / max(1, mutations // rounds))
            for client, *_ in clients.values():
                await client.aclose()
        for engine in engines.values():
            await engine.dispose()
    finally:
        release_embedded_postgres(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)
    results: dict[str, Any] = {}
    for name, (meter, _) in variants.items():
        results[name] = {
            "mutations_per_s": 1 / statistics.median(wall[name]),
            "cpu_ms_median": statistics.median(meter.cpu) * 1000,
            "statements_per_mutation": statistics.median(statements[name]),
        }
    base = results["baseline"]
    results["audited"]["throughput_cost"] = (
        1 - results["audited"]["mutations_per_s"] / base["mutations_per_s"]
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutations", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = asyncio.run(run(args.mutations, args.rounds))
    if args.json:
        print(json.dumps(results))
        return
    print(f"updateEmployee, {args.mutations} mutations per variant, one at a time")
    print(f"{'variant':<10}{'mutations/s':>13}{'CPU ms':>10}{'statements':>12}")
    for name, figures in results.items():
        print(
            f"{name:<10}{figures['mutations_per_s']:>13.1f}{figures['cpu_ms_median']:>10.2f}"
            f"{figures['statements_per_mutation']:>12.0f}"
        )
    print(f"audit costs {results['audited']['throughput_cost']:.0%} of write throughput")


if __name__ == "__main__":
    main()

"""What opening sealed values costs: ``employees(first: 100)`` with and without them.

One tenant of 100 people, each with personal, identity, bank, emergency and pay details
(sealed under their own keys, as the demo seeds them). As an Owner, in-process over ASGI,
requests one at a time, it measures the app's CPU per request for the same list:

- ``none``: directory and job fields only (no sensitive group selected),
- ``all``: the same plus every sensitive field of every group (about 2,300 values opened),
- ``all_unopened``: the ``all`` selection with ``TenantCipher.open_field`` replaced by a
  look-up of canned plaintexts (a variant assembled here; the product has no such switch),
  which separates what opening costs from what resolving 3,000 more fields costs.

Target: all costs at most 30 % more than none. Seal and open operations per second of the
crypto core alone: ``bench/crypto_ops.py``. Run: ``.venv/bin/python bench/sensitive_overhead.py``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from inprocess import BenchDatabase, CpuMeter, add_owner, embedded_database, login

from hrvault.app import create_app
from hrvault.crypto import columns
from hrvault.crypto.cipher import TenantCipher
from hrvault.db import session_factory
from hrvault.demo_details import seed_sensitive_details
from hrvault.models import Employee, EmployeeStatus, JobAssignment
from hrvault.models.base import Tracked
from hrvault.tenancy import create_tenant

PEOPLE = 100
NONE = "id name employeeNumber workEmail status jobTitle job { title effectiveFrom }"
ALL = (
    NONE + " personal { birthDate gender nationality privateEmail privatePhone"
    " homeAddress { street postalCode city country } }"
    " identity { nationalId nationalIdCountry passportNumber passportExpiry }"
    " bankAccounts { iban bic bankName holder isPrimary }"
    " emergencyContacts { name relation phone email }"
    " compensation { amount currency period payFrequency reason }"
)
CANNED = {
    columns.BIRTH_DATE: "1990-01-01",
    columns.GENDER: "female",
    columns.HOME_ADDRESS: '{"city": "C", "country": "SE", "postal_code": "1", "street": "S"}',
    columns.PASSPORT_EXPIRY: "2030-01-01",
    columns.PAY_AMOUNT: "100.00",
    columns.PAY_PERIOD: "month",
    columns.PAY_FREQUENCY: "monthly",
}


def canned_open(cipher: TenantCipher, column: Any, sealed: bytes, **_: Any) -> str:
    return CANNED.get(column, "canned")


QUERIES = {
    name: f"{{ employees(first: {PEOPLE}) {{ nodes {{ {fields} }} }} }}"
    for name, fields in (("none", NONE), ("all", ALL))
}


async def seed(bench: BenchDatabase) -> str:
    moment = datetime.now(UTC)
    async with session_factory(bench.engine)() as db:
        tenant = await create_tenant(
            db,
            name="Bench",
            slug=f"bench-{uuid.uuid4().hex[:6]}",
            now=moment,
            keyring=bench.keyring,
        )

        def add(row: Tracked) -> None:
            row.tenant_id = tenant.id  # type: ignore[attr-defined]
            row.stamp_created(None, moment)
            db.add(row)

        people = []
        for index in range(PEOPLE):
            person = Employee(
                id=uuid.uuid4(),
                employee_number=f"S{index:04d}",
                first_name=f"First{index:03d}",
                last_name=f"Last{index:03d}",
                work_email=f"p{index}@bench.test",
                status=EmployeeStatus.ACTIVE,
            )
            add(person)
            people.append(person)
        await db.flush()
        for person in people:
            add(
                JobAssignment(
                    employee_id=person.id,
                    title="Engineer",
                    effective_from=date.today() - timedelta(days=100),
                )
            )
        await db.flush()
        cipher = TenantCipher(bench.keyring, db, tenant.id)
        await seed_sensitive_details(
            db,
            cipher,
            add,
            people,
            "SE",
            date.today(),
            random.Random(7),
        )
        await add_owner(db, tenant.id, moment, people[0].id)
        await db.commit()
    return tenant.slug


@contextlib.contextmanager
def unopened() -> Iterator[None]:
    """``open_field`` answers canned plaintexts while the block runs (requests go one at a time)."""
    original = TenantCipher.open_field
    TenantCipher.open_field = canned_open  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        TenantCipher.open_field = original  # type: ignore[method-assign]


async def _one(client: httpx.AsyncClient, headers: dict[str, str], query: str) -> None:
    body = (await client.post("/graphql", json={"query": query}, headers=headers)).json()
    if "errors" in body or len(body["data"]["employees"]["nodes"]) != PEOPLE:
        raise RuntimeError(f"unexpected answer: {str(body)[:300]}")


async def run(requests: int, rounds: int) -> dict[str, Any]:
    async with embedded_database("hvs-") as bench:
        slug = await seed(bench)
        app = create_app(bench.settings, engine=bench.engine)
        meter = CpuMeter(app)
        variants = {**QUERIES, "all_unopened": QUERIES["all"]}
        samples: dict[str, list[float]] = {name: [] for name in variants}
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=meter), base_url="http://b"
            ) as client,
        ):
            headers = await login(client, slug, "owner@bench.test")
            for _ in range(rounds):  # interleaved, so drift and warm-up hit both alike
                for name, query in variants.items():
                    with unopened() if name == "all_unopened" else contextlib.nullcontext():
                        for _ in range(2):
                            await _one(client, headers, query)
                        meter.samples.clear()
                        for _ in range(max(1, requests // rounds)):
                            await _one(client, headers, query)
                    samples[name].extend(meter.samples)
    results: dict[str, Any] = {
        name: {
            "cpu_ms_median": statistics.median(values) * 1000,
            "requests_per_cpu_second": 1 / statistics.median(values),
        }
        for name, values in samples.items()
    }
    median = {name: figures["cpu_ms_median"] for name, figures in results.items()}
    results["ratio_all_to_none"] = median["all"] / median["none"]
    results["ratio_all_to_unopened"] = median["all"] / median["all_unopened"]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = asyncio.run(run(args.requests, args.rounds))
    if args.json:
        print(json.dumps(results))
        return
    print(f"employees(first: {PEOPLE}) as Owner, {args.requests} requests each")
    print(f"{'selection':<12}{'CPU ms/req (median)':>22}{'req per CPU-second':>22}")
    for name in ("none", "all", "all_unopened"):
        figures = results[name]
        print(
            f"{name:<12}{figures['cpu_ms_median']:>22.2f}{figures['requests_per_cpu_second']:>22.1f}"
        )
    print(f"all / none: {results['ratio_all_to_none']:.2f}x (target <= 1.30x)")
    print(f"all / all_unopened (what opening costs): {results['ratio_all_to_unopened']:.2f}x")


if __name__ == "__main__":
    main()

"""What field-level permissions cost: app CPU per request, with and without them.

Runs ``employees(first: 100)`` selecting the directory, job, employment and absence
groups (what the sealed groups add is measured by ``bench/sensitive_overhead.py``),
in-process over ASGI against an embedded PostgreSQL, and prints the server-side CPU per
request for:

- Owner (sees everything: every guard passes),
- Manager (sees 110 reports: guards pass for some groups, withhold others),
- a baseline assembled here from the same types and resolvers with the guards removed
  and an allow-everything policy (the product itself has no such switch).

CPU is the thread CPU time spent inside the ASGI app, requests sent one at a time, so
client work is not counted. Run: ``.venv/bin/python bench/permissions_overhead.py``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from inprocess import PASSWORD, CpuMeter, embedded_database, login
from sqlalchemy import ColumnElement, select, true, update
from strawberry.types.fields.resolver import StrawberryResolver

from hrvault.app import create_app
from hrvault.auth.users import create_user
from hrvault.config import Secret, Settings
from hrvault.crypto.keyring import TenantKeyring
from hrvault.db import session_factory
from hrvault.models import (
    Absence,
    AbsenceStatus,
    AbsenceType,
    Employee,
    EmployeeStatus,
    JobAssignment,
    ReportingLine,
    Role,
)
from hrvault.permissions.membership import assign_role, find_role
from hrvault.schema.types.employee import Employee as EmployeeType
from hrvault.tenancy import create_tenant
from hrvault.vocabulary import Ability

QUERY = """{ employees(first: 100) { nodes {
  id name employeeNumber workEmail workPhone status version
  jobTitle job { title effectiveFrom } department { name } office { name } manager { name }
  employments { ftePercent } absences { status startDate }
} } }"""


class AllowEverything:
    """The baseline's policy: every check passes at no cost."""

    abilities = frozenset(Ability)

    def can_see(self, subject: Any, group: Any) -> bool:
        return True

    def reach_filter(self, group: Any, action: Any) -> ColumnElement[bool]:
        return true()

    def grants_anyone(self, group: Any, action: Any) -> bool:
        return True


async def seed(engine: Any, keyring: TenantKeyring) -> tuple[str, dict[str, str]]:
    """One tenant: a manager with 110 reports in two levels, plus 10 others; absences."""
    moment = datetime.now(UTC)
    since = date.today() - timedelta(days=100)
    async with session_factory(engine)() as db:
        tenant = await create_tenant(
            db, name="Bench", slug=f"bench-{uuid.uuid4().hex[:6]}", now=moment, keyring=keyring
        )
        vacation = await db.scalar(
            select(AbsenceType).where(
                AbsenceType.tenant_id == tenant.id, AbsenceType.code == "vacation"
            )
        )
        people = []
        for index in range(121):
            person = Employee(
                id=uuid.uuid4(),
                tenant_id=tenant.id,
                employee_number=f"B{index:04d}",
                first_name=f"First{index:03d}",
                last_name=f"Last{index:03d}",
                work_email=f"p{index}@bench.test",
                status=EmployeeStatus.ACTIVE,
            )
            person.stamp_created(None, moment)
            db.add(person)
            people.append(person)
        await db.flush()
        boss = people[0]
        leads = people[1:11]
        for index, person in enumerate(people):
            if person is boss or index > 110:
                manager = None
            elif person in leads:
                manager = boss
            else:
                manager = leads[index % 10]
            rows: list[Any] = [
                ReportingLine(
                    employee_id=person.id,
                    manager_id=manager.id if manager else None,
                    effective_from=since,
                ),
                JobAssignment(employee_id=person.id, title="Engineer", effective_from=since),
                Absence(
                    employee_id=person.id,
                    absence_type_id=vacation.id,  # type: ignore[union-attr]
                    start_date=since,
                    end_date=since,
                    status=AbsenceStatus.APPROVED,
                ),
            ]
            for row in rows:
                row.tenant_id = tenant.id
                row.stamp_created(None, moment)
                db.add(row)
        await db.flush()
        logins = {}
        for name, employee, role in (("owner", people[120], "owner"), ("manager", boss, "manager")):
            user = await create_user(
                db,
                tenant_id=tenant.id,
                email=f"{name}@bench.test",
                password=Secret(PASSWORD),
                employee_id=employee.id,
                actor_id=None,
                now=moment,
            )
            found = await find_role(db, tenant.id, role)
            await assign_role(db, tenant.id, user.id, found.id, actor_id=None, now=moment)
            logins[name] = f"{name}@bench.test"
        # The bench measures field permissions, not the TOTP step-up the built-in roles ask for.
        await db.execute(
            update(Role).where(Role.tenant_id == tenant.id).values(requires_totp=False)
        )
        await db.commit()
    return tenant.slug, logins


async def _one(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    body = (await client.post("/graphql", json={"query": QUERY}, headers=headers)).json()
    if "errors" in body or len(body["data"]["employees"]["nodes"]) != 100:
        raise RuntimeError(f"unexpected answer: {str(body)[:300]}")


class Baseline:
    """The same types with the per-field guards taken out and an allow-everything policy.

    Strawberry looks a field's resolver up at call time, so the guards are swapped out
    only while a baseline block runs (requests go one at a time) and restored after.
    """

    def __init__(self, settings: Settings, engine: Any) -> None:
        self.swaps: list[tuple[Any, Any, Any]] = []
        for field in EmployeeType.__strawberry_definition__.fields:
            resolver = field.base_resolver
            if resolver is not None and hasattr(resolver.wrapped_func, "field_group"):
                bare = StrawberryResolver(resolver.wrapped_func.__wrapped__)
                self.swaps.append((field, resolver, bare))
        self.app = create_app(settings, engine=engine)
        graphql = next(r.endpoint for r in self.app.routes if getattr(r, "path", "") == "/graphql")
        original = graphql._authenticate

        async def authenticate_without_policy(context: Any) -> None:
            await original(context)
            if context.principal is not None:
                context.policy = AllowEverything()

        graphql._authenticate = authenticate_without_policy

    def __enter__(self) -> None:
        for field, _, bare in self.swaps:
            field.base_resolver = bare

    def __exit__(self, *exc: object) -> None:
        for field, guarded, _ in self.swaps:
            field.base_resolver = guarded


async def run(requests: int, rounds: int) -> dict[str, Any]:
    async with embedded_database("hvp-") as bench:
        slug, logins = await seed(bench.engine, bench.keyring)
        product = create_app(bench.settings, engine=bench.engine)
        baseline = Baseline(bench.settings, bench.engine)
        variants = {
            "owner": (CpuMeter(product), logins["owner"]),
            "manager": (CpuMeter(product), logins["manager"]),
            "baseline": (CpuMeter(baseline.app), logins["owner"]),
        }
        samples: dict[str, list[float]] = {name: [] for name in variants}
        async with (
            product.router.lifespan_context(product),
            baseline.app.router.lifespan_context(baseline.app),
        ):
            clients = {}
            for name, (meter, email) in variants.items():
                client = httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=meter), base_url="http://b"
                )
                clients[name] = (client, await login(client, slug, email), meter)
            for _ in range(rounds):  # interleaved, so drift and warm-up hit every variant alike
                for name, (client, headers, meter) in clients.items():
                    with baseline if name == "baseline" else contextlib.nullcontext():
                        for _ in range(3):
                            await _one(client, headers)
                        meter.samples.clear()
                        for _ in range(max(1, requests // rounds)):
                            await _one(client, headers)
                    samples[name].extend(meter.samples)
            for client, _, _ in clients.values():
                await client.aclose()
    results: dict[str, Any] = {
        name: {
            "cpu_ms_median": statistics.median(values) * 1000,
            "cpu_ms_mean": statistics.fmean(values) * 1000,
        }
        for name, values in samples.items()
    }
    base = results["baseline"]["cpu_ms_median"]
    for figures in results.values():
        figures["ratio_to_baseline"] = figures["cpu_ms_median"] / base
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = asyncio.run(run(args.requests, args.rounds))
    if args.json:
        print(json.dumps(results))
        return
    print(f"employees(first: 100), directory, job, employment, absences: {args.requests} requests")
    print(f"{'variant':<10}{'CPU ms/req (median)':>22}{'mean':>10}{'x baseline':>12}")
    for name, figures in results.items():
        ratio = figures["ratio_to_baseline"]
        print(
            f"{name:<10}{figures['cpu_ms_median']:>22.2f}{figures['cpu_ms_mean']:>10.2f}{ratio:>12.2f}"
        )


if __name__ == "__main__":
    main()

"""What a request costs in a large tenant: 1,000, 10,000 and 100,000 people.

Seeds each size with COPY into a fresh embedded PostgreSQL: seven levels, fan-out 5 to
10, one division of about 37 % of the people, two job assignments and two reporting
lines per person (last year's and this year's), departments per division and per group
under it, a 3-person department and five offices. Then, in-process over ASGI, one
request at a time, it prints the median of each request below, the app's and the
database's CPU per request, and the growth from the smallest to the largest size.

    .venv/bin/python bench/large_tenant.py [--sizes 1000,10000,100000] [--repeat 7] [--json]

A request that answers with an error is shown as its error code, not a time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from employees_list import cpu_seconds
from inprocess import CpuMeter, add_owner, embedded_database, login
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.app import create_app
from hrvault.auth.users import create_user
from hrvault.config import Secret
from hrvault.db import session_factory
from hrvault.permissions.membership import assign_role, find_role
from hrvault.resolvers.pagination import EmployeeCursor
from hrvault.tenancy import create_tenant

LEVELS = 7
FIRST = ("Ada", "Ben", "Cleo", "Dan", "Eva", "Finn", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea")
LAST = ("Smith", "Jones", "Garcia", "Novak", "Kowalski", "Martin", "Rossi", "Berg", "Okafor")
PASSWORD = "bench password 2026"  # noqa: S105 - a throwaway database
NODE = "id name jobTitle department { name } manager { name }"
PAGE = (
    "{{ employees(first: 50{args}) {{ edges {{ node {{ {node} }} }} pageInfo {{ endCursor }} }} }}"
)


@dataclass
class Org:
    """The seeded tenant: who heads what, and the ids the requests name."""

    ids: list[uuid.UUID] = field(default_factory=list)
    names: list[tuple[str, str]] = field(default_factory=list)
    manager: list[int | None] = field(default_factory=list)
    level: list[int] = field(default_factory=list)
    department: list[uuid.UUID] = field(default_factory=list)
    departments: dict[uuid.UUID, tuple[str, uuid.UUID | None]] = field(default_factory=dict)
    offices: list[uuid.UUID] = field(default_factory=list)

    def add(self, manager: int | None, department: uuid.UUID) -> int:
        index = len(self.ids)
        self.ids.append(uuid.uuid4())
        self.names.append((FIRST[index % len(FIRST)], f"{LAST[index % len(LAST)]} {index:06d}"))
        self.manager.append(manager)
        self.level.append(0 if manager is None else self.level[manager] + 1)
        self.department.append(department)
        return index

    def new_department(self, name: str, parent: uuid.UUID | None) -> uuid.UUID:
        department = uuid.uuid4()
        self.departments[department] = (name, parent)
        return department

    def subtree_sizes(self) -> list[int]:
        sizes = [1] * len(self.ids)
        for index in range(len(self.ids) - 1, 0, -1):
            sizes[self.manager[index] or 0] += sizes[index]
        return sizes


def build_org(size: int, rng: random.Random) -> Org:
    """Seven levels, 5 to 10 reports per manager, the first division ~37 % of everyone."""
    org = Org()
    company = org.new_department("Company", None)
    org.offices = [uuid.uuid4() for _ in range(5)]
    ceo = org.add(None, company)

    def grow(head: int, budget: int, department: uuid.UUID) -> None:
        levels_left = LEVELS - 1 - org.level[head]
        if budget <= 0 or levels_left <= 0:
            return
        fan = 1 if levels_left == 1 else round(budget ** (1 / levels_left))
        fan = min(budget, max(fan, 5) if levels_left > 1 else budget)
        fan = min(fan, 10) if levels_left > 1 else fan
        shares = [rng.uniform(0.7, 1.3) for _ in range(fan)]
        total = sum(shares)
        left = budget - fan
        for child_index in range(fan):
            share = left if child_index == fan - 1 else int(left * shares[child_index] / total)
            left -= share
            child_department = department
            if org.level[head] < 2:
                name = f"{'Division' if org.level[head] == 0 else 'Group'} {len(org.departments)}"
                child_department = org.new_department(name, department)
            child = org.add(head, child_department)
            grow(child, share, child_department)

    big = round((size - 1) * 0.37)
    division = org.new_department("Division 1", company)
    head = org.add(ceo, division)
    grow(head, big - 1, division)
    rest = size - 1 - big
    divisions = max(1, min(9, rest // 1000 or 1))
    for number in range(divisions):
        share = rest // divisions + (1 if number < rest % divisions else 0)
        if share <= 0:
            continue
        department = org.new_department(f"Division {number + 2}", company)
        grow(org.add(ceo, department), share - 1, department)
    return org


async def copy_org(owner: AsyncEngine, tenant_id: uuid.UUID, org: Org) -> None:
    """Departments, offices, people, two jobs and two reporting lines each, by COPY."""
    now = datetime.now(UTC)
    today = date.today()
    earlier, current = today - timedelta(days=700), today - timedelta(days=300)
    track = (now, None, now, None, 1)
    small = uuid.uuid4()
    org.departments[small] = ("Tiny team", None)
    async with owner.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.copy_records_to_table(
            "offices",
            records=[
                (tenant_id, o, f"Office {n}", "", "DE", "Europe/Berlin", *track)
                for n, o in enumerate(org.offices)
            ],
            columns=[
                "tenant_id",
                "id",
                "name",
                "address",
                "country_code",
                "timezone",
                "created_at",
                "created_by",
                "updated_at",
                "updated_by",
                "version",
            ],
        )
        await raw.copy_records_to_table(
            "departments",
            records=[
                (tenant_id, d, name, None, None, *track) for d, (name, _) in org.departments.items()
            ],
            columns=[
                "tenant_id",
                "id",
                "name",
                "parent_id",
                "head_employee_id",
                "created_at",
                "created_by",
                "updated_at",
                "updated_by",
                "version",
            ],
        )
        for d, (_, parent) in org.departments.items():
            if parent is not None:
                await raw.execute(
                    "UPDATE departments SET parent_id = $3 WHERE tenant_id = $1 AND id = $2",
                    tenant_id,
                    d,
                    parent,
                )
        await raw.copy_records_to_table(
            "employees",
            records=[
                (
                    tenant_id,
                    person,
                    f"E{n:07d}",
                    first,
                    last,
                    None,
                    f"p{n}@large.test",
                    None,
                    "active",
                    *track,
                )
                for n, (person, (first, last)) in enumerate(zip(org.ids, org.names, strict=True))
            ],
            columns=[
                "tenant_id",
                "id",
                "employee_number",
                "first_name",
                "last_name",
                "preferred_name",
                "work_email",
                "work_phone",
                "status",
                "created_at",
                "created_by",
                "updated_at",
                "updated_by",
                "version",
            ],
        )
        jobs, lines = [], []
        for n, person in enumerate(org.ids):
            office = org.offices[n % len(org.offices)]
            department = small if n in (7, 8, 9) else org.department[n]
            jobs.append(
                (tenant_id, uuid.uuid4(), person, "Associate", department, office, earlier, *track)
            )
            jobs.append(
                (
                    tenant_id,
                    uuid.uuid4(),
                    person,
                    f"Level {org.level[n]}",
                    department,
                    office,
                    current,
                    *track,
                )
            )
            boss = org.manager[n]
            grand = org.manager[boss] if boss is not None else None
            old_boss = grand if grand is not None else boss
            lines.append(
                (
                    tenant_id,
                    uuid.uuid4(),
                    person,
                    org.ids[old_boss] if old_boss is not None else None,
                    earlier,
                    *track,
                )
            )
            lines.append(
                (
                    tenant_id,
                    uuid.uuid4(),
                    person,
                    org.ids[boss] if boss is not None else None,
                    current,
                    *track,
                )
            )
        trail = ["created_at", "created_by", "updated_at", "updated_by", "version"]
        await raw.copy_records_to_table(
            "job_assignments",
            records=jobs,
            columns=[
                "tenant_id",
                "id",
                "employee_id",
                "title",
                "department_id",
                "office_id",
                "effective_from",
                *trail,
            ],
        )
        await raw.copy_records_to_table(
            "reporting_lines",
            records=lines,
            columns=["tenant_id", "id", "employee_id", "manager_id", "effective_from", *trail],
        )
        await raw.execute("ANALYZE")
        await connection.commit()


async def add_user(
    engine: AsyncEngine, tenant_id: uuid.UUID, email: str, person: uuid.UUID, role: str
) -> None:
    async with session_factory(engine)() as db:
        await db.execute(text_tenant(), {"t": str(tenant_id)})
        now = datetime.now(UTC)
        user = await create_user(
            db,
            tenant_id=tenant_id,
            email=email,
            password=Secret(PASSWORD),
            employee_id=person,
            actor_id=None,
            now=now,
        )
        await assign_role(
            db,
            tenant_id,
            user.id,
            (await find_role(db, tenant_id, role)).id,
            actor_id=None,
            now=now,
        )
        await db.commit()


def text_tenant() -> Any:
    from sqlalchemy import text

    return text("SELECT set_config('hrvault.tenant_id', :t, true)")


def cursor(org: Org, index: int) -> str:
    first, last = org.names[index]
    return EmployeeCursor(last, first, org.ids[index]).encode()


def requests_for(org: Org) -> list[tuple[str, str, str]]:
    """(row label, who asks, query) in the order of the issue's table."""
    sizes = org.subtree_sizes()
    ordered = sorted(range(len(org.ids)), key=lambda i: (org.names[i][1], org.names[i][0]))
    lead = max((i for i in range(len(org.ids)) if org.manager[i] == 1), key=lambda i: sizes[i])
    counts: dict[uuid.UUID, int] = {}
    for department in org.department:
        counts[department] = counts.get(department, 0) + 1
    largest = max(counts, key=lambda d: counts[d])
    small = next(d for d, (name, _) in org.departments.items() if name == "Tiny team")
    ceo, head = org.ids[0], org.ids[1]

    def page(args: str = "", node: str = NODE) -> str:
        return PAGE.format(args=args, node=node)

    def nested(levels: int, first: int = 8) -> str:
        """Each level pages its reports (the cost meter counts a level at its ``first:``)."""
        inner = "id name"
        for _ in range(levels):
            inner = f"id name directReports(first: {first}) {{ {inner} }}"
        return f'{{ employee(id: "{ceo}") {{ {inner} }} }}'

    me = "{ me { userId displayName employee { id name jobTitle } } }"
    return [
        ("first page of 50 (Owner)", "owner", page()),
        (
            "page by cursor (Owner)",
            "owner",
            page(f', after: "{cursor(org, ordered[len(ordered) // 2])}"'),
        ),
        ("last page (Owner)", "owner", page(f', after: "{cursor(org, ordered[-30])}"')),
        ("employees as the division manager", "head", page()),
        ("{ me } as the division manager", "head", me),
        ("{ me } as a team lead", "lead", me),
        ("{ me } as the Owner", "owner", me),
        ("first page as the team lead", "lead", page()),
        (
            "search: employee number",
            "owner",
            page(f', filter: {{search: "E{len(org.ids) // 2:07d}"}}'),
        ),
        (
            "search: a name",
            "owner",
            page(f', filter: {{search: "{org.names[len(org.ids) // 3][1]}"}}'),
        ),
        ("search: no match", "owner", page(', filter: {search: "Zyxwvut"}')),
        ("filter: largest department", "owner", page(f', filter: {{department: "{largest}"}}')),
        ("filter: 3-person department", "owner", page(f', filter: {{department: "{small}"}}')),
        ("filter: office", "owner", page(f', filter: {{office: "{org.offices[0]}"}}')),
        ("filter: manager", "owner", page(f', filter: {{manager: "{head}"}}')),
        ("filter: status", "owner", page(", filter: {status: ACTIVE}")),
        ("directReports nested 4 levels, 8 each", "owner", nested(4)),
        (
            "reports connection, CEO, first page",
            "owner",
            f'{{ employee(id: "{ceo}") {{ reports(first: 50) '
            f"{{ edges {{ node {{ {NODE} }} }} }} }} }}",
        ),
    ], lead


def postmaster_pid(data_dir: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int((data_dir / "pg" / "postmaster.pid").read_text().split()[0])
    return None


async def measure_size(size: int, repeat: int) -> dict[str, Any]:
    rng = random.Random(size)
    async with embedded_database("hvlt-") as database:
        now = datetime.now(UTC)
        async with session_factory(database.engine)() as db:
            tenant = await create_tenant(
                db, name="Large", slug=f"large-{size}", now=now, keyring=database.keyring
            )
            await db.commit()
        org = build_org(size, rng)
        began = time.perf_counter()
        await copy_org(database.owner, tenant.id, org)
        seeded = time.perf_counter() - began
        async with session_factory(database.engine)() as db:
            await db.execute(text_tenant(), {"t": str(tenant.id)})
            owner_email = await add_owner(db, tenant.id, now, employee_id=org.ids[0])
            await db.commit()
        requests, lead = requests_for(org)
        await add_user(database.engine, tenant.id, "head@large.test", org.ids[1], "manager")
        await add_user(database.engine, tenant.id, "lead@large.test", org.ids[lead], "manager")
        app = create_app(database.settings, engine=database.engine)
        meter = CpuMeter(app)
        db_pid = postmaster_pid(database.settings.data_dir)
        rows: dict[str, dict[str, Any]] = {}
        transport = httpx.ASGITransport(app=meter)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as client,
        ):
            headers = {
                "owner": await login(client, tenant.slug, owner_email),
                "head": await login(client, tenant.slug, "head@large.test"),
                "lead": await login(client, tenant.slug, "lead@large.test"),
            }
            for label, who, query in requests:
                times, failure = [], None
                await client.post("/graphql", json={"query": query}, headers=headers[who])
                meter.samples.clear()
                db_before = cpu_seconds(db_pid)
                for _ in range(repeat):
                    started = time.perf_counter()
                    answer = await client.post(
                        "/graphql", json={"query": query}, headers=headers[who]
                    )
                    times.append(time.perf_counter() - started)
                    errors = answer.json().get("errors")
                    if errors:
                        failure = errors[0].get("extensions", {}).get("code", "ERROR")
                        break
                db_after = cpu_seconds(db_pid)
                db_ms = (
                    (db_after - db_before) * 1000 / len(times)
                    if db_after is not None and db_before is not None
                    else None
                )
                rows[label] = {
                    "median_ms": None if failure else statistics.median(times) * 1000,
                    "error": failure,
                    "app_cpu_ms": statistics.median(meter.samples) * 1000
                    if meter.samples
                    else None,
                    "db_cpu_ms": db_ms,
                }
                shown = failure or f"{statistics.median(times) * 1000:.1f} ms"
                log(f"{size}: {label}: {shown}")
        return {"people": size, "seed_seconds": round(seeded, 1), "rows": rows}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def render(results: list[dict[str, Any]]) -> str:
    def cell(row: dict[str, Any]) -> str:
        if row["error"]:
            return row["error"]
        app = f"{row['app_cpu_ms']:.0f}" if row["app_cpu_ms"] is not None else "-"
        db = f"{row['db_cpu_ms']:.0f}" if row["db_cpu_ms"] is not None else "-"
        return f"{row['median_ms']:.1f} ({app}/{db})"

    sizes = [f"{r['people']:,} people" for r in results]
    lines = [
        "median ms (app CPU ms / database CPU ms per request)",
        "| request | " + " | ".join(sizes) + " | growth |",
        "|---|" + "---|" * (len(sizes) + 1),
    ]
    for label in results[0]["rows"]:
        cells = [r["rows"][label] for r in results]
        first, last = cells[0], cells[-1]
        growth = "-"
        if len(cells) > 1 and not first["error"] and not last["error"]:
            growth = f"{last['median_ms'] / first['median_ms']:.1f}x"
        lines.append(f"| {label} | " + " | ".join(cell(c) for c in cells) + f" | {growth} |")
    lines.append(
        "seeding by COPY: "
        + ", ".join(f"{r['people']:,} in {r['seed_seconds']} s" for r in results)
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=7, help="requests per row (median)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results = [asyncio.run(measure_size(size, args.repeat)) for size in sizes]
    print(json.dumps(results) if args.json else render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What the most expensive document the limits allow does to a `{ me }` beside it.

Seeds one tenant with a reporting tree (``--people``, ``--fanout`` reports per manager)
on an embedded PostgreSQL, serves it with ``hrvault serve`` over real HTTP, and, as an
Owner, sends each heavy document below in a loop while a second client sends
``{ me { displayName } }`` one after another. It prints, per heavy document, whether the
server accepted it, how long it took and how big its answer was, and ``me``'s p50/p99
idle and beside it:

- ``cycle``: a page of people, then manager/directReports four times over; each round
  trip multiplies the rows by the fan-out (the document issue 15 found);
- ``cycle_paged``: the same with ``directReports(first: fan-out)``, on the largest page
  the cost limit accepts (found by asking: a refused document costs nothing);
- ``wide_page``: the largest page of people the limit accepts, each with every
  directory, job and history field.

Run from the project root::

    .venv/bin/python bench/expensive_neighbour.py [--people 2000] [--fanout 7] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from inprocess import BenchDatabase, add_owner, embedded_database, login

from hrvault.db import session_factory
from hrvault.models import Employee, EmployeeStatus, JobAssignment, ReportingLine
from hrvault.tenancy import create_tenant

ME = "{ me { displayName } }"
ROUND_TRIP = "manager {{ name directReports{page} {{ name {inner} }} }}"
WIDE = """query($n: Int) { employees(first: $n) { nodes {
  id employeeNumber firstName lastName preferredName name workEmail workPhone status version
  jobTitle job { id title effectiveFrom department { id name } office { id name } }
  manager { id name } directReports{page} { id name } jobHistory{page} { id title }
  reportingLines{page} { id } employments{page} { id } absences{page} { id }
} } }"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cycle(page: str) -> str:
    inner = ""
    for _ in range(4):
        inner = ROUND_TRIP.format(page=page, inner=inner)
    return "query($n: Int) { employees(first: $n) { nodes { name " + inner + " } } }"


async def seed(bench: BenchDatabase, people: int, fanout: int) -> str:
    """A tree: person 0 heads it, person i reports to person (i - 1) // fanout."""
    moment = datetime.now(UTC)
    since = date.today() - timedelta(days=100)
    async with session_factory(bench.engine)() as db:
        tenant = await create_tenant(
            db,
            name="Bench",
            slug=f"bench-{uuid.uuid4().hex[:6]}",
            now=moment,
            keyring=bench.keyring,
        )
        staff = []
        for index in range(people):
            person = Employee(
                id=uuid.uuid4(),
                tenant_id=tenant.id,
                employee_number=f"T{index:05d}",
                first_name=f"First{index:05d}",
                last_name=f"Last{index:05d}",
                work_email=f"p{index}@bench.test",
                status=EmployeeStatus.ACTIVE,
            )
            person.stamp_created(None, moment)
            db.add(person)
            staff.append(person)
        await db.flush()
        for index, person in enumerate(staff):
            manager = staff[(index - 1) // fanout].id if index else None
            for row in (
                ReportingLine(employee_id=person.id, manager_id=manager, effective_from=since),
                JobAssignment(employee_id=person.id, title="Engineer", effective_from=since),
            ):
                row.tenant_id = tenant.id
                row.stamp_created(None, moment)
                db.add(row)
        await db.flush()
        await add_owner(db, tenant.id, moment, staff[0].id)
        await db.commit()
    return tenant.slug


@contextlib.asynccontextmanager
async def served(data_dir: Path) -> AsyncIterator[str]:
    """``hrvault serve`` on the bench's data directory (its database and master key)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    exe = Path(sys.executable).with_name("hrvault")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "hrvault.cli"]
    # The server is the bench's embedded database, whatever database the caller names.
    outside = {"HRVAULT_DATABASE_URL", "HRVAULT_APP_DATABASE_URL"}
    env = {
        **{name: value for name, value in os.environ.items() if name not in outside},
        "HRVAULT_DATA_DIR": str(data_dir),
        "HRVAULT_LOG_LEVEL": os.environ.get("HRVAULT_LOG_LEVEL", "WARNING"),
        "HRVAULT_REQUEST_LIMIT": "1000000/60",  # the load itself must not be throttled
    }
    server = await asyncio.create_subprocess_exec(
        *command,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        env=env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.returncode is None:
            with contextlib.suppress(httpx.HTTPError):
                async with httpx.AsyncClient() as probe_client:
                    if (await probe_client.get(f"{url}/healthz")).status_code == 200:
                        break
            await asyncio.sleep(0.25)
        else:
            raise RuntimeError("hrvault serve did not become healthy")
        yield url
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), 30)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(p99 * 1000, 1),
        "count": len(ordered),
    }


async def timed_me(client: httpx.AsyncClient, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    answer = await client.post("/graphql", json={"query": ME}, headers=headers)
    elapsed = time.perf_counter() - started
    if answer.json().get("errors"):
        raise RuntimeError(f"me failed: {answer.text[:300]}")
    return elapsed


async def heavy_once(
    client: httpx.AsyncClient, headers: dict[str, str], query: str, n: int
) -> tuple[float, int, list[str]]:
    """Seconds, bytes of the answer and its error codes."""
    started = time.perf_counter()
    answer = await client.post(
        "/graphql", json={"query": query, "variables": {"n": n}}, headers=headers
    )
    elapsed = time.perf_counter() - started
    errors = answer.json().get("errors") or []
    return elapsed, len(answer.content), [e.get("extensions", {}).get("code") for e in errors]


async def refused(client: httpx.AsyncClient, headers: dict[str, str], query: str, n: int) -> bool:
    """Whether the document is refused before execution (over the cost limit, or invalid)."""
    answer = await client.post(
        "/graphql", json={"query": query, "variables": {"n": n}}, headers=headers
    )
    codes = {e.get("extensions", {}).get("code") for e in answer.json().get("errors") or []}
    return bool(codes & {"COST_LIMIT_EXCEEDED", "GRAPHQL_VALIDATION_FAILED"})


async def largest_accepted(client: httpx.AsyncClient, headers: dict[str, str], query: str) -> int:
    """The largest page (1..100) whose document the cost limit accepts; 0 if none."""
    low, high = 0, 100
    if not await refused(client, headers, query, high):
        return high
    while low < high:
        middle = (low + high + 1) // 2
        if await refused(client, headers, query, middle):
            high = middle - 1
        else:
            low = middle
    return low


async def beside(
    client: httpx.AsyncClient,
    owner: dict[str, str],
    neighbour: dict[str, str],
    query: str,
    n: int,
    seconds: float,
) -> dict[str, Any]:
    stop = time.monotonic() + seconds
    heavy: list[float] = []
    sizes: list[int] = []
    codes: set[str] = set()

    async def load() -> None:
        while time.monotonic() < stop:
            elapsed, size, errors = await heavy_once(client, owner, query, n)
            heavy.append(elapsed)
            sizes.append(size)
            codes.update(c for c in errors if c)

    loader = asyncio.create_task(load())
    me: list[float] = []
    while time.monotonic() < stop or not me:
        me.append(await timed_me(client, neighbour))
    await loader
    return {
        "page": n,
        "heavy_runs": len(heavy),
        "heavy_median_s": round(statistics.median(heavy), 3),
        "answer_kib": round(max(sizes) / 1024),
        "error_codes": sorted(codes),
        "me_beside": percentiles(me),
    }


async def run(people: int, fanout: int, seconds: float, idle: int) -> dict[str, Any]:
    async with embedded_database("hvx-") as bench:
        slug = await seed(bench, people, fanout)
        log(f"seeded {people} people, fan-out {fanout}")
        async with (
            served(bench.settings.data_dir) as url,
            httpx.AsyncClient(base_url=url, timeout=300) as client,
        ):
            owner = await login(client, slug, "owner@bench.test")
            neighbour = await login(client, slug, "owner@bench.test")
            for _ in range(3):
                await timed_me(client, neighbour)  # warm up
            figures: dict[str, Any] = {
                "people": people,
                "fanout": fanout,
                "me_idle": percentiles([await timed_me(client, neighbour) for _ in range(idle)]),
            }
            page = f"(first: {fanout})"
            documents = {
                "cycle": cycle(""),
                "cycle_paged": cycle(page),
                "wide_page": WIDE.replace("{page}", ""),
            }
            for name, query in documents.items():
                n = await largest_accepted(client, owner, query)
                if n == 0:
                    figures[name] = {"accepted": False}
                    log(f"{name}: refused at every page size")
                    continue
                figures[name] = {
                    "accepted": True,
                    **await beside(client, owner, neighbour, query, n, seconds),
                }
                log(f"{name}: {json.dumps(figures[name])}")
            return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--fanout", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=10.0, help="load per heavy document")
    parser.add_argument("--idle", type=int, default=200, help="`me` requests measured idle")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    figures = asyncio.run(run(args.people, args.fanout, args.seconds, args.idle))
    if args.json:
        print(json.dumps(figures))
        return
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

"""Benchmark the ``employees`` list query at page sizes 1, 50 and 100.

Run from the project root; it starts (and at the end stops) its own ``hrvault demo``::

    .venv/bin/python bench/employees_list.py [--seconds 5] [--concurrency 4] [--json]

``--url URL --pid PID [--db-pid POSTMASTER_PID]`` measures a running server instead. The
tenant is first topped up to 120 employees; then, per page size, it prints requests/s,
p50/p99 latency and CPU ms per request of the server (with children) and of PostgreSQL.
The demo server logs at WARNING (no access log) unless HRVAULT_LOG_LEVEL is set.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyotp

try:
    import psutil  # type: ignore[import-untyped,unused-ignore]
except ImportError:  # /proc is read instead
    psutil = None

SIZES, TARGET = (1, 50, 100), 120
NODE = "id name workEmail status jobTitle manager { name } department { name } office { name }"
PAGE = """query($after: String) { departments { id } offices { id }
  employees(first: 100, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } }
}"""
LOGIN = """mutation($t: String!, $e: String!, $p: String!) {
  login(tenant: $t, email: $e, password: $p) { token nextStep }
}"""
ENROL = "mutation { startTotpEnrollment { otpauthUri } }"
CONFIRM = "mutation($c: String!) { confirmTotpEnrollment(code: $c) { token } }"
CREATE = "mutation($i: Create{0}Input!) {{ create{0}(input: $i) {{ id }} }}"


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cpu_seconds(pid: int | None) -> float | None:
    """utime+stime of ``pid``, its live descendants and the children they have reaped."""
    if pid is None:
        return None
    if psutil is not None:
        with contextlib.suppress(psutil.Error):
            root, total = psutil.Process(pid), 0.0
            for proc in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += sum(proc.cpu_times()[:4])  # user system children_user children_system
            return total
        return None
    stats: dict[int, list[str]] = {}  # after "(comm)": state ppid ... utime stime cutime cstime
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            stats[int(entry.name)] = (entry / "stat").read_text().rsplit(")", 1)[1].split()
    kids: dict[int, list[int]] = {}
    for child, fields in stats.items():
        kids.setdefault(int(fields[1]), []).append(child)
    ticks, todo = 0, [pid] if pid in stats else []
    while todo:
        current = todo.pop()
        ticks += sum(int(v) for v in stats[current][11:15])
        todo += [kid for kid in kids.get(current, []) if kid in stats]
    return ticks / os.sysconf("SC_CLK_TCK") if pid in stats else None


class DemoServer:
    """``hrvault demo`` in a fresh, short data directory, on a free port."""

    def __init__(self) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="hvb-"))  # short: it holds a Unix socket
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        exe = Path(sys.executable).with_name("hrvault")
        command = [str(exe)] if exe.exists() else [sys.executable, "-m", "hrvault.cli"]
        command += ["demo", "--data-dir", str(self.data_dir), "--host", "127.0.0.1"]
        env = {
            **os.environ,
            "HRVAULT_LOG_LEVEL": os.environ.get("HRVAULT_LOG_LEVEL", "WARNING"),
            # The per-principal request limit would throttle the load generator itself.
            "HRVAULT_REQUEST_LIMIT": os.environ.get("HRVAULT_REQUEST_LIMIT", "1000000/60"),
        }
        self.log_path = self.data_dir / "server.log"
        with self.log_path.open("wb") as out:  # own session: a Ctrl-C reaches only this script
            self.proc = subprocess.Popen(
                [*command, "--port", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )

    def wait_healthy(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.25)
        tail = self.log_path.read_text(errors="replace").splitlines()[-20:]
        raise BenchError("the demo server did not become healthy:\n" + "\n".join(tail))

    def postmaster_pid(self) -> int | None:
        """The embedded PostgreSQL of this data directory (it detaches from the server)."""
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((self.data_dir / "pg" / "postmaster.pid").read_text().split()[0])
            if str(self.data_dir) in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
                return pid
        return None

    def stop(self) -> None:
        if self.proc.poll() is None:  # SIGINT, not SIGTERM: only then does it stop its database
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        postmaster = self.postmaster_pid()
        if postmaster is not None:  # left behind by our server: fast shutdown, by its PID
            log(f"stopping the embedded PostgreSQL (pid {postmaster}) the server left running")
            os.kill(postmaster, signal.SIGINT)
            deadline = time.monotonic() + 10
            while self.postmaster_pid() is not None and time.monotonic() < deadline:
                time.sleep(0.1)
        shutil.rmtree(self.data_dir, ignore_errors=True)


async def gql(client: httpx.AsyncClient, query: str, variables: Any, what: str) -> Any:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body = response.json() if "json" in response.headers.get("content-type", "") else {}
    if response.status_code != 200 or body.get("errors") or not body.get("data"):
        detail = json.dumps(body["errors"]) if body.get("errors") else response.text[:500]
        raise BenchError(f"{what} failed: HTTP {response.status_code}: {detail}")
    return body["data"]


async def top_up(client: httpx.AsyncClient, domain: str) -> int:
    """Create employees (each with a job and a manager) until the tenant has ``TARGET``."""
    ids: list[str] = []
    after: str | None = None
    while True:
        data = await gql(client, PAGE, {"after": after}, "listing employees")
        ids += [edge["node"]["id"] for edge in data["employees"]["edges"]]
        if not data["employees"]["pageInfo"]["hasNextPage"]:
            break
        after = data["employees"]["pageInfo"]["endCursor"]
    departments = [d["id"] for d in data["departments"]]
    offices = [o["id"] for o in data["offices"]]
    if len(ids) >= TARGET:
        return len(ids)
    if not (ids and departments and offices):
        raise BenchError("the tenant needs an employee, a department and an office to top up")
    log(f"creating {TARGET - len(ids)} employees ({len(ids)} exist)")
    since, run = (date.today() - timedelta(days=30)).isoformat(), os.urandom(3).hex()
    gate = asyncio.Semaphore(4)

    async def add(kind: str, values: dict[str, Any], tag: str) -> str:
        data = await gql(client, CREATE.format(kind), {"i": values}, f"create{kind} {tag}")
        return str(data[f"create{kind}"]["id"])

    async def create(i: int) -> None:
        tag = f"{run}{i:03d}"
        person = {"employeeNumber": f"B{tag}", "firstName": "Bench", "lastName": f"Person {tag}"}
        async with gate:
            employee = await add("Employee", {**person, "workEmail": f"b.{tag}@{domain}"}, tag)
            job = {"employee": employee, "title": "Benchmark Engineer", "effectiveFrom": since}
            job |= {"department": departments[i % len(departments)]}
            await add("JobAssignment", {**job, "office": offices[i % len(offices)]}, tag)
            line = {"employee": employee, "manager": ids[0], "effectiveFrom": since}
            await add("ReportingLine", line, tag)

    await asyncio.gather(*(create(i) for i in range(TARGET - len(ids))))
    return TARGET


async def load(client: httpx.AsyncClient, body: bytes, workers: int, seconds: float) -> Any:
    """``workers`` loops post ``body`` for ``seconds``: (elapsed, latencies, failures)."""
    latencies: list[float] = []
    failures: list[str] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                response = await client.post("/graphql", content=body)
                ok = response.status_code == 200 and "errors" not in response.json()
                problem = "" if ok else f"HTTP {response.status_code}: {response.text[:300]}"
            except (httpx.HTTPError, ValueError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            latencies.append(time.perf_counter() - start)
            if problem:
                failures.append(problem)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return time.perf_counter() - began, latencies, failures


def percentile_ms(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000 if ordered else math.nan


def per_request_ms(before: float | None, after: float | None, requests: int) -> float | None:
    if before is None or after is None or not requests:
        return None
    return (after - before) * 1000 / requests


async def bench(args: argparse.Namespace, base: str, pid: int | None, db_pid: int | None) -> Any:
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        login = {"t": args.tenant, "e": args.email, "p": args.password}
        answer = (await gql(client, LOGIN, login, "login"))["login"]
        client.cookies.clear()  # authenticate with the bearer token only
        client.headers["Authorization"] = f"Bearer {answer['token']}"
        if answer["nextStep"] == "ENROL_ONLY":  # Owner and HR Admin must use TOTP: enrol
            uri = (await gql(client, ENROL, {}, "enrolment"))["startTotpEnrollment"]["otpauthUri"]
            code = {"c": pyotp.parse_uri(uri).now()}
            confirmed = await gql(client, CONFIRM, code, "confirming enrolment")
            client.headers["Authorization"] = (
                f"Bearer {confirmed['confirmTotpEnrollment']['token']}"
            )
        elif answer["nextStep"] != "FULL":
            raise BenchError(f"the login wants {answer['nextStep']}; use a fresh account")
        employees = await top_up(client, args.email.rpartition("@")[2])
        client.headers["Content-Type"] = "application/json"
        results = []
        for size in SIZES:
            query = f"{{ employees(first: {size}) {{ edges {{ node {{ {NODE} }} }} }} }}"
            rows = (await gql(client, query, None, f"employees(first: {size})"))["employees"]
            if len(rows["edges"]) != size:
                raise BenchError(f"employees(first: {size}) returned {len(rows['edges'])} rows")
            body = json.dumps({"query": query}).encode()
            log(f"page size {size}: warm-up {args.warmup:g} s, measuring {args.seconds:g} s")
            await load(client, body, args.concurrency, args.warmup)
            cpu, db_cpu = cpu_seconds(pid), cpu_seconds(db_pid)
            elapsed, latencies, failures = await load(client, body, args.concurrency, args.seconds)
            n = len(latencies)
            results.append(
                {
                    "page_size": size,
                    "requests": n,
                    "failures": len(failures),
                    "requests_per_s": n / elapsed,
                    "p50_ms": percentile_ms(latencies, 50),
                    "p99_ms": percentile_ms(latencies, 99),
                    "server_cpu_ms_per_request": per_request_ms(cpu, cpu_seconds(pid), n),
                    "db_cpu_ms_per_request": per_request_ms(db_cpu, cpu_seconds(db_pid), n),
                    "first_failure": failures[0] if failures else None,
                }
            )
    return {"url": base, "employees_in_tenant": employees, "results": results}


def render(report: dict[str, Any]) -> str:
    titles = ("page size", "requests", "failures", "req/s", "p50 ms", "p99 ms", "CPU ms/req")
    lines = [
        "{url}: {employees_in_tenant} employees, concurrency {concurrency}, {seconds:g} s per "
        "page size, load average {load_average} on {cpus} CPUs".format(**report),
        "  ".join(f"{title:>10}" for title in (*titles, "DB ms/req")),
    ]
    for row in report["results"]:
        cells = [row[key] for key in list(row)[:-1]]  # all but first_failure
        text = [f"{v:.2f}" if isinstance(v, float) else "-" if v is None else str(v) for v in cells]
        lines.append("  ".join(f"{cell:>10}" for cell in text))
        if row["failures"]:
            lines.append(f"  first failure: {row['first_failure']}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="base URL of a running server (default: start a demo)")
    parser.add_argument("--pid", type=int, help="PID of that server, for CPU accounting")
    parser.add_argument("--db-pid", type=int, help="PID of its PostgreSQL postmaster")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured time per page size")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up time per page size")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight")
    parser.add_argument("--tenant", default="acme")
    parser.add_argument("--email", default="owner@acme.example")
    parser.add_argument("--password", default="hrvault-demo-2026")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    server: DemoServer | None = None
    base = (args.url or "").rstrip("/").removesuffix("/graphql")
    pid, db_pid = args.pid, args.db_pid
    try:
        if not args.url:
            server = DemoServer()
            log(f"started hrvault demo (pid {server.proc.pid}) in {server.data_dir}")
            server.wait_healthy()
            base, pid = f"http://127.0.0.1:{server.port}", server.proc.pid
            db_pid = server.postmaster_pid()
        report = asyncio.run(bench(args, base, pid, db_pid))
    except BenchError as exc:
        log(f"employees_list: {exc}")
        return 1
    except KeyboardInterrupt:
        log("employees_list: interrupted")
        return 130
    finally:
        if server is not None:
            server.stop()
    report |= {"concurrency": args.concurrency, "seconds": args.seconds, "cpus": os.cpu_count()}
    report |= {"server_pid": pid, "db_pid": db_pid}
    report["load_average"] = [round(load, 2) for load in os.getloadavg()]
    print(json.dumps(report) if args.json else render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The in-process benchmarks still run against the product as it is now.

They seed through the same functions the product uses, so a changed signature breaks them
silently unless something runs them. Each runs here with tiny counts on its own embedded
PostgreSQL; only what does not depend on timing is checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent.parent / "bench"


def run_bench(script: str, *args: str) -> Any:
    completed = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(BENCH / script), *args, "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_audit_bench_counts_the_two_statements_the_trail_adds() -> None:
    figures = run_bench("audit_overhead.py", "--mutations", "4", "--rounds", "1")
    audited = figures["audited"]["statements_per_mutation"]
    assert audited == figures["baseline"]["statements_per_mutation"] + 2


def test_permissions_bench_measures_every_variant() -> None:
    figures = run_bench("permissions_overhead.py", "--requests", "2", "--rounds", "1")
    assert set(figures) == {"owner", "manager", "baseline"}
    assert figures["baseline"]["ratio_to_baseline"] == 1.0


def test_crypto_bench_reports_positive_figures() -> None:
    figures = run_bench("crypto_ops.py", "--rounds", "1")
    assert figures
    assert all(value > 0 for value in figures.values())


def test_sensitive_bench_opens_every_selected_value() -> None:
    figures = run_bench("sensitive_overhead.py", "--requests", "2", "--rounds", "1")
    assert {"none", "all", "all_unopened"} <= set(figures)
    assert figures["ratio_all_to_unopened"] > 0


def test_documents_bench_round_trips_and_reports_throughput() -> None:
    figures = run_bench("documents.py", "--mib", "1", "--rounds", "1")
    assert figures["size MiB"] == 1
    assert figures["upload MiB/s"] > 0
    assert figures["download MiB/s"] > 0
    assert figures["peak traced MiB during upload"] > 0


def test_expensive_neighbour_bench_runs_what_the_limits_allow_beside_me() -> None:
    figures = run_bench(
        "expensive_neighbour.py",
        "--people",
        "30",
        "--fanout",
        "3",
        "--seconds",
        "0.5",
        "--idle",
        "5",
    )
    assert figures["me_idle"]["count"] == 5
    assert figures["cycle"] == {"accepted": False}  # refused before execution
    for name in ("cycle_paged", "wide_page"):
        assert figures[name]["accepted"]
        assert figures[name]["error_codes"] == []
        assert figures[name]["me_beside"]["count"] >= 1


def test_large_tenant_bench_answers_every_request_of_a_small_company() -> None:
    figures = run_bench("large_tenant.py", "--sizes", "300", "--repeat", "1")
    rows = figures[0]["rows"]
    assert figures[0]["people"] == 300
    assert all(row["error"] is None for row in rows.values()), rows


def test_gc_bench_counts_what_each_page_size_leaves_to_the_collector() -> None:
    figures = run_bench("gc_cycles.py", "--requests", "2")
    assert set(figures) == {"N=1", "N=50", "N=100"}
    assert all(f["objects_per_request"] >= 0 for f in figures.values())

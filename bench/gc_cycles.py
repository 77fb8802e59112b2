"""What a request leaves to the cyclic garbage collector: objects per request, by type.

Everything a request allocates that sits in a reference cycle outlives the request until
the collector runs; the collector's time grows with their number. This runs the
peer-bench's query (``employees(first: N)`` with department and manager, as the Owner)
in-process over ASGI against an embedded PostgreSQL, with automatic collection off, and
counts what ``gc.collect()`` then finds unreachable, per request, and its commonest types.

Run: ``.venv/bin/python bench/gc_cycles.py``
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import json
from typing import Any

import httpx
from inprocess import embedded_database, login
from permissions_overhead import seed

from hrvault.app import create_app

QUERY = (
    "{ employees(first: %d) { nodes { id name jobTitle department { name } manager { name } } } }"
)


async def _cycles(
    client: httpx.AsyncClient, headers: dict[str, str], size: int, requests: int
) -> dict[str, Any]:
    body = {"query": QUERY % size}
    for _ in range(5):  # warm: statements prepared, policy compiled
        await client.post("/graphql", json=body, headers=headers)
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(requests):
            answer = (await client.post("/graphql", json=body, headers=headers)).json()
            if "errors" in answer:
                raise RuntimeError(f"unexpected answer: {str(answer)[:300]}")
        found = gc.collect()
        kinds = collections.Counter(type(o).__qualname__ for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    return {
        "objects_per_request": found / requests,
        "top_types_per_request": {k: round(v / requests, 1) for k, v in kinds.most_common(12)},
    }


async def run(requests: int) -> dict[str, Any]:
    async with embedded_database("hvg-") as bench:
        slug, logins = await seed(bench.engine, bench.keyring)
        app = create_app(bench.settings, engine=bench.engine)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://b"
            ) as client,
        ):
            headers = await login(client, slug, logins["owner"])
            return {f"N={n}": await _cycles(client, headers, n, requests) for n in (1, 50, 100)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = asyncio.run(run(args.requests))
    if args.json:
        print(json.dumps(figures))
        return
    for name, result in figures.items():
        print(
            f"{name}: {result['objects_per_request']:.0f} objects per request left to the collector"
        )
        for kind, count in result["top_types_per_request"].items():
            print(f"    {count:8.1f}  {kind}")


if __name__ == "__main__":
    main()

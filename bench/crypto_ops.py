"""Benchmark the cryptographic core: seal/open operations per second and unwrap costs.

Run from the project root; it starts (and at the end stops) an embedded PostgreSQL in a
temporary directory, with a master key generated for the run::

    .venv/bin/python bench/crypto_ops.py [--rounds 5] [--json]

Every figure is the median of the rounds. "field" figures go through ``TenantCipher``
(header, associated data, padding, counters), "raw" ones call AES-GCM directly with the
same sizes, so the difference is the cost of the format. Person-keyed sealing includes
a database round trip each time a person's block of 64 reserved seals runs out (a real
mutation seals a few fields, so it pays one per person per writing transaction).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import secrets
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import URL

from hrvault.crypto import store
from hrvault.crypto.blind_index import BlindIndex, normalize_iban
from hrvault.crypto.cipher import TenantCipher
from hrvault.crypto.columns import SealedColumnRegistry, SealedKind
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.keystore_schema import KeyPurpose
from hrvault.crypto.local_provider import create_key_file
from hrvault.crypto.material import KeyMaterial
from hrvault.db import bind_tenant, create_engine, session_factory
from hrvault.embedded_db import release_embedded_postgres, start_embedded_postgres
from hrvault.models.migrations import upgrade_to_head
from hrvault.tenancy import create_tenant

VALUE = "1985-06-14"  # a birth date: the typical short sensitive field
N = 20_000
PEOPLE = 100
BENCH = SealedColumnRegistry()
NOTE = BENCH.register("bench_people", "birth_date_sealed", person_column="employee_id")
SECRET = BENCH.register("bench_tenant", "totp_seed_sealed")
FILE = BENCH.register("bench_docs", "file_key_sealed", holds=SealedKind.FILE_KEY)
IBAN = BlindIndex("bench.iban", normalize_iban)


def median_rate(samples: list[float], count: int) -> float:
    return count / statistics.median(samples)


def timed(work: Callable[[], object], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    return samples


async def timed_async(work: Callable[[], Awaitable[object]], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        await work()
        samples.append(time.perf_counter() - start)
    return samples


async def measure(owner: URL, data_dir: Path, rounds: int) -> dict[str, float]:
    provider = create_key_file(data_dir / "master.key")
    engine = create_engine(owner.set(username="hrvault_app", password=None), pool_size=2)
    sessions = session_factory(engine)
    keyring = TenantKeyring(provider, bookkeeping=sessions)
    figures: dict[str, float] = {}
    try:
        async with sessions() as db:
            slug = f"bench-{secrets.token_hex(4)}"
            tenant = (
                await create_tenant(
                    db, name=slug, slug=slug, now=datetime.now(UTC), keyring=keyring
                )
            ).id
            await db.commit()
        people = [uuid.uuid4() for _ in range(PEOPLE)]
        rows = [uuid.uuid4() for _ in range(N)]

        raw_key = AESGCM(KeyMaterial.generate().reveal())
        nonce, ad, plain = os.urandom(12), os.urandom(80), VALUE.encode().ljust(32, b"\0")
        sealed_raw = raw_key.encrypt(nonce, plain, ad)
        figures["raw AES-GCM seal/s"] = median_rate(
            timed(lambda: [raw_key.encrypt(os.urandom(12), plain, ad) for _ in range(N)], rounds), N
        )
        figures["raw AES-GCM open/s"] = median_rate(
            timed(lambda: [raw_key.decrypt(nonce, sealed_raw, ad) for _ in range(N)], rounds), N
        )

        async with sessions() as db:
            await bind_tenant(db, tenant)
            cipher = TenantCipher(keyring, db, tenant)
            await cipher.prepare_writes(people)

            async def seal_people() -> list[bytes]:
                return [
                    await cipher.seal_field(NOTE, VALUE, row_id=row, person_id=people[i % PEOPLE])
                    for i, row in enumerate(rows)
                ]

            async def seal_tenant() -> list[bytes]:
                return [await cipher.seal_field(SECRET, VALUE, row_id=row) for row in rows]

            figures["field seal/s, person key (incl. usage reservations)"] = median_rate(
                await timed_async(seal_people, rounds), N
            )
            figures["field seal/s, tenant key (incl. usage reservations)"] = median_rate(
                await timed_async(seal_tenant, rounds), N
            )
            sealed = await seal_people()
            tenant_sealed = await seal_tenant()
            await cipher.load_tenant_keys()
            pairs = [(s, rows[i], people[i % PEOPLE]) for i, s in enumerate(sealed)]
            figures["field open/s, person key"] = median_rate(
                timed(
                    lambda: [
                        cipher.open_field(NOTE, s, row_id=r, person_id=p) for s, r, p in pairs
                    ],
                    rounds,
                ),
                N,
            )
            figures["field open/s, tenant key"] = median_rate(
                timed(
                    lambda: [
                        cipher.open_field(SECRET, s, row_id=r)
                        for s, r in zip(tenant_sealed, rows, strict=True)
                    ],
                    rounds,
                ),
                N,
            )
            index_key = await keyring.index_key(db, tenant)
            figures["blind index/s"] = median_rate(
                timed(
                    lambda: [IBAN.digest(index_key, "SE3550000000054910000003") for _ in range(N)],
                    rounds,
                ),
                N,
            )
            document = uuid.uuid4()
            body = os.urandom(8 * 1024 * 1024)
            sealer = await cipher.file_sealer(FILE, document_id=document)
            file_sealed = b"".join(sealer.seal([body]))
            figures["file seal MB/s"] = median_rate(
                timed(lambda: b"".join(sealer.seal([body])), rounds), len(body) / 1e6
            )
            opener = cipher.file_opener(FILE, sealer.key_header, document_id=document)
            figures["file open MB/s"] = median_rate(
                timed(lambda: b"".join(opener.open(io.BytesIO(file_sealed))), rounds),
                len(body) / 1e6,
            )
            await db.commit()

        async with sessions() as db:
            await bind_tenant(db, tenant)
            wrapped_row = await store.tenant_key(db, tenant, KeyPurpose.DATA, 1)
        if wrapped_row is None:
            raise RuntimeError("the tenant has no data key")

        async def unwrap_tenant_key() -> None:
            for _ in range(200):
                await keyring.unwrap_tenant_key(wrapped_row)

        figures["tenant key unwrap, local provider (us)"] = (
            statistics.median(await timed_async(unwrap_tenant_key, rounds)) / 200 * 1e6
        )

        async def load_people_cold() -> None:
            async with sessions() as db:
                await bind_tenant(db, tenant)
                await TenantCipher(keyring, db, tenant).load_people(people)

        figures[f"load_people({PEOPLE}): one query + {PEOPLE} person key unwraps (ms)"] = (
            statistics.median(await timed_async(load_people_cold, rounds)) * 1e3
        )
        cold = TenantKeyring(provider, bookkeeping=sessions)

        async def cold_tenant_key() -> None:
            cold.forget(tenant)
            async with sessions() as db:
                await bind_tenant(db, tenant)
                await cold.data_key(db, tenant, 1)

        figures["cold tenant key: fetch + unwrap + AESGCM (ms)"] = (
            statistics.median(await timed_async(cold_tenant_key, rounds)) * 1e3
        )
    finally:
        await engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="hvb-"))
    try:
        owner = start_embedded_postgres(data_dir)
        upgrade_to_head(owner)
        figures = asyncio.run(measure(owner, data_dir, args.rounds))
    finally:
        release_embedded_postgres(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)
    if args.json:
        print(json.dumps(figures))
        return
    for name, value in figures.items():
        print(f"{name:<62} {value:>12,.1f}")


if __name__ == "__main__":
    main()

"""Benchmark document upload and download: MiB/s for one large file, and server memory.

Run from the project root; it starts (and at the end stops) an embedded PostgreSQL in a
temporary directory, with a master key generated for the run, and serves the app with
uvicorn on a local port, so the figures include real HTTP::

    .venv/bin/python bench/documents.py [--mib 100] [--rounds 3] [--json]

Per round: ``uploadDocument`` as a streamed GraphQL multipart request (received, spooled
under a throwaway key, sealed under the employee's key into the file store), then a
download link and ``GET /files/{token}`` (the whole body opened once to check it, then
streamed). Throughputs are medians over the rounds, in MiB of plaintext per second.

Memory: one more round runs under tracemalloc; its peaks are every Python allocation of
the process (server and the streaming client together) during each transfer. The RSS
growth is the process's resident high-water mark after all transfers minus before them.
A server that held the file would show the file's size in both.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import resource
import shutil
import socket
import statistics
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from inprocess import add_owner
from sqlalchemy import update

from hrvault.app import create_app
from hrvault.clock import SystemClock
from hrvault.config import Settings
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.local_provider import create_key_file
from hrvault.db import APP_ROLE, create_engine, session_factory
from hrvault.embedded_db import release_embedded_postgres, start_embedded_postgres
from hrvault.migrate import migrate
from hrvault.models import Employee, EmployeeStatus, Tenant
from hrvault.tenancy import create_tenant

MIB = 1024 * 1024
PIECE = 64 * 1024
PASSWORD = "bench password 2026"  # noqa: S105 - a throwaway database
BOUNDARY = "hrvault-bench-boundary"
UPLOAD = (
    'mutation($e: ID!, $f: Upload!) { uploadDocument(employeeId: $e, category: "contract",'
    " file: $f) { id sizeBytes sha256 } }"
)
LINK = "mutation($id: ID!) { createDocumentDownloadUrl(id: $id) { url } }"


async def seed(engine: Any, keyring: TenantKeyring, size: int) -> tuple[str, uuid.UUID]:
    now = SystemClock().now()
    async with session_factory(engine)() as db:
        tenant = await create_tenant(
            db, name="Documents bench", slug=f"db-{uuid.uuid4().hex[:6]}", now=now, keyring=keyring
        )
        person = Employee(
            id=uuid.uuid4(),
            tenant_id=tenant.id,
            employee_number="D1",
            first_name="Bench",
            last_name="Person",
            status=EmployeeStatus.ACTIVE,
        )
        person.stamp_created(None, now)
        db.add(person)
        await db.flush()
        await add_owner(db, tenant.id, now)
        await db.execute(
            update(Tenant)
            .where(Tenant.id == tenant.id)
            .values(max_document_bytes=max(25 * MIB, size + MIB))
        )
        await db.commit()
    return tenant.slug, person.id


def content(size: int, block: bytes) -> AsyncIterator[bytes]:
    """The file: ``block`` repeated to ``size`` bytes, starting like a PDF."""

    async def pieces() -> AsyncIterator[bytes]:
        done = 0
        while done < size:
            offset = done % len(block)
            piece = block[offset : offset + min(PIECE, size - done, len(block) - offset)]
            if done == 0:
                piece = b"%PDF-" + piece[5:]
            done += len(piece)
            yield piece

    return pieces()


async def digest_of(size: int, block: bytes) -> str:
    """SHA-256 of the file, computed before anything is timed."""
    digest = hashlib.sha256()
    async for piece in content(size, block):
        digest.update(piece)
    return digest.hexdigest()


def multipart(person: uuid.UUID, size: int, block: bytes) -> tuple[int, Any]:
    """(length, body generator) of one upload request."""
    operations = json.dumps({"query": UPLOAD, "variables": {"e": str(person), "f": None}})
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        f'{operations}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="map"'
        f'\r\n\r\n{{"0": ["variables.f"]}}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data;'
        f' name="0"; filename="large.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    async def body() -> AsyncIterator[bytes]:
        yield head
        async for piece in content(size, block):
            yield piece
        yield tail

    return len(head) + size + len(tail), body


def _nothing() -> None:
    return None


async def transfer_once(
    client: httpx.AsyncClient,
    token: str,
    person: uuid.UUID,
    size: int,
    block: bytes,
    expected: str,
    *,
    between: Callable[[], None] = _nothing,
) -> tuple[float, float]:
    """Seconds to upload and to download the file once (checked, then deleted);
    ``between`` runs after the upload and before the download.

    The client does as little as it can while timed: the checksum of what it sends is
    computed beforehand, and what it receives is compared with what it sent (memcmp)."""
    auth = {"authorization": f"Bearer {token}"}
    length, body = multipart(person, size, block)
    started = time.perf_counter()
    response = await client.post(
        "/graphql",
        content=body(),
        headers={
            **auth,
            "content-type": f"multipart/form-data; boundary={BOUNDARY}",
            "content-length": str(length),
            "x-requested-with": "bench",
        },
    )
    upload = time.perf_counter() - started
    made = response.json()
    if "errors" in made:
        raise RuntimeError(str(made["errors"])[:300])
    document = made["data"]["uploadDocument"]
    if document["sha256"] != expected:
        raise RuntimeError("the stored checksum is not the one sent")
    between()
    linked = (
        await client.post(
            "/graphql", json={"query": LINK, "variables": {"id": document["id"]}}, headers=auth
        )
    ).json()
    url = linked["data"]["createDocumentDownloadUrl"]["url"]
    count = 0
    same = True
    started = time.perf_counter()
    async with client.stream("GET", url) as streamed:
        if streamed.status_code != 200:
            raise RuntimeError(f"download answered {streamed.status_code}")
        async for piece in streamed.aiter_raw():
            if count == 0:
                same = piece.startswith(b"%PDF-") and piece[5:] == block[5 : len(piece)]
            else:
                offset = count % len(block)
                same = same and _matches(piece, block, offset)
            count += len(piece)
    download = time.perf_counter() - started
    if count != size or not same:
        raise RuntimeError("the bytes downloaded are not the bytes uploaded")
    deleted = await client.post(
        "/graphql",
        json={
            "query": "mutation($id: ID!) { deleteDocument(id: $id) }",
            "variables": {"id": document["id"]},
        },
        headers=auth,
    )
    if "errors" in deleted.json():
        raise RuntimeError(str(deleted.json()["errors"])[:300])
    return upload, download


def _matches(piece: bytes, block: bytes, offset: int) -> bool:
    """Whether ``piece`` is the file's content from ``offset`` in its repeating block."""
    view = memoryview(piece)
    while view:
        take = min(len(view), len(block) - offset)
        if view[:take] != block[offset : offset + take]:
            return False
        view, offset = view[take:], 0
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def measure(size: int, rounds: int) -> dict[str, float]:
    data_dir = Path(tempfile.mkdtemp(prefix="hvd-"))
    try:
        owner_url = await asyncio.to_thread(start_embedded_postgres, data_dir)
        await asyncio.to_thread(migrate, owner_url)
        engine = create_engine(owner_url.set(username=APP_ROLE), pool_size=4)
        settings = Settings(data_dir=data_dir, log_level="WARNING")
        keyring = TenantKeyring.from_settings(
            settings, create_key_file(settings.master_key_path), session_factory(engine)
        )
        slug, person = await seed(engine, keyring, size)
        app = create_app(settings, engine=engine)
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        serving = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
            await asyncio.sleep(0.05)
        block = os.urandom(16 * MIB)
        expected = await digest_of(size, block)
        try:
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", timeout=600
            ) as client:
                login = await client.post(
                    "/graphql",
                    json={
                        "query": "mutation($t: String!, $e: String!, $p: String!) "
                        "{ login(tenant: $t, email: $e, password: $p) { token } }",
                        "variables": {"t": slug, "e": "owner@bench.test", "p": PASSWORD},
                    },
                )
                token = login.json()["data"]["login"]["token"]
                rss_before = _max_rss_mib()
                uploads, downloads = [], []
                for _ in range(rounds):
                    up, down = await transfer_once(client, token, person, size, block, expected)
                    uploads.append(up)
                    downloads.append(down)
                peaks: list[int] = []

                def upload_done() -> None:
                    peaks.append(tracemalloc.get_traced_memory()[1])
                    tracemalloc.reset_peak()

                tracemalloc.start()
                try:
                    await transfer_once(
                        client, token, person, size, block, expected, between=upload_done
                    )
                    peaks.append(tracemalloc.get_traced_memory()[1])
                finally:
                    tracemalloc.stop()
                upload_peak, download_peak = peaks
                rss_growth = _max_rss_mib() - rss_before
        finally:
            server.should_exit = True
            await serving
            await engine.dispose()
    finally:
        await asyncio.to_thread(release_embedded_postgres, data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)
    mib = size / MIB
    return {
        "size MiB": mib,
        "upload MiB/s": mib / statistics.median(uploads),
        "download MiB/s": mib / statistics.median(downloads),
        "peak traced MiB during upload": upload_peak / MIB,
        "peak traced MiB during download": download_peak / MIB,
        "process RSS growth MiB": max(rss_growth, 0.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=float, default=100, help="size of the file, MiB")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = asyncio.run(measure(int(args.mib * MIB), args.rounds))
    if args.json:
        print(json.dumps(figures))
        return
    for name, value in figures.items():
        print(f"{name:<34} {value:>10,.1f}")


if __name__ == "__main__":
    main()

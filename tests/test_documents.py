"""P10: per-tenant encrypted documents, uploaded and downloaded as separate permissions.

Uploads go through the real GraphQL multipart endpoint, downloads through the real
single-use links; the stored bodies are inspected on disk as an attacker with the disk
would see them.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.config import Settings
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.reencrypt import reencrypt_tenant
from hrvault.crypto.rotation import rotate_tenant_key
from hrvault.crypto.shredding import destroy_person_keys
from hrvault.crypto.streaming import CHUNK_BYTES
from hrvault.db import bind_tenant, session_factory
from hrvault.documents.download import content_disposition
from hrvault.documents.filetypes import PDF as PDF_TYPE
from hrvault.documents.filetypes import normalise_filename, sniff
from hrvault.documents.store import LocalFileStore
from tests.support import (
    Api,
    TenantFactory,
    TenantHandle,
    build_org,
    error_codes,
    staff_session,
)

SEALED_CHUNK = CHUNK_BYTES + 16
LINK = "mutation($id: ID!) { createDocumentDownloadUrl(id: $id) { url expiresAt } }"
LIST = (
    "query($e: ID!) { documents(employeeId: $e) { id filename contentType sizeBytes"
    " viewerCanDownload viewerCanDelete category { code fieldGroup } } }"
)
DELETE = "mutation($id: ID!) { deleteDocument(id: $id) }"
LOG = """query($f: AuditLogFilter) { auditLog(first: 100, filter: $f) { edges { node {
  action entityType entityId subjectId actor { kind id name }
  changes { field fieldGroup old new redacted } } } } }"""


def pdf(size: int) -> bytes:
    """A body the sniffer takes for a PDF, of exactly ``size`` bytes (at least 5)."""
    return (b"%PDF-" + os.urandom(max(size - 5, 0)))[:size]


def store(settings: Settings) -> LocalFileStore:
    return LocalFileStore(settings.files_path)


def stored(settings: Settings, tenant: TenantHandle) -> list[Path]:
    """Every file in the tenant's folder (partial writes included)."""
    folder = store(settings).tenant_dir(tenant.id)
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


async def document_count(owner_engine: AsyncEngine, tenant: TenantHandle) -> int:
    async with owner_engine.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM documents WHERE tenant_id = :t"), {"t": tenant.id}
        )
    return int(count or 0)


async def upload(
    api: Api,
    token: str,
    employee: str | uuid.UUID,
    content: bytes,
    category: str = "contract",
    **options: Any,
) -> dict[str, Any]:
    response = await api.upload(employee, category, content, token=token, **options)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    document: dict[str, Any] = body["data"]["uploadDocument"]
    return document


async def link(api: Api, token: str, document_id: str) -> str:
    made = await api.data(LINK, {"id": document_id}, token=token)
    url: str = made["createDocumentDownloadUrl"]["url"]
    return url


async def download(api: Api, token: str, document_id: str) -> Any:
    return await api.client.get(await link(api, token, document_id))


async def records(api: Api, token: str, **where: Any) -> list[dict[str, Any]]:
    data = await api.data(LOG, {"f": where or None}, token=token)
    return [edge["node"] for edge in data["auditLog"]["edges"]]


# round trip and storage ---------------------------------------------------------------------


ROUND_TRIP_SIZES = {
    "0 B": (0, "text"),
    "1 B": (1, "text"),
    "one chunk - 1": (CHUNK_BYTES - 1, "pdf"),
    "one chunk": (CHUNK_BYTES, "pdf"),
    "one chunk + 1": (CHUNK_BYTES + 1, "pdf"),
    "three chunks + 17": (3 * CHUNK_BYTES + 17, "pdf"),
}


async def test_bytes_downloaded_are_the_bytes_uploaded(
    api: Api, tenants: TenantFactory, settings: Settings
) -> None:
    """Sizes at the chunk edges (the 100 MiB case is below); each stored body is sealed."""
    tenant = await tenants.create(employees=2)
    for case, (size, kind) in ROUND_TRIP_SIZES.items():
        content = b"x" * size if kind == "text" else pdf(size)
        name = "notes.txt" if kind == "text" else "contract.pdf"
        made = await upload(api, tenant.token, tenant.employees[1], content, filename=name)
        assert made["sizeBytes"] == size, case
        assert made["sha256"] == hashlib.sha256(content).hexdigest(), case
        expected_type = "text/plain; charset=utf-8" if kind == "text" else "application/pdf"
        assert made["contentType"] == expected_type, case

        response = await download(api, tenant.token, made["id"])
        assert response.status_code == 200, (case, response.text)
        assert response.content == content, case
        assert response.headers["content-type"] == expected_type
        assert response.headers["content-length"] == str(size)
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-disposition"] == (
            f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
        )

        body = store(settings).path(tenant.id, tenant.employees[1], uuid.UUID(made["id"]))
        assert body.parent.parent.name == str(tenant.id)  # named by random ids, nothing else
        assert oct(body.stat().st_mode & 0o777) == oct(0o600)
        sealed = body.read_bytes()
        chunks = max(1, -(-size // CHUNK_BYTES))
        assert len(sealed) == size + 16 * chunks, case
        if size >= 16:
            assert content[5:] not in sealed, case
            assert content[-16:] not in sealed, case
    assert len(stored(settings, tenant)) == len(ROUND_TRIP_SIZES)


async def test_stored_files_and_rows_hold_no_plaintext(
    api: Api, tenants: TenantFactory, settings: Settings, owner_engine: AsyncEngine
) -> None:
    tenant = await tenants.create(employees=2)
    marker = b"SALARY-2026-CONFIDENTIAL-" * 4000
    name = "Lönebesked Åsa Nilsson 2026-05.txt"
    made = await upload(api, tenant.token, tenant.employees[1], marker, "payslip", filename=name)
    assert made["filename"] == name
    (body,) = stored(settings, tenant)
    sealed = body.read_bytes()
    assert b"SALARY" not in sealed
    assert b"CONFIDENTIAL" not in sealed
    async with owner_engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT * FROM documents WHERE tenant_id = :t"), {"t": tenant.id}
            )
        ).one()
        log = await conn.scalar(
            text("SELECT string_agg(changes::text, ' ') FROM audit_log WHERE tenant_id = :t"),
            {"t": tenant.id},
        )
    dumped = repr(tuple(row)).encode() + b"".join(
        bytes(v) for v in row if isinstance(v, bytes | memoryview)
    )
    for secret in (b"SALARY", "Lönebesked".encode(), b"Nilsson", "Åsa".encode()):
        assert secret not in dumped
    assert "Nilsson" not in (log or "")
    assert "SALARY" not in (log or "")


def _chunks(sealed: bytes) -> list[bytes]:
    return [sealed[i : i + SEALED_CHUNK] for i in range(0, len(sealed), SEALED_CHUNK)]


async def test_an_altered_body_is_withheld_as_data_integrity(
    api: Api, tenants: TenantFactory, settings: Settings
) -> None:
    tenant = await tenants.create(employees=2)
    person = tenant.employees[1]
    made = await upload(api, tenant.token, person, pdf(3 * CHUNK_BYTES + 100))
    other = await upload(api, tenant.token, person, pdf(3 * CHUNK_BYTES + 100))
    path = store(settings).path(tenant.id, person, uuid.UUID(made["id"]))
    other_path = store(settings).path(tenant.id, person, uuid.UUID(other["id"]))
    original, others = path.read_bytes(), other_path.read_bytes()
    chunks = _chunks(original)
    altered = {
        "reordered": chunks[1] + chunks[0] + b"".join(chunks[2:]),
        "swapped with another document's chunk": _chunks(others)[0] + b"".join(chunks[1:]),
        "truncated at a chunk boundary": b"".join(chunks[:2]),
        "truncated inside the last chunk": original[:-10],
        "last chunk dropped and a chunk repeated": b"".join(chunks[:3]) + chunks[2],
        "extended": original + chunks[0],
        "a flipped bit": original[:100] + bytes([original[100] ^ 1]) + original[101:],
        "the whole body of another document": others,
        "emptied": b"",
    }
    for case, body in altered.items():
        path.write_bytes(body)
        response = await download(api, tenant.token, made["id"])
        assert response.status_code == 500, case
        assert error_codes(response.json()) == ["DATA_INTEGRITY"], case
        assert b"%PDF" not in response.content, case
    path.write_bytes(original)
    assert (await download(api, tenant.token, made["id"])).status_code == 200


# refusals: each typed, nothing stored ---------------------------------------------------------


PATH_LIKE_NAMES = (
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "/etc/shadow",
    "reports/2026/contract.pdf",
    "..",
    "payslip\u202egpj.pdf",
)


async def test_path_like_and_control_names_are_refused_and_nothing_stored(
    api: Api, tenants: TenantFactory, settings: Settings, owner_engine: AsyncEngine
) -> None:
    tenant = await tenants.create(employees=2)
    for name in PATH_LIKE_NAMES:
        response = await api.upload(
            tenant.employees[1], "contract", pdf(2000), token=tenant.token, filename=name
        )
        body = response.json()
        assert error_codes(body) == ["BAD_USER_INPUT"], (name, body)
        assert body["errors"][0]["extensions"]["field"] == "file"
    assert stored(settings, tenant) == []
    assert await document_count(owner_engine, tenant) == 0


def test_filenames_are_normalised() -> None:
    assert normalise_filename("  Lo\u0308n   mars.pdf ", PDF_TYPE) == "L\u00f6n mars.pdf"
    assert normalise_filename('a<b>:c"d|e?f*.PDF', PDF_TYPE) == "a_b__c_d_e_f_.PDF"
    assert normalise_filename("scan", PDF_TYPE) == "scan.pdf"
    assert normalise_filename("setup.exe", PDF_TYPE) == "setup.exe.pdf"
    assert normalise_filename("trailing dots...", PDF_TYPE) == "trailing dots.pdf"
    long_name = normalise_filename("å" * 300 + ".pdf", PDF_TYPE)
    assert long_name.endswith(".pdf")
    assert len(long_name.encode()) <= 255
    assert content_disposition('r"ap;port å.pdf') == (
        "attachment; filename=\"r_ap_port a.pdf\"; filename*=UTF-8''r%22ap%3Bport%20%C3%A5.pdf"
    )


DISGUISED = {
    "html as pdf": (b"<html><script>alert(1)</script></html>", "contract.pdf", "application/pdf"),
    "exe as pdf": (b"MZ\x90\x00" + os.urandom(4000), "payslip.pdf", "application/pdf"),
    "zip as docx": (b"PK\x03\x04" + os.urandom(4000), "contract.docx", "application/msword"),
    "svg as png": (b'<?xml version="1.0"?><svg onload="alert(1)"/>', "photo.png", "image/png"),
    "binary as text": (b"#!/bin/sh\nrm -rf /\x00\x01", "notes.txt", "text/plain"),
    "noise as jpeg": (os.urandom(3000), "scan.jpg", "image/jpeg"),
}


async def test_a_disguised_type_is_refused_and_nothing_stored(
    api: Api, tenants: TenantFactory, settings: Settings, owner_engine: AsyncEngine
) -> None:
    tenant = await tenants.create(employees=2)
    for case, (content, filename, declared) in DISGUISED.items():
        response = await api.upload(
            tenant.employees[1],
            "contract",
            content,
            token=tenant.token,
            filename=filename,
            content_type=declared,
        )
        assert error_codes(response.json()) == ["UNSUPPORTED_FILE_TYPE"], case
    assert stored(settings, tenant) == []
    assert await document_count(owner_engine, tenant) == 0


def test_types_are_sniffed_from_content() -> None:
    docx = b"PK\x03\x04" + bytes(22) + (19).to_bytes(2, "little") + bytes(2)
    docx += b"[Content_Types].xml" + b"PK\x03\x04" + bytes(22) + (17).to_bytes(2, "little")
    docx += bytes(2) + b"word/document.xml"
    odt = b"PK\x03\x04" + bytes(4) + bytes(2) + bytes(8) + (39).to_bytes(4, "little")
    odt += bytes(4) + (8).to_bytes(2, "little") + bytes(2) + b"mimetype"
    odt += b"application/vnd.oasis.opendocument.text"
    found = {
        "pdf": sniff(b"%PDF-1.4 ..."),
        "png": sniff(b"\x89PNG\r\n\x1a\n...."),
        "jpeg": sniff(b"\xff\xd8\xff\xe0...."),
        "heic": sniff(b"\x00\x00\x00\x18ftypheic...."),
        "docx": sniff(docx),
        "odt": sniff(odt),
        "text": sniff(b"Hello", is_text=True),
        "markup": sniff(b"  <!doctype html>", is_text=True),
        "elf": sniff(b"\x7fELF...."),
    }
    assert {k: v.extensions[0] if v else None for k, v in found.items()} == {
        "pdf": ".pdf",
        "png": ".png",
        "jpeg": ".jpg",
        "heic": ".heic",
        "docx": ".docx",
        "odt": ".odt",
        "text": ".txt",
        "markup": None,
        "elf": None,
    }


SETTINGS = "{ documentSettings { maxDocumentBytes version } }"
SET_LIMIT = (
    "mutation($v: Int!, $m: Int) { updateDocumentSettings(input: {version: $v,"
    " maxDocumentBytes: $m}) { maxDocumentBytes version } }"
)


async def _limit(api: Api, tenant: TenantHandle, limit: int) -> None:
    current = await api.data(SETTINGS, token=tenant.token)
    await api.data(
        SET_LIMIT, {"v": current["documentSettings"]["version"], "m": limit}, token=tenant.token
    )


async def test_an_oversized_file_is_refused_and_nothing_stored(
    api: Api, tenants: TenantFactory, settings: Settings, owner_engine: AsyncEngine
) -> None:
    tenant = await tenants.create(employees=2)
    current = await api.data(SETTINGS, token=tenant.token)
    assert current["documentSettings"]["maxDocumentBytes"] == 25 * 1024 * 1024
    await _limit(api, tenant, 4096)
    exactly = await upload(api, tenant.token, tenant.employees[1], pdf(4096))
    assert exactly["sizeBytes"] == 4096

    # Declared too large: refused before a byte of the body is read.
    response = await api.upload(tenant.employees[1], "contract", pdf(200_000), token=tenant.token)
    assert response.status_code == 413
    assert error_codes(response.json()) == ["PAYLOAD_TOO_LARGE"]
    assert response.json()["errors"][0]["extensions"]["maxBytes"] == 4096

    # No declared length (chunked): refused at the first byte over the limit.
    boundary = "hrvaultboundary"
    operations = (
        '{"query": "mutation($e: ID!, $f: Upload!) { uploadDocument(employeeId: $e,'
        ' category: \\"contract\\", file: $f) { id } }", "variables": {"e": "'
        + str(tenant.employees[1])
        + '", "f": null}}'
    )

    async def body() -> Any:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
            f'{operations}\r\n--{boundary}\r\nContent-Disposition: form-data; name="map"'
            f'\r\n\r\n{{"0": ["variables.f"]}}\r\n--{boundary}\r\nContent-Disposition: '
            f'form-data; name="0"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        for _ in range(10):
            yield pdf(1000)
        yield f"\r\n--{boundary}--\r\n".encode()

    chunked = await api.client.post(
        "/graphql",
        content=body(),
        headers={
            "authorization": f"Bearer {tenant.token}",
            "content-type": f"multipart/form-data; boundary={boundary}",
            "x-requested-with": "tests",
        },
    )
    assert chunked.status_code == 413
    assert error_codes(chunked.json()) == ["PAYLOAD_TOO_LARGE"]
    assert len(stored(settings, tenant)) == 1
    assert await document_count(owner_engine, tenant) == 1
    assert not list(settings.upload_spool_path.glob("*"))  # spools have no name, ever


def _multipart_body(employee: uuid.UUID, boundary: str) -> tuple[bytes, bytes]:
    """The parts before a file's bytes and the closing boundary, for a hand-made body."""
    operations = (
        '{"query": "mutation($e: ID!, $f: Upload!) { uploadDocument(employeeId: $e,'
        ' category: \\"contract\\", file: $f) { id } }", "variables": {"e": "'
        + str(employee)
        + '", "f": null}}'
    )
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        f'{operations}\r\n--{boundary}\r\nContent-Disposition: form-data; name="map"'
        f'\r\n\r\n{{"0": ["variables.f"]}}\r\n--{boundary}\r\nContent-Disposition: '
        f'form-data; name="0"; filename="slow.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    return head, f"\r\n--{boundary}--\r\n".encode()


async def test_a_slow_upload_holds_no_database_connection_and_has_its_own_timeout(
    settings: Settings,
    open_api: Any,
    tenants: TenantFactory,
    owner_engine: AsyncEngine,
    data_dir: Path,
) -> None:
    import asyncio
    from dataclasses import replace

    tenant = await tenants.create(employees=2)
    boundary = "slowboundary"
    head, tail = _multipart_body(tenant.employees[1], boundary)
    held: list[int] = []

    async def slow(pause: float) -> Any:
        yield head
        yield pdf(1000)
        await asyncio.sleep(pause)
        async with owner_engine.connect() as conn:
            held.append(
                int(
                    await conn.scalar(
                        text(
                            "SELECT count(*) FROM pg_stat_activity WHERE usename = 'hrvault_app'"
                            " AND datname = current_database()"
                            " AND state IN ('idle in transaction', 'active')"
                        )
                    )
                    or 0
                )
            )
        yield b"more"
        yield tail

    headers = {
        "authorization": f"Bearer {tenant.token}",
        "content-type": f"multipart/form-data; boundary={boundary}",
        "x-requested-with": "tests",
    }
    patient = replace(settings, upload_timeout_seconds=30)
    async with open_api(patient) as api:
        done = await api.client.post("/graphql", content=slow(0.2), headers=headers)
    assert "errors" not in done.json(), done.json()
    assert held == [0]  # the body was arriving while no transaction was open

    hasty = replace(settings, upload_timeout_seconds=1)
    async with open_api(hasty) as api:
        late = await api.client.post("/graphql", content=slow(1.5), headers=headers)
    assert late.status_code == 408
    assert error_codes(late.json()) == ["OPERATION_TIMED_OUT"]
    assert len(stored(settings, tenant)) == 1


async def test_the_size_limit_is_per_tenant_and_bounded(api: Api, tenants: TenantFactory) -> None:
    first = await tenants.create(employees=2)
    second = await tenants.create(employees=2)
    await _limit(api, first, 2048)
    assert (await upload(api, second.token, second.employees[1], pdf(3000)))["sizeBytes"] == 3000
    version = (await api.data(SETTINGS, token=first.token))["documentSettings"]["version"]
    for bad in (10, 2 * 1024 * 1024 * 1024 - 1):
        refused = await api.gql(SET_LIMIT, {"v": version, "m": bad}, token=first.token)
        assert error_codes(refused) == ["BAD_USER_INPUT"]
    stale = await api.gql(SET_LIMIT, {"v": version - 1, "m": 4096}, token=first.token)
    assert error_codes(stale) == ["CONFLICT"]
    employee = await tenants.add_user(first, first.employees[1], ("employee",))
    denied = await api.gql(SET_LIMIT, {"v": version, "m": 4096}, token=employee.token)
    assert error_codes(denied) == ["FORBIDDEN"]


async def test_multipart_needs_a_header_no_cross_site_form_can_send(
    api: Api, tenants: TenantFactory, settings: Settings
) -> None:
    tenant = await tenants.create(employees=2)
    api.client.cookies.set("__Host-hrvault_session", tenant.token)
    try:
        response = await api.client.post(
            "/graphql",
            data={
                "operations": '{"query": "mutation($f: Upload!) { uploadDocument(employeeId:'
                f' \\"{tenant.employees[1]}\\", category: \\"contract\\", file: $f) {{ id }} }}",'
                ' "variables": {"f": null}}',
                "map": '{"0": ["variables.f"]}',
            },
            files={"0": ("c.pdf", pdf(100), "application/pdf")},
        )
    finally:
        api.client.cookies.clear()
    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_REQUEST"]
    assert stored(settings, tenant) == []


async def test_malformed_multipart_requests_get_typed_refusals(
    api: Api, tenants: TenantFactory, settings: Settings
) -> None:
    tenant = await tenants.create(employees=2)
    headers = {"authorization": f"Bearer {tenant.token}", "x-requested-with": "tests"}
    ops = '{"query": "mutation($f: Upload!) { uploadDocument(employeeId: \\"x\\", category: \\"c\\", file: $f) { id } }", "variables": {"f": null}}'
    cases = {
        "map first": {"map": '{"0": ["variables.f"]}', "operations": ops},
        "two files": {"operations": ops, "map": '{"0": ["variables.f"], "1": ["variables.f"]}'},
        "nested path": {"operations": ops, "map": '{"0": ["variables.input.file"]}'},
        "batch": {"operations": f"[{ops}]", "map": "{}"},
    }
    for case, fields in cases.items():
        response = await api.client.post(
            "/graphql",
            data=fields,
            files={"0": ("c.pdf", pdf(50), "application/pdf")},
            headers=headers,
        )
        assert response.status_code == 400, case
        assert error_codes(response.json()) in (["BAD_REQUEST"], ["BATCH_NOT_ALLOWED"]), case
    plain = await api.gql(
        'mutation($e: ID!) { uploadDocument(employeeId: $e, category: "contract",'
        ' file: "not a file") { id } }',
        {"e": str(tenant.employees[1])},
        token=tenant.token,
    )
    assert error_codes(plain) == ["BAD_USER_INPUT"]
    assert stored(settings, tenant) == []


# links ----------------------------------------------------------------------------------------


async def test_a_link_works_once_and_briefly(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=2)
    made = await upload(api, tenant.token, tenant.employees[1], pdf(500))
    url = await link(api, tenant.token, made["id"])
    assert url.startswith("https://hrvault.test/files/hrvdl1_")
    assert (await api.client.get(url)).status_code == 200
    reused = await api.client.get(url)
    assert reused.status_code == 410
    assert error_codes(reused.json()) == ["LINK_USED"]

    late = await link(api, tenant.token, made["id"])
    api.clock.advance(timedelta(minutes=2, seconds=1))
    expired = await api.client.get(late)
    assert expired.status_code == 410
    assert error_codes(expired.json()) == ["LINK_EXPIRED"]

    token = late.rsplit("/", 1)[1]
    for forged in ("hrvdl1_" + "A" * 64, "nonsense", token[:-2] + "xx", token[:-1]):
        response = await api.client.get(f"/files/{forged}")
        assert response.status_code == 404
        assert error_codes(response.json()) == ["NOT_FOUND"]


async def test_the_database_keeps_only_a_hash_of_the_link(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine
) -> None:
    tenant = await tenants.create(employees=2)
    made = await upload(api, tenant.token, tenant.employees[1], pdf(500))
    url = await link(api, tenant.token, made["id"])
    token = url.rsplit("/", 1)[1]
    async with owner_engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT * FROM document_links WHERE tenant_id = :t"), {"t": tenant.id}
            )
        ).one()
    assert token not in repr(tuple(row))
    assert bytes(row.token_hash) == hashlib.sha256(token.encode()).digest()


async def test_concurrent_uses_of_one_link_give_one_download(
    api: Api, tenants: TenantFactory
) -> None:
    import asyncio

    tenant = await tenants.create(employees=2)
    made = await upload(api, tenant.token, tenant.employees[1], pdf(5000))
    url = await link(api, tenant.token, made["id"])
    responses = await asyncio.gather(*(api.client.get(url) for _ in range(5)))
    assert sorted(r.status_code for r in responses) == [200, 410, 410, 410, 410]


async def test_permission_revoked_between_link_and_download_refuses(
    api: Api, tenants: TenantFactory
) -> None:
    owner = await tenants.create(employees=1)
    people = await build_org(api, owner)
    employee = await tenants.add_user(owner, uuid.UUID(people["direct"]), ("employee",))
    made = await upload(api, owner.token, people["direct"], pdf(800), "payslip")

    url = await link(api, employee.token, made["id"])  # their own payslip: allowed now
    categories = await api.data("{ documentCategories { id code version } }", token=owner.token)
    payslip = next(c for c in categories["documentCategories"] if c["code"] == "payslip")
    await api.data(
        "mutation($id: ID!, $v: Int!) { updateDocumentCategory(id: $id, input: {version: $v,"
        " employeeVisible: false}) { employeeVisible } }",
        {"id": payslip["id"], "v": payslip["version"]},
        token=owner.token,
    )
    refused = await api.client.get(url)
    assert refused.status_code == 403
    assert error_codes(refused.json()) == ["FORBIDDEN"]
    assert refused.json()["errors"][0]["extensions"]["deniedFieldGroups"] == ["salary"]
    assert b"%PDF" not in refused.content
    listed = await api.data(LIST, {"e": people["direct"]}, token=employee.token)
    assert listed["documents"] == []  # not employee-visible: the list hides it too

    # Logging out between link and download ends the link with the session.
    second = await link(api, owner.token, made["id"])
    await api.data("mutation { logout }", token=owner.token)
    ended = await api.client.get(second)
    assert ended.status_code == 401
    assert error_codes(ended.json()) == ["UNAUTHENTICATED"]


async def test_a_revoked_support_grant_ends_staff_links(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=2)
    made = await upload(api, tenant.token, tenant.employees[1], pdf(700))
    await tenants.step_up(tenant)
    grant = await api.data(
        'mutation { createSupportGrant(input: {reason: "Broken scan"}) { id } }',
        token=tenant.token,
    )
    grant_id = grant["createSupportGrant"]["id"]
    staff = await staff_session(api, tenants)
    await api.data(
        "mutation($t: String!, $g: ID!) { activateSupportGrant(tenant: $t, grantId: $g) { id } }",
        {"t": tenant.slug, "g": grant_id},
        token=staff.token,
    )
    ok = await download(api, staff.token, made["id"])
    assert ok.status_code == 200
    url = await link(api, staff.token, made["id"])
    await api.data(
        "mutation($g: ID!) { revokeSupportGrant(id: $g) { id } }",
        {"g": grant_id},
        token=tenant.token,
    )
    refused = await api.client.get(url)
    assert refused.status_code in (401, 403)
    assert b"%PDF" not in refused.content
    log = await records(api, tenant.token, entityType="Document", action="read")
    assert log[0]["actor"]["kind"] == "support"
    assert log[0]["actor"]["id"] == str(staff.staff_id)


async def test_a_head_request_does_not_use_a_link_up(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=2)
    made = await upload(api, tenant.token, tenant.employees[1], pdf(500))
    url = await link(api, tenant.token, made["id"])
    head = await api.client.head(url)
    assert head.status_code == 405
    assert (await api.client.get(url)).status_code == 200


# keys -----------------------------------------------------------------------------------------


async def test_documents_survive_rotation_and_reencryption(
    api: Api,
    tenants: TenantFactory,
    settings: Settings,
    keyring: TenantKeyring,
    app_engine: AsyncEngine,
) -> None:
    tenant = await tenants.create(employees=2)
    content = pdf(2 * CHUNK_BYTES + 3)
    made = await upload(api, tenant.token, tenant.employees[1], content, filename="Kontrakt.pdf")
    (body,) = stored(settings, tenant)
    sealed_before = body.read_bytes()
    sessions = session_factory(app_engine)
    async with sessions() as db:
        await bind_tenant(db, tenant.id)
        await rotate_tenant_key(db, keyring, tenant.id)
        await db.commit()
    result = await reencrypt_tenant(sessions, keyring, tenant.id, wait_seconds=10)
    assert result.complete, result
    assert result.values_resealed >= 2  # the file key and the filename
    assert result.retired_tenant_versions == [1]
    assert body.read_bytes() == sealed_before  # only the key header moved
    response = await download(api, tenant.token, made["id"])
    assert response.content == content
    listed = await api.data(LIST, {"e": str(tenant.employees[1])}, token=tenant.token)
    assert listed["documents"][0]["filename"] == "Kontrakt.pdf"


async def test_erasing_a_person_erases_their_documents(
    api: Api, tenants: TenantFactory, settings: Settings, app_engine: AsyncEngine
) -> None:
    tenant = await tenants.create(employees=2)
    person = tenant.employees[1]
    made = await upload(api, tenant.token, person, pdf(900), filename="Diagnos.pdf")
    url = await link(api, tenant.token, made["id"])
    async with session_factory(app_engine)() as db:
        await bind_tenant(db, tenant.id)
        await destroy_person_keys(db, tenant.id, person)
        await db.commit()
    gone = await api.client.get(url)
    assert gone.status_code == 404
    assert error_codes(gone.json()) == ["NOT_FOUND"]
    listed = await api.data(LIST, {"e": str(person)}, token=tenant.token)
    assert listed["documents"][0]["filename"] is None
    store(settings).remove_person(tenant.id, person)
    assert stored(settings, tenant) == []


# tenants --------------------------------------------------------------------------------------


async def test_another_tenants_document_is_like_a_missing_one(
    api: Api, tenants: TenantFactory, settings: Settings, owner_engine: AsyncEngine
) -> None:
    attacker = await tenants.create(employees=2)
    victim = await tenants.create(employees=2)
    made = await upload(api, victim.token, victim.employees[1], pdf(900))
    for document, variables in (
        ("query($id: ID!) { document(id: $id) { id } }", {"id": made["id"]}),
        (LINK, {"id": made["id"]}),
        (DELETE, {"id": made["id"]}),
        (LIST, {"e": str(victim.employees[1])}),
    ):
        crossing = await api.gql(document, variables, token=attacker.token)
        missing = await api.gql(
            document, {k: str(uuid.uuid4()) for k in variables}, token=attacker.token
        )
        assert error_codes(crossing) == ["NOT_FOUND"]
        assert crossing == missing
    refused = await api.upload(victim.employees[1], "contract", pdf(300), token=attacker.token)
    assert error_codes(refused.json()) == ["NOT_FOUND"]
    assert stored(settings, attacker) == []
    assert await document_count(owner_engine, victim) == 1
    # A link is looked up under the tenant it names: relabelled for another tenant, the
    # victim's link finds nothing there (and is not used up by trying).
    url = await link(api, victim.token, made["id"])
    payload = base64.urlsafe_b64decode(url.rsplit("hrvdl1_", 1)[1] + "==")
    relabelled = attacker.id.bytes + payload[16:]
    moved = "hrvdl1_" + base64.urlsafe_b64encode(relabelled).decode().rstrip("=")
    assert (await api.client.get(f"/files/{moved}")).status_code == 404
    assert (await api.client.get(url)).status_code == 200


async def test_removing_a_person_or_a_tenant_removes_their_files(
    api: Api, tenants: TenantFactory, settings: Settings
) -> None:
    tenant = await tenants.create(employees=3)
    for person in tenant.employees[1:]:
        await upload(api, tenant.token, person, pdf(600))
        await upload(api, tenant.token, person, pdf(700))
    files = store(settings)
    files.remove_person(tenant.id, tenant.employees[1])
    left = stored(settings, tenant)
    assert len(left) == 2
    assert all(p.parent.name == str(tenant.employees[2]) for p in left)
    files.remove_tenant(tenant.id)
    assert not files.tenant_dir(tenant.id).exists()
    files.remove_tenant(tenant.id)  # nothing left: no error either


def test_the_store_names_files_by_generated_ids_only(tmp_path: Path) -> None:
    files = LocalFileStore(tmp_path)
    tenant, person, document = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with pytest.raises(TypeError):
        files.write(tenant, person, "../../escape", [b"x"])  # type: ignore[arg-type]
    assert files.write(tenant, person, document, [b"abc", b"def"]) == 6
    with files.open(tenant, person, document) as body:
        assert body.read() == b"abcdef"

    def failing() -> Any:
        yield b"partial"
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        files.write(tenant, person, uuid.uuid4(), failing())
    assert sorted(p.name for p in files.person_dir(tenant, person).iterdir()) == [str(document)]
    assert oct(files.tenant_dir(tenant).stat().st_mode & 0o777) == oct(0o700)


# user stories ---------------------------------------------------------------------------------


async def test_hr_uploads_employees_download_own_payslips_managers_see_auditors_trace(
    api: Api, tenants: TenantFactory
) -> None:
    owner = await tenants.create(employees=1)
    people = await build_org(api, owner)
    hr = await tenants.add_user(owner, None, ("hr_admin",))
    employee = await tenants.add_user(owner, uuid.UUID(people["direct"]), ("employee",))
    manager = await tenants.add_user(owner, uuid.UUID(people["self"]), ("manager",))
    auditor = await tenants.add_user(owner, None, ("auditor",))
    target = people["direct"]

    contract = await upload(api, hr.token, target, pdf(1000), "contract", filename="Avtal.pdf")
    payslip = await upload(api, hr.token, target, pdf(1200), "payslip", filename="Mars.pdf")
    certificate = await upload(
        api, hr.token, target, pdf(900), "medical_certificate", filename="Diagnos.pdf"
    )

    # The employee downloads their own payslip; uploads a certificate but not a payslip.
    got = await download(api, employee.token, payslip["id"])
    assert got.status_code == 200
    assert got.content.startswith(b"%PDF")
    own = await upload(api, employee.token, target, pdf(400), "medical_certificate")
    assert own["category"]["code"] == "medical_certificate"
    refused = await api.upload(target, "payslip", pdf(400), token=employee.token)
    assert error_codes(refused.json()) == ["FORBIDDEN"]
    assert refused.json()["errors"][0]["extensions"]["deniedFieldGroups"] == ["salary"]
    colleague = await api.upload(people["indirect"], "other", pdf(400), token=employee.token)
    assert error_codes(colleague.json()) == ["FORBIDDEN"]

    # The manager sees that the certificate exists, not its name, and cannot open it.
    seen = await api.gql(LIST, {"e": target}, token=manager.token)
    listed = {d["id"]: d for d in seen["data"]["documents"]}
    assert set(listed) == {contract["id"], payslip["id"], certificate["id"], own["id"]}
    shown = listed[certificate["id"]]
    assert shown["category"] == {"code": "medical_certificate", "fieldGroup": "ABSENCE_REASON"}
    assert shown["filename"] is None
    assert shown["viewerCanDownload"] is False
    assert ["documents", 0, "filename"] in seen["extensions"]["restricted"]
    denied = await api.gql(LINK, {"id": certificate["id"]}, token=manager.token)
    assert error_codes(denied) == ["FORBIDDEN"]
    assert denied["errors"][0]["extensions"]["deniedFieldGroups"] == ["absence_reason"]
    unrelated = await api.gql(LIST, {"e": people["unrelated"]}, token=manager.token)
    assert error_codes(unrelated) == ["NOT_FOUND"]

    # HR sees names and may do everything; the employee sees their own names.
    hr_view = await api.data(LIST, {"e": target}, token=hr.token)
    assert {d["filename"] for d in hr_view["documents"]} >= {"Avtal.pdf", "Mars.pdf"}
    mine = await api.data(LIST, {"e": target}, token=employee.token)
    assert {d["filename"] for d in mine["documents"]} >= {"Avtal.pdf", "Mars.pdf", "Diagnos.pdf"}

    # The auditor sees the list and the trail of downloads, never a file or a name.
    audited = await api.gql(LIST, {"e": target}, token=auditor.token)
    assert len(audited["data"]["documents"]) == 4
    assert all(d["filename"] is None for d in audited["data"]["documents"])
    assert error_codes(await api.gql(LINK, {"id": contract["id"]}, token=auditor.token)) == [
        "FORBIDDEN"
    ]
    trail = await records(api, auditor.token, entityType="Document", action="read")
    assert len(trail) == 1
    assert trail[0]["entityId"] == payslip["id"]
    assert trail[0]["subjectId"] == target
    assert trail[0]["actor"]["id"] == employee.user_id
    (change,) = trail[0]["changes"]
    assert change["fieldGroup"] == "salary"
    assert change["new"] == {
        "category": "payslip",
        "contentType": "application/pdf",
        "sizeBytes": 1200,
        "sha256": payslip["sha256"],
    }
    sensitive = await api.data(
        "{ sensitiveReads(first: 20) { edges { node { entityType entityId } } } }",
        token=auditor.token,
    )
    assert {"entityType": "Document", "entityId": payslip["id"]} in [
        e["node"] for e in sensitive["sensitiveReads"]["edges"]
    ]


async def test_uploads_links_and_deletions_are_audited_without_names(
    api: Api, tenants: TenantFactory, settings: Settings
) -> None:
    tenant = await tenants.create(employees=2)
    made = await upload(api, tenant.token, tenant.employees[1], pdf(1500), filename="Secret.pdf")
    await download(api, tenant.token, made["id"])
    assert await api.data(DELETE, {"id": made["id"]}, token=tenant.token)
    assert stored(settings, tenant) == []
    log = await records(api, tenant.token, entityType="Document")
    assert [r["action"] for r in log] == ["delete", "read", "create_download_link", "create"]
    created = log[-1]
    assert {c["field"]: c["new"] for c in created["changes"]} == {
        "category": "contract",
        "content_type": "application/pdf",
        "size_bytes": 1500,
        "sha256": made["sha256"],
    }
    assert {c["field"]: c["old"] for c in log[0]["changes"]}["sha256"] == made["sha256"]
    assert "Secret" not in repr(log)
    assert error_codes(await api.gql(LINK, {"id": made["id"]}, token=tenant.token)) == ["NOT_FOUND"]


async def test_a_failed_request_leaves_no_stored_body(
    api: Api, tenants: TenantFactory, settings: Settings, owner_engine: AsyncEngine
) -> None:
    tenant = await tenants.create(employees=2)
    query = (
        "mutation($e: ID!, $c: String!, $f: Upload!) { uploadDocument(employeeId: $e,"
        ' category: $c, file: $f) { id } deleteDocument(id: "00000000-0000-0000-0000-000000000000") }'
    )
    response = await api.upload(
        tenant.employees[1], "contract", pdf(3000), token=tenant.token, query=query
    )
    assert error_codes(response.json()) == ["NOT_FOUND"]
    assert stored(settings, tenant) == []
    assert await document_count(owner_engine, tenant) == 0


async def test_categories_are_the_tenants_and_cannot_escalate(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=2)
    made = await api.data(
        'mutation { createDocumentCategory(input: {code: "bank_letter", name: "Bank letter",'
        " fieldGroup: BANK, employeeVisible: true}) { id code fieldGroup employeeVisible"
        " employeeUploadable builtIn version } }",
        token=tenant.token,
    )
    category = made["createDocumentCategory"]
    assert category["fieldGroup"] == "BANK"
    assert category["builtIn"] is False
    document = await upload(api, tenant.token, tenant.employees[1], pdf(100), "bank_letter")
    in_use = await api.gql(
        "mutation($id: ID!, $v: Int!) { deleteDocumentCategory(id: $id, version: $v) }",
        {"id": category["id"], "v": category["version"]},
        token=tenant.token,
    )
    assert error_codes(in_use) == ["CONFLICT"]
    await api.data(DELETE, {"id": document["id"]}, token=tenant.token)
    assert await api.data(
        "mutation($id: ID!, $v: Int!) { deleteDocumentCategory(id: $id, version: $v) }",
        {"id": category["id"], "v": category["version"]},
        token=tenant.token,
    )
    unknown = await api.upload(tenant.employees[1], "bank_letter", pdf(100), token=tenant.token)
    assert error_codes(unknown.json()) == ["BAD_USER_INPUT"]

    # An organiser who cannot download medical certificates cannot remap them either.
    await tenants.step_up(tenant)
    role = await api.data(
        'mutation { createRole(input: {name: "Organiser", abilities: [MANAGE_ORGANISATION],'
        " grants: [{fieldGroup: DOCUMENTS, action: DOWNLOAD, scope: ALL, includeFormer: true}]})"
        " { id } }",
        token=tenant.token,
    )
    organiser = await tenants.add_user(tenant, None, ())
    await api.data(
        "mutation($u: ID!, $r: ID!) { assignRole(userId: $u, roleId: $r) { id } }",
        {"u": organiser.user_id, "r": role["createRole"]["id"]},
        token=tenant.token,
    )
    token = await api.login(tenant.slug, organiser.email)
    categories = await api.data("{ documentCategories { id code version } }", token=token)
    medical = next(
        c for c in categories["documentCategories"] if c["code"] == "medical_certificate"
    )
    remap = await api.gql(
        "mutation($id: ID!, $v: Int!) { updateDocumentCategory(id: $id, input: {version: $v,"
        " fieldGroup: DOCUMENTS}) { id } }",
        {"id": medical["id"], "v": medical["version"]},
        token=token,
    )
    assert error_codes(remap) == ["FORBIDDEN"]
    assert remap["errors"][0]["extensions"]["reason"] == "delegation_exceeds_own_powers"
    assert remap["errors"][0]["extensions"]["missingPowers"] == [
        f"{action}:absence_reason:all+former" for action in ("delete", "download", "see", "upload")
    ]
    mine = await api.gql(
        'mutation { createDocumentCategory(input: {code: "notes", name: "Notes",'
        " fieldGroup: DOCUMENTS}) { id } }",
        token=token,
    )
    assert error_codes(mine) == ["FORBIDDEN"]  # downloading is not all of it


async def test_partners_never_reach_documents(api: Api, tenants: TenantFactory) -> None:
    from tests.partner_support import issue, register

    tenant = await tenants.create(employees=2)
    made = await upload(api, tenant.token, tenant.employees[1], pdf(300))
    await tenants.step_up(tenant)
    integration = await register(api, tenant.token, categories=["BASIC", "DOCUMENTS"])
    partner = (await issue(api, tenant.token, integration["id"]))["token"]
    for document, variables in (
        (LIST, {"e": str(tenant.employees[1])}),
        (LINK, {"id": made["id"]}),
    ):
        assert error_codes(await api.gql(document, variables, token=partner)) == ["FORBIDDEN"]
    response = await api.upload(tenant.employees[1], "contract", pdf(100), token=partner)
    assert error_codes(response.json()) == ["FORBIDDEN"]


# large files ----------------------------------------------------------------------------------


async def test_the_spool_never_holds_plaintext(tmp_path: Path) -> None:
    from hrvault.documents.incoming import IncomingFile

    secret = b"MEDICAL-DIAGNOSIS-" * 10_000

    async def pieces() -> Any:
        for i in range(0, len(secret), 7_000):
            yield secret[i : i + 7_000]

    incoming = IncomingFile("x.txt", "text/plain", pieces())
    await incoming.receive(max_bytes=len(secret), spool_dir=tmp_path)
    assert incoming._spool is not None
    incoming._spool.seek(0)
    assert b"MEDICAL" not in incoming._spool.read()
    assert b"".join(incoming.chunks()) == secret
    assert incoming.sha256 == hashlib.sha256(secret).digest()
    assert incoming.is_text
    assert os.listdir(tmp_path) == []  # anonymous: no name on disk
    incoming.close()


MIB = 1024 * 1024
LARGE = 100 * MIB


class _Asgi:
    """Drives the app directly, streaming the request body in and hashing the response
    body as it comes out: neither side of the test holds the file (httpx's in-process
    transport would keep the whole response in memory)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(
        self, method: str, path: str, headers: dict[str, str], body: Any = None
    ) -> tuple[int, dict[str, str], int, str]:
        import asyncio

        chunks = body.__aiter__() if body is not None else None
        finished = asyncio.Event()
        status = 0
        received: dict[str, str] = {}
        digest = hashlib.sha256()
        size = 0
        sent_all = False

        async def receive() -> dict[str, Any]:
            nonlocal chunks, sent_all
            if chunks is not None:
                try:
                    return {"type": "http.request", "body": await anext(chunks), "more_body": True}
                except StopAsyncIteration:
                    chunks = None
            if not sent_all:
                sent_all = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await finished.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
                received.update((k.decode(), v.decode()) for k, v in message["headers"])
            elif message["type"] == "http.response.body":
                piece = message.get("body", b"")
                digest.update(piece)
                size += len(piece)
                if not message.get("more_body"):
                    finished.set()

        url = httpx_url(path)
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "https",
            "path": url.path,
            "raw_path": url.raw_path,
            "root_path": "",
            "query_string": b"",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("10.9.8.7", 4242),
            "server": ("hrvault.test", 443),
        }
        await self.app(scope, receive, send)
        return status, received, size, digest.hexdigest()


def httpx_url(path: str) -> Any:
    import httpx

    return httpx.URL(path)


async def test_a_100_mib_file_round_trips_in_flat_memory(
    api: Api, tenants: TenantFactory, settings: Settings
) -> None:
    """100 MiB up and down through the real endpoints; the app's allocations stay small.

    Memory is measured with tracemalloc around each request (Python-level allocations of
    the app and the test's own generator of the body): a server that held the file would
    show at least 100 MiB.
    """
    import json
    import time
    import tracemalloc

    tenant = await tenants.create(employees=2)
    await _limit(api, tenant, LARGE + MIB)
    app = api.client._transport.app  # type: ignore[attr-defined]
    block = os.urandom(MIB)
    sent = hashlib.sha256()
    boundary = "hrvault-large-boundary"
    operations = json.dumps(
        {
            "query": "mutation($e: ID!, $f: Upload!) { uploadDocument(employeeId: $e,"
            ' category: "contract", file: $f) { id sizeBytes sha256 } }',
            "variables": {"e": str(tenant.employees[1]), "f": None},
        }
    )
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{operations}'
        f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
        f'{{"0": ["variables.f"]}}\r\n--{boundary}\r\nContent-Disposition: form-data;'
        f' name="0"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    async def body() -> Any:
        yield head
        for index in range(LARGE // (64 * 1024)):
            offset = (index % 16) * 64 * 1024
            piece = block[offset : offset + 64 * 1024]
            if index == 0:
                piece = b"%PDF-" + piece[5:]
            sent.update(piece)
            yield piece
        yield tail

    call = _Asgi(app)
    tracemalloc.start()
    try:
        started = time.perf_counter()
        status, _, _, _ = await call(
            "POST",
            "/graphql",
            {
                "authorization": f"Bearer {tenant.token}",
                "content-type": f"multipart/form-data; boundary={boundary}",
                "content-length": str(len(head) + LARGE + len(tail)),
                "x-requested-with": "tests",
            },
            body(),
        )
        upload_seconds = time.perf_counter() - started
        upload_peak = tracemalloc.get_traced_memory()[1]
        assert status == 200
        made = await api.data(
            "query($e: ID!) { documents(employeeId: $e) { id sizeBytes sha256 } }",
            {"e": str(tenant.employees[1])},
            token=tenant.token,
        )
        (document,) = made["documents"]
        assert document["sizeBytes"] == LARGE
        assert document["sha256"] == sent.hexdigest()
        url = await link(api, tenant.token, document["id"])
        tracemalloc.reset_peak()
        started = time.perf_counter()
        status, headers, size, digest = await call("GET", url.split("hrvault.test", 1)[1], {})
        download_seconds = time.perf_counter() - started
        download_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        store(settings).remove_tenant(tenant.id)
    assert status == 200
    assert headers["content-length"] == str(LARGE)
    assert (size, digest) == (LARGE, sent.hexdigest())
    print(
        f"\n100 MiB: upload {upload_seconds:.1f} s, peak {upload_peak / MIB:.1f} MiB;"
        f" download {download_seconds:.1f} s, peak {download_peak / MIB:.1f} MiB"
    )
    assert upload_peak < 16 * MIB, upload_peak
    assert download_peak < 16 * MIB, download_peak

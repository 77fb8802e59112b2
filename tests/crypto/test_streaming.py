"""Sealed files: chunks bound to their document, position and end; key header in a column."""

from __future__ import annotations

import io
import os
import uuid

import pytest

from hrvault.crypto.errors import DataIntegrityError
from hrvault.crypto.streaming import CHUNK_BYTES, FILE_KEY_HEADER_BYTES
from tests.crypto.conftest import Columns, Transactions

SIZES = [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 17]
SEALED_CHUNK = CHUNK_BYTES + 16


async def seal(
    tx: Transactions, tenant: uuid.UUID, columns: Columns, data: bytes, person: uuid.UUID
) -> tuple[uuid.UUID, bytes, bytes]:
    document = uuid.uuid4()
    async with tx(tenant) as t:
        sealer = await t.cipher.file_sealer(
            columns.document_key, document_id=document, person_id=person
        )
        pieces = [data[i : i + 10_000] for i in range(0, len(data), 10_000)] or [b""]
        body = b"".join(sealer.seal(pieces))
    assert len(sealer.key_header) == FILE_KEY_HEADER_BYTES
    return document, sealer.key_header, body


async def open_(
    tx: Transactions,
    tenant: uuid.UUID,
    columns: Columns,
    header: bytes,
    body: bytes,
    document: uuid.UUID,
    person: uuid.UUID,
) -> bytes:
    async with tx(tenant) as t:
        await t.cipher.load_people([person])
        opener = t.cipher.file_opener(
            columns.document_key, header, document_id=document, person_id=person
        )
        return b"".join(opener.open(io.BytesIO(body)))


@pytest.mark.parametrize("size", SIZES)
async def test_files_of_any_size_round_trip(
    tx: Transactions, tenant: uuid.UUID, columns: Columns, size: int
) -> None:
    data, person = os.urandom(size), uuid.uuid4()
    document, header, body = await seal(tx, tenant, columns, data, person)
    chunks = max(1, -(-size // CHUNK_BYTES))
    assert len(body) == size + 16 * chunks
    assert await open_(tx, tenant, columns, header, body, document, person) == data


async def test_a_changed_body_never_opens(
    tx: Transactions, tenant: uuid.UUID, columns: Columns
) -> None:
    data, person = os.urandom(3 * CHUNK_BYTES + 100), uuid.uuid4()
    document, header, body = await seal(tx, tenant, columns, data, person)
    chunks = [body[i : i + SEALED_CHUNK] for i in range(0, len(body), SEALED_CHUNK)]
    altered = {
        "truncated at a chunk boundary": b"".join(chunks[:2]),
        "last chunk dropped mid-way": body[:-10],
        "extended with a chunk": body + chunks[0],
        "two chunks swapped": chunks[1] + chunks[0] + b"".join(chunks[2:]),
        "a bit flipped": body[:100] + bytes([body[100] ^ 1]) + body[101:],
        "emptied": b"",
    }
    for name, bad in altered.items():
        with pytest.raises(DataIntegrityError):
            await open_(tx, tenant, columns, header, bad, document, person)
        assert name


async def test_a_body_or_key_moved_to_another_document_or_person_never_opens(
    tx: Transactions, tenant: uuid.UUID, columns: Columns
) -> None:
    person, other_person = uuid.uuid4(), uuid.uuid4()
    document, header, body = await seal(tx, tenant, columns, b"payslip", person)
    other_document, other_header, _ = await seal(tx, tenant, columns, b"contract", person)
    await seal(tx, tenant, columns, b"theirs", other_person)
    for key_header, doc, owner in [
        (header, other_document, person),
        (other_header, document, person),
        (header, document, other_person),
    ]:
        with pytest.raises(DataIntegrityError):
            await open_(tx, tenant, columns, key_header, body, doc, owner)
    assert await open_(tx, tenant, columns, header, body, document, person) == b"payslip"

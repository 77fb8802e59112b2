"""Moving a document body between its plaintext and the file store, chunk by chunk.

Synchronous (disk and AES-GCM work): callers run these in a worker thread. Memory stays at
a few 64 KiB chunks whatever the size of the document.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator

from hrvault.crypto.errors import DataIntegrityError
from hrvault.crypto.streaming import StreamOpener, StreamSealer
from hrvault.documents.store import FileStore


def store_sealed(
    files: FileStore,
    tenant_id: uuid.UUID,
    employee_id: uuid.UUID,
    document_id: uuid.UUID,
    sealer: StreamSealer,
    plaintext: Iterable[bytes],
) -> int:
    """Seal the plaintext chunks and store them as the document's body; bytes stored."""
    return files.write(tenant_id, employee_id, document_id, sealer.seal(plaintext))


def opened_body(
    files: FileStore,
    tenant_id: uuid.UUID,
    employee_id: uuid.UUID,
    document_id: uuid.UUID,
    opener: StreamOpener,
) -> Iterator[bytes]:
    """The plaintext chunks; raises DataIntegrityError at the first chunk that does not
    open where it is (altered, swapped, reordered, cut off)."""
    with files.open(tenant_id, employee_id, document_id) as body:
        yield from opener.open(body)


def verify_body(
    files: FileStore,
    tenant_id: uuid.UUID,
    employee_id: uuid.UUID,
    document_id: uuid.UUID,
    opener: StreamOpener,
    size: int,
) -> None:
    """Open the whole body once, keeping nothing: it must open and have the recorded size."""
    total = 0
    for chunk in opened_body(files, tenant_id, employee_id, document_id, opener):
        total += len(chunk)
    if total != size:
        raise DataIntegrityError(f"the body holds {total} bytes, the document {size}")

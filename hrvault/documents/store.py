"""Where sealed document bodies are kept: the ``FileStore`` seam and its local implementation.

A store only ever sees ciphertext (stream format v1, ``hrvault.crypto.streaming``): the
chunks are sealed before they reach it and opened after they leave it, so neither the disk
nor an object store holds anything readable without the employee's person key.

Every name a store uses is an id hrvault generated (tenant, employee, document: random
UUIDs), never anything a user typed; the methods take ``uuid.UUID`` values only.

The methods are synchronous (file and network I/O); request code calls them in a worker
thread. An object store (S3, GCS) plugs in by implementing the same methods: ``write`` as
a multipart upload to ``<tenant>/<employee>/<document>``, ``open`` as a streaming GET,
``delete`` as one delete and the removals as deletes by prefix.
"""

from __future__ import annotations

import os
import secrets
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
    from hrvault.config import Settings


class StoredFileMissing(Exception):
    """The store has no body for this document."""


class FileStore(Protocol):
    def write(
        self,
        tenant_id: uuid.UUID,
        employee_id: uuid.UUID,
        document_id: uuid.UUID,
        chunks: Iterable[bytes],
    ) -> int:
        """Store the sealed chunks as one body, all or nothing; returns the bytes written."""
        ...

    def open(
        self, tenant_id: uuid.UUID, employee_id: uuid.UUID, document_id: uuid.UUID
    ) -> BinaryIO:
        """The body for reading from the start; raises StoredFileMissing."""
        ...

    def delete(self, tenant_id: uuid.UUID, employee_id: uuid.UUID, document_id: uuid.UUID) -> None:
        """Remove one body (nothing happens if it is already gone)."""
        ...

    def remove_person(self, tenant_id: uuid.UUID, employee_id: uuid.UUID) -> int:
        """Remove every body of one employee (erasure, after their keys are destroyed);
        returns how many there were."""
        ...

    def remove_tenant(self, tenant_id: uuid.UUID) -> int:
        """Remove every body of a tenant (offboarding, after its keys are destroyed);
        returns how many there were (the erasure receipt counts them)."""
        ...


def _id(value: uuid.UUID) -> str:
    if not isinstance(value, uuid.UUID):
        raise TypeError(f"file store names are generated ids, not {type(value).__name__}")
    return str(value)


class LocalFileStore:
    """Bodies under ``root/<tenant>/<employee>/<document>``: one folder per tenant, one per
    person inside it, folders mode 0700 and files 0600. A body appears under its name only
    once it is completely written and flushed (written aside, then renamed)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"LocalFileStore({str(self.root)!r})"

    def tenant_dir(self, tenant_id: uuid.UUID) -> Path:
        return self.root / _id(tenant_id)

    def person_dir(self, tenant_id: uuid.UUID, employee_id: uuid.UUID) -> Path:
        return self.tenant_dir(tenant_id) / _id(employee_id)

    def path(self, tenant_id: uuid.UUID, employee_id: uuid.UUID, document_id: uuid.UUID) -> Path:
        return self.person_dir(tenant_id, employee_id) / _id(document_id)

    def write(
        self,
        tenant_id: uuid.UUID,
        employee_id: uuid.UUID,
        document_id: uuid.UUID,
        chunks: Iterable[bytes],
    ) -> int:
        folder = self.person_dir(tenant_id, employee_id)
        for level in (self.root, folder.parent, folder):
            level.mkdir(mode=0o700, exist_ok=True)
        final = folder / _id(document_id)
        partial = folder / f".{final.name}.{secrets.token_hex(8)}.partial"
        written = 0
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    written += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        _sync_dir(folder)
        return written

    def open(
        self, tenant_id: uuid.UUID, employee_id: uuid.UUID, document_id: uuid.UUID
    ) -> BinaryIO:
        try:
            return self.path(tenant_id, employee_id, document_id).open("rb")
        except FileNotFoundError:
            raise StoredFileMissing(f"no stored body for document {document_id}") from None

    def delete(self, tenant_id: uuid.UUID, employee_id: uuid.UUID, document_id: uuid.UUID) -> None:
        self.path(tenant_id, employee_id, document_id).unlink(missing_ok=True)

    def remove_person(self, tenant_id: uuid.UUID, employee_id: uuid.UUID) -> int:
        return _remove_tree(self.person_dir(tenant_id, employee_id))

    def remove_tenant(self, tenant_id: uuid.UUID) -> int:
        """Delete the tenant's whole folder. Call it after the tenant's keys are destroyed
        (``hrvault.crypto.shredding.destroy_tenant_keys``): what it removes is unreadable
        already, and any copy of it (backups, replicas) stays so."""
        return _remove_tree(self.tenant_dir(tenant_id))


def file_store(settings: Settings) -> LocalFileStore:
    """The store the app uses for these settings (``HRVAULT_FILES_DIR``, else
    ``<data dir>/files``): commands that remove files build theirs here too."""
    return LocalFileStore(settings.files_path)


def _remove_tree(folder: Path) -> int:
    """Remove a folder and everything in it, counting the files; what is already gone is
    no error."""
    files = sum(1 for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else 0
    while True:
        try:
            shutil.rmtree(folder)
        except FileNotFoundError:
            if folder.exists():
                continue  # something inside vanished meanwhile: go again
        return files


def _sync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX): flush the folder entry too."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

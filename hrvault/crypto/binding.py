"""What each ciphertext is bound to: the associated data of every AES-GCM operation.

Each builder starts with its own domain string, so bytes made for one purpose never
verify as another (a wrapped person key cannot pass as a field value). Variable-length
parts are length-prefixed, fixed-length parts (UUIDs, versions) are written as is, so no
two different contexts encode to the same bytes.
"""

from __future__ import annotations

import uuid

NO_PERSON = bytes(16)
"""Stands in for the person id of tenant-scoped values, keeping the layout fixed."""

MASTER_CHECK_CONTEXT = b"hrvault/master-key-check/v1"


def _named(text: str) -> bytes:
    raw = text.encode()
    if len(raw) > 255:
        raise ValueError("identifiers bound into associated data are at most 255 bytes")
    return bytes((len(raw),)) + raw


def column_binding(table: str, column: str) -> bytes:
    """The part of a field's associated data that names its column; computed once per column."""
    return _named(table) + _named(column)


def master_wrap_ad(master_version: int, context: bytes) -> bytes:
    return b"hrvault/master-wrap/v1\x00" + master_version.to_bytes(4, "big") + context


def tenant_key_context(tenant_id: uuid.UUID, purpose: str, version: int) -> bytes:
    """Binds a wrapped tenant key to its tenant, purpose and version (given to the master key)."""
    return (
        b"hrvault/tenant-key/v1\x00"
        + tenant_id.bytes
        + _named(purpose)
        + version.to_bytes(4, "big")
    )


def person_key_ad(
    tenant_id: uuid.UUID, employee_id: uuid.UUID, version: int, tenant_key_version: int
) -> bytes:
    """Binds a wrapped person key to tenant, person, its version and the wrapping key's version."""
    return (
        b"hrvault/person-key/v1\x00"
        + tenant_id.bytes
        + employee_id.bytes
        + version.to_bytes(4, "big")
        + tenant_key_version.to_bytes(4, "big")
    )


FIELD_DOMAIN = b"hrvault/field/v1\x00"


def field_ad(header: bytes, tenant: bytes, person: bytes, row: bytes, column: bytes) -> bytes:
    """Binds a sealed field to tenant, person, row and column (all given as raw bytes)."""
    return FIELD_DOMAIN + header + tenant + person + row + column


def document_binding(tenant: bytes, person: bytes, document: bytes, column: bytes) -> bytes:
    """Tenant, person (or NO_PERSON), document and key column of a sealed file."""
    return tenant + person + document + column


def file_key_ad(header: bytes, document: bytes) -> bytes:
    """Binds a file's own key to the data key that seals it and to its document."""
    return b"hrvault/file-key/v1\x00" + header + document


def chunk_ad(document: bytes, index: int, last: bool) -> bytes:
    """Binds one chunk of a sealed file to its document, its position and whether it ends it.

    The sealed file key is deliberately not bound: re-encryption re-wraps it without
    touching the file body, and each file key is unique, so chunks are tied to it anyway.
    """
    return (
        b"hrvault/chunk/v1\x00"
        + document
        + index.to_bytes(8, "big")
        + (b"\x01" if last else b"\x00")
    )

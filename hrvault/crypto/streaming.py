"""Sealed files (stream format v1): chunked AES-256-GCM for documents of any size.

Each file gets its own random file key. The file key, sealed under the person's or the
tenant's data key, is the file's *key header*: 66 bytes kept in a registered sealed
column of the document's row (``SEALED_COLUMNS.register(..., holds=SealedKind.FILE_KEY)``),
not in the file. Re-encryption re-wraps that header under the current key without
touching the file body, and destroying the data key makes the body unreadable wherever
it was copied. A file costs one seal of the data key whatever its size.

The body is cut into chunks of 64 KiB, each sealed under the file key with its index as
nonce. Every chunk's associated data binds tenant, person, document id, chunk index and
whether it is the last chunk, so chunks cannot be reordered, moved to another document,
dropped from the end (truncation) or followed by more (extension) without opening failing.

Key header layout::

    offset  size  content
    0       6     tag 0x02, key scope, key version (see formats.py)
    6       12    nonce
    18      48    the file key sealed under the data key (32 + tag)

Body: chunks of 64 KiB of plaintext + 16-byte tag each; the last one may be shorter
(and is present even for an empty file).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hrvault.crypto.binding import chunk_ad, file_key_ad
from hrvault.crypto.errors import DataIntegrityError
from hrvault.crypto.formats import HEADER_BYTES, NONCE_BYTES, TAG_BYTES
from hrvault.crypto.material import KEY_BYTES, KeyMaterial

CHUNK_BYTES = 64 * 1024
FILE_KEY_HEADER_BYTES = HEADER_BYTES + NONCE_BYTES + KEY_BYTES + TAG_BYTES
_SEALED_CHUNK_BYTES = CHUNK_BYTES + TAG_BYTES


def seal_file_key(data_key: AESGCM, header: bytes, file_key: bytes, document: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return header + nonce + data_key.encrypt(nonce, file_key, file_key_ad(header, document))


def open_file_key(data_key: AESGCM, key_header: bytes, document: bytes) -> bytes:
    header = key_header[:HEADER_BYTES]
    nonce = key_header[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES]
    try:
        return data_key.decrypt(
            nonce, key_header[HEADER_BYTES + NONCE_BYTES :], file_key_ad(header, document)
        )
    except InvalidTag:
        raise DataIntegrityError("the file key does not open for this document") from None


def _chunk_nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class StreamSealer:
    """Seals one document; from ``TenantCipher.file_sealer``. Store ``key_header`` in its row."""

    def __init__(self, header: bytes, data_key: AESGCM, document: bytes) -> None:
        file_key = KeyMaterial.generate()
        self.key_header = seal_file_key(data_key, header, file_key.reveal(), document)
        self._aead = AESGCM(file_key.reveal())
        self._document = document

    def _seal(self, chunk: bytes, index: int, last: bool) -> bytes:
        return self._aead.encrypt(
            _chunk_nonce(index, last), chunk, chunk_ad(self._document, index, last)
        )

    def seal(self, pieces: Iterable[bytes]) -> Iterator[bytes]:
        """The sealed chunks of the concatenated ``pieces``; always at least one."""
        buffer = bytearray()
        index = 0
        for piece in pieces:
            buffer += piece
            while len(buffer) > CHUNK_BYTES:
                yield self._seal(bytes(buffer[:CHUNK_BYTES]), index, last=False)
                del buffer[:CHUNK_BYTES]
                index += 1
        yield self._seal(bytes(buffer), index, last=True)


def _read(source: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at the end of the stream."""
    parts = []
    while size > 0:
        part = source.read(size)
        if not part:
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


class StreamOpener:
    """Opens one sealed document body; from ``TenantCipher.file_opener``."""

    def __init__(self, file_key: bytes, document: bytes) -> None:
        self._aead = AESGCM(file_key)
        self._document = document

    def open(self, source: BinaryIO) -> Iterator[bytes]:
        """The plaintext chunks; raises DataIntegrityError on any change to the body."""
        index = 0
        current = _read(source, _SEALED_CHUNK_BYTES)
        while True:
            following = _read(source, _SEALED_CHUNK_BYTES)
            last = not following
            try:
                yield self._aead.decrypt(
                    _chunk_nonce(index, last), current, chunk_ad(self._document, index, last)
                )
            except InvalidTag:
                raise DataIntegrityError(
                    f"chunk {index} of the file does not open (altered, moved or truncated)"
                ) from None
            if last:
                return
            current = following
            index += 1

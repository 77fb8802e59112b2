"""A file arriving with a GraphQL multipart request, before the operation that stores it.

The body is received *after* the caller is authenticated and *before* the operation's
transaction begins, so a slow client never holds a database connection, and the tenant's
size limit applies while the bytes arrive (nothing over it is kept). Meanwhile it is:

- counted (over the limit: ``PayloadTooLarge``, the spool is dropped),
- hashed (SHA-256 of the plaintext, recorded with the document),
- kept at its start (the first 64 KiB, for content sniffing) and checked for being plain
  text throughout,
- spooled to an anonymous temporary file, sealed in 64 KiB chunks with AES-256-GCM under
  a random key that exists only in this object. The plaintext never touches a disk, and
  the spool is unreadable after the request (and gone: the file has no name).

The operation then reads the plaintext back chunk by chunk (``chunks``, in a worker
thread) and seals it for good under the employee's person key into the file store.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hrvault.crypto.errors import DataIntegrityError
from hrvault.documents.filetypes import SNIFF_BYTES, TextCheck
from hrvault.errors import PayloadTooLarge

SPOOL_CHUNK_BYTES = 64 * 1024
_TAG_BYTES = 16
_AD = b"hrvault/incoming/v1"


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _open_spool(folder: Path) -> BinaryIO:
    """An anonymous file (no name on disk; gone when closed, or when the process dies)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return tempfile.TemporaryFile(dir=folder)


class IncomingFile:
    """The ``Upload`` value a resolver receives for a file of a multipart request."""

    def __init__(
        self, filename: str | None, declared_type: str | None, source: AsyncIterator[bytes]
    ) -> None:
        self.filename = filename
        self.declared_type = declared_type
        """What the client claimed; recorded nowhere and trusted for nothing."""
        self._source = source
        self.received = False
        self.size = 0
        self.sha256 = b""
        self.head = b""
        self.is_text = False
        """Whether all of it is plain UTF-8 text (plain text has no magic number)."""
        self._spool: BinaryIO | None = None
        self._aead = AESGCM(os.urandom(32))
        self._chunks = 0

    def __repr__(self) -> str:
        return f"IncomingFile(size={self.size}, received={self.received})"

    async def receive(self, *, max_bytes: int, spool_dir: Path) -> None:
        """Read the file's bytes from the request; refuses at the first byte over ``max_bytes``."""
        if self.received or self._spool is not None:
            raise RuntimeError("a file is received once")
        spool = self._spool = _open_spool(spool_dir)
        digest = hashlib.sha256()
        text = TextCheck()
        head = bytearray()
        pending = bytearray()
        size = 0
        async for piece in self._source:
            size += len(piece)
            if size > max_bytes:
                self.close()
                raise PayloadTooLarge(
                    f"the file is larger than this company's limit of {max_bytes} bytes",
                    maxBytes=max_bytes,
                )
            digest.update(piece)
            text.feed(piece)
            if len(head) < SNIFF_BYTES:
                head += piece[: SNIFF_BYTES - len(head)]
            pending += piece
            while len(pending) > SPOOL_CHUNK_BYTES:
                self._seal(spool, bytes(pending[:SPOOL_CHUNK_BYTES]), last=False)
                del pending[:SPOOL_CHUNK_BYTES]
        self._seal(spool, bytes(pending), last=True)
        spool.flush()
        self.size, self.sha256, self.head = size, digest.digest(), bytes(head)
        self.is_text = text.finish()
        self.received = True

    def _seal(self, spool: BinaryIO, chunk: bytes, *, last: bool) -> None:
        spool.write(self._aead.encrypt(_nonce(self._chunks, last), chunk, _AD))
        self._chunks += 1

    def chunks(self) -> Iterator[bytes]:
        """The plaintext again, chunk by chunk (synchronous: run it in a worker thread)."""
        if not self.received or self._spool is None:
            raise RuntimeError("the file was not received")
        spool = self._spool
        spool.seek(0)
        for index in range(self._chunks):
            last = index == self._chunks - 1
            sealed = spool.read(SPOOL_CHUNK_BYTES + _TAG_BYTES)
            try:
                yield self._aead.decrypt(_nonce(index, last), sealed, _AD)
            except InvalidTag:
                raise DataIntegrityError("the upload spool was altered") from None

    def close(self) -> None:
        """Drop the spool (its bytes are unreadable already: the key dies with this object)."""
        if self._spool is not None:
            self._spool.close()
            self._spool = None
        self.received = False

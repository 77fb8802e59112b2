"""Sealed byte formats: a registry of format tags, and the header every sealed value starts with.

The first byte of anything hrvault seals is a format tag. The registry refuses a tag
that is already taken, so two layouts can never be confused.

NOTE on compatibility: a tag that has shipped is frozen. Its layout never changes and
the tag is never reused, even after every value was moved off it. A new layout gets a
new tag; readers keep opening the old tags until ``hrvault keys reencrypt`` has re-sealed
every value under the newest one.

Field format v1 (tag 0x01)::

    offset  size  content
    0       1     format tag 0x01
    1       1     key scope (1 tenant data key, 2 person key)
    2       4     key version, big-endian
    6       12    random nonce
    18      n+16  AES-256-GCM ciphertext of the padded plaintext, then the tag

The header (bytes 0-5) is also part of the associated data, so it cannot be edited to
point at another key. The key's owner (tenant, person) is not in the header: it is the
row the value sits in, bound through the associated data.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from hrvault.crypto.errors import DataIntegrityError

NONCE_BYTES = 12
TAG_BYTES = 16
HEADER_BYTES = 6


class KeyScope(IntEnum):
    """Which key seals a value: the tenant's data key or one person's key."""

    TENANT = 1
    PERSON = 2


@dataclass(frozen=True)
class SealedFormat:
    tag: int
    name: str


class FormatRegistryError(ValueError):
    """A format tag was registered twice, or lies outside one byte."""


_FORMATS: dict[int, SealedFormat] = {}


def register_format(tag: int, name: str) -> SealedFormat:
    if not 0 < tag < 256:
        raise FormatRegistryError(f"a format tag is one byte from 1 to 255, got {tag}")
    if tag in _FORMATS:
        raise FormatRegistryError(f"format tag {tag:#04x} is taken by {_FORMATS[tag].name}")
    registered = SealedFormat(tag, name)
    _FORMATS[tag] = registered
    return registered


def registered_formats() -> tuple[SealedFormat, ...]:
    return tuple(sorted(_FORMATS.values(), key=lambda f: f.tag))


FIELD_V1 = register_format(0x01, "field-v1")
STREAM_V1 = register_format(0x02, "stream-v1")


def key_header(tag: int, scope: KeyScope, version: int) -> bytes:
    """The 6-byte header naming the format and the key a value is sealed under."""
    return bytes((tag, scope)) + version.to_bytes(4, "big")


@dataclass(frozen=True, slots=True)
class KeyRef:
    scope: KeyScope
    version: int


def read_header(sealed: bytes, expected: SealedFormat, minimum_length: int) -> KeyRef:
    """The key a sealed value names; malformed or foreign bytes are a DataIntegrityError."""
    if len(sealed) < minimum_length:
        raise DataIntegrityError(f"sealed value too short for {expected.name}")
    if sealed[0] != expected.tag:
        known = _FORMATS.get(sealed[0])
        found = known.name if known else f"unknown tag {sealed[0]:#04x}"
        raise DataIntegrityError(f"expected {expected.name}, found {found}")
    try:
        scope = KeyScope(sealed[1])
    except ValueError:
        raise DataIntegrityError(f"unknown key scope {sealed[1]}") from None
    return KeyRef(scope, int.from_bytes(sealed[2:6], "big"))

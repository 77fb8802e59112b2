"""Field format v1: sealing and opening one value (see ``hrvault.crypto.formats``).

Plaintext is padded to a multiple of 32 bytes before sealing, so a ciphertext's length
says little about its value: every salary amount, date and short code seals to the same
size. Padding is ISO/IEC 7816-4 (a 0x80 byte, then zeros).
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hrvault.crypto.errors import DataIntegrityError
from hrvault.crypto.formats import HEADER_BYTES, NONCE_BYTES, TAG_BYTES

PAD_BLOCK = 32
MIN_FIELD_BYTES = HEADER_BYTES + NONCE_BYTES + PAD_BLOCK + TAG_BYTES
_CIPHERTEXT_AT = HEADER_BYTES + NONCE_BYTES


def pad(data: bytes) -> bytes:
    padded_length = (len(data) // PAD_BLOCK + 1) * PAD_BLOCK
    return data + b"\x80" + bytes(padded_length - len(data) - 1)


def unpad(padded: bytes) -> bytes:
    stripped = padded.rstrip(b"\x00")
    if not stripped.endswith(b"\x80"):
        raise DataIntegrityError("padding is malformed")
    return stripped[:-1]


def seal_value(aead: AESGCM, header: bytes, value: bytes, associated_data: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return header + nonce + aead.encrypt(nonce, pad(value), associated_data)


def open_value(aead: AESGCM, sealed: bytes, associated_data: bytes) -> bytes:
    try:
        padded = aead.decrypt(
            sealed[HEADER_BYTES:_CIPHERTEXT_AT], sealed[_CIPHERTEXT_AT:], associated_data
        )
    except InvalidTag:
        raise DataIntegrityError("the value does not open in this place") from None
    return unpad(padded)

"""Partner API token format, and the keyed hash that is all the database ever stores.

``hrv_pat_`` + base62(format version (1 byte) || secret (32) || tenant id (16)), padded to
66 characters, + a 6-character base62 CRC32 of everything before it. The secret comes
first so that the leading characters (the display prefix that lists show) differ between
tokens of one tenant. The readable prefix
and the checksum let secret scanners recognise a real token offline (as GitHub's tokens
do), and let the server reject a mistyped or forged-looking token before any database
lookup. The tenant id in clear lets a request bind its tenant first, so the lookup runs
under row-level security. Base62 keeps the token one "word" for double-click selection.

NOTE on compatibility: a new layout is a new format version byte; versions already issued
stay parseable until their tokens have expired (at most a year).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path

from hrvault.config import Secret
from hrvault.secret_files import read_or_create_secret

PARTNER_TOKEN_PREFIX = "hrv_pat_"  # noqa: S105 - a format marker, not a secret
FORMAT_VERSION = 1
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(_ALPHABET)}
_SECRET_BYTES = 32
_PAYLOAD_BYTES = 1 + 16 + _SECRET_BYTES
_BODY_CHARS = 66  # 62**66 > 2**392: any 49-byte payload fits
_CHECKSUM_CHARS = 6  # 62**6 > 2**32
TOKEN_LENGTH = len(PARTNER_TOKEN_PREFIX) + _BODY_CHARS + _CHECKSUM_CHARS
DISPLAY_PREFIX_LENGTH = len(PARTNER_TOKEN_PREFIX) + 8
_KEY_BYTES = 32


class TokenKeyError(Exception):
    """The token hashing key file is unusable; the message says why."""


def _base62(number: int, width: int) -> str:
    chars = []
    while number:
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    if len(chars) > width:
        raise ValueError("number too large for the width")
    return "".join(reversed(chars)).rjust(width, _ALPHABET[0])


def _from_base62(text: str) -> int | None:
    number = 0
    for char in text:
        digit = _INDEX.get(char)
        if digit is None:
            return None
        number = number * 62 + digit
    return number


def _checksum(text: str) -> str:
    return _base62(zlib.crc32(text.encode()), _CHECKSUM_CHARS)


@dataclass(frozen=True)
class PartnerToken:
    tenant_id: uuid.UUID
    value: Secret

    @property
    def display_prefix(self) -> str:
        """What lists show: enough to tell tokens apart, far too little to use one."""
        return self.value.reveal()[:DISPLAY_PREFIX_LENGTH]


def new_partner_token(tenant_id: uuid.UUID) -> PartnerToken:
    payload = bytes([FORMAT_VERSION]) + secrets.token_bytes(_SECRET_BYTES) + tenant_id.bytes
    body = PARTNER_TOKEN_PREFIX + _base62(int.from_bytes(payload, "big"), _BODY_CHARS)
    return PartnerToken(tenant_id=tenant_id, value=Secret(body + _checksum(body)))


def looks_like_partner_token(raw: str) -> bool:
    return raw.startswith(PARTNER_TOKEN_PREFIX)


def parse_partner_token(raw: str) -> PartnerToken | None:
    """The token's parts, or None when it is malformed or its checksum is wrong.

    Pure computation: nothing here touches the database.
    """
    if len(raw) != TOKEN_LENGTH or not raw.startswith(PARTNER_TOKEN_PREFIX):
        return None
    body, checksum = raw[:-_CHECKSUM_CHARS], raw[-_CHECKSUM_CHARS:]
    if not hmac.compare_digest(_checksum(body), checksum):
        return None
    number = _from_base62(body[len(PARTNER_TOKEN_PREFIX) :])
    if number is None or number >= 1 << (8 * _PAYLOAD_BYTES):
        return None
    payload = number.to_bytes(_PAYLOAD_BYTES, "big")
    if payload[0] != FORMAT_VERSION:
        return None
    return PartnerToken(tenant_id=uuid.UUID(bytes=payload[-16:]), value=Secret(raw))


class TokenHasher:
    """HMAC-SHA256 under a platform key kept outside the database.

    A stolen database dump alone cannot be used to test guessed tokens offline.
    """

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) != _KEY_BYTES:
            raise TokenKeyError(f"the token key must be {_KEY_BYTES} bytes")
        self._key = key

    def __repr__(self) -> str:
        return "TokenHasher('**********')"

    def digest(self, token: PartnerToken) -> bytes:
        return hmac.new(self._key, token.value.reveal().encode(), hashlib.sha256).digest()


def load_or_create_token_hasher(path: Path) -> TokenHasher:
    """The key at ``path``; a new random one is created there (mode 0600) if there is none."""
    key = read_or_create_secret(
        path, lambda: secrets.token_bytes(_KEY_BYTES), what="partner token key", error=TokenKeyError
    )
    return TokenHasher(key)

"""Sealing TOTP seeds at rest: AES-256-GCM, bound to whose seed it is.

``TotpSeedSealer`` is the one interface the rest of the code uses. Today its key is
derived (HKDF-SHA256) from a platform secret file outside the database; when the
per-tenant keyring lands, tenant users' seeds move under their tenant's key behind the
same two methods, while staff seeds stay under the platform key. The associated data
names the owner (tenant and user, or staff member), so a sealed seed copied onto another
account fails to open.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hrvault.config import Secret
from hrvault.secret_files import read_or_create_secret

_FORMAT = b"\x01"
_NONCE_BYTES = 12
_SECRET_BYTES = 32


class SeedKeyError(Exception):
    """The platform seed key file is unusable; the message says why."""


class SealedSeedError(Exception):
    """A sealed seed does not open under this key for this owner (tampered or moved)."""


@dataclass(frozen=True)
class SeedOwner:
    """Whose seed: a tenant user (``tenant_id`` set) or a support staff member (``None``)."""

    tenant_id: uuid.UUID | None
    account_id: uuid.UUID

    def associated_data(self) -> bytes:
        realm = f"tenant:{self.tenant_id}" if self.tenant_id else "staff"
        return f"hrvault-totp-seed-v1|{realm}|{self.account_id}".encode()


class TotpSeedSealer:
    def __init__(self, platform_secret: bytes) -> None:
        if len(platform_secret) < _SECRET_BYTES:
            raise SeedKeyError(f"the seed key must be at least {_SECRET_BYTES} bytes")
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"hrvault totp seeds v1"
        ).derive(platform_secret)
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "TotpSeedSealer(<key hidden>)"

    def seal(self, seed: Secret, owner: SeedOwner) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, seed.reveal().encode(), owner.associated_data())
        return _FORMAT + nonce + sealed

    def open(self, sealed: bytes, owner: SeedOwner) -> Secret:
        if sealed[:1] != _FORMAT:
            raise SealedSeedError("unknown sealed seed format")
        nonce, body = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
        try:
            plain = self._aead.decrypt(nonce, body, owner.associated_data())
        except InvalidTag:
            raise SealedSeedError("the sealed seed does not open for this account") from None
        return Secret(plain.decode())


def load_or_create_sealer(path: Path) -> TotpSeedSealer:
    """The sealer keyed by the file at ``path``; a new random secret (0600) if none exists."""
    secret = read_or_create_secret(
        path, lambda: secrets.token_bytes(_SECRET_BYTES), what="TOTP seed key", error=SeedKeyError
    )
    return TotpSeedSealer(secret)

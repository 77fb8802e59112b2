"""Sealing TOTP seeds at rest: a tenant user's under the tenant's key, staff's under a
platform key.

``SeedSealing`` is the one interface the rest of the code uses; whose seed it is decides
the key:

- A tenant user's seed is a value of the registered sealed column ``TOTP_SEED``, sealed
  by ``TenantCipher`` under the tenant data key and bound to tenant, table, column and
  row (the row's id is the user's id). So key rotation re-seals it (``hrvault keys
  reencrypt``) and destroying the tenant's keys shreds it, like any of the tenant's data.
- Support staff belong to no tenant: their seeds are sealed with AES-256-GCM under a key
  derived (HKDF-SHA256) from a platform secret file outside the database, bound to the
  staff member.

Users' seeds enrolled before they moved under the tenant key were sealed under the
platform key (bound to tenant and user). They still open, ``SeedKey`` says which key a
stored seed is under, and the second factor re-seals them at their next accepted code.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.config import Secret
from hrvault.crypto import events
from hrvault.crypto.cipher import TenantCipher
from hrvault.crypto.columns import TOTP_SEED
from hrvault.crypto.errors import DataIntegrityError, KeyDestroyedError
from hrvault.crypto.keyring import TenantKeyring
from hrvault.secret_files import read_or_create_secret

_PLATFORM_FORMAT = b"\x01"
_NONCE_BYTES = 12
_SECRET_BYTES = 32


class SeedKeyError(Exception):
    """The platform seed key file is unusable; the message says why."""


class SealedSeedError(Exception):
    """A sealed seed does not open under this key for this owner (tampered, moved, or
    its key destroyed)."""


class SeedKey(Enum):
    """The key a stored seed is sealed under."""

    TENANT = "tenant"
    PLATFORM = "platform"


@dataclass(frozen=True)
class SeedOwner:
    """Whose seed: a tenant user (``tenant_id`` set) or a support staff member (``None``)."""

    tenant_id: uuid.UUID | None
    account_id: uuid.UUID

    @property
    def seed_key(self) -> SeedKey:
        """The key new seeds of this owner are sealed under."""
        return SeedKey.PLATFORM if self.tenant_id is None else SeedKey.TENANT

    def associated_data(self) -> bytes:
        """Binds a platform-sealed seed to its owner (frozen: stored seeds depend on it)."""
        realm = f"tenant:{self.tenant_id}" if self.tenant_id else "staff"
        return f"hrvault-totp-seed-v1|{realm}|{self.account_id}".encode()


class PlatformSeedSealer:
    """AES-256-GCM under a key derived from the platform seed secret.

    Layout: format byte 0x01, 12-byte nonce, ciphertext and tag.
    """

    def __init__(self, platform_secret: bytes) -> None:
        if len(platform_secret) < _SECRET_BYTES:
            raise SeedKeyError(f"the seed key must be at least {_SECRET_BYTES} bytes")
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"hrvault totp seeds v1"
        ).derive(platform_secret)
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "PlatformSeedSealer(<key hidden>)"

    def seal(self, seed: Secret, owner: SeedOwner) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, seed.reveal().encode(), owner.associated_data())
        return _PLATFORM_FORMAT + nonce + sealed

    def open(self, sealed: bytes, owner: SeedOwner) -> Secret:
        if sealed[:1] != _PLATFORM_FORMAT:
            raise SealedSeedError("unknown sealed seed format")
        nonce, body = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
        try:
            plain = self._aead.decrypt(nonce, body, owner.associated_data())
        except InvalidTag:
            raise SealedSeedError("the sealed seed does not open for this account") from None
        return Secret(plain.decode())


class SeedSealing:
    """Seals and opens TOTP seeds inside the caller's transaction (bound to the tenant)."""

    def __init__(self, platform: PlatformSeedSealer, keyring: TenantKeyring) -> None:
        self._platform = platform
        self._keyring = keyring

    def __repr__(self) -> str:
        return "SeedSealing(<keys hidden>)"

    async def seal(self, db: AsyncSession, seed: Secret, owner: SeedOwner) -> bytes:
        """The seed sealed under ``owner.seed_key``."""
        if owner.tenant_id is None:
            return self._platform.seal(seed, owner)
        cipher = TenantCipher(self._keyring, db, owner.tenant_id)
        return await cipher.seal_field(TOTP_SEED, seed.reveal(), row_id=owner.account_id)

    async def open(self, db: AsyncSession, sealed: bytes, owner: SeedOwner, key: SeedKey) -> Secret:
        """The seed, if ``sealed`` was sealed under ``key`` for exactly this owner."""
        if key is SeedKey.PLATFORM:
            try:
                return self._platform.open(sealed, owner)
            except SealedSeedError as exc:
                events.integrity_failure(
                    f"platform-sealed TOTP seed: {exc}",
                    tenant=owner.tenant_id,
                    account=owner.account_id,
                )
                raise
        if owner.tenant_id is None:
            raise SealedSeedError("staff seeds are sealed under the platform key only")
        cipher = TenantCipher(self._keyring, db, owner.tenant_id)
        await cipher.load_tenant_keys()
        try:
            return Secret(cipher.open_field(TOTP_SEED, sealed, row_id=owner.account_id))
        except (DataIntegrityError, KeyDestroyedError) as exc:
            raise SealedSeedError(
                f"the sealed seed does not open for this account: {exc}"
            ) from None


def load_or_create_sealer(path: Path) -> PlatformSeedSealer:
    """The platform sealer keyed by the file at ``path``; a new random secret (0600) if none."""
    secret = read_or_create_secret(
        path, lambda: secrets.token_bytes(_SECRET_BYTES), what="TOTP seed key", error=SeedKeyError
    )
    return PlatformSeedSealer(secret)

"""The platform's Ed25519 key that signs checkpoints of every tenant's chain head.

A checkpoint pins a chain: whoever holds the public key can tell that no record up to the
signed sequence number was changed, removed or reordered since, even by someone who
controls the database. The private key lives in a file outside the database (mode 0600).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hrvault.secret_files import read_or_create_secret

CHECKPOINT_FORMAT = 1


class SigningKeyError(Exception):
    """The signing key file is unusable; the message says why."""


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def checkpoint_payload(
    tenant_id: uuid.UUID | str, seq: int, chain_hash: bytes, signed_at: datetime
) -> bytes:
    """The signed bytes: versioned canonical JSON of tenant, sequence, hash and time."""
    body = {
        "v": CHECKPOINT_FORMAT,
        "tenant": str(tenant_id),
        "seq": seq,
        "hash": chain_hash.hex(),
        "signed_at": signed_at.astimezone(UTC).isoformat(),
    }
    return (
        b"hrvault-checkpoint\n" + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    )


def signature_is_valid(public_key: Ed25519PublicKey, payload: bytes, signature: bytes) -> bool:
    try:
        public_key.verify(signature, payload)
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class PublicAuditKey:
    """What verifiers need: published by the API and by ``hrvault audit export``."""

    key_id: str
    public_key: Ed25519PublicKey
    pem: str


@dataclass(frozen=True)
class CheckpointSigner:
    _private_key: Ed25519PrivateKey

    def __repr__(self) -> str:
        return f"CheckpointSigner(key_id={self.key_id!r})"

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def public(self) -> PublicAuditKey:
        return PublicAuditKey(self.key_id, self.public_key, public_pem(self.public_key))

    def sign(self, payload: bytes) -> bytes:
        return self._private_key.sign(payload)


def load_or_create_signer(path: Path) -> CheckpointSigner:
    """The key at ``path``; a new one is created there (mode 0600) if there is none."""

    def new_pem() -> bytes:
        return Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    pem = read_or_create_secret(path, new_pem, what="audit signing key", error=SigningKeyError)
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except ValueError as exc:
        raise SigningKeyError(f"the audit signing key {path} cannot be read: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"the audit signing key {path} is not an Ed25519 key")
    return CheckpointSigner(key)

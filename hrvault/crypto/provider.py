"""The key provider seam: where the master key (key-encryption key) lives.

The rest of hrvault never sees a master key. It hands a provider a key to wrap together
with a context (tenant, purpose, version) and gets back opaque bytes, and later hands
those bytes and the same context back to unwrap. That is exactly the shape of a cloud
KMS (``Encrypt``/``Decrypt`` with an encryption context) or Vault Transit, which is why
the methods are asynchronous: a remote provider plugs in here without touching callers.

``hrvault.crypto.local_provider`` is the provider for one machine (a key file or an
environment variable).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hrvault.crypto.material import KeyMaterial


@dataclass(frozen=True)
class WrappedKey:
    """A key encrypted under one version of the master key. Safe to store, useless alone."""

    master_version: int
    blob: bytes

    def __repr__(self) -> str:
        return f"WrappedKey(master_version={self.master_version}, {len(self.blob)} bytes)"


class KeyProvider(Protocol):
    @property
    def name(self) -> str:
        """Recorded in the key store next to each master key version it registers."""
        ...

    @property
    def primary_version(self) -> int:
        """The master key version that wraps new keys."""
        ...

    @property
    def versions(self) -> frozenset[int]:
        """Every master key version this provider can unwrap with."""
        ...

    async def wrap(self, key: KeyMaterial, context: bytes) -> WrappedKey:
        """Encrypt ``key`` under the primary version, bound to ``context``."""
        ...

    async def unwrap(self, wrapped: WrappedKey, context: bytes) -> KeyMaterial:
        """Decrypt a wrapped key.

        Raises MasterKeyError when the version is unknown to this provider, and
        DataIntegrityError when the bytes or the context do not match.
        """
        ...

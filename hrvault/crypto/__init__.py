"""The cryptographic core: key hierarchy, sealed values, blind indexes, rotation, shredding.

Key hierarchy::

    master key (KeyProvider: local key file / HRVAULT_MASTER_KEY; later a KMS)
      └─ tenant data key, versioned ......... keystore.tenant_keys (purpose 'data')
      │    └─ person key, per employee ....... keystore.person_keys
      │         └─ person-keyed values and file keys (AES-256-GCM)
      │    └─ tenant-keyed values and file keys
      └─ tenant blind-index key ............. keystore.tenant_keys (purpose 'index')

Nothing outside this package handles key bytes. Modules, one idea each:

- ``provider`` / ``local_provider``: the master key seam and the ``local`` provider.
- ``master``: the start-up check that the master key is the database's.
- ``keyring``: ``TenantKeyring``, one per process: unwraps tenant keys once, caches them
  (bounded, expiring) and counts their use against AES-GCM's bound.
- ``cipher``: ``TenantCipher``, one per transaction: ``load_people`` /
  ``load_tenant_keys``, ``open_field``, ``seal_field``, ``blind_index``, ``file_sealer`` /
  ``file_opener``; its docstring shows the calls the GraphQL layer makes.
- ``columns``: ``SEALED_COLUMNS``, the registry every sealed column is declared in.
- ``blind_index``: ``BlindIndex`` and the IBAN / national-id normalisers.
- ``formats`` / ``sealing`` / ``streaming`` / ``binding``: byte formats and associated data.
- ``rotation``, ``reencrypt``, ``shredding``: operations behind ``hrvault keys ...`` and
  tenant offboarding.
- ``metrics``: counters of opens, seals and unwraps; ``events``: the security log.
- ``store`` / ``person_store`` / ``keystore_schema``: SQL over the ``keystore`` schema.

Errors a caller handles: ``DataIntegrityError`` (map to ``DATA_INTEGRITY``, the field is
null), ``KeyDestroyedError`` (the value was erased), ``MasterKeyError`` (refuse to start).
"""

from hrvault.crypto.blind_index import BlindIndex, normalize_iban, normalize_national_id
from hrvault.crypto.cipher import TenantCipher
from hrvault.crypto.columns import SEALED_COLUMNS, SealedColumn, SealedKind
from hrvault.crypto.errors import (
    CryptoError,
    DataIntegrityError,
    KeyDestroyedError,
    MasterKeyError,
)
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.local_provider import load_key_provider
from hrvault.crypto.metrics import CryptoCounts, CryptoMetrics

__all__ = [
    "SEALED_COLUMNS",
    "BlindIndex",
    "CryptoCounts",
    "CryptoError",
    "CryptoMetrics",
    "DataIntegrityError",
    "KeyDestroyedError",
    "MasterKeyError",
    "SealedColumn",
    "SealedKind",
    "TenantCipher",
    "TenantKeyring",
    "load_key_provider",
    "normalize_iban",
    "normalize_national_id",
]

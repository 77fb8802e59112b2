"""Typed failures of the cryptographic core.

Every message is safe to log: none carries key material or plaintext, only identifiers
(tenant, table, column, row, key version). Callers decide what a client sees; the
GraphQL layer maps ``DataIntegrityError`` to the ``DATA_INTEGRITY`` error code.
"""

from __future__ import annotations


class CryptoError(Exception):
    """Base of every error raised below ``hrvault.crypto``."""


class MasterKeyError(CryptoError):
    """The master key is missing, unreadable, exposed or wrong: the process must not start."""


class DataIntegrityError(CryptoError):
    """A sealed value or wrapped key did not open: tampered, moved, truncated or malformed.

    Never answer with garbage instead: the value is unknown, and the event is a security
    event (logged on ``hrvault.security`` where it is raised).
    """


class KeyDestroyedError(CryptoError):
    """The key a value was sealed under was destroyed (crypto-shredding) or retired.

    The value is gone for good; this is the expected outcome after an erasure, not an
    attack, so it is kept apart from ``DataIntegrityError``.
    """


class KeyNotLoadedError(CryptoError):
    """A synchronous open was asked for a key that was not loaded first.

    A programming error in the caller: load the keys of a batch of rows with
    ``TenantCipher.load_people`` or ``load_tenant_keys`` before opening their fields.
    """


class MissingKeyError(CryptoError):
    """The tenant has no active data key (created before the key store existed).

    ``hrvault keys rotate --tenant T`` creates it.
    """


class KeyUsageExhaustedError(CryptoError):
    """A key reached its refusal limit of encryptions (AES-GCM usage bound); rotate it."""


class UnregisteredSealedColumnError(CryptoError):
    """A ``*_sealed`` column exists that the sealed-column registry does not know.

    Re-encryption refuses to run (and so to retire a key) while a column could hold
    values it would not visit.
    """

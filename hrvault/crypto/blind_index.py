"""Blind indexes: exact-match lookup and uniqueness over sealed values without plaintext.

A blind index is HMAC-SHA-256, under the tenant's own index key, of a value's canonical
form. Stored next to the sealed value in a ``bytea`` column, it lets PostgreSQL enforce
"unique per tenant" (``UNIQUE (tenant_id, national_id_index)``) and answer
``WHERE national_id_index = :digest``. The same value gives different digests in
different tenants (different keys) and in different indexes (the index name is part of
the input), so digests cannot be joined across tenants or columns. Only equality works:
no range, prefix or sort.

The index key is its own random key (purpose ``index`` in the key store), not derived
from the data key, so rotating the data key leaves every index valid.

Mind erasure: a digest of a low-entropy value (a national id) can be confirmed by anyone
holding the index key, so erasing a person must also clear their index columns.

Use::

    NATIONAL_ID_INDEX = BlindIndex("employee_identity.national_id", normalize_national_id)
    digest = await cipher.blind_index(NATIONAL_ID_INDEX, "19900101-1234")
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from hrvault.crypto.material import KeyMaterial

_DOMAIN = b"hrvault/blind-index/v1\x00"
_SEPARATORS = re.compile(r"[\s\-./+]")
_NAMES: set[str] = set()


def normalize_iban(value: str) -> str:
    """IBANs compare without spaces and in upper case ("se35 5000..." = "SE355000...")."""
    return re.sub(r"\s", "", value).upper()


def normalize_national_id(value: str) -> str:
    """National ids compare without separators and in upper case.

    This only removes formatting. Forms that differ in content (a Swedish personnummer
    with 10 or with 12 digits) must be made canonical by validation before indexing.
    """
    return _SEPARATORS.sub("", value).upper()


def normalize_exact(value: str) -> str:
    """No normalisation: the value is indexed as given."""
    return value


@dataclass(frozen=True)
class BlindIndex:
    """One blind index; its name separates its digests from every other index's."""

    name: str
    normalize: Callable[[str], str] = field(compare=False)

    def __post_init__(self) -> None:
        if self.name in _NAMES:
            raise ValueError(f"a blind index named {self.name!r} exists already")
        _NAMES.add(self.name)

    def digest(self, key: KeyMaterial, value: str) -> bytes:
        canonical = self.normalize(value)
        if not canonical:
            raise ValueError(f"{self.name}: an empty value has no blind index")
        name = self.name.encode()
        message = _DOMAIN + len(name).to_bytes(2, "big") + name + canonical.encode()
        return hmac.digest(key.reveal(), message, "sha256")

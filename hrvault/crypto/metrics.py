"""Counters of cryptographic work, so tests and dashboards can see what a request cost.

The promise "a query selecting no sensitive field performs zero decryptions, and a list
of 10 permitted rows performs exactly 10 field decryptions and at most one tenant-key
unwrap" is checked by reading these counters before and after. Counting is a plain
integer increment, cheap enough to stay on in production.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class CryptoCounts:
    field_opens: int = 0
    field_seals: int = 0
    tenant_key_unwraps: int = 0
    """Calls to the key provider (the master key); the expensive, cached kind of unwrap."""
    person_key_unwraps: int = 0
    """Person keys opened under a tenant key: one per person per transaction that needs it."""
    integrity_failures: int = 0
    """Values or keys that did not open (tampered, moved or truncated)."""

    def __sub__(self, earlier: CryptoCounts) -> CryptoCounts:
        return CryptoCounts(
            **{f.name: getattr(self, f.name) - getattr(earlier, f.name) for f in fields(self)}
        )


class CryptoMetrics:
    """Mutable counters owned by one keyring; ``snapshot()`` freezes them for comparison."""

    __slots__ = (
        "field_opens",
        "field_seals",
        "integrity_failures",
        "person_key_unwraps",
        "tenant_key_unwraps",
    )

    def __init__(self) -> None:
        self.field_opens = 0
        self.field_seals = 0
        self.tenant_key_unwraps = 0
        self.person_key_unwraps = 0
        self.integrity_failures = 0

    def snapshot(self) -> CryptoCounts:
        return CryptoCounts(
            field_opens=self.field_opens,
            field_seals=self.field_seals,
            tenant_key_unwraps=self.tenant_key_unwraps,
            person_key_unwraps=self.person_key_unwraps,
            integrity_failures=self.integrity_failures,
        )

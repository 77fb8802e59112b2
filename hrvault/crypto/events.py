"""Security log events of the cryptographic core, on the ``hrvault.security`` logger.

Events name what failed by identifiers only (tenant, table, column, row, key version);
never a value, a key or a ciphertext.
"""

from __future__ import annotations

import logging

SECURITY_LOG = logging.getLogger("hrvault.security")


def integrity_failure(what: str, **ids: object) -> None:
    details = " ".join(f"{name}={value}" for name, value in sorted(ids.items()))
    SECURITY_LOG.warning("data integrity failure: %s %s", what, details)


def key_event(what: str, **ids: object) -> None:
    details = " ".join(f"{name}={value}" for name, value in sorted(ids.items()))
    SECURITY_LOG.info("key management: %s %s", what, details)

"""Credential-attempt buckets (passwords and second-factor codes), shared by every server
process through the database.

Not tenant data: a row is keyed by the SHA-256 of an account name or a client address,
never the name or address itself, and login throttling must work before any tenant is
known. So the table has no ``tenant_id`` and no row-level security; the application
role may read and change it, and nothing else.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Double, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from hrvault.models.base import Base


class CredentialBucket(Base):
    """A token bucket of attempts for one (kind and dimension, hashed key)."""

    __tablename__ = "credential_buckets"
    __table_args__ = (
        CheckConstraint("octet_length(key_hash) = 32", name="key_is_sha256"),
        CheckConstraint("tokens >= 0", name="tokens_not_negative"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_credential_buckets_full_at", "full_at"),
    )

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    """What is counted, e.g. ``login:account_address``, ``code:account`` or ``login:address``."""
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    tokens: Mapped[float] = mapped_column(Double)
    attempts: Mapped[int]
    """Attempts taken since the bucket was last full: a backing-off limit waits longer after
    each one past its burst."""
    updated_at: Mapped[datetime]
    trusted_until: Mapped[datetime | None]
    """An account-and-address bucket whose secret was right: until then that address is the
    owner's, and the account's ceiling does not apply to it."""
    full_at: Mapped[datetime]
    """When the bucket is full again and trusts no address; then the row says nothing and is
    deleted."""

"""The tenant registry: one row per customer company."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, String, text
from sqlalchemy.orm import Mapped, mapped_column

from hrvault.models.base import Base
from hrvault.vocabulary import FieldGroup

DEFAULT_IDLE_TIMEOUT_SECONDS = 30 * 60
DEFAULT_ABSOLUTE_LIFETIME_SECONDS = 12 * 60 * 60
DEFAULT_MAX_DOCUMENT_BYTES = 25 * 1024 * 1024
MIN_DOCUMENT_BYTES_LIMIT = 1024
MAX_DOCUMENT_BYTES_LIMIT = 1024 * 1024 * 1024
"""The most a tenant may allow per document (the database checks the same bounds)."""


class Tenant(Base):
    __field_group__ = FieldGroup.ADMINISTRATION
    __tablename__ = "tenants"
    __table_args__ = (
        CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'", name="slug_format"),
        CheckConstraint("idle_timeout_seconds BETWEEN 60 AND 86400", name="idle_timeout_range"),
        CheckConstraint(
            "absolute_lifetime_seconds BETWEEN 300 AND 2592000", name="absolute_lifetime_range"
        ),
        CheckConstraint(
            f"max_document_bytes BETWEEN {MIN_DOCUMENT_BYTES_LIMIT} AND {MAX_DOCUMENT_BYTES_LIMIT}",
            name="max_document_bytes_range",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    idle_timeout_seconds: Mapped[int] = mapped_column(
        server_default=text(str(DEFAULT_IDLE_TIMEOUT_SECONDS))
    )
    absolute_lifetime_seconds: Mapped[int] = mapped_column(
        server_default=text(str(DEFAULT_ABSOLUTE_LIFETIME_SECONDS))
    )
    step_up_window_seconds: Mapped[int] = mapped_column(server_default=text("600"))
    """How recent a TOTP step-up must be for a sensitive operation."""
    max_document_bytes: Mapped[int] = mapped_column(
        BigInteger, server_default=text(str(DEFAULT_MAX_DOCUMENT_BYTES))
    )
    """The largest document (plaintext bytes) its people may upload."""
    policy_version: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    """Bumped by the database at every change to roles, grants or memberships: a compiled
    policy is reused across requests only under the version it was built from."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(server_default=text("1"))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

"""Partner integrations (the tenant's consent to share data) and their API tokens.

An integration's rights come only from its consent: the categories (field groups), the
access (read, or read and write) and an optional restriction to named people or
departments. Its tokens belong to the integration, not to a person: ``created_by`` and
``consented_by`` are plain ids (no foreign key), so the admin who set it up can leave
without taking the integration down with them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    String,
    Text,
    Uuid,
)
from sqlalchemy.dialects.postgresql import INET, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from hrvault.models.base import Base, TenantOwned, Tracked
from hrvault.vocabulary import FieldGroup


class IntegrationAccess(StrEnum):
    READ = "read"
    READ_WRITE = "read_write"


class TransferBasis(StrEnum):
    """GDPR Chapter V grounds for sending personal data outside the EU/EEA."""

    ADEQUACY = "adequacy"
    STANDARD_CONTRACTUAL_CLAUSES = "standard_contractual_clauses"
    EXPLICIT_CONSENT = "explicit_consent"


class Integration(TenantOwned, Tracked, Base):
    """One partner the tenant shares data with, and the consent that allows it."""

    __field_group__ = FieldGroup.ADMINISTRATION
    __tablename__ = "integrations"
    __table_args__ = (
        CheckConstraint("access IN ('read', 'read_write')", name="access"),
        CheckConstraint(
            "transfer_basis IS NULL OR transfer_basis IN "
            "('adequacy', 'standard_contractual_clauses', 'explicit_consent')",
            name="transfer_basis",
        ),
        CheckConstraint("cardinality(categories) > 0", name="categories"),
    )

    partner_name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    access: Mapped[IntegrationAccess] = mapped_column(String(16))
    processing_country: Mapped[str] = mapped_column(String(2))
    transfer_basis: Mapped[TransferBasis | None] = mapped_column(String(32))
    employee_ids: Mapped[list[uuid.UUID] | None] = mapped_column(ARRAY(Uuid()))
    """When set (with or without departments), only these people are reached."""
    department_ids: Mapped[list[uuid.UUID] | None] = mapped_column(ARRAY(Uuid()))
    """When set, people whose current job is in these departments (or below) are reached."""
    consented_by: Mapped[uuid.UUID]
    consented_by_name: Mapped[str] = mapped_column(String(200))
    consented_at: Mapped[datetime]
    consent: Mapped[dict[str, Any]] = mapped_column(JSONB)
    """Exactly what was consented to, as shown to the admin, frozen at consent time."""
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[uuid.UUID | None]

    @property
    def is_restricted(self) -> bool:
        return self.employee_ids is not None or self.department_ids is not None


class PartnerToken(TenantOwned, Base):
    """An API token of an integration. Only an HMAC of the token is stored."""

    __field_group__ = FieldGroup.ADMINISTRATION
    __tablename__ = "partner_tokens"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "integration_id"],
            ["integrations.tenant_id", "integrations.id"],
            ondelete="CASCADE",
        ),
        Index("uq_partner_tokens_tenant_hash", "tenant_id", "token_hash", unique=True),
        Index("ix_partner_tokens_tenant_integration", "tenant_id", "integration_id"),
    )

    integration_id: Mapped[uuid.UUID]
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    display_prefix: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID | None]
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    last_used_ip: Mapped[str | None] = mapped_column(INET)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    rotated_from: Mapped[uuid.UUID | None]

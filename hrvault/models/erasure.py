"""The platform's record of each offboarded tenant: what was destroyed, when, by whom.

Platform data, not the tenant's: it must outlive the tenant, whose own audit chain is
deleted with it. Hence ``erased_tenant_id`` rather than ``tenant_id`` (every
``tenant_id`` column marks a tenant-owned row, under row-level security and erased with
the tenant). Only the owner role may touch it; a complete record never changes
(migration ``0009_tenant_erasures``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from hrvault.models.base import Base
from hrvault.vocabulary import FieldGroup


class TenantErasure(Base):
    __field_group__ = FieldGroup.ADMINISTRATION
    __tablename__ = "tenant_erasures"

    erased_tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), index=True)
    operator: Mapped[str] = mapped_column(String(200))
    """Who ran the command (the operating-system account, or ``--operator``)."""
    destroyed_keys: Mapped[list[str]] = mapped_column(ARRAY(Text))
    """Key ids as ``hrvault.crypto.shredding`` names them (``tenant:<id>:data:v1``, ...)."""
    keys_destroyed_at: Mapped[datetime]
    rows_deleted: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    """Rows deleted per table; set when the erasure completes."""
    files_removed: Mapped[int | None]
    completed_at: Mapped[datetime | None]

"""Declarative base and the column conventions every tenant-owned table shares.

Every tenant-owned row has ``(tenant_id, id)`` as its primary key and references other
rows through composite foreign keys that include ``tenant_id``: a row can never point at
another tenant's row, and the schema can be distributed by tenant without redesign.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import Date, DateTime, ForeignKey, MetaData, Uuid, text
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Every model names ``__field_group__``: the group its columns belong to (for reading
    its audit records), unless ``__column_groups__`` says otherwise for a column."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        date: Date,
        uuid.UUID: Uuid,
    }


def column_values(row: Base) -> dict[str, Any]:
    """Every mapped column of a row, by attribute name."""
    return {attr.key: getattr(row, attr.key) for attr in row.__mapper__.column_attrs}


class TenantOwned:
    """Primary key ``(tenant_id, id)``; row-level security keys on ``tenant_id``."""

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Tracked:
    """Who created and last changed a row, and when, plus the optimistic-lock version.

    ``created_by``/``updated_by`` hold the acting principal's id; they are not foreign keys
    because the actor may be a user, a partner integration, support staff or the system.
    """

    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID | None]
    updated_at: Mapped[datetime]
    updated_by: Mapped[uuid.UUID | None]
    version: Mapped[int] = mapped_column(server_default=text("1"))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}

    def stamp_created(self, actor_id: uuid.UUID | None, now: datetime) -> None:
        self.created_at = self.updated_at = now
        self.created_by = self.updated_by = actor_id

    def stamp_updated(self, actor_id: uuid.UUID | None, now: datetime) -> None:
        self.updated_at = now
        self.updated_by = actor_id

"""Employees' documents: the tenant's categories, the documents, and their download links.

A document's body lives in the file store (``hrvault.documents.store``), sealed in chunks
under a file key of its own; the row keeps that key sealed under the employee's person key
(``file_key_sealed``) and the original filename sealed the same way (``filename_sealed``).
Nothing in a row or on disk is readable without the employee's key, so erasing the person
erases their documents wherever they were copied.

Each category names the field group that governs it: the permission engine decides who may
see (list and metadata), upload, download and delete documents of the category from that
group (``hrvault.documents.access``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hrvault.models.base import Base, TenantOwned, Tracked
from hrvault.vocabulary import PERSON_GROUPS, FieldGroup

_GROUP_VALUES = ", ".join(f"'{g.value}'" for g in PERSON_GROUPS)


class DocumentCategory(TenantOwned, Tracked, Base):
    """A kind of document (contract, payslip, ...); built-in ones are created with the tenant."""

    __field_group__ = FieldGroup.ORGANISATION
    __tablename__ = "document_categories"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("code ~ '^[a-z][a-z0-9_]{1,39}$'", name="code_format"),
        CheckConstraint(f"field_group IN ({_GROUP_VALUES})", name="field_group"),
    )

    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    field_group: Mapped[FieldGroup] = mapped_column(
        Enum(
            FieldGroup,
            native_enum=False,
            create_constraint=False,  # the check above allows person groups only
            length=32,
            values_callable=lambda members: [m.value for m in members],
        )
    )
    """The group whose grants decide see, upload, download and delete for this category."""
    employee_visible: Mapped[bool]
    """Whether an employee sees and downloads their own documents of this category."""
    employee_uploadable: Mapped[bool]
    """Whether an employee uploads (and deletes) their own documents of this category."""
    builtin: Mapped[bool] = mapped_column(default=False)


class Document(TenantOwned, Base):
    """One stored file about one employee. Immutable: a new version is a new document."""

    __field_group__ = FieldGroup.DOCUMENTS
    __tablename__ = "documents"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "employee_id"], ["employees.tenant_id", "employees.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "category_id"],
            ["document_categories.tenant_id", "document_categories.id"],
        ),
        CheckConstraint("size_bytes >= 0", name="size"),
        CheckConstraint("octet_length(sha256) = 32", name="sha256_length"),
        Index("ix_documents_tenant_employee", "tenant_id", "employee_id", "created_at"),
    )

    employee_id: Mapped[uuid.UUID]
    category_id: Mapped[uuid.UUID]
    file_key_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    """The file's own key, sealed under the employee's person key (stream format v1)."""
    filename_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    """The normalised original filename, sealed under the employee's person key."""
    content_type: Mapped[str] = mapped_column(String(100))
    """The type found by content sniffing (never the one the client claimed)."""
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    """SHA-256 of the plaintext, computed while it was received."""
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID | None]


class DocumentLink(TenantOwned, Base):
    """A short-lived, single-use download link. Only SHA-256 of its token is stored.

    It remembers who created it (and under which session or support grant) so that the
    download re-checks that principal's permission at the moment of the download.
    """

    __field_group__ = FieldGroup.DOCUMENTS
    __tablename__ = "document_links"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "document_id"],
            ["documents.tenant_id", "documents.id"],
            ondelete="CASCADE",
        ),
        Index("uq_document_links_tenant_hash", "tenant_id", "token_hash", unique=True),
        CheckConstraint("principal_kind IN ('user', 'support')", name="principal_kind"),
    )

    document_id: Mapped[uuid.UUID]
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    principal_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID]
    actor_name: Mapped[str] = mapped_column(String(200))
    session_id: Mapped[uuid.UUID]
    via_kind: Mapped[str | None] = mapped_column(String(32))
    via_id: Mapped[uuid.UUID | None]
    via_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

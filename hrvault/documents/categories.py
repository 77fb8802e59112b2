"""The document categories every tenant starts with; a tenant adds its own over the API."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.models import DocumentCategory
from hrvault.vocabulary import FieldGroup

G = FieldGroup

# (code, name, governing field group, employee-visible, employee-uploadable). Kept in step
# with the copy migration 0011 seeded existing tenants with.
BUILTIN_CATEGORIES: tuple[tuple[str, str, FieldGroup, bool, bool], ...] = (
    ("contract", "Contract", G.DOCUMENTS, True, False),
    ("payslip", "Payslip", G.SALARY, True, False),
    ("identity_document", "Identity document", G.IDENTITY, True, True),
    ("medical_certificate", "Medical certificate", G.ABSENCE_REASON, True, True),
    ("other", "Other", G.DOCUMENTS, True, True),
)


async def ensure_document_categories(db: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> None:
    """Create the built-in categories a tenant lacks (a new tenant: all of them)."""
    existing = set(
        await db.scalars(
            select(DocumentCategory.code).where(DocumentCategory.tenant_id == tenant_id)
        )
    )
    for code, name, group, visible, uploadable in BUILTIN_CATEGORIES:
        if code in existing:
            continue
        category = DocumentCategory(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            code=code,
            name=name,
            field_group=group,
            employee_visible=visible,
            employee_uploadable=uploadable,
            builtin=True,
        )
        category.stamp_created(None, now)
        db.add(category)
    await db.flush()

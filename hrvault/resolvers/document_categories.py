"""What a tenant configures about documents: its categories and its size limit.

A category names the field group that governs its documents, so whoever defines one must
already hold every document action on that group for everyone: remapping a category can
never open documents to someone who could not open them before.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.audit.records import Change, Entry
from hrvault.audit.system import ADMIN
from hrvault.documents import access
from hrvault.errors import Conflict, bad_input
from hrvault.models import Document, DocumentCategory, Tenant
from hrvault.models.tenant import MAX_DOCUMENT_BYTES_LIMIT, MIN_DOCUMENT_BYTES_LIMIT
from hrvault.permissions.delegation import Act, Powers
from hrvault.permissions.grants import grants
from hrvault.resolvers import rows, validation
from hrvault.resolvers.context import RequestContext
from hrvault.vocabulary import PERSON_GROUPS, FieldGroup, Scope

DOCS = FieldGroup.DOCUMENTS.value
"""The group document metadata is recorded under in the audit log: the document register."""


# the size limit -------------------------------------------------------------------------------


async def tenant_document_limit(db: AsyncSession, tenant_id: uuid.UUID) -> int:
    """The tenant's largest document in bytes (the transaction must be bound to it)."""
    limit = await db.scalar(select(Tenant.max_document_bytes).where(Tenant.id == tenant_id))
    if limit is None:
        raise LookupError(f"tenant {tenant_id} vanished")
    return int(limit)


@dataclass(frozen=True)
class DocumentSettings:
    max_document_bytes: int
    version: int


async def _tenant(ctx: RequestContext) -> Tenant:
    tenant = await ctx.db.scalar(select(Tenant).where(Tenant.id == ctx.tenant_id))
    if tenant is None:
        raise LookupError(f"tenant {ctx.tenant_id} vanished")
    return tenant


async def document_settings(ctx: RequestContext) -> DocumentSettings:
    async with ctx.reader.exclusive():
        tenant = await _tenant(ctx)
    return DocumentSettings(tenant.max_document_bytes, tenant.version)


async def update_document_settings(
    ctx: RequestContext, version: int, max_document_bytes: int | None
) -> DocumentSettings:
    tenant = await _tenant(ctx)
    rows.check_version(tenant, version)
    if max_document_bytes is not None:
        if not MIN_DOCUMENT_BYTES_LIMIT <= max_document_bytes <= MAX_DOCUMENT_BYTES_LIMIT:
            raise bad_input(
                "maxDocumentBytes",
                f"must be between {MIN_DOCUMENT_BYTES_LIMIT} and {MAX_DOCUMENT_BYTES_LIMIT}",
            )
        ctx.audit.add(
            Entry(
                "update",
                "Tenant",
                str(tenant.id),
                changes=(
                    Change(
                        "max_document_bytes", ADMIN, tenant.max_document_bytes, max_document_bytes
                    ),
                ),
            )
        )
        tenant.max_document_bytes = max_document_bytes
    tenant.updated_at = ctx.clock.now()
    await ctx.db.flush()  # the version moves on by itself (optimistic locking)
    return DocumentSettings(tenant.max_document_bytes, tenant.version)


# categories -----------------------------------------------------------------------------------


async def list_categories(ctx: RequestContext) -> Sequence[DocumentCategory]:
    return await ctx.reader.all(
        select(DocumentCategory)
        .where(DocumentCategory.tenant_id == ctx.tenant_id)
        .order_by(DocumentCategory.name)
    )


async def category_by_code(ctx: RequestContext, code: str) -> DocumentCategory:
    category = await ctx.db.scalar(
        select(DocumentCategory).where(
            DocumentCategory.tenant_id == ctx.tenant_id, DocumentCategory.code == code.strip()
        )
    )
    if category is None:
        raise bad_input("category", "is not a document category of this company")
    return category


def _require_holds_everything_on(
    ctx: RequestContext, group: FieldGroup, act: Act, operation: str
) -> None:
    """A category decides who gets its documents: only someone who holds every document
    action on its group for everyone may define or change one (no escalation)."""
    wanted = grants((group,), access.DOCUMENT_ACTIONS, Scope.ALL, include_former=True)
    ctx.require_delegation(Powers.of(wanted), act, operation)


def _valid_code(code: str) -> bool:
    """The database's rule: ``^[a-z][a-z0-9_]{1,39}$``."""
    return (
        2 <= len(code) <= 40
        and "a" <= code[0] <= "z"
        and all("a" <= c <= "z" or "0" <= c <= "9" or c == "_" for c in code)
    )


def _person_group(value: FieldGroup, field: str) -> FieldGroup:
    if value not in PERSON_GROUPS:
        raise bad_input(field, "must be a field group of people's data")
    return value


async def create_category(
    ctx: RequestContext,
    *,
    code: str,
    name: str,
    field_group: FieldGroup,
    employee_visible: bool,
    employee_uploadable: bool,
) -> DocumentCategory:
    group = _person_group(field_group, "fieldGroup")
    _require_holds_everything_on(ctx, group, Act.HANDS_OUT, "createDocumentCategory")
    code = code.strip()
    if not _valid_code(code):
        raise bad_input(
            "code", "use 2 to 40 lower-case letters, digits and _, starting with a letter"
        )
    existing = await ctx.db.scalar(
        select(DocumentCategory.id).where(
            DocumentCategory.tenant_id == ctx.tenant_id, DocumentCategory.code == code
        )
    )
    if existing is not None:
        raise Conflict(f"the category code {code!r} is taken", field="code")
    category = DocumentCategory(
        id=uuid.uuid4(),
        code=code,
        name=validation.text(name, "name", max_length=100),
        field_group=group,
        employee_visible=employee_visible,
        employee_uploadable=employee_uploadable,
        builtin=False,
    )
    return await rows.create(ctx, category)


async def update_category(
    ctx: RequestContext, raw_id: str, version: int, changes: dict[str, Any]
) -> DocumentCategory:
    category = await rows.get_row(ctx, DocumentCategory, raw_id, "id")
    current = FieldGroup(category.field_group)
    _require_holds_everything_on(ctx, current, Act.HANDS_OUT, "updateDocumentCategory")
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        if value is None:
            continue
        if name == "name":
            cleaned[name] = validation.text(value, "name", max_length=100)
        elif name == "field_group":
            group = _person_group(value, "fieldGroup")
            _require_holds_everything_on(ctx, group, Act.HANDS_OUT, "updateDocumentCategory")
            cleaned[name] = group
        else:
            cleaned[name] = bool(value)
    return await rows.update(ctx, category, version, cleaned)


async def delete_category(ctx: RequestContext, raw_id: str, version: int) -> uuid.UUID:
    category = await rows.get_row(ctx, DocumentCategory, raw_id, "id")
    current = FieldGroup(category.field_group)
    _require_holds_everything_on(ctx, current, Act.ACTS_ON, "deleteDocumentCategory")
    rows.check_version(category, version)
    if category.builtin:
        raise Conflict("built-in categories stay; change their name or flags instead")
    used = await ctx.db.scalar(
        select(func.count())
        .select_from(Document)
        .where(Document.tenant_id == ctx.tenant_id, Document.category_id == category.id)
    )
    if used:
        raise Conflict(f"{used} documents are in this category; delete or keep them first")
    ctx.audit.deleted(category)
    await ctx.db.delete(category)
    await ctx.db.flush()
    return category.id

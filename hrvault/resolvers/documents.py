"""Documents: categories, uploads, listing, download links, deletion, the size limit.

Every decision about a document goes through ``hrvault.documents.access`` (the category's
field group, asked of the request's policy). A document the viewer may not see answers
exactly like a missing one. Uploads, download links and deletions are audited with the
document's metadata only (category, type, size, SHA-256), never its name or content.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio.to_thread
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.audit.records import Change, Entry
from hrvault.audit.system import ADMIN
from hrvault.auth.principal import PrincipalKind
from hrvault.crypto.columns import DOCUMENT_FILENAME, DOCUMENT_KEY
from hrvault.crypto.errors import DataIntegrityError, KeyDestroyedError
from hrvault.documents import access
from hrvault.documents.bodies import store_sealed
from hrvault.documents.filetypes import normalise_filename, require_accepted
from hrvault.documents.incoming import IncomingFile
from hrvault.documents.links import LINK_LIFETIME, new_link_token
from hrvault.errors import (
    Conflict,
    DataIntegrity,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    bad_input,
    not_found,
)
from hrvault.models import Document, DocumentCategory, DocumentLink, Employee, Tenant
from hrvault.models.tenant import MAX_DOCUMENT_BYTES_LIMIT, MIN_DOCUMENT_BYTES_LIMIT
from hrvault.permissions.grants import Grant
from hrvault.resolvers import rows, validation
from hrvault.resolvers.context import RequestContext
from hrvault.vocabulary import PERSON_GROUPS, Action, FieldGroup, Scope

DOCS = FieldGroup.DOCUMENTS.value
"""The group document metadata is recorded under in the audit log: the document register."""
LINK_RETENTION = LINK_LIFETIME * 720
"""Used and expired links are deleted a day after their end (the audit log keeps the rest)."""


@dataclass(frozen=True)
class Shown:
    """A document the viewer may see, with what the response needs to decide about it."""

    document: Document
    category: DocumentCategory
    employee: Employee
    can_download: bool
    can_delete: bool


def _shown(
    ctx: RequestContext, document: Document, category: DocumentCategory, employee: Employee
) -> Shown:
    return Shown(
        document,
        category,
        employee,
        access.allows(ctx.policy, employee, category, Action.DOWNLOAD),
        access.allows(ctx.policy, employee, category, Action.DELETE),
    )


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


def _require_holds_everything_on(ctx: RequestContext, group: FieldGroup) -> None:
    """A category decides who gets its documents: only someone who holds every document
    action on its group for everyone may define or change one (no escalation)."""
    missing = [
        action
        for action in access.DOCUMENT_ACTIONS
        if not ctx.policy.holds(Grant(group, action, Scope.ALL, include_former=True))
    ]
    if missing:
        raise Forbidden(
            f"defining a category governed by {group.value} needs"
            f" {', '.join(a.value for a in missing)} on {group.value} for everyone",
            deniedFieldGroups=[group.value],
        )


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
    _require_holds_everything_on(ctx, group)
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
    _require_holds_everything_on(ctx, FieldGroup(category.field_group))
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        if value is None:
            continue
        if name == "name":
            cleaned[name] = validation.text(value, "name", max_length=100)
        elif name == "field_group":
            group = _person_group(value, "fieldGroup")
            _require_holds_everything_on(ctx, group)
            cleaned[name] = group
        else:
            cleaned[name] = bool(value)
    return await rows.update(ctx, category, version, cleaned)


async def delete_category(ctx: RequestContext, raw_id: str, version: int) -> uuid.UUID:
    category = await rows.get_row(ctx, DocumentCategory, raw_id, "id")
    _require_holds_everything_on(ctx, FieldGroup(category.field_group))
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


# documents ------------------------------------------------------------------------------------


async def list_documents(ctx: RequestContext, raw_employee_id: str) -> tuple[list[Shown], bool]:
    """The person's documents the viewer may see, newest first; and whether any were not."""
    employee = await rows.get_person(ctx, raw_employee_id, "employeeId")
    async with ctx.reader.exclusive() as db:
        found = (
            await db.execute(
                select(Document, DocumentCategory)
                .join(
                    DocumentCategory,
                    (DocumentCategory.tenant_id == Document.tenant_id)
                    & (DocumentCategory.id == Document.category_id),
                )
                .where(Document.tenant_id == ctx.tenant_id, Document.employee_id == employee.id)
                .order_by(Document.created_at.desc(), Document.id)
            )
        ).all()
    shown = [
        _shown(ctx, document, category, employee)
        for document, category in found
        if access.allows(ctx.policy, employee, category, Action.SEE)
    ]
    if shown:
        ctx.audit.read(FieldGroup.DOCUMENTS, employee.id)
    return shown, len(shown) < len(found)


async def get_document(ctx: RequestContext, raw_id: str | uuid.UUID, field: str = "id") -> Shown:
    """A document the viewer may see; anything else (another tenant's too) is not found."""
    document = await rows.get_row(ctx, Document, raw_id, field)
    try:
        employee = await rows.get_person(ctx, document.employee_id, field)
    except NotFound:
        raise not_found("document") from None
    category = await ctx.db.get(DocumentCategory, (ctx.tenant_id, document.category_id))
    if category is None or not access.allows(ctx.policy, employee, category, Action.SEE):
        raise not_found("document")
    ctx.audit.read(FieldGroup.DOCUMENTS, employee.id)
    return _shown(ctx, document, category, employee)


async def upload_document(
    ctx: RequestContext, raw_employee_id: str, category_code: str, file: object
) -> Shown:
    """Check, then seal the received file under the employee's key into the file store.

    Checks come first and nothing is stored unless all pass: the permission, the size
    limit, the type by content, the filename. The body is sealed and written in a worker
    thread; if the transaction does not commit, the body is removed again.
    """
    if not isinstance(file, IncomingFile):
        raise bad_input("file", "send the file in a GraphQL multipart request")
    employee = await rows.get_person(ctx, raw_employee_id, "employeeId")
    category = await category_by_code(ctx, category_code)
    access.require(ctx.policy, employee, category, Action.UPLOAD)
    if not file.received:
        raise bad_input("file", "the file was not received")
    limit = await tenant_document_limit(ctx.db, ctx.tenant_id)
    if file.size > limit:
        raise PayloadTooLarge(
            f"the file is larger than this company's limit of {limit} bytes", maxBytes=limit
        )
    found = require_accepted(file.head, is_text=file.is_text)
    filename = normalise_filename(file.filename, found)

    document_id = uuid.uuid4()
    cipher = ctx.cipher
    sealer = await cipher.file_sealer(DOCUMENT_KEY, document_id=document_id, person_id=employee.id)
    filename_sealed = await cipher.seal_field(
        DOCUMENT_FILENAME, filename, row_id=document_id, person_id=employee.id
    )
    await anyio.to_thread.run_sync(
        store_sealed, ctx.files, ctx.tenant_id, employee.id, document_id, sealer, file.chunks()
    )
    ctx.after_rollback.append(
        functools.partial(ctx.files.delete, ctx.tenant_id, employee.id, document_id)
    )
    document = Document(
        tenant_id=ctx.tenant_id,
        id=document_id,
        employee_id=employee.id,
        category_id=category.id,
        file_key_sealed=sealer.key_header,
        filename_sealed=filename_sealed,
        content_type=found.content_type,
        size_bytes=file.size,
        sha256=file.sha256,
        created_at=ctx.clock.now(),
        created_by=ctx.actor_id,
    )
    ctx.db.add(document)
    await ctx.db.flush()
    ctx.audit.add(
        Entry(
            "create",
            "Document",
            str(document.id),
            subject_id=employee.id,
            changes=_metadata(document, category, before=False),
        )
    )
    return _shown(ctx, document, category, employee)


def _metadata(
    document: Document, category: DocumentCategory, *, before: bool
) -> tuple[Change, ...]:
    values = (
        ("category", category.code),
        ("content_type", document.content_type),
        ("size_bytes", document.size_bytes),
        ("sha256", document.sha256.hex()),
    )
    return tuple(
        Change(name, DOCS, value if before else None, None if before else value)
        for name, value in values
    )


async def filename_of(ctx: RequestContext, shown: Shown) -> str | None:
    """The original filename (sealed): only for viewers who may download the document.

    None once the person's keys were destroyed (erased); DATA_INTEGRITY if it does not open.
    """
    cipher = ctx.cipher
    async with ctx.reader.exclusive():
        await cipher.load_people([shown.document.employee_id])
    ctx.audit.read(FieldGroup(shown.category.field_group), shown.employee.id)
    try:
        return cipher.open_field(
            DOCUMENT_FILENAME,
            shown.document.filename_sealed,
            row_id=shown.document.id,
            person_id=shown.document.employee_id,
        )
    except KeyDestroyedError:
        return None
    except DataIntegrityError:
        raise DataIntegrity("the document's filename does not open; it is withheld") from None


@dataclass(frozen=True)
class DownloadLink:
    url: str
    expires_at: datetime


async def create_download_link(ctx: RequestContext, raw_id: str) -> DownloadLink:
    """A single-use link to the plaintext, valid for ``LINK_LIFETIME``; the permission is
    checked now and again when it is used."""
    shown = await get_document(ctx, raw_id)
    access.require(ctx.policy, shown.employee, shown.category, Action.DOWNLOAD)
    principal = ctx.require_principal()
    if principal.kind not in (PrincipalKind.USER, PrincipalKind.SUPPORT) or (
        principal.actor_id is None or principal.session_id is None
    ):
        raise Forbidden("only people signed in may download documents")
    now = ctx.clock.now()
    token = new_link_token(ctx.tenant_id)
    await ctx.db.execute(
        delete(DocumentLink).where(
            DocumentLink.tenant_id == ctx.tenant_id,
            DocumentLink.expires_at < now - LINK_RETENTION,
        )
    )
    link = DocumentLink(
        tenant_id=ctx.tenant_id,
        id=uuid.uuid4(),
        document_id=shown.document.id,
        token_hash=token.digest,
        principal_kind=principal.kind.value,
        actor_id=principal.actor_id,
        actor_name=principal.display_name[:200],
        session_id=principal.session_id,
        via_kind=principal.via_kind,
        via_id=principal.via_id,
        via_reason=principal.via_reason,
        created_at=now,
        expires_at=now + LINK_LIFETIME,
    )
    ctx.db.add(link)
    await ctx.db.flush()
    ctx.audit.add(
        Entry(
            "create_download_link",
            "Document",
            str(shown.document.id),
            subject_id=shown.employee.id,
            changes=(Change("expires_at", DOCS, None, link.expires_at.isoformat()),),
        )
    )
    base = str(ctx.request.base_url).rstrip("/")
    return DownloadLink(f"{base}/files/{token.value.reveal()}", link.expires_at)


async def delete_document(ctx: RequestContext, raw_id: str) -> uuid.UUID:
    """Remove the document; its stored body goes once the transaction has committed."""
    shown = await get_document(ctx, raw_id)
    access.require(ctx.policy, shown.employee, shown.category, Action.DELETE)
    document = shown.document
    ctx.audit.add(
        Entry(
            "delete",
            "Document",
            str(document.id),
            subject_id=document.employee_id,
            changes=_metadata(document, shown.category, before=True),
        )
    )
    await ctx.db.delete(document)
    await ctx.db.flush()
    ctx.after_commit.append(
        functools.partial(ctx.files.delete, ctx.tenant_id, document.employee_id, document.id)
    )
    return document.id

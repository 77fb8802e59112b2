"""Documents: uploads, listing, download links and deletion.

Every decision about a document goes through ``hrvault.documents.access`` (the category's
field group, asked of the request's policy). A document the viewer may not see answers
exactly like a missing one. Uploads, download links and deletions are audited with the
document's metadata only (category, type, size, SHA-256), never its name or content.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime

import anyio.to_thread
from sqlalchemy import delete, select

from hrvault.audit.records import Change, Entry
from hrvault.auth.principal import PrincipalKind
from hrvault.crypto.columns import DOCUMENT_FILENAME, DOCUMENT_KEY
from hrvault.crypto.errors import DataIntegrityError, KeyDestroyedError
from hrvault.documents import access
from hrvault.documents.bodies import store_sealed
from hrvault.documents.filetypes import normalise_filename, require_accepted
from hrvault.documents.incoming import IncomingFile
from hrvault.documents.links import LINK_LIFETIME, new_link_token
from hrvault.errors import (
    DataIntegrity,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    bad_input,
    not_found,
)
from hrvault.models import Document, DocumentCategory, DocumentLink, Employee
from hrvault.resolvers import rows
from hrvault.resolvers.context import RequestContext
from hrvault.resolvers.document_categories import category_by_code, tenant_document_limit
from hrvault.vocabulary import Action, FieldGroup

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

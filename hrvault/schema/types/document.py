"""Documents, their categories and download links, as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from hrvault.models import DocumentCategory as DocumentCategoryRow
from hrvault.resolvers import document_categories, documents
from hrvault.resolvers.documents import Shown
from hrvault.schema.types.base import (
    ADMINISTRATION,
    ORGANISATION,
    FieldGroupEnum,
    Info,
    resolver,
)
from hrvault.vocabulary import FieldGroup, in_group

if TYPE_CHECKING:
    from hrvault.schema.types.employee import Employee

EmployeeRef = Annotated["Employee", strawberry.lazy("hrvault.schema.types.employee")]
DOCUMENTS = in_group(FieldGroup.DOCUMENTS)


@strawberry.type(
    description="A kind of document. Its field group decides who may see, upload, download "
    "and delete documents of it; the flags decide what employees do on their own profile."
)
class DocumentCategory:
    id: strawberry.ID = strawberry.field(metadata=ORGANISATION)
    code: str = strawberry.field(metadata=ORGANISATION)
    name: str = strawberry.field(metadata=ORGANISATION)
    field_group: FieldGroupEnum = strawberry.field(metadata=ORGANISATION)  # type: ignore[valid-type]
    employee_visible: bool = strawberry.field(
        metadata=ORGANISATION,
        description="Employees see and download their own documents of this category.",
    )
    employee_uploadable: bool = strawberry.field(
        metadata=ORGANISATION,
        description="Employees upload (and delete) their own documents of this category.",
    )
    built_in: bool = strawberry.field(metadata=ORGANISATION)
    version: int = strawberry.field(metadata=ORGANISATION)

    @classmethod
    def from_row(cls, row: DocumentCategoryRow) -> Self:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            name=row.name,
            field_group=row.field_group,
            employee_visible=row.employee_visible,
            employee_uploadable=row.employee_uploadable,
            built_in=row.builtin,
            version=row.version,
        )


@strawberry.type(
    description="A document stored about an employee. Its content is reached only through "
    "a single-use download link (createDocumentDownloadUrl)."
)
class Document:
    shown: strawberry.Private[Shown]
    id: strawberry.ID = strawberry.field(metadata=DOCUMENTS)
    content_type: str = strawberry.field(
        metadata=DOCUMENTS, description="The type its content has (found by sniffing it)."
    )
    size_bytes: int = strawberry.field(metadata=DOCUMENTS)
    sha256: str = strawberry.field(metadata=DOCUMENTS, description="Of the content, hex.")
    uploaded_at: datetime = strawberry.field(metadata=DOCUMENTS)
    uploaded_by: strawberry.ID | None = strawberry.field(
        metadata=DOCUMENTS, description="The user who uploaded it."
    )
    viewer_can_download: bool = strawberry.field(metadata=DOCUMENTS)
    viewer_can_delete: bool = strawberry.field(metadata=DOCUMENTS)

    @classmethod
    def of(cls, shown: Shown) -> Self:
        row = shown.document
        return cls(
            shown=shown,
            id=strawberry.ID(str(row.id)),
            content_type=row.content_type,
            size_bytes=row.size_bytes,
            sha256=row.sha256.hex(),
            uploaded_at=row.created_at,
            uploaded_by=strawberry.ID(str(row.created_by)) if row.created_by else None,
            viewer_can_download=shown.can_download,
            viewer_can_delete=shown.can_delete,
        )

    @resolver(DOCUMENTS)
    def category(self) -> DocumentCategory:
        return DocumentCategory.from_row(self.shown.category)

    @resolver(DOCUMENTS, description="The person the document is about.")
    async def employee(self, info: Info) -> EmployeeRef | None:
        from hrvault.schema.types.employee import visible_employee

        return visible_employee(info, self.shown.employee)

    @resolver(
        DOCUMENTS,
        description="The original filename (normalised); null and restricted unless the "
        "viewer may download the document.",
    )
    async def filename(self, info: Info) -> str | None:
        if not self.shown.can_download:
            info.context.restrict(info.path.as_list())
            return None
        return await documents.filename_of(info.context, self.shown)


@strawberry.type(description="A single-use link to a document's content, valid briefly.")
class DocumentDownload:
    url: str = strawberry.field(
        metadata=DOCUMENTS,
        description="GET it once before expiresAt; the permission is checked again then.",
    )
    expires_at: datetime = strawberry.field(metadata=DOCUMENTS)


@strawberry.type(description="The company's document limits.")
class DocumentSettings:
    max_document_bytes: int = strawberry.field(
        metadata=ADMINISTRATION, description="The largest document accepted, in bytes."
    )
    version: int = strawberry.field(metadata=ADMINISTRATION)

    @classmethod
    def of(cls, settings: document_categories.DocumentSettings) -> Self:
        return cls(max_document_bytes=settings.max_document_bytes, version=settings.version)

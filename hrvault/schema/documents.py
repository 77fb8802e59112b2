"""Root fields of documents: listing, uploading, download links, deletion, categories and
the size limit. Partners never reach documents (``Authenticated`` refuses them)."""

from __future__ import annotations

import strawberry
from strawberry.file_uploads import Upload

from hrvault.permissions.access import requires
from hrvault.permissions.delegation import Act
from hrvault.resolvers import document_categories, documents
from hrvault.schema import caps, fields
from hrvault.schema.bounds import cap_note, capped
from hrvault.schema.types.base import FieldGroupEnum, Info
from hrvault.schema.types.document import (
    Document,
    DocumentCategory,
    DocumentDownload,
    DocumentSettings,
)
from hrvault.vocabulary import Ability

MANAGE = requires(Ability.MANAGE_ORGANISATION)


@strawberry.input
class CreateDocumentCategoryInput:
    code: str = strawberry.field(description="Lower-case letters, digits and _, unique.")
    name: str
    field_group: FieldGroupEnum = strawberry.field(  # type: ignore[valid-type]
        description="The group whose grants decide who may see, upload, download and delete."
    )
    employee_visible: bool = False
    employee_uploadable: bool = False


@strawberry.input
class UpdateDocumentCategoryInput:
    version: int
    name: str | None = None
    field_group: FieldGroupEnum | None = None  # type: ignore[valid-type]
    employee_visible: bool | None = None
    employee_uploadable: bool | None = None


@strawberry.input
class UpdateDocumentSettingsInput:
    version: int
    max_document_bytes: int | None = None


@strawberry.type
class DocumentQuery:
    @fields.query(
        description="The company's document categories. " + cap_note(caps.KINDS),
        metadata=capped(caps.KINDS),
    )
    async def document_categories(self, info: Info) -> list[DocumentCategory]:
        rows = await document_categories.list_categories(info.context)
        return [DocumentCategory.from_row(row) for row in rows]

    @fields.query(
        description="An employee's documents the caller may see, newest first (restricted "
        "when some were left out). " + cap_note(caps.DOCUMENTS),
        metadata=capped(caps.DOCUMENTS),
    )
    async def documents(self, info: Info, employee_id: strawberry.ID) -> list[Document]:
        shown, withheld = await documents.list_documents(info.context, employee_id)
        if withheld:
            info.context.restrict(info.path.as_list())
        return [Document.of(s) for s in shown]

    @fields.query()
    async def document(self, info: Info, id: strawberry.ID) -> Document:
        return Document.of(await documents.get_document(info.context, id))

    @fields.query(description="The company's document limits.")
    async def document_settings(self, info: Info) -> DocumentSettings:
        return DocumentSettings.of(await document_categories.document_settings(info.context))


@strawberry.type
class DocumentMutations:
    @fields.mutation(
        description="Upload a file to an employee's profile, as a GraphQL multipart request "
        "with an X-Requested-With (or Apollo-Require-Preflight) header. The type is found "
        "from the content; the size limit is the company's."
    )
    async def upload_document(
        self, info: Info, employee_id: strawberry.ID, category: str, file: Upload
    ) -> Document:
        shown = await documents.upload_document(info.context, employee_id, category, file)
        return Document.of(shown)

    @fields.mutation(
        description="A single-use link to the document's content, valid for two minutes."
    )
    async def create_document_download_url(self, info: Info, id: strawberry.ID) -> DocumentDownload:
        link = await documents.create_download_link(info.context, id)
        return DocumentDownload(url=link.url, expires_at=link.expires_at)

    @fields.mutation(description="Delete a document and its stored content.")
    async def delete_document(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        return strawberry.ID(str(await documents.delete_document(info.context, id)))

    @fields.mutation(
        access=MANAGE,
        delegation=Act.HANDS_OUT,
        description="Add a document category (needs every document action on its field "
        "group for everyone).",
    )
    async def create_document_category(
        self, info: Info, input: CreateDocumentCategoryInput
    ) -> DocumentCategory:
        row = await document_categories.create_category(
            info.context,
            code=input.code,
            name=input.name,
            field_group=input.field_group,
            employee_visible=input.employee_visible,
            employee_uploadable=input.employee_uploadable,
        )
        return DocumentCategory.from_row(row)

    @fields.mutation(access=MANAGE, delegation=Act.HANDS_OUT)
    async def update_document_category(
        self, info: Info, id: strawberry.ID, input: UpdateDocumentCategoryInput
    ) -> DocumentCategory:
        changes = {
            "name": input.name,
            "field_group": input.field_group,
            "employee_visible": input.employee_visible,
            "employee_uploadable": input.employee_uploadable,
        }
        row = await document_categories.update_category(info.context, id, input.version, changes)
        return DocumentCategory.from_row(row)

    @fields.mutation(
        access=MANAGE, delegation=Act.ACTS_ON, description="Delete a category no document uses."
    )
    async def delete_document_category(
        self, info: Info, id: strawberry.ID, version: int
    ) -> strawberry.ID:
        return strawberry.ID(
            str(await document_categories.delete_category(info.context, id, version))
        )

    @fields.mutation(access=MANAGE, description="Change the largest document accepted.")
    async def update_document_settings(
        self, info: Info, input: UpdateDocumentSettingsInput
    ) -> DocumentSettings:
        updated = await document_categories.update_document_settings(
            info.context, input.version, input.max_document_bytes
        )
        return DocumentSettings.of(updated)

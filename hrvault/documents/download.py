"""``GET /files/{token}``: a document's plaintext, for the holder of a live download link.

The route authenticates nothing but the link; everything else is decided again now:

1. the link is used up (single use) in a transaction of its own, committed at once, so a
   second request with it is refused whatever becomes of the first;
2. the permission of the principal who created the link is compiled anew from the
   database (their session must still be live) and must still allow ``download`` of this
   document's category for this person;
3. the body is opened once from end to end, keeping nothing, so an altered, swapped,
   reordered or truncated body is refused with ``DATA_INTEGRITY`` before a byte is sent;
4. the download is recorded in the tenant's audit chain as a sensitive read, in the same
   transaction as the checks;
5. the body is streamed, opened chunk by chunk (constant memory), with the stored
   content type, its size, ``Content-Disposition: attachment`` with the original filename
   (RFC 6266 / RFC 8187), ``Cache-Control: no-store`` and ``X-Content-Type-Options:
   nosniff``. No database connection is held while it streams.

Steps 1 to 4 run under the request deadline (``hrvault.deadline``), the body check
excepted (it reads local files, however large): a database that stalls or cannot be
reached is a 503 with ``Retry-After``.
"""

from __future__ import annotations

import logging
import unicodedata
import uuid
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import quote

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from hrvault.audit.chain import append
from hrvault.audit.records import Actor, ActorKind, Change, Entry, Origin
from hrvault.clock import Clock
from hrvault.crypto import events
from hrvault.crypto.cipher import TenantCipher
from hrvault.crypto.columns import DOCUMENT_FILENAME, DOCUMENT_KEY
from hrvault.crypto.errors import DataIntegrityError, KeyDestroyedError
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.streaming import StreamOpener
from hrvault.db import bind_tenant, is_unreachable
from hrvault.deadline import Deadline
from hrvault.documents import access
from hrvault.documents.bodies import opened_body, verify_body
from hrvault.documents.links import consume, parse_link_token, policy_at_download
from hrvault.documents.store import FileStore, StoredFileMissing
from hrvault.errors import DataIntegrity, ErrorCode, HrvaultError, NotFound
from hrvault.http import outages
from hrvault.http.refusals import refusal_response, response_for
from hrvault.models import Document, DocumentCategory, DocumentLink, Employee
from hrvault.vocabulary import Action, FieldGroup

logger = logging.getLogger(__name__)

_STATUS = {
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.LINK_EXPIRED: 410,
    ErrorCode.LINK_USED: 410,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.DATA_INTEGRITY: 500,
}
_LINK_OUTCOME = "try again later, with a new link if this one was used up"
_ASCII_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._-()+,")


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact name as UTF-8 (RFC 6266)."""
    folded = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = "".join(c if c in _ASCII_SAFE else "_" for c in folded).strip() or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _actor(link: DocumentLink) -> Actor:
    return Actor(
        ActorKind(link.principal_kind),
        link.actor_id,
        link.actor_name,
        via_kind=link.via_kind,
        via_id=link.via_id,
        via_reason=link.via_reason,
    )


def download_entry(document: Document, category: DocumentCategory) -> Entry:
    """A download is a sensitive read of the category's group: who took which document.

    Metadata only (category, type, size, checksum); never the filename or the content.
    """
    return Entry(
        "read",
        "Document",
        str(document.id),
        subject_id=document.employee_id,
        changes=(
            Change(
                "download",
                FieldGroup(category.field_group).value,
                None,
                {
                    "category": category.code,
                    "contentType": document.content_type,
                    "sizeBytes": document.size_bytes,
                    "sha256": document.sha256.hex(),
                },
            ),
        ),
    )


class DownloadEndpoint:
    """The ASGI app behind ``/files/{token}``."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        keyring: TenantKeyring,
        files: FileStore,
        clock: Clock,
        timeout_seconds: float,
    ) -> None:
        self._sessions = sessions
        self._keyring = keyring
        self._files = files
        self._clock = clock
        self._timeout = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.method != "GET":  # a HEAD (a link previewer) must not use the link up
            await refusal_response(
                405,
                ErrorCode.METHOD_NOT_ALLOWED,
                "download links answer GET only",
                headers={"allow": "GET"},
            )(scope, receive, send)
            return
        try:
            response = await self._serve(request)
        except HrvaultError as refused:
            details = {k: v for k, v in refused.extensions.items() if k != "code"}
            response = refusal_response(
                _STATUS.get(refused.code, 400), refused.code, refused.message, details=details
            )
        except TimeoutError:
            response = response_for(outages.timed_out(self._timeout, _LINK_OUTCOME))
        except Exception as exc:
            if not is_unreachable(exc):
                raise
            response = response_for(outages.unreachable(self._timeout, _LINK_OUTCOME))
        await response(scope, receive, send)

    async def _serve(self, request: Request) -> Response:
        token = parse_link_token(str(request.path_params.get("token", "")))
        if token is None:
            raise NotFound("download link not found")
        now = self._clock.now()
        async with Deadline(self._timeout) as deadline:
            async with self._sessions() as db:
                await bind_tenant(db, token.tenant_id)
                link = await consume(db, token, now)
                await db.commit()
            async with self._sessions() as db:
                await bind_tenant(db, token.tenant_id)
                document, category, opener, filename = await self._checked(db, link, now, deadline)
                await append(
                    db,
                    link.tenant_id,
                    [download_entry(document, category)],
                    actor=_actor(link),
                    origin=Origin(
                        request.state.request_id,
                        request.client.host if request.client else None,
                        request.headers.get("user-agent"),
                        "download",
                    ),
                    now=now,
                )
                await db.commit()
        return StreamingResponse(
            self._body(document, opener),
            media_type=document.content_type,
            headers={
                "content-length": str(document.size_bytes),
                "content-disposition": content_disposition(filename),
                "cache-control": "no-store",
                "x-content-type-options": "nosniff",
            },
        )

    async def _checked(
        self, db: AsyncSession, link: DocumentLink, now: datetime, deadline: Deadline
    ) -> tuple[Document, DocumentCategory, StreamOpener, str]:
        """The document, once the link's principal may still download it and it opens."""
        policy = await policy_at_download(db, link, now, now.date())
        found = (
            await db.execute(
                select(Document, DocumentCategory, Employee)
                .join(
                    DocumentCategory,
                    (DocumentCategory.tenant_id == Document.tenant_id)
                    & (DocumentCategory.id == Document.category_id),
                )
                .join(
                    Employee,
                    (Employee.tenant_id == Document.tenant_id)
                    & (Employee.id == Document.employee_id),
                )
                .where(Document.tenant_id == link.tenant_id, Document.id == link.document_id)
            )
        ).first()
        if found is None:
            raise NotFound("document not found")
        document, category, employee = found
        if not policy.can_see(employee, FieldGroup.BASIC):
            raise NotFound("document not found")
        access.require(policy, employee, category, Action.DOWNLOAD)
        cipher = TenantCipher(self._keyring, db, link.tenant_id)
        await cipher.load_people([document.employee_id])
        try:
            opener = cipher.file_opener(
                DOCUMENT_KEY,
                document.file_key_sealed,
                document_id=document.id,
                person_id=document.employee_id,
            )
            filename = cipher.open_field(
                DOCUMENT_FILENAME,
                document.filename_sealed,
                row_id=document.id,
                person_id=document.employee_id,
            )
            with deadline.paused():  # local files, as long as the document is large
                await anyio.to_thread.run_sync(
                    verify_body,
                    self._files,
                    link.tenant_id,
                    document.employee_id,
                    document.id,
                    opener,
                    document.size_bytes,
                )
        except KeyDestroyedError:
            raise NotFound("document not found (erased)") from None
        except (DataIntegrityError, StoredFileMissing) as exc:
            events.integrity_failure(
                str(exc), tenant=link.tenant_id, table="documents", row=document.id
            )
            raise DataIntegrity(
                "the stored document does not open as it was stored; it is withheld"
            ) from None
        return document, category, opener, filename

    def _body(self, document: Document, opener: StreamOpener) -> Iterator[bytes]:
        """Streamed in a worker thread by Starlette, one chunk at a time."""
        tenant_id: uuid.UUID = document.tenant_id
        try:
            yield from opened_body(
                self._files, tenant_id, document.employee_id, document.id, opener
            )
        except (DataIntegrityError, StoredFileMissing) as exc:
            # Changed since it was checked: stop short, so the client sees a broken
            # transfer (fewer bytes than Content-Length), never altered bytes.
            events.integrity_failure(str(exc), tenant=tenant_id, table="documents", row=document.id)
            raise

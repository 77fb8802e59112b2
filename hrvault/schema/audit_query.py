"""Root fields for reading the audit log (the see_audit ability)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated

import strawberry

from hrvault.errors import bad_input
from hrvault.permissions.access import requires
from hrvault.resolvers import audit
from hrvault.resolvers.audit import AuditFilter as Filter
from hrvault.resolvers.audit_export import ExportFormat, export_log
from hrvault.resolvers.validation import parse_id
from hrvault.schema import fields
from hrvault.schema.bounds import paged
from hrvault.schema.types.audit import (
    AuditIntegrity,
    AuditRecord,
    AuditRecordConnection,
    AuditRecordEdge,
    AuditSigningKey,
)
from hrvault.schema.types.base import Info
from hrvault.schema.types.employee import PageInfo
from hrvault.vocabulary import Ability

SEE_AUDIT = requires(Ability.SEE_AUDIT)
_CURSOR = "a1:"


@strawberry.input
class AuditLogFilter:
    entity_type: str | None = None
    entity_id: str | None = None
    actor_id: strawberry.ID | None = None
    action: str | None = None
    from_: datetime | None = strawberry.field(default=None, name="from")
    to: datetime | None = None


def _filter(given: AuditLogFilter | None) -> Filter:
    given = given or AuditLogFilter()
    return Filter(
        entity_type=given.entity_type,
        entity_id=given.entity_id,
        actor_id=parse_id(given.actor_id, "filter.actorId") if given.actor_id else None,
        action=given.action,
        since=given.from_,
        until=given.to,
    )


def _cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR}{seq}".encode()).decode()


def _before(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        digits = text.removeprefix(_CURSOR)
        # A sequence number: digits only, and within PostgreSQL's bigint.
        if digits == text or not digits.isascii() or not digits.isdigit() or len(digits) > 18:
            raise ValueError(cursor)
        return int(digits)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad_input("after", "is not a cursor returned by this list") from None


async def _page(info: Info, where: Filter, first: int, after: str | None) -> AuditRecordConnection:
    shown, more = await audit.read_log(info.context, where, first, _before(after))
    edges = [
        AuditRecordEdge(cursor=_cursor(s.record.seq), node=AuditRecord.from_shown(s)) for s in shown
    ]
    return AuditRecordConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None),
    )


AuditExportFormat = strawberry.enum(ExportFormat, name="AuditExportFormat")


@strawberry.type
class AuditQuery:
    @fields.query(access=SEE_AUDIT, description="The audit log, newest first.", metadata=paged())
    async def audit_log(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        filter: AuditLogFilter | None = None,
    ) -> AuditRecordConnection:
        return await _page(info, _filter(filter), first, after)

    @fields.query(
        access=SEE_AUDIT,
        description="The filtered log as JSON Lines or CSV (at most 10,000 records, newest "
        "first), with hashes; redacted values stay redacted.",
    )
    async def audit_log_export(
        self,
        info: Info,
        format: AuditExportFormat,  # type: ignore[valid-type]
        filter: AuditLogFilter | None = None,
    ) -> str:
        return await export_log(info.context, _filter(filter), format)

    @fields.query(
        access=SEE_AUDIT,
        description="Requests that returned identity, bank, salary, personal or absence "
        "reason values: whose, per field group.",
        metadata=paged(),
    )
    async def sensitive_reads(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> AuditRecordConnection:
        where = Filter(action="read", since=from_, until=to)
        return await _page(info, where, first, after)

    @fields.query(access=SEE_AUDIT, description="Check the whole chain and its checkpoints.")
    async def audit_integrity(self, info: Info) -> AuditIntegrity:
        return AuditIntegrity.from_report(await audit.check_integrity(info.context))

    @fields.query(description="The public key that signs audit checkpoints.")
    def audit_signing_key(self, info: Info) -> AuditSigningKey:
        keys = info.context.audit_keys
        return AuditSigningKey(key_id=keys.key_id, public_key_pem=keys.pem)

"""Reading the audit log: filtered, newest first, values shown only to those who may see them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from hrvault.audit.verify import IntegrityReport, verify_chain
from hrvault.errors import bad_input
from hrvault.models import AuditCheckpoint, AuditHead, AuditRecord, Employee
from hrvault.models.base import column_values
from hrvault.resolvers.context import RequestContext
from hrvault.vocabulary import PERSON_GROUPS, FieldGroup

PERSON_GROUP_VALUES = frozenset(g.value for g in PERSON_GROUPS)
VERIFY_BATCH = 2000


@dataclass(frozen=True)
class AuditFilter:
    entity_type: str | None = None
    entity_id: str | None = None
    actor_id: uuid.UUID | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class ShownChange:
    field: str
    group: str
    old: Any
    new: Any
    redacted: bool


@dataclass(frozen=True)
class ShownRecord:
    record: AuditRecord
    changes: list[ShownChange]


def _filtered(ctx: RequestContext, where: AuditFilter) -> Select[AuditRecord]:
    statement = select(AuditRecord).where(AuditRecord.tenant_id == ctx.tenant_id)
    if where.entity_type:
        statement = statement.where(AuditRecord.entity_type == where.entity_type)
    if where.entity_id:
        statement = statement.where(AuditRecord.entity_id == where.entity_id)
    if where.actor_id:
        statement = statement.where(AuditRecord.actor_id == where.actor_id)
    if where.action:
        statement = statement.where(AuditRecord.action == where.action)
    if where.since:
        statement = statement.where(AuditRecord.occurred_at >= where.since)
    if where.until:
        statement = statement.where(AuditRecord.occurred_at < where.until)
    return statement


async def read_log(
    ctx: RequestContext, where: AuditFilter, first: int, before_seq: int | None
) -> tuple[list[ShownRecord], bool]:
    """A page, newest first; each change's values are redacted unless the reader may see
    that field group for the person the record is about."""
    if not 1 <= first <= ctx.settings.max_page_size:
        raise bad_input("first", f"must be between 1 and {ctx.settings.max_page_size}")
    statement = _filtered(ctx, where)
    if before_seq is not None:
        statement = statement.where(AuditRecord.seq < before_seq)
    found = list(await ctx.reader.all(statement.order_by(AuditRecord.seq.desc()).limit(first + 1)))
    page = found[:first]
    subjects = {r.subject_id for r in page if r.subject_id is not None}
    people = {
        e.id: e
        for e in await ctx.reader.all(
            select(Employee).where(Employee.tenant_id == ctx.tenant_id, Employee.id.in_(subjects))
        )
    }
    return [_shown(ctx, record, people) for record in page], len(found) > first


def _shown(
    ctx: RequestContext, record: AuditRecord, people: dict[uuid.UUID, Employee]
) -> ShownRecord:
    subject = people.get(record.subject_id) if record.subject_id else None
    changes = []
    for change in record.changes:
        group = change["group"]
        visible = group not in PERSON_GROUP_VALUES or (
            subject is not None and ctx.policy.can_see(subject, FieldGroup(group))
        )
        if record.action == "read":
            visible = True  # who was read, never a value
        changes.append(
            ShownChange(
                change["field"],
                group,
                change["old"] if visible else None,
                change["new"] if visible else None,
                not visible,
            )
        )
    return ShownRecord(record, changes)


async def check_integrity(ctx: RequestContext) -> IntegrityReport:
    """Walk the tenant's whole chain and its checkpoints, in batches, up to its head: the
    head is read first, so records appended meanwhile are not mistaken for strays."""
    head = await ctx.reader.first(select(AuditHead).where(AuditHead.tenant_id == ctx.tenant_id))
    end = head.seq if head is not None else 0

    async def records() -> list[dict[str, Any]]:
        collected: list[dict[str, Any]] = []
        after = 0
        while True:
            batch: Sequence[AuditRecord] = await ctx.reader.all(
                select(AuditRecord)
                .where(
                    AuditRecord.tenant_id == ctx.tenant_id,
                    AuditRecord.seq > after,
                    AuditRecord.seq <= end,
                )
                .order_by(AuditRecord.seq)
                .limit(VERIFY_BATCH)
            )
            collected.extend(column_values(r) for r in batch)
            if len(batch) < VERIFY_BATCH:
                return collected
            after = batch[-1].seq

    checkpoints = await ctx.reader.all(
        select(AuditCheckpoint).where(
            AuditCheckpoint.tenant_id == ctx.tenant_id, AuditCheckpoint.seq <= end
        )
    )
    keys = {ctx.audit_keys.key_id: ctx.audit_keys.public_key}
    return verify_chain(
        await records(),
        [column_values(c) for c in checkpoints],
        keys,
        head={"seq": head.seq, "hash": head.hash} if head is not None else None,
    )

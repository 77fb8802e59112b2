"""The audit log as readers see it: values of groups they may not see come redacted."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry.scalars import JSON

from hrvault.audit.verify import IntegrityReport
from hrvault.resolvers.audit import ShownRecord
from hrvault.schema import caps
from hrvault.schema.bounds import cap_note, capped, page_items
from hrvault.schema.types.base import ADMINISTRATION
from hrvault.schema.types.employee import PageInfo


@strawberry.type(
    description="One changed field; values are null and redacted=true when the "
    "reader may not see that field group for that person."
)
class AuditChange:
    field: str = strawberry.field(metadata=ADMINISTRATION)
    field_group: str = strawberry.field(metadata=ADMINISTRATION)
    old: JSON | None = strawberry.field(metadata=ADMINISTRATION)
    new: JSON | None = strawberry.field(metadata=ADMINISTRATION)
    redacted: bool = strawberry.field(metadata=ADMINISTRATION)


@strawberry.type(description="Who acted, and under what (a support grant, an integration).")
class AuditActor:
    kind: str = strawberry.field(metadata=ADMINISTRATION)
    id: strawberry.ID | None = strawberry.field(metadata=ADMINISTRATION)
    name: str = strawberry.field(metadata=ADMINISTRATION, description="Name at the time.")
    via_kind: str | None = strawberry.field(metadata=ADMINISTRATION)
    via_id: strawberry.ID | None = strawberry.field(metadata=ADMINISTRATION)
    via_reason: str | None = strawberry.field(metadata=ADMINISTRATION)


@strawberry.type(description="One record of the tenant's hash-chained audit log.")
class AuditRecord:
    seq: int = strawberry.field(metadata=ADMINISTRATION)
    occurred_at: datetime = strawberry.field(metadata=ADMINISTRATION)
    actor: AuditActor = strawberry.field(metadata=ADMINISTRATION)
    request_id: str | None = strawberry.field(metadata=ADMINISTRATION)
    client_ip: str | None = strawberry.field(metadata=ADMINISTRATION)
    user_agent: str | None = strawberry.field(metadata=ADMINISTRATION)
    operation: str | None = strawberry.field(metadata=ADMINISTRATION)
    action: str = strawberry.field(metadata=ADMINISTRATION)
    entity_type: str = strawberry.field(metadata=ADMINISTRATION)
    entity_id: str | None = strawberry.field(metadata=ADMINISTRATION)
    subject_id: strawberry.ID | None = strawberry.field(
        metadata=ADMINISTRATION, description="The person the record is about."
    )
    changes: list[AuditChange] = strawberry.field(
        metadata={**ADMINISTRATION, **capped(caps.CHANGES)}, description=cap_note(caps.CHANGES)
    )
    hash: str = strawberry.field(metadata=ADMINISTRATION, description="SHA-256, hex.")
    prev_hash: str = strawberry.field(metadata=ADMINISTRATION)

    @classmethod
    def from_shown(cls, shown: ShownRecord) -> Self:
        r = shown.record

        def opt(value: object) -> strawberry.ID | None:
            return strawberry.ID(str(value)) if value is not None else None

        return cls(
            seq=r.seq,
            occurred_at=r.occurred_at,
            actor=AuditActor(
                kind=r.actor_kind,
                id=opt(r.actor_id),
                name=r.actor_name,
                via_kind=r.via_kind,
                via_id=opt(r.via_id),
                via_reason=r.via_reason,
            ),
            request_id=r.request_id,
            client_ip=r.client_ip,
            user_agent=r.user_agent,
            operation=r.operation,
            action=r.action,
            entity_type=r.entity_type,
            entity_id=r.entity_id,
            subject_id=opt(r.subject_id),
            changes=[
                AuditChange(
                    field=c.field, field_group=c.group, old=c.old, new=c.new, redacted=c.redacted
                )
                for c in shown.changes
            ],
            hash=r.hash.hex(),
            prev_hash=r.prev_hash.hex(),
        )


@strawberry.type
class AuditRecordEdge:
    cursor: str
    node: AuditRecord


@strawberry.type(description="A page of audit records, newest first.")
class AuditRecordConnection:
    edges: list[AuditRecordEdge] = strawberry.field(metadata=page_items())
    page_info: PageInfo


@strawberry.type(description="The result of checking the whole chain and every checkpoint.")
class AuditIntegrity:
    ok: bool = strawberry.field(metadata=ADMINISTRATION)
    records: int = strawberry.field(metadata=ADMINISTRATION)
    last_seq: int = strawberry.field(metadata=ADMINISTRATION)
    checkpoints: int = strawberry.field(metadata=ADMINISTRATION)
    first_broken_seq: int | None = strawberry.field(metadata=ADMINISTRATION)
    problem: str | None = strawberry.field(metadata=ADMINISTRATION)

    @classmethod
    def from_report(cls, report: IntegrityReport) -> Self:
        return cls(
            ok=report.ok,
            records=report.records,
            last_seq=report.last_seq,
            checkpoints=report.checkpoints,
            first_broken_seq=report.first_broken_seq,
            problem=report.problem,
        )


@strawberry.type(description="The platform key that signs audit checkpoints.")
class AuditSigningKey:
    key_id: str = strawberry.field(metadata=ADMINISTRATION)
    public_key_pem: str = strawberry.field(metadata=ADMINISTRATION)

"""The staff audit log as hash chains: one per staff member, like one per tenant.

Staff records are read and written under row-level security keyed on the staff member
the transaction named, so each member's records form a chain of their own, with a head
in ``staff_audit_heads`` that only an inserted record extending it moves (migration
0012). The same verifier as the tenants' chains checks them (``hrvault.audit.verify``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hrvault.audit.records import GENESIS_HASH, Formats, canonical_json, json_value
from hrvault.audit.verify import IntegrityReport, verify_chain
from hrvault.db import session_factory
from hrvault.models import StaffAuditHead, StaffAuditRecord
from hrvault.models.base import column_values

CURRENT_STAFF_FORMAT = 1
STAFF_FORMATS = Formats("staff audit")
STAFF_HASHED_FIELDS = (
    "format_version", "staff_id", "seq", "occurred_at", "action", "actor_kind",
    "actor_name", "request_id", "client_ip", "details", "prev_hash",
)  # fmt: skip
_LOCK_HEAD = text("SELECT head_seq, head_hash FROM hrvault_staff_audit_lock_head(:staff)")


@STAFF_FORMATS.register(1)
def _canonical_staff_v1(record: Mapping[str, Any]) -> bytes:
    """Sorted-key compact JSON of every hashed field, with a domain prefix of its own."""
    body = {key: record[key] for key in STAFF_HASHED_FIELDS}
    return b"hrvault-staff-audit-v1\n" + canonical_json(body)


def staff_material(columns: Mapping[str, Any]) -> dict[str, Any]:
    material = {
        name: json_value(columns[name])
        for name in STAFF_HASHED_FIELDS
        if name not in ("details", "prev_hash")
    }
    material["details"] = dict(columns["details"])
    material["prev_hash"] = bytes(columns["prev_hash"]).hex()
    return material


def staff_record_hash(material: Mapping[str, Any]) -> bytes:
    return STAFF_FORMATS.digest(material)


def hash_of_staff_record(record: Mapping[str, Any]) -> bytes:
    return staff_record_hash(staff_material(record))


async def append_staff_record(db: AsyncSession, row: dict[str, Any]) -> None:
    """Chain ``row`` (the columns but seq and hashes) after its staff member's head."""
    head = (await db.execute(_LOCK_HEAD, {"staff": row["staff_id"]})).one()
    row = {
        **row,
        "seq": head.head_seq + 1,
        "format_version": CURRENT_STAFF_FORMAT,
        "prev_hash": head.head_hash,
    }
    row["hash"] = staff_record_hash(staff_material(row))
    await db.execute(insert(StaffAuditRecord).values(**row))


async def verify_staff_chains(owner_engine: AsyncEngine) -> dict[uuid.UUID, IntegrityReport]:
    """Every staff member's chain and head, from one snapshot. A member with records but
    no head is checked against an empty chain, so it is reported."""
    async with session_factory(owner_engine)() as db:
        await db.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        heads = {
            head.staff_id: {"seq": head.seq, "hash": head.hash}
            for head in await db.scalars(select(StaffAuditHead))
        }
        members = set(heads) | set(await db.scalars(select(StaffAuditRecord.staff_id).distinct()))
        reports = {}
        for staff_id in sorted(members):
            head = heads.get(staff_id, {"seq": 0, "hash": GENESIS_HASH})
            records = await db.scalars(
                select(StaffAuditRecord)
                .where(StaffAuditRecord.staff_id == staff_id)
                .order_by(StaffAuditRecord.seq)
            )
            reports[staff_id] = verify_chain(
                [column_values(r) for r in records],
                [],
                {},
                head=head,
                hash_of=hash_of_staff_record,
            )
        return reports

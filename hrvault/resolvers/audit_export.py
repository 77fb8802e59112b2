"""The audit log as a file: JSON Lines (one record per line) or CSV."""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum
from typing import Any

from hrvault.resolvers.audit import AuditFilter, ShownRecord, read_log
from hrvault.resolvers.context import RequestContext

EXPORT_LIMIT = 10_000
COLUMNS = (
    "seq", "occurred_at", "actor_kind", "actor_id", "actor_name", "via_kind", "via_id",
    "via_reason", "request_id", "client_ip", "user_agent", "operation", "action",
    "entity_type", "entity_id", "subject_id", "changes", "prev_hash", "hash",
)  # fmt: skip


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


def _row(shown: ShownRecord) -> dict[str, Any]:
    record = shown.record
    row: dict[str, Any] = {}
    for column in COLUMNS:
        value = getattr(record, column)
        if isinstance(value, bytes):
            value = value.hex()
        elif column == "changes":
            value = [change.__dict__ for change in shown.changes]
        elif value is not None and not isinstance(value, int | str):
            value = value.isoformat() if hasattr(value, "isoformat") else str(value)
        row[column] = value
    return row


async def export_log(ctx: RequestContext, where: AuditFilter, fmt: ExportFormat) -> str:
    rows: list[dict[str, Any]] = []
    before: int | None = None
    while len(rows) < EXPORT_LIMIT:
        page, more = await read_log(ctx, where, ctx.settings.max_page_size, before)
        rows.extend(_row(shown) for shown in page)
        if not more or not page:
            break
        before = page[-1].record.seq
    rows = rows[:EXPORT_LIMIT]
    if fmt is ExportFormat.JSONL:
        return "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "changes": json.dumps(row["changes"], ensure_ascii=False)})
    return buffer.getvalue()

"""The complete export of one tenant's chain, for verification away from hrvault.

JSON Lines: a header, every record with its hashes exactly as stored (format 2 records
with every value's salt), every checkpoint and (from archive format 2) the chain head.
Sealed values stay sealed, so the file verifies without any decryption key.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

ARCHIVE_FORMAT = 2
READABLE_FORMATS = frozenset({1, 2})
_BINARY = ("prev_hash", "hash", "signature")
_TIMES = ("occurred_at", "signed_at")


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def dump(
    tenant_id: uuid.UUID,
    records: Iterable[Mapping[str, Any]],
    checkpoints: Iterable[Mapping[str, Any]],
    head: Mapping[str, Any] | None = None,
) -> Iterator[str]:
    yield json.dumps({"type": "header", "format": ARCHIVE_FORMAT, "tenant": str(tenant_id)})
    heads = [head] if head is not None else []
    for kind, rows in (("record", records), ("checkpoint", checkpoints), ("head", heads)):
        for row in rows:
            line = {"type": kind, **{k: _plain(v) for k, v in row.items()}}
            yield json.dumps(line, ensure_ascii=False, sort_keys=True)


def load(
    lines: Iterable[str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any] | None]:
    """Records (in file order), checkpoints and the head if the file has one, with binary
    and time columns restored."""
    records: list[dict[str, Any]] = []
    checkpoints: list[dict[str, Any]] = []
    head: dict[str, Any] | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item = json.loads(line)
        kind = item.pop("type", None)
        if kind == "header":
            if item.get("format") not in READABLE_FORMATS:
                raise ValueError(f"line {number}: unknown archive format {item.get('format')}")
            continue
        for key in _BINARY:
            if key in item:
                item[key] = bytes.fromhex(item[key])
        for key in _TIMES:
            if key in item:
                item[key] = datetime.fromisoformat(item[key])
        if kind == "record":
            records.append(item)
        elif kind == "checkpoint":
            checkpoints.append(item)
        elif kind == "head":
            head = item
        else:
            raise ValueError(f"line {number}: unknown entry type {kind!r}")
    return records, checkpoints, head

"""What an audit record says, and the versioned canonical form its hash is computed over.

NOTE on compatibility: the canonical form of a format version never changes once records
exist in it. A new form is a new version registered below (a reused number is refused);
verification picks the form by each record's ``format_version``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

GENESIS_HASH = bytes(32)
CURRENT_FORMAT = 1


class ActorKind(StrEnum):
    USER = "user"
    PARTNER = "partner"
    SUPPORT = "support"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: uuid.UUID | None
    name: str
    via_kind: str | None = None
    """What the actor acted under: a support grant or an integration."""
    via_id: uuid.UUID | None = None
    via_reason: str | None = None


@dataclass(frozen=True)
class Origin:
    request_id: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None
    operation: str | None = None


@dataclass(frozen=True)
class Change:
    field: str
    group: str
    old: Any = None
    new: Any = None

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "group": self.group, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class Entry:
    """One thing that happened, before it takes its place in the chain."""

    action: str
    entity_type: str
    entity_id: str | None
    subject_id: uuid.UUID | None = None
    changes: Sequence[Change] = field(default_factory=tuple)
    actor: Actor | None = None
    """Set when the actor is not the request's principal (a login, a failed login)."""


def json_value(value: Any) -> Any:
    """A column value as JSON: the form it is recorded and hashed in."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    raise TypeError(f"cannot record a {type(value).__name__} in the audit log")


def sealed_json(value: bytes | None) -> dict[str, str] | None:
    """A sealed value as recorded: its ciphertext, which only the person's key opens."""
    return None if value is None else {"sealed": base64.b64encode(value).decode()}


_FORMATS: dict[int, Callable[[Mapping[str, Any]], bytes]] = {}


def register_format(version: int) -> Callable[[Callable[[Mapping[str, Any]], bytes]], Any]:
    def register(
        build: Callable[[Mapping[str, Any]], bytes],
    ) -> Callable[[Mapping[str, Any]], bytes]:
        if version in _FORMATS:
            raise ValueError(f"audit format {version} is already registered")
        _FORMATS[version] = build
        return build

    return register


@register_format(1)
def _canonical_v1(record: Mapping[str, Any]) -> bytes:
    """Sorted-key compact JSON of every field but the hash itself, with a domain prefix."""
    body = {key: record[key] for key in HASHED_FIELDS}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return b"hrvault-audit-v1\n" + text.encode()


HASHED_FIELDS = (
    "format_version", "tenant_id", "seq", "occurred_at", "actor_kind", "actor_id",
    "actor_name", "via_kind", "via_id", "via_reason", "request_id", "client_ip",
    "user_agent", "operation", "action", "entity_type", "entity_id", "subject_id",
    "changes", "prev_hash",
)  # fmt: skip


def hash_material(columns: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed fields of a record as JSON values, from its columns (stored or new)."""
    material = {
        name: json_value(columns[name])
        for name in HASHED_FIELDS
        if name not in ("changes", "prev_hash")
    }
    material["changes"] = list(columns["changes"])
    material["prev_hash"] = columns["prev_hash"].hex()
    return material


def record_hash(material: Mapping[str, Any]) -> bytes:
    canonical = _FORMATS.get(material["format_version"])
    if canonical is None:
        raise ValueError(f"unknown audit format {material['format_version']}")
    return hashlib.sha256(canonical(material)).digest()

"""What an audit record says, and the versioned canonical form its hash is computed over.

NOTE on compatibility: the canonical form of a format version never changes once records
exist in it. A new form is a new version registered below (a reused number is refused);
verification picks the form by each record's ``format_version``.

Format 1 hashed the values themselves, so anyone shown the hash of a record whose values
were withheld could confirm a guessed value by hashing it. Format 2 hashes a salted
commitment of each value instead (as selective-disclosure formats such as SD-JWT do):
every value carries its own random 128-bit salt, stored beside it in the record and
withheld exactly when the value is, so the hash says nothing about a value to a reader
without its salt, while whoever holds the whole record (the tenant's export) verifies it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

GENESIS_HASH = bytes(32)
CURRENT_FORMAT = 2
SALT_BYTES = 16


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


class Formats:
    """Canonical forms by format version, for one kind of chain (tenants', staff's)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._forms: dict[int, Callable[[Mapping[str, Any]], bytes]] = {}

    def register(self, version: int) -> Callable[[Callable[[Mapping[str, Any]], bytes]], Any]:
        def register(
            build: Callable[[Mapping[str, Any]], bytes],
        ) -> Callable[[Mapping[str, Any]], bytes]:
            if version in self._forms:
                raise ValueError(f"{self.kind} format {version} is already registered")
            self._forms[version] = build
            return build

        return register

    def digest(self, material: Mapping[str, Any]) -> bytes:
        canonical = self._forms.get(material["format_version"])
        if canonical is None:
            raise ValueError(f"unknown {self.kind} format {material['format_version']}")
        return hashlib.sha256(canonical(material)).digest()


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


TENANT_FORMATS = Formats("audit")
register_format = TENANT_FORMATS.register


@register_format(1)
def _canonical_v1(record: Mapping[str, Any]) -> bytes:
    """Sorted-key compact JSON of every field but the hash itself, with a domain prefix."""
    body = {key: record[key] for key in HASHED_FIELDS}
    return b"hrvault-audit-v1\n" + canonical_json(body)


@register_format(2)
def _canonical_v2(record: Mapping[str, Any]) -> bytes:
    """As format 1, with each change's values replaced by their salted commitments."""
    body = {key: record[key] for key in HASHED_FIELDS}
    body["changes"] = [
        {
            "field": change["field"],
            "group": change["group"],
            "old": commitment(change["salt"]["old"], change["old"]),
            "new": commitment(change["salt"]["new"], change["new"]),
        }
        for change in record["changes"]
    ]
    return b"hrvault-audit-v2\n" + canonical_json(body)


def commitment(salt_hex: str, value: Any) -> str:
    """SHA-256 over a domain prefix, the value's salt and the value's canonical JSON."""
    salt = bytes.fromhex(salt_hex)
    if len(salt) != SALT_BYTES:
        raise ValueError("an audit value's salt must be 16 bytes")
    return hashlib.sha256(b"hrvault-audit-value\n" + salt + canonical_json(value)).hexdigest()


def salted(changes: Sequence[Change]) -> list[dict[str, Any]]:
    """Changes as format 2 stores them: each value with a fresh random salt of its own."""
    return [
        {
            **change.as_json(),
            "salt": {"old": os.urandom(SALT_BYTES).hex(), "new": os.urandom(SALT_BYTES).hex()},
        }
        for change in changes
    ]


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
    return TENANT_FORMATS.digest(material)

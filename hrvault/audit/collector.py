"""What a request changed and read, collected as it happens and written at its end."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect as sa_inspect

from hrvault.audit.records import Change, Entry, json_value, sealed_json
from hrvault.crypto.columns import SEALED_COLUMNS
from hrvault.models.base import Base
from hrvault.vocabulary import FieldGroup

if TYPE_CHECKING:
    from hrvault.audit.refusals import Refusal

# Groups whose values, when a request returns them, make a "sensitive read" record.
SENSITIVE_READ_GROUPS = frozenset(
    {
        FieldGroup.IDENTITY,
        FieldGroup.BANK,
        FieldGroup.SALARY,
        FieldGroup.PERSONAL,
        FieldGroup.ABSENCE_REASON,
    }
)
_SERVER_SET = frozenset(
    {"tenant_id", "id", "created_at", "created_by", "updated_at", "updated_by", "version"}
)


# Groups whose values must never sit in the audit log in plaintext: a column of these
# groups is recorded as the ciphertext the row holds (sealed under the person's key, so
# erasing the person erases it here too), or in clear only if its model declares it a
# plain column (``__plain_columns__``: a date that orders history, a flag). Anything else
# is refused, so a sensitive column added without sealing cannot slip into the log.
SEALED_IN_AUDIT = frozenset(
    {
        FieldGroup.PERSONAL,
        FieldGroup.IDENTITY,
        FieldGroup.BANK,
        FieldGroup.EMERGENCY,
        FieldGroup.SALARY,
        FieldGroup.ABSENCE_REASON,
        FieldGroup.DOCUMENTS,
    }
)
BLIND_INDEX_SUFFIX = "_index"


class PlaintextRefused(Exception):
    """A sensitive column was about to be audited in clear; the change does not commit."""


def group_of(row: Base, column: str) -> FieldGroup:
    """The field group of a model column: the table's group unless the column says otherwise."""
    overrides: dict[str, FieldGroup] = getattr(row, "__column_groups__", {})
    table_group: FieldGroup = getattr(row, "__field_group__")  # noqa: B009 - every audited model sets it
    return overrides.get(column, table_group)


def recorded_change(row: Base, column: str, old: Any, new: Any) -> Change | None:
    """How one column's change is recorded; None for a blind-index digest (derived from a
    sealed value, and confirmable by guessing, so it stays out of the append-only log)."""
    group = group_of(row, column)
    plain: frozenset[str] = getattr(row, "__plain_columns__", frozenset())
    if group not in SEALED_IN_AUDIT or column in plain:
        return Change(column, group.value, json_value(old), json_value(new))
    if (row.__tablename__, column) in SEALED_COLUMNS:
        return Change(column, group.value, sealed_json(old), sealed_json(new))
    if column.endswith(BLIND_INDEX_SUFFIX):
        return None
    raise PlaintextRefused(
        f"{type(row).__name__}.{column} is {group.value} data: it must be sealed, not logged"
    )


def _set_values(row: Base) -> dict[str, Any]:
    """The row's own columns that hold a value (server-set bookkeeping left out)."""
    state = sa_inspect(row)
    values = {attr.key: getattr(row, attr.key) for attr in state.mapper.column_attrs}
    return {n: v for n, v in values.items() if n not in _SERVER_SET and v is not None}


def subject_of(row: Base) -> uuid.UUID | None:
    """The person a row is about, if it is about one person."""
    from hrvault.models import Employee  # models import nothing from audit; no cycle

    if isinstance(row, Employee):
        return row.id
    subject: uuid.UUID | None = getattr(row, "employee_id", None)
    return subject


class AuditTrail:
    """Per request: entries for every write, and who was read in which sensitive group.

    With ``every_read`` (partner requests) every group read is recorded, ``basic`` too:
    the tenant sees exactly what an integration took.
    """

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.sensitive_reads: dict[FieldGroup, set[uuid.UUID]] = defaultdict(set)
        self.every_read = False
        """Partners and support staff: every group they read is recorded, not only sensitive."""
        self.refusals: list[Refusal] = []
        """Why a mutation was refused: recorded after its rollback (``audit.refusals``)."""

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)

    def created(self, row: Base) -> None:
        self._row_entry("create", row, {n: (None, v) for n, v in _set_values(row).items()})

    def updated(self, row: Base, before: dict[str, Any]) -> None:
        self._row_entry(
            "update",
            row,
            {
                name: (old, getattr(row, name))
                for name, old in before.items()
                if old != getattr(row, name)
            },
        )

    def deleted(self, row: Base) -> None:
        self._row_entry("delete", row, {n: (v, None) for n, v in _set_values(row).items()})

    def _row_entry(self, action: str, row: Base, values: dict[str, tuple[Any, Any]]) -> None:
        changes = [
            change
            for name, (old, new) in values.items()
            if (change := recorded_change(row, name, old, new)) is not None
        ]
        row_id = getattr(row, "id", None)
        self.add(
            Entry(
                action=action,
                entity_type=type(row).__name__,
                entity_id=str(row_id) if row_id is not None else None,
                subject_id=subject_of(row),
                changes=tuple(changes),
            )
        )

    def refused(self, refusals: Sequence[Refusal]) -> None:
        self.refusals.extend(refusals)

    def take_refusals(self) -> list[Refusal]:
        refusals, self.refusals = self.refusals, []
        return refusals

    def read(self, group: FieldGroup, subject: uuid.UUID) -> None:
        if self.every_read or group in SENSITIVE_READ_GROUPS:
            self.sensitive_reads[group].add(subject)

    def take(self) -> list[Entry]:
        """The write entries, plus one read entry if sensitive values were returned."""
        entries, self.entries = self.entries, []
        if self.sensitive_reads:
            changes = tuple(
                Change("people", group.value, None, sorted(str(p) for p in people))
                for group, people in sorted(self.sensitive_reads.items())
            )
            entries.append(Entry("read", "PersonalData", None, None, changes))
            self.sensitive_reads.clear()
        if self.every_read and not entries:
            entries.append(Entry("read", "Request", None))
        return entries

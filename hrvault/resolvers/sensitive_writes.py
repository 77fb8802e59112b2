"""Writing sealed rows: check the version, validate, seal, then save with its audit record.

Each sensitive input field maps to one sealed column and a check that returns the value in
its canonical form (``FieldSpec``); a field the client did not send is left untouched, and
null clears it. Values are sealed under the person's key before anything is written, so
the row, its audit record and every later copy only ever hold ciphertext.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from hrvault.crypto.columns import SealedColumn
from hrvault.errors import Conflict, bad_input
from hrvault.models import (
    Absence,
    AdditionalCompensation,
    BankAccount,
    Compensation,
    EmergencyContact,
    IdentityDetails,
    PersonalDetails,
)
from hrvault.resolvers import rows
from hrvault.resolvers.context import RequestContext
from hrvault.resolvers.sealed import SealedValue
from hrvault.vocabulary import Action, FieldGroup

Row = TypeVar(
    "Row",
    PersonalDetails,
    IdentityDetails,
    BankAccount,
    EmergencyContact,
    Compensation,
    AdditionalCompensation,
    Absence,
)
"""The tables with sealed values: each row is about one person (``employee_id``)."""


@dataclass(frozen=True)
class FieldSpec:
    column: SealedColumn
    check: Callable[[Any], SealedValue]
    """Validates the sent value (never None) and returns its canonical form."""
    required: bool = False
    """May not be null, and must be sent when the row is created."""


def sealed_values(
    specs: Mapping[str, FieldSpec],
    sent: Mapping[str, Any],
    *,
    creating: bool,
    plain: Collection[str] = (),
) -> dict[SealedColumn, SealedValue]:
    """The canonical value of every sent field by column. A sent field that is neither
    sealed nor named ``plain`` is a defect: it would be silently dropped."""
    values: dict[SealedColumn, SealedValue] = {}
    for name, spec in specs.items():
        if name not in sent:
            if creating and spec.required:
                raise bad_input(_graphql(name), "is required")
            continue
        value = sent[name]
        if value is None:
            if spec.required:
                raise bad_input(_graphql(name), "cannot be null")
            values[spec.column] = None
        else:
            values[spec.column] = spec.check(value)
    unknown = set(sent) - set(specs) - set(plain)
    if unknown:
        raise TypeError(f"no sealed field spec for {sorted(unknown)}")
    return values


def _graphql(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def create_sealed(
    ctx: RequestContext,
    row: Row,
    values: Mapping[SealedColumn, SealedValue],
) -> Row:
    """Seal ``values`` into a new row (which has its id and person) and save it."""
    for name, sealed in (
        await ctx.sealed.seal(values, row_id=row.id, person_id=row.employee_id)
    ).items():
        setattr(row, name, sealed)
    return await rows.create(ctx, row)


async def update_sealed(
    ctx: RequestContext,
    row: Row,
    version: int | None,
    values: Mapping[SealedColumn, SealedValue],
    plain: Mapping[str, Any] | None = None,
) -> Row:
    """Seal ``values`` and apply them (and ``plain`` columns) if the caller saw this version."""
    if version is None:
        raise Conflict("these details exist already: pass their version to change them")
    rows.check_version(row, version)
    sealed = await ctx.sealed.seal(values, row_id=row.id, person_id=row.employee_id)
    return await rows.update(ctx, row, version, {**(plain or {}), **sealed})


async def remove_person_row(
    ctx: RequestContext,
    model: type[Row],
    raw_id: str,
    version: int,
    action: Action,
    group: FieldGroup,
) -> Row:
    """Delete a row about one person, if the caller may and saw its current version."""
    row, _ = await rows.person_row_for_change(ctx, model, raw_id, action, group)
    await rows.delete(ctx, row, version)
    return row

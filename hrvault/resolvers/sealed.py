"""A request's sealed values: opened lazily, one field at a time, sealed in canonical form.

The object types of sensitive details hold rows of sealed bytes. A value is opened only
when its field is selected, and only ever below a field guard that already allowed its
group for that person (``Employee.personal`` and the like), so a denied value is never
decrypted. The guarded fields load their rows through ``rows`` (``SealedRows``), which
unwraps the people's keys with them, one statement per list; other rows about a person
(an absence's reason) await ``keys_of(employee_id)``, batched the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Protocol

from hrvault.crypto.blind_index import BlindIndex
from hrvault.crypto.cipher import TenantCipher
from hrvault.crypto.columns import SealedColumn
from hrvault.crypto.errors import DataIntegrityError, KeyDestroyedError
from hrvault.errors import DataIntegrity
from hrvault.resolvers.batches import Loader
from hrvault.resolvers.reader import Reader
from hrvault.resolvers.sealed_rows import SealedRows

SealedValue = str | date | Decimal | None
"""What a sealed column holds, before it is turned into text to seal."""


def as_text(value: SealedValue) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class PersonRow(Protocol):
    """A row about one person: every table with sealed values is keyed by id and names its
    person, and both are bound into each value's associated data."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def employee_id(self) -> uuid.UUID: ...


class SealedValues:
    """Opening and sealing for one request, under its transaction and tenant."""

    def __init__(self, cipher: TenantCipher, reader: Reader) -> None:
        self._cipher = cipher
        self._reader = reader
        self._keys = Loader[uuid.UUID, None](self._load_keys)
        self.rows = SealedRows(reader, cipher)

    async def _load_keys(self, employee_ids: Sequence[uuid.UUID]) -> list[None]:
        async with self._reader.exclusive():  # one statement at a time on the connection
            await self._cipher.load_people(employee_ids)
        return [None] * len(employee_ids)

    async def keys_of(self, employee_id: uuid.UUID) -> None:
        """Make this person's values openable (batched with every other person asked)."""
        await self._keys.load(employee_id)

    def open(self, column: SealedColumn, row: PersonRow) -> str | None:
        """The value of ``column`` in ``row`` (a row about one person), or None if unset.

        A value that does not open is withheld with ``DATA_INTEGRITY``: the field is null
        and the failure is a security event (logged by the crypto core), never garbage.
        """
        sealed: bytes | None = getattr(row, column.column)
        if sealed is None:
            return None
        try:
            return self._cipher.open_field(column, sealed, row_id=row.id, person_id=row.employee_id)
        except DataIntegrityError:
            raise DataIntegrity("this value failed its integrity check and is withheld") from None
        except KeyDestroyedError:
            raise DataIntegrity("this value was erased: its key no longer exists") from None

    def open_date(self, column: SealedColumn, row: PersonRow) -> date | None:
        value = self.open(column, row)
        return None if value is None else date.fromisoformat(value)

    def open_decimal(self, column: SealedColumn, row: PersonRow) -> Decimal | None:
        value = self.open(column, row)
        return None if value is None else Decimal(value)

    async def blind_index(self, index: BlindIndex, value: str) -> bytes:
        return await self._cipher.blind_index(index, value)

    async def seal(
        self,
        values: Mapping[SealedColumn, SealedValue],
        *,
        row_id: uuid.UUID,
        person_id: uuid.UUID,
    ) -> dict[str, bytes | None]:
        return await seal_values(self._cipher, values, row_id=row_id, person_id=person_id)


async def seal_values(
    cipher: TenantCipher,
    values: Mapping[SealedColumn, SealedValue],
    *,
    row_id: uuid.UUID,
    person_id: uuid.UUID,
) -> dict[str, bytes | None]:
    """Each value sealed for its column of this row, by column name (None stays None)."""
    sealed: dict[str, bytes | None] = {}
    for column, value in values.items():
        text = as_text(value)
        sealed[column.column] = (
            None
            if text is None
            else await cipher.seal_field(column, text, row_id=row_id, person_id=person_id)
        )
    return sealed

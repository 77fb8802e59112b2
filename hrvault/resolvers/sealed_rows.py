"""Per-request DataLoaders of rows with sealed values, their people's keys loaded with them.

A batch reads the rows of every person asked for in one statement, then unwraps those
people's keys in one more, so each field below can open its value synchronously. The
field guard on ``Employee`` runs first: a person whose group the viewer may not see is
never asked for, so neither their rows nor their key are loaded.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import BindParameter, Select, bindparam, select

from hrvault.crypto.cipher import TenantCipher
from hrvault.models import (
    AdditionalCompensation,
    BankAccount,
    Compensation,
    EmergencyContact,
    IdentityDetails,
    PersonalDetails,
)
from hrvault.resolvers.batches import Loader
from hrvault.resolvers.reader import Reader

One = TypeVar("One", PersonalDetails, IdentityDetails)
Many = TypeVar("Many", BankAccount, EmergencyContact, Compensation, AdditionalCompensation)

_TENANT: BindParameter[uuid.UUID] = bindparam("tenant_id")
_PEOPLE: BindParameter[list[uuid.UUID]] = bindparam("people", expanding=True)


def _of_people(model: type[One] | type[Many], *order: Any) -> Select[Any]:
    return (
        select(model)
        .where(model.tenant_id == _TENANT, model.employee_id.in_(_PEOPLE))
        .order_by(*order, model.id)
    )


_PERSONAL = _of_people(PersonalDetails)
_IDENTITY = _of_people(IdentityDetails)
_BANK_ACCOUNTS = _of_people(BankAccount, BankAccount.is_primary.desc(), BankAccount.created_at)
_EMERGENCY_CONTACTS = _of_people(EmergencyContact, EmergencyContact.position)
_COMPENSATIONS = _of_people(Compensation, Compensation.effective_from.desc())
_ADDITIONAL = _of_people(AdditionalCompensation, AdditionalCompensation.created_at.desc())


class SealedRows:
    def __init__(self, reader: Reader, cipher: TenantCipher) -> None:
        self._reader = reader
        self._cipher = cipher
        self.personal = Loader[uuid.UUID, PersonalDetails | None](self._one(_PERSONAL))
        self.identity = Loader[uuid.UUID, IdentityDetails | None](self._one(_IDENTITY))
        self.bank_accounts = Loader[uuid.UUID, list[BankAccount]](self._many(_BANK_ACCOUNTS))
        """The primary account first."""
        self.emergency_contacts = Loader[uuid.UUID, list[EmergencyContact]](
            self._many(_EMERGENCY_CONTACTS)
        )
        """In the order to call them."""
        self.compensations = Loader[uuid.UUID, list[Compensation]](self._many(_COMPENSATIONS))
        """Newest first, scheduled changes included."""
        self.additional_compensations = Loader[uuid.UUID, list[AdditionalCompensation]](
            self._many(_ADDITIONAL)
        )
        """Newest first."""

    async def _rows_and_keys(self, statement: Select[Any], people: list[uuid.UUID]) -> list[Any]:
        rows = list(
            await self._reader.all(
                statement, {"tenant_id": self._cipher.tenant_id, "people": people}
            )
        )
        if rows:
            async with self._reader.exclusive():
                await self._cipher.load_people({row.employee_id for row in rows})
        return rows

    def _one(self, statement: Select[Any]) -> Any:
        async def load(people: list[uuid.UUID]) -> Sequence[Any]:
            found = {row.employee_id: row for row in await self._rows_and_keys(statement, people)}
            return [found.get(person) for person in people]

        return load

    def _many(self, statement: Select[Any]) -> Any:
        async def load(people: list[uuid.UUID]) -> Sequence[list[Any]]:
            grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
            for row in await self._rows_and_keys(statement, people):
                grouped[row.employee_id].append(row)
            return [grouped[person] for person in people]

        return load

"""Personal, identity, bank and emergency details: every value opened only when selected.

These objects are reached only through ``Employee`` fields guarded by their group, so a
field resolver here runs only for a person whose group the viewer may see; each one
opens exactly its own sealed value (``info.context.sealed``).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Self

import strawberry

from hrvault.crypto import columns as c
from hrvault.models import BankAccount as BankAccountRow
from hrvault.models import EmergencyContact as EmergencyContactRow
from hrvault.models import IdentityDetails as IdentityRow
from hrvault.models import PersonalDetails as PersonalRow
from hrvault.models.enums import Gender
from hrvault.schema.types.base import (
    BANK,
    EMERGENCY,
    IDENTITY,
    PERSONAL,
    GenderEnum,
    Info,
    resolver,
)


@strawberry.type(description="A postal address.")
class HomeAddress:
    street: str = strawberry.field(metadata=PERSONAL)
    postal_code: str = strawberry.field(metadata=PERSONAL)
    city: str = strawberry.field(metadata=PERSONAL)
    region: str | None = strawberry.field(metadata=PERSONAL)
    country: str = strawberry.field(metadata=PERSONAL, description="ISO 3166-1 alpha-2.")

    @classmethod
    def from_json(cls, value: str) -> Self:
        parts = json.loads(value)
        return cls(
            street=parts["street"],
            postal_code=parts["postal_code"],
            city=parts["city"],
            region=parts.get("region"),
            country=parts["country"],
        )


@strawberry.type(description="Private details of a person (field group personal).")
class PersonalDetails:
    row: strawberry.Private[PersonalRow]
    version: int = strawberry.field(metadata=PERSONAL, description="Pass back when updating.")

    @classmethod
    def from_row(cls, row: PersonalRow) -> Self:
        return cls(row=row, version=row.version)

    @resolver(PERSONAL)
    def birth_date(self, info: Info) -> date | None:
        return info.context.sealed.open_date(c.BIRTH_DATE, self.row)

    @resolver(PERSONAL)
    def gender(self, info: Info) -> GenderEnum | None:  # type: ignore[valid-type]
        value = info.context.sealed.open(c.GENDER, self.row)
        return None if value is None else Gender(value)

    @resolver(PERSONAL, description="ISO 3166-1 alpha-2 country of citizenship.")
    def nationality(self, info: Info) -> str | None:
        return info.context.sealed.open(c.NATIONALITY, self.row)

    @resolver(PERSONAL)
    def private_email(self, info: Info) -> str | None:
        return info.context.sealed.open(c.PRIVATE_EMAIL, self.row)

    @resolver(PERSONAL)
    def private_phone(self, info: Info) -> str | None:
        return info.context.sealed.open(c.PRIVATE_PHONE, self.row)

    @resolver(PERSONAL)
    def home_address(self, info: Info) -> HomeAddress | None:
        value = info.context.sealed.open(c.HOME_ADDRESS, self.row)
        return None if value is None else HomeAddress.from_json(value)


@strawberry.type(description="Identity documents of a person (field group identity).")
class IdentityDetails:
    row: strawberry.Private[IdentityRow]
    version: int = strawberry.field(metadata=IDENTITY, description="Pass back when updating.")

    @classmethod
    def from_row(cls, row: IdentityRow) -> Self:
        return cls(row=row, version=row.version)

    @resolver(IDENTITY, description="In its canonical form (Swedish ids with 12 digits).")
    def national_id(self, info: Info) -> str | None:
        return info.context.sealed.open(c.NATIONAL_ID, self.row)

    @resolver(IDENTITY, description="The country that issued the national id.")
    def national_id_country(self, info: Info) -> str | None:
        return info.context.sealed.open(c.NATIONAL_ID_COUNTRY, self.row)

    @resolver(IDENTITY)
    def passport_number(self, info: Info) -> str | None:
        return info.context.sealed.open(c.PASSPORT_NUMBER, self.row)

    @resolver(IDENTITY)
    def passport_expiry(self, info: Info) -> date | None:
        return info.context.sealed.open_date(c.PASSPORT_EXPIRY, self.row)


@strawberry.type(description="A bank account salary is paid into (field group bank).")
class BankAccount:
    row: strawberry.Private[BankAccountRow]
    id: strawberry.ID = strawberry.field(metadata=BANK)
    is_primary: bool = strawberry.field(metadata=BANK, description="Salary goes here.")
    version: int = strawberry.field(metadata=BANK, description="Pass back when updating.")

    @classmethod
    def from_row(cls, row: BankAccountRow) -> Self:
        return cls(
            row=row, id=strawberry.ID(str(row.id)), is_primary=row.is_primary, version=row.version
        )

    @resolver(BANK, description="Without spaces, upper case.")
    def iban(self, info: Info) -> str | None:
        return info.context.sealed.open(c.IBAN, self.row)

    @resolver(BANK)
    def bic(self, info: Info) -> str | None:
        return info.context.sealed.open(c.BIC, self.row)

    @resolver(BANK)
    def bank_name(self, info: Info) -> str | None:
        return info.context.sealed.open(c.BANK_NAME, self.row)

    @resolver(BANK, description="The account holder's name.")
    def holder(self, info: Info) -> str | None:
        return info.context.sealed.open(c.ACCOUNT_HOLDER, self.row)


@strawberry.type(description="Whom to call in an emergency (field group emergency).")
class EmergencyContact:
    row: strawberry.Private[EmergencyContactRow]
    id: strawberry.ID = strawberry.field(metadata=EMERGENCY)
    position: int = strawberry.field(metadata=EMERGENCY, description="1 is called first.")
    version: int = strawberry.field(metadata=EMERGENCY, description="Pass back when updating.")

    @classmethod
    def from_row(cls, row: EmergencyContactRow) -> Self:
        return cls(
            row=row, id=strawberry.ID(str(row.id)), position=row.position, version=row.version
        )

    @resolver(EMERGENCY)
    def name(self, info: Info) -> str | None:
        return info.context.sealed.open(c.CONTACT_NAME, self.row)

    @resolver(EMERGENCY, description="Partner, parent, friend, ...")
    def relation(self, info: Info) -> str | None:
        return info.context.sealed.open(c.CONTACT_RELATION, self.row)

    @resolver(EMERGENCY)
    def phone(self, info: Info) -> str | None:
        return info.context.sealed.open(c.CONTACT_PHONE, self.row)

    @resolver(EMERGENCY)
    def email(self, info: Info) -> str | None:
        return info.context.sealed.open(c.CONTACT_EMAIL, self.row)

"""Inputs of sensitive details. A field left out stays as it is; null clears it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from hrvault.schema.types.base import (
    ExtraPayKindEnum,
    GenderEnum,
    PayFrequencyEnum,
    PayPeriodEnum,
)


@strawberry.input
class HomeAddressInput:
    street: str
    postal_code: str
    city: str
    country: str = strawberry.field(description="ISO 3166-1 alpha-2.")
    region: str | None = None


@strawberry.input
class PersonalDetailsInput:
    version: int | None = strawberry.field(
        default=None, description="The details' version; omit only when none exist yet."
    )
    birth_date: date | None = strawberry.UNSET
    gender: GenderEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    nationality: str | None = strawberry.UNSET
    private_email: str | None = strawberry.UNSET
    private_phone: str | None = strawberry.UNSET
    home_address: HomeAddressInput | None = strawberry.UNSET


@strawberry.input
class IdentityDetailsInput:
    version: int | None = strawberry.field(
        default=None, description="The details' version; omit only when none exist yet."
    )
    national_id: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Checked for SE, DE, NO, DK and FI; give nationalIdCountry with it.",
    )
    national_id_country: str | None = strawberry.UNSET
    passport_number: str | None = strawberry.UNSET
    passport_expiry: date | None = strawberry.UNSET


@strawberry.input
class NationalIdFilter:
    country: str
    number: str


@strawberry.input
class AddBankAccountInput:
    employee: strawberry.ID
    iban: str
    holder: str
    bic: str | None = strawberry.UNSET
    bank_name: str | None = strawberry.UNSET
    is_primary: bool = strawberry.field(
        default=False, description="A person's first account is primary anyway."
    )


@strawberry.input
class UpdateBankAccountInput:
    version: int
    iban: str | None = strawberry.UNSET
    holder: str | None = strawberry.UNSET
    bic: str | None = strawberry.UNSET
    bank_name: str | None = strawberry.UNSET
    is_primary: bool | None = strawberry.UNSET


@strawberry.input
class AddEmergencyContactInput:
    employee: strawberry.ID
    name: str
    relation: str
    phone: str
    email: str | None = strawberry.UNSET
    position: int | None = strawberry.field(default=None, description="Default: last.")


@strawberry.input
class UpdateEmergencyContactInput:
    version: int
    name: str | None = strawberry.UNSET
    relation: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    position: int | None = strawberry.UNSET


@strawberry.input
class AddCompensationInput:
    employee: strawberry.ID
    effective_from: date
    amount: Decimal
    currency: str
    period: PayPeriodEnum  # type: ignore[valid-type]
    pay_frequency: PayFrequencyEnum  # type: ignore[valid-type]
    reason: str | None = strawberry.UNSET


@strawberry.input
class UpdateCompensationInput:
    version: int
    effective_from: date | None = strawberry.UNSET
    amount: Decimal | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    period: PayPeriodEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    pay_frequency: PayFrequencyEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    reason: str | None = strawberry.UNSET


@strawberry.input
class AddAdditionalCompensationInput:
    employee: strawberry.ID
    kind: ExtraPayKindEnum  # type: ignore[valid-type]
    amount: Decimal
    currency: str
    start_date: date
    end_date: date | None = strawberry.UNSET
    description: str | None = strawberry.UNSET


@strawberry.input
class UpdateAdditionalCompensationInput:
    version: int
    kind: ExtraPayKindEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    amount: Decimal | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    start_date: date | None = strawberry.UNSET
    end_date: date | None = strawberry.UNSET
    description: str | None = strawberry.UNSET

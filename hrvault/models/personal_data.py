"""A person's sensitive details: personal, identity, bank, emergency contacts and pay.

Every value lives only sealed (``*_sealed``, AES-256-GCM under the person's own key,
bound to tenant, table, column and row; see ``hrvault.crypto.columns``). What stays in
clear is what the database needs to keep order and uniqueness: the person, effective
dates of pay changes, a primary flag, a position in a list, and the blind-index digests
(``*_index``) that enforce "unique per tenant" without the values. Models name those
columns in ``__plain_columns__`` so the audit log may record them in clear; any other
column of a sensitive group is refused there (``hrvault.audit.collector``).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ForeignKeyConstraint, Index, LargeBinary, SmallInteger, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hrvault.models.base import Base, TenantOwned, Tracked
from hrvault.vocabulary import FieldGroup

Sealed = Mapped[bytes | None]
"""A sealed value; NULL when the value was never given."""


def _sealed() -> Sealed:
    return mapped_column(LargeBinary, nullable=True)


def _person_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "employee_id"], ["employees.tenant_id", "employees.id"], ondelete="CASCADE"
    )


class PersonalDetails(TenantOwned, Tracked, Base):
    """One row per person, created on the first write of any of its values."""

    __field_group__ = FieldGroup.PERSONAL
    __plain_columns__ = frozenset({"employee_id"})
    __tablename__ = "employee_personal"
    __table_args__ = (_person_fk(), UniqueConstraint("tenant_id", "employee_id"))

    employee_id: Mapped[uuid.UUID]
    birth_date_sealed: Sealed = _sealed()
    gender_sealed: Sealed = _sealed()
    nationality_sealed: Sealed = _sealed()
    private_email_sealed: Sealed = _sealed()
    private_phone_sealed: Sealed = _sealed()
    home_address_sealed: Sealed = _sealed()
    """The address as JSON (street, postal code, city, region, country): one value."""


class IdentityDetails(TenantOwned, Tracked, Base):
    __field_group__ = FieldGroup.IDENTITY
    __plain_columns__ = frozenset({"employee_id"})
    __tablename__ = "employee_identity"
    __table_args__ = (
        _person_fk(),
        UniqueConstraint("tenant_id", "employee_id"),
        UniqueConstraint("tenant_id", "national_id_index"),
    )

    employee_id: Mapped[uuid.UUID]
    national_id_sealed: Sealed = _sealed()
    national_id_country_sealed: Sealed = _sealed()
    national_id_index: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    """Blind index of country and canonical number: one person per national id."""
    passport_number_sealed: Sealed = _sealed()
    passport_expiry_sealed: Sealed = _sealed()


class BankAccount(TenantOwned, Tracked, Base):
    __field_group__ = FieldGroup.BANK
    __plain_columns__ = frozenset({"employee_id", "is_primary"})
    __tablename__ = "bank_accounts"
    __table_args__ = (
        _person_fk(),
        UniqueConstraint("tenant_id", "iban_index"),
        Index(
            "uq_bank_accounts_one_primary",
            "tenant_id",
            "employee_id",
            unique=True,
            postgresql_where="is_primary",
        ),
    )

    employee_id: Mapped[uuid.UUID]
    is_primary: Mapped[bool]
    iban_sealed: Sealed = _sealed()
    iban_index: Mapped[bytes] = mapped_column(LargeBinary(32))
    bic_sealed: Sealed = _sealed()
    bank_name_sealed: Sealed = _sealed()
    holder_sealed: Sealed = _sealed()


class EmergencyContact(TenantOwned, Tracked, Base):
    __field_group__ = FieldGroup.EMERGENCY
    __plain_columns__ = frozenset({"employee_id", "position"})
    __tablename__ = "emergency_contacts"
    __table_args__ = (
        _person_fk(),
        Index("ix_emergency_contacts_employee", "tenant_id", "employee_id"),
    )

    employee_id: Mapped[uuid.UUID]
    position: Mapped[int] = mapped_column(SmallInteger)
    """Who to call first: 1, then 2, ..."""
    name_sealed: Sealed = _sealed()
    relation_sealed: Sealed = _sealed()
    phone_sealed: Sealed = _sealed()
    email_sealed: Sealed = _sealed()


class Compensation(TenantOwned, Tracked, Base):
    """Base pay from ``effective_from`` on (effective-dated like jobs; the date stays in clear
    so history orders and "current" is found in SQL; amount and terms are sealed)."""

    __field_group__ = FieldGroup.SALARY
    __plain_columns__ = frozenset({"employee_id", "effective_from"})
    __tablename__ = "compensations"
    __table_args__ = (_person_fk(), UniqueConstraint("tenant_id", "employee_id", "effective_from"))

    employee_id: Mapped[uuid.UUID]
    effective_from: Mapped[date]
    amount_sealed: Sealed = _sealed()
    currency_sealed: Sealed = _sealed()
    period_sealed: Sealed = _sealed()
    pay_frequency_sealed: Sealed = _sealed()
    reason_sealed: Sealed = _sealed()


class AdditionalCompensation(TenantOwned, Tracked, Base):
    """A bonus, allowance or commission; all of it sealed, dates included."""

    __field_group__ = FieldGroup.SALARY
    __plain_columns__ = frozenset({"employee_id"})
    __tablename__ = "additional_compensations"
    __table_args__ = (
        _person_fk(),
        Index("ix_additional_compensations_employee", "tenant_id", "employee_id"),
    )

    employee_id: Mapped[uuid.UUID]
    kind_sealed: Sealed = _sealed()
    amount_sealed: Sealed = _sealed()
    currency_sealed: Sealed = _sealed()
    start_date_sealed: Sealed = _sealed()
    end_date_sealed: Sealed = _sealed()
    description_sealed: Sealed = _sealed()

"""Changing a person's personal, identity, bank and emergency details.

These are parts of a person's profile, so every change to them (a new bank account or
emergency contact included) is an ``edit`` of that field group for that person; the
employee role may edit its own personal, bank and emergency details. Bank and identity
changes also need a recent TOTP step-up (declared on their mutations).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import func, select

from hrvault.crypto import columns as c
from hrvault.errors import Conflict, bad_input
from hrvault.models import (
    BankAccount,
    EmergencyContact,
    Employee,
    IdentityDetails,
    PersonalDetails,
)
from hrvault.models.enums import Gender
from hrvault.resolvers import identifiers, rows, validation
from hrvault.resolvers.context import RequestContext
from hrvault.resolvers.sensitive_writes import (
    FieldSpec,
    create_sealed,
    remove_person_row,
    sealed_values,
    update_sealed,
)
from hrvault.vocabulary import Action, FieldGroup

NOT_SENT: Any = object()
"""An input field the client left out (null means: clear it)."""
MAX_EMERGENCY_CONTACTS = 10
MAX_BANK_ACCOUNTS = 5

OneRow = TypeVar("OneRow", PersonalDetails, IdentityDetails)


def _text(field: str, max_length: int) -> Any:
    return lambda v: validation.text(v, field, max_length=max_length)


def _address(value: Mapping[str, Any]) -> str:
    """The address as one sealed JSON value, each part checked."""
    parts = {
        "street": validation.text(value["street"], "homeAddress.street", max_length=200),
        "postal_code": validation.text(
            value["postal_code"], "homeAddress.postalCode", max_length=20
        ),
        "city": validation.text(value["city"], "homeAddress.city", max_length=100),
        "region": validation.optional_text(
            value.get("region"), "homeAddress.region", max_length=100
        ),
        "country": identifiers.country(value["country"], "homeAddress.country"),
    }
    return json.dumps(parts, sort_keys=True)


def _personal_specs(today: date) -> dict[str, FieldSpec]:
    return {
        "birth_date": FieldSpec(
            c.BIRTH_DATE, lambda v: identifiers.birth_date(v, today, "birthDate")
        ),
        "gender": FieldSpec(c.GENDER, lambda v: Gender(v).value),
        "nationality": FieldSpec(c.NATIONALITY, lambda v: identifiers.country(v, "nationality")),
        "private_email": FieldSpec(c.PRIVATE_EMAIL, lambda v: identifiers.email(v, "privateEmail")),
        "private_phone": FieldSpec(c.PRIVATE_PHONE, lambda v: identifiers.phone(v, "privatePhone")),
        "home_address": FieldSpec(c.HOME_ADDRESS, _address),
    }


async def _one_row(ctx: RequestContext, model: type[OneRow], employee: Employee) -> OneRow | None:
    row: OneRow | None = await ctx.db.scalar(
        select(model).where(model.tenant_id == ctx.tenant_id, model.employee_id == employee.id)
    )
    return row


async def set_personal_details(
    ctx: RequestContext, raw_employee_id: str, version: int | None, sent: dict[str, Any]
) -> PersonalDetails:
    employee = await rows.person_for_change(
        ctx, raw_employee_id, "employeeId", Action.EDIT, FieldGroup.PERSONAL
    )
    row = await _one_row(ctx, PersonalDetails, employee)
    values = sealed_values(_personal_specs(ctx.today()), sent, creating=row is None)
    if row is None:
        return await create_sealed(
            ctx, PersonalDetails(id=uuid.uuid4(), employee_id=employee.id), values
        )
    return await update_sealed(ctx, row, version, values)


def _passport_expiry(value: date) -> date:
    if value.year < 1990 or value.year > 2100:
        raise bad_input("passportExpiry", "must be a date between 1990 and 2100")
    return value


_IDENTITY_SPECS = {
    "passport_number": FieldSpec(
        c.PASSPORT_NUMBER, lambda v: identifiers.passport_number(v, "passportNumber")
    ),
    "passport_expiry": FieldSpec(c.PASSPORT_EXPIRY, _passport_expiry),
}


async def set_identity_details(
    ctx: RequestContext, raw_employee_id: str, version: int | None, sent: dict[str, Any]
) -> IdentityDetails:
    """National id and country change together: the blind index covers both."""
    employee = await rows.person_for_change(
        ctx, raw_employee_id, "employeeId", Action.EDIT, FieldGroup.IDENTITY
    )
    row = await _one_row(ctx, IdentityDetails, employee)
    sent = dict(sent)
    number, country = sent.pop("national_id", NOT_SENT), sent.pop("national_id_country", NOT_SENT)
    values = sealed_values(_IDENTITY_SPECS, sent, creating=row is None)
    plain: dict[str, Any] = {}
    if (number is NOT_SENT) != (country is NOT_SENT) or (number is None) != (country is None):
        raise bad_input("nationalId", "give nationalId and nationalIdCountry together")
    if number is None:
        values.update({c.NATIONAL_ID: None, c.NATIONAL_ID_COUNTRY: None})
        plain["national_id_index"] = None
    elif number is not NOT_SENT:
        national_id = identifiers.national_id(country, number, "nationalId")
        digest = await ctx.sealed.blind_index(c.NATIONAL_ID_INDEX, national_id.index_value)
        holder = await _holder_of(ctx, IdentityDetails.national_id_index, digest)
        if holder not in (None, employee.id):
            raise bad_input("nationalId", "is already recorded for another employee")
        values.update(
            {c.NATIONAL_ID: national_id.number, c.NATIONAL_ID_COUNTRY: national_id.country}
        )
        plain["national_id_index"] = digest
    if row is None:
        created = IdentityDetails(id=uuid.uuid4(), employee_id=employee.id, **plain)
        return await create_sealed(ctx, created, values)
    return await update_sealed(ctx, row, version, values, plain)


async def _holder_of(ctx: RequestContext, index: Any, digest: bytes) -> uuid.UUID | None:
    """Who holds this blind-index digest (national id or IBAN) in the tenant, if anyone:
    uniqueness is answered before the constraint would, with a clear message."""
    holder: uuid.UUID | None = await ctx.db.scalar(
        select(index.class_.employee_id).where(
            index.class_.tenant_id == ctx.tenant_id, index == digest
        )
    )
    return holder


def _check_iban_free(holder: uuid.UUID | None, employee: Employee) -> None:
    if holder == employee.id:
        raise bad_input("iban", "is already one of this employee's accounts")
    if holder is not None:
        raise bad_input("iban", "is already recorded for another employee")


_BANK_SPECS = {
    "bic": FieldSpec(c.BIC, lambda v: identifiers.bic(v, "bic")),
    "bank_name": FieldSpec(c.BANK_NAME, _text("bankName", 200)),
    "holder": FieldSpec(c.ACCOUNT_HOLDER, _text("holder", 200), required=True),
}


async def _clear_primary(ctx: RequestContext, employee_id: uuid.UUID) -> None:
    """The person's current primary account stops being primary (one at most)."""
    for account in await ctx.db.scalars(
        select(BankAccount).where(
            BankAccount.tenant_id == ctx.tenant_id,
            BankAccount.employee_id == employee_id,
            BankAccount.is_primary,
        )
    ):
        await rows.update(ctx, account, account.version, {"is_primary": False})


async def add_bank_account(
    ctx: RequestContext, raw_employee_id: str, sent: dict[str, Any]
) -> BankAccount:
    employee = await rows.person_for_change(
        ctx, raw_employee_id, "employeeId", Action.EDIT, FieldGroup.BANK
    )
    iban = identifiers.iban(sent.pop("iban"), "iban")
    wants_primary = bool(sent.pop("is_primary", False))
    values = sealed_values(_BANK_SPECS, sent, creating=True)
    count = await ctx.db.scalar(
        select(func.count()).where(
            BankAccount.tenant_id == ctx.tenant_id, BankAccount.employee_id == employee.id
        )
    )
    if count and count >= MAX_BANK_ACCOUNTS:
        raise bad_input("employeeId", f"a person may have at most {MAX_BANK_ACCOUNTS} accounts")
    digest = await ctx.sealed.blind_index(c.IBAN_INDEX, iban)
    _check_iban_free(await _holder_of(ctx, BankAccount.iban_index, digest), employee)
    is_primary = wants_primary or not count
    if is_primary and count:
        await _clear_primary(ctx, employee.id)
    account = BankAccount(
        id=uuid.uuid4(), employee_id=employee.id, is_primary=is_primary, iban_index=digest
    )
    return await create_sealed(ctx, account, {c.IBAN: iban, **values})


async def update_bank_account(
    ctx: RequestContext, raw_id: str, version: int, sent: dict[str, Any]
) -> BankAccount:
    account, employee = await rows.person_row_for_change(
        ctx, BankAccount, raw_id, Action.EDIT, FieldGroup.BANK
    )
    rows.check_version(account, version)
    plain: dict[str, Any] = {}
    if sent.get("is_primary") is not None:
        if sent["is_primary"] and not account.is_primary:
            await _clear_primary(ctx, employee.id)
        if not sent["is_primary"] and account.is_primary:
            raise bad_input("isPrimary", "make another account primary instead")
        plain["is_primary"] = sent["is_primary"]
    values = sealed_values(_BANK_SPECS, sent, creating=False, plain=("iban", "is_primary"))
    if sent.get("iban") is not None:
        iban = identifiers.iban(sent["iban"], "iban")
        digest = await ctx.sealed.blind_index(c.IBAN_INDEX, iban)
        if digest != account.iban_index:
            _check_iban_free(await _holder_of(ctx, BankAccount.iban_index, digest), employee)
        values[c.IBAN] = iban
        plain["iban_index"] = digest
    elif "iban" in sent:
        raise bad_input("iban", "cannot be null")
    return await update_sealed(ctx, account, version, values, plain)


async def remove_bank_account(ctx: RequestContext, raw_id: str, version: int) -> BankAccount:
    account, _ = await rows.person_row_for_change(
        ctx, BankAccount, raw_id, Action.EDIT, FieldGroup.BANK
    )
    if account.is_primary:
        others = await ctx.db.scalar(
            select(func.count()).where(
                BankAccount.tenant_id == ctx.tenant_id,
                BankAccount.employee_id == account.employee_id,
                BankAccount.id != account.id,
            )
        )
        if others:
            raise Conflict("make another account primary before removing this one")
    await rows.delete(ctx, account, version)
    return account


def _position(value: int) -> int:
    if not 1 <= value <= MAX_EMERGENCY_CONTACTS:
        raise bad_input("position", f"must be between 1 and {MAX_EMERGENCY_CONTACTS}")
    return value


_CONTACT_SPECS = {
    "name": FieldSpec(c.CONTACT_NAME, _text("name", 200), required=True),
    "relation": FieldSpec(c.CONTACT_RELATION, _text("relation", 100), required=True),
    "phone": FieldSpec(c.CONTACT_PHONE, lambda v: identifiers.phone(v, "phone"), required=True),
    "email": FieldSpec(c.CONTACT_EMAIL, lambda v: identifiers.email(v, "email")),
}


async def add_emergency_contact(
    ctx: RequestContext, raw_employee_id: str, sent: dict[str, Any]
) -> EmergencyContact:
    employee = await rows.person_for_change(
        ctx, raw_employee_id, "employeeId", Action.EDIT, FieldGroup.EMERGENCY
    )
    position = sent.pop("position", None)
    values = sealed_values(_CONTACT_SPECS, sent, creating=True)
    count = await ctx.db.scalar(
        select(func.count()).where(
            EmergencyContact.tenant_id == ctx.tenant_id,
            EmergencyContact.employee_id == employee.id,
        )
    )
    if count is not None and count >= MAX_EMERGENCY_CONTACTS:
        raise bad_input("employeeId", f"at most {MAX_EMERGENCY_CONTACTS} emergency contacts")
    contact = EmergencyContact(
        id=uuid.uuid4(),
        employee_id=employee.id,
        position=_position(position) if position is not None else (count or 0) + 1,
    )
    return await create_sealed(ctx, contact, values)


async def update_emergency_contact(
    ctx: RequestContext, raw_id: str, version: int, sent: dict[str, Any]
) -> EmergencyContact:
    contact, _ = await rows.person_row_for_change(
        ctx, EmergencyContact, raw_id, Action.EDIT, FieldGroup.EMERGENCY
    )
    plain = {}
    if sent.get("position") is not None:
        plain["position"] = _position(sent["position"])
    elif "position" in sent:
        raise bad_input("position", "cannot be null")
    values = sealed_values(_CONTACT_SPECS, sent, creating=False, plain=("position",))
    return await update_sealed(ctx, contact, version, values, plain)


async def remove_emergency_contact(
    ctx: RequestContext, raw_id: str, version: int
) -> EmergencyContact:
    return await remove_person_row(
        ctx, EmergencyContact, raw_id, version, Action.EDIT, FieldGroup.EMERGENCY
    )

"""Changes to sensitive details: personal, identity, bank, emergency contacts and pay.

A mutation answers with the changed details only if the caller may also see them (the
values are opened for the answer); a write-only caller gets null, marked restricted.
Bank and identity changes need a recent TOTP step-up (``SteppedUp``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import strawberry

from hrvault.permissions.access import PeopleData, SteppedUp
from hrvault.permissions.guard import may_see
from hrvault.resolvers import pay, personal_data
from hrvault.schema import fields
from hrvault.schema.inputs import provided
from hrvault.schema.sensitive_inputs import (
    AddAdditionalCompensationInput,
    AddBankAccountInput,
    AddCompensationInput,
    AddEmergencyContactInput,
    IdentityDetailsInput,
    PersonalDetailsInput,
    UpdateAdditionalCompensationInput,
    UpdateBankAccountInput,
    UpdateCompensationInput,
    UpdateEmergencyContactInput,
)
from hrvault.schema.types.base import Info
from hrvault.schema.types.pay import AdditionalCompensation, Compensation
from hrvault.schema.types.personal import (
    BankAccount,
    EmergencyContact,
    IdentityDetails,
    PersonalDetails,
)
from hrvault.vocabulary import FieldGroup

Shown = TypeVar("Shown")


class _PersonRow(Protocol):
    @property
    def employee_id(self) -> Any: ...


RowT = TypeVar("RowT", bound=_PersonRow)


async def _shown(
    info: Info, row: RowT, group: FieldGroup, make: Callable[[RowT], Shown]
) -> Shown | None:
    employee = await info.context.loaders.employee.load(row.employee_id)
    if employee is None or not may_see(info, employee, group):
        return None
    await info.context.sealed.keys_of(row.employee_id)  # a change of plain columns only
    return make(row)  # sealed nothing, so the person's key may not be loaded yet


@strawberry.type
class PersonalDataMutations:
    @fields.mutation(access=PeopleData, description="Set or change personal details.")
    async def update_personal_details(
        self, info: Info, employee_id: strawberry.ID, input: PersonalDetailsInput
    ) -> PersonalDetails | None:
        sent = provided(input)
        if sent.get("home_address") is not None:
            sent["home_address"] = dataclasses.asdict(sent["home_address"])
        row = await personal_data.set_personal_details(
            info.context, employee_id, input.version, sent
        )
        return await _shown(info, row, FieldGroup.PERSONAL, PersonalDetails.from_row)

    @fields.mutation(access=SteppedUp, description="Set or change identity details.")
    async def update_identity_details(
        self, info: Info, employee_id: strawberry.ID, input: IdentityDetailsInput
    ) -> IdentityDetails | None:
        row = await personal_data.set_identity_details(
            info.context, employee_id, input.version, provided(input)
        )
        return await _shown(info, row, FieldGroup.IDENTITY, IdentityDetails.from_row)

    @fields.mutation(access=SteppedUp)
    async def add_bank_account(self, info: Info, input: AddBankAccountInput) -> BankAccount | None:
        sent = provided(input)
        row = await personal_data.add_bank_account(info.context, sent.pop("employee"), sent)
        return await _shown(info, row, FieldGroup.BANK, BankAccount.from_row)

    @fields.mutation(access=SteppedUp)
    async def update_bank_account(
        self, info: Info, id: strawberry.ID, input: UpdateBankAccountInput
    ) -> BankAccount | None:
        row = await personal_data.update_bank_account(
            info.context, id, input.version, provided(input)
        )
        return await _shown(info, row, FieldGroup.BANK, BankAccount.from_row)

    @fields.mutation(access=SteppedUp, description="Answers the removed account's id.")
    async def remove_bank_account(
        self, info: Info, id: strawberry.ID, version: int
    ) -> strawberry.ID:
        row = await personal_data.remove_bank_account(info.context, id, version)
        return strawberry.ID(str(row.id))

    @fields.mutation(access=PeopleData)
    async def add_emergency_contact(
        self, info: Info, input: AddEmergencyContactInput
    ) -> EmergencyContact | None:
        sent = provided(input)
        row = await personal_data.add_emergency_contact(info.context, sent.pop("employee"), sent)
        return await _shown(info, row, FieldGroup.EMERGENCY, EmergencyContact.from_row)

    @fields.mutation(access=PeopleData)
    async def update_emergency_contact(
        self, info: Info, id: strawberry.ID, input: UpdateEmergencyContactInput
    ) -> EmergencyContact | None:
        row = await personal_data.update_emergency_contact(
            info.context, id, input.version, provided(input)
        )
        return await _shown(info, row, FieldGroup.EMERGENCY, EmergencyContact.from_row)

    @fields.mutation(access=PeopleData, description="Answers the removed contact's id.")
    async def remove_emergency_contact(
        self, info: Info, id: strawberry.ID, version: int
    ) -> strawberry.ID:
        row = await personal_data.remove_emergency_contact(info.context, id, version)
        return strawberry.ID(str(row.id))

    @fields.mutation(access=PeopleData, description="Record base pay from a date on.")
    async def add_compensation(
        self, info: Info, input: AddCompensationInput
    ) -> Compensation | None:
        row = await pay.add_compensation(info.context, provided(input))
        return await _shown(info, row, FieldGroup.SALARY, Compensation.from_row)

    @fields.mutation(access=PeopleData)
    async def update_compensation(
        self, info: Info, id: strawberry.ID, input: UpdateCompensationInput
    ) -> Compensation | None:
        row = await pay.update_compensation(info.context, id, input.version, provided(input))
        return await _shown(info, row, FieldGroup.SALARY, Compensation.from_row)

    @fields.mutation(access=PeopleData, description="Answers the removed record's id.")
    async def remove_compensation(
        self, info: Info, id: strawberry.ID, version: int
    ) -> strawberry.ID:
        row = await pay.remove_compensation(info.context, id, version)
        return strawberry.ID(str(row.id))

    @fields.mutation(access=PeopleData, description="Record a bonus, allowance or commission.")
    async def add_additional_compensation(
        self, info: Info, input: AddAdditionalCompensationInput
    ) -> AdditionalCompensation | None:
        row = await pay.add_additional_compensation(info.context, provided(input))
        return await _shown(info, row, FieldGroup.SALARY, AdditionalCompensation.from_row)

    @fields.mutation(access=PeopleData)
    async def update_additional_compensation(
        self, info: Info, id: strawberry.ID, input: UpdateAdditionalCompensationInput
    ) -> AdditionalCompensation | None:
        row = await pay.update_additional_compensation(
            info.context, id, input.version, provided(input)
        )
        return await _shown(info, row, FieldGroup.SALARY, AdditionalCompensation.from_row)

    @fields.mutation(access=PeopleData, description="Answers the removed record's id.")
    async def remove_additional_compensation(
        self, info: Info, id: strawberry.ID, version: int
    ) -> strawberry.ID:
        row = await pay.remove_additional_compensation(info.context, id, version)
        return strawberry.ID(str(row.id))

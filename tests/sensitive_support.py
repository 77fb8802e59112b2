"""Sensitive details through the real API: documents, sample values and a writer.

The sample values are valid (checksums included) and distinctive, so tests can search
raw database bytes, logs and audit records for them.
"""

from __future__ import annotations

from typing import Any

from tests.support import Api

PERSONAL = {
    "birthDate": "1987-03-14",
    "gender": "FEMALE",
    "nationality": "SE",
    "privateEmail": "ingrid.private@example.org",
    "privatePhone": "+46 70 123 45 67",
    "homeAddress": {
        "street": "Storgatan 17",
        "postalCode": "114 51",
        "city": "Stockholm",
        "country": "SE",
    },
}
IDENTITY = {
    "nationalId": "880320-0016",
    "nationalIdCountry": "SE",
    "passportNumber": "XK4471902",
    "passportExpiry": "2031-08-01",
}
NATIONAL_ID_CANONICAL = "19880320-0016"
BANK = {"iban": "SE45 5000 0000 0583 9825 7466", "bic": "ESSESESS", "holder": "Ingrid Holm"}
IBAN_CANONICAL = "SE4550000000058398257466"
CONTACT = {"name": "Sven Holmqvist", "relation": "partner", "phone": "+46 70 765 43 21"}
PAY = {
    "effectiveFrom": "2024-01-01",
    "amount": "64350.00",
    "currency": "SEK",
    "period": "MONTH",
    "payFrequency": "MONTHLY",
    "reason": "annual review",
}
BONUS = {
    "kind": "BONUS",
    "amount": "12345.67",
    "currency": "SEK",
    "startDate": "2024-06-25",
    "description": "midsummer project bonus",
}
ABSENCE_REASON = "migraine follow-up at neurologist"

PLAINTEXTS = (
    "1987-03-14",
    "ingrid.private@example.org",
    "+46 70 123 45 67",
    "Storgatan 17",
    NATIONAL_ID_CANONICAL,
    "198803200016",
    "XK4471902",
    IBAN_CANONICAL,
    "Ingrid Holm",
    "Sven Holmqvist",
    "+46 70 765 43 21",
    "64350.00",
    "12345.67",
    "midsummer project bonus",
    ABSENCE_REASON,
)
"""Values that must never appear in clear in the database, a log line or an audit record."""

PERSONAL_FIELDS = (
    "version birthDate gender nationality privateEmail privatePhone"
    " homeAddress { street postalCode city region country }"
)
IDENTITY_FIELDS = "version nationalId nationalIdCountry passportNumber passportExpiry"
BANK_FIELDS = "id version isPrimary iban bic bankName holder"
CONTACT_FIELDS = "id version position name relation phone email"
PAY_FIELDS = "id version effectiveFrom amount currency period payFrequency reason"
BONUS_FIELDS = "id version kind amount currency startDate endDate description"

SET_PERSONAL = (
    "mutation($e: ID!, $i: PersonalDetailsInput!) {"
    f" updatePersonalDetails(employeeId: $e, input: $i) {{ {PERSONAL_FIELDS} }} }}"
)
SET_IDENTITY = (
    "mutation($e: ID!, $i: IdentityDetailsInput!) {"
    f" updateIdentityDetails(employeeId: $e, input: $i) {{ {IDENTITY_FIELDS} }} }}"
)
ADD_BANK = f"mutation($i: AddBankAccountInput!) {{ addBankAccount(input: $i) {{ {BANK_FIELDS} }} }}"
UPDATE_BANK = (
    "mutation($id: ID!, $i: UpdateBankAccountInput!) {"
    f" updateBankAccount(id: $id, input: $i) {{ {BANK_FIELDS} }} }}"
)
REMOVE_BANK = "mutation($id: ID!, $v: Int!) { removeBankAccount(id: $id, version: $v) }"
ADD_CONTACT = (
    "mutation($i: AddEmergencyContactInput!) {"
    f" addEmergencyContact(input: $i) {{ {CONTACT_FIELDS} }} }}"
)
UPDATE_CONTACT = (
    "mutation($id: ID!, $i: UpdateEmergencyContactInput!) {"
    f" updateEmergencyContact(id: $id, input: $i) {{ {CONTACT_FIELDS} }} }}"
)
REMOVE_CONTACT = "mutation($id: ID!, $v: Int!) { removeEmergencyContact(id: $id, version: $v) }"
ADD_PAY = f"mutation($i: AddCompensationInput!) {{ addCompensation(input: $i) {{ {PAY_FIELDS} }} }}"
UPDATE_PAY = (
    "mutation($id: ID!, $i: UpdateCompensationInput!) {"
    f" updateCompensation(id: $id, input: $i) {{ {PAY_FIELDS} }} }}"
)
REMOVE_PAY = "mutation($id: ID!, $v: Int!) { removeCompensation(id: $id, version: $v) }"
ADD_BONUS = (
    "mutation($i: AddAdditionalCompensationInput!) {"
    f" addAdditionalCompensation(input: $i) {{ {BONUS_FIELDS} }} }}"
)
UPDATE_BONUS = (
    "mutation($id: ID!, $i: UpdateAdditionalCompensationInput!) {"
    f" updateAdditionalCompensation(id: $id, input: $i) {{ {BONUS_FIELDS} }} }}"
)
REMOVE_BONUS = "mutation($id: ID!, $v: Int!) { removeAdditionalCompensation(id: $id, version: $v) }"
ALL_DETAILS = (
    f"personal {{ {PERSONAL_FIELDS} }} identity {{ {IDENTITY_FIELDS} }}"
    f" bankAccounts {{ {BANK_FIELDS} }} emergencyContacts {{ {CONTACT_FIELDS} }}"
    f" compensation {{ {PAY_FIELDS} }} compensationHistory {{ id }}"
    f" additionalCompensation {{ {BONUS_FIELDS} }}"
)
READ_DETAILS = f"query($id: ID!) {{ employee(id: $id) {{ id {ALL_DETAILS} }} }}"


class SensitiveWriter:
    """Writes every kind of sensitive detail for a person with one (stepped-up) token."""

    def __init__(self, api: Api, token: str) -> None:
        self.api, self.token = api, token

    async def _data(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        return await self.api.data(document, variables, token=self.token)

    async def personal(self, employee: str, **fields: Any) -> dict[str, Any]:
        found = await self._data(SET_PERSONAL, {"e": employee, "i": fields or PERSONAL})
        details: dict[str, Any] = found["updatePersonalDetails"]
        return details

    async def identity(self, employee: str, **fields: Any) -> dict[str, Any]:
        found = await self._data(SET_IDENTITY, {"e": employee, "i": fields or IDENTITY})
        details: dict[str, Any] = found["updateIdentityDetails"]
        return details

    async def bank(self, employee: str, **fields: Any) -> dict[str, Any]:
        found = await self._data(ADD_BANK, {"i": {"employee": employee, **(fields or BANK)}})
        account: dict[str, Any] = found["addBankAccount"]
        return account

    async def contact(self, employee: str, **fields: Any) -> dict[str, Any]:
        found = await self._data(ADD_CONTACT, {"i": {"employee": employee, **(fields or CONTACT)}})
        contact: dict[str, Any] = found["addEmergencyContact"]
        return contact

    async def pay(self, employee: str, **fields: Any) -> dict[str, Any]:
        found = await self._data(ADD_PAY, {"i": {"employee": employee, **(fields or PAY)}})
        record: dict[str, Any] = found["addCompensation"]
        return record

    async def bonus(self, employee: str, **fields: Any) -> dict[str, Any]:
        found = await self._data(ADD_BONUS, {"i": {"employee": employee, **(fields or BONUS)}})
        record: dict[str, Any] = found["addAdditionalCompensation"]
        return record

    async def everything(self, employee: str) -> None:
        await self.personal(employee)
        await self.identity(employee)
        await self.bank(employee)
        await self.contact(employee)
        await self.pay(employee)
        await self.bonus(employee)


def example_mutation(name: str, employee: str, made: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """One invocation of each sensitive mutation; ``made`` holds rows written beforehand."""
    bank, contact, pay, bonus = made["bank"], made["contact"], made["pay"], made["bonus"]
    return {
        "updatePersonalDetails": (SET_PERSONAL, {"e": employee, "i": PERSONAL}),
        "updateIdentityDetails": (SET_IDENTITY, {"e": employee, "i": IDENTITY}),
        "addBankAccount": (
            ADD_BANK,
            {"i": {"employee": employee, "iban": "DE89 3704 0044 0532 0130 00", "holder": "I H"}},
        ),
        "updateBankAccount": (
            UPDATE_BANK,
            {"id": bank["id"], "i": {"version": bank["version"], "bankName": "SEB"}},
        ),
        "removeBankAccount": (REMOVE_BANK, {"id": bank["id"], "v": bank["version"]}),
        "addEmergencyContact": (ADD_CONTACT, {"i": {"employee": employee, **CONTACT}}),
        "updateEmergencyContact": (
            UPDATE_CONTACT,
            {"id": contact["id"], "i": {"version": contact["version"], "relation": "spouse"}},
        ),
        "removeEmergencyContact": (REMOVE_CONTACT, {"id": contact["id"], "v": contact["version"]}),
        "addCompensation": (
            ADD_PAY,
            {"i": {"employee": employee, **PAY, "effectiveFrom": "2025-01-01"}},
        ),
        "updateCompensation": (
            UPDATE_PAY,
            {"id": pay["id"], "i": {"version": pay["version"], "amount": "70000"}},
        ),
        "removeCompensation": (REMOVE_PAY, {"id": pay["id"], "v": pay["version"]}),
        "addAdditionalCompensation": (ADD_BONUS, {"i": {"employee": employee, **BONUS}}),
        "updateAdditionalCompensation": (
            UPDATE_BONUS,
            {"id": bonus["id"], "i": {"version": bonus["version"], "amount": "1.50"}},
        ),
        "removeAdditionalCompensation": (REMOVE_BONUS, {"id": bonus["id"], "v": bonus["version"]}),
    }[name]


SENSITIVE_MUTATIONS = frozenset(
    {
        "updatePersonalDetails",
        "updateIdentityDetails",
        "addBankAccount",
        "updateBankAccount",
        "removeBankAccount",
        "addEmergencyContact",
        "updateEmergencyContact",
        "removeEmergencyContact",
        "addCompensation",
        "updateCompensation",
        "removeCompensation",
        "addAdditionalCompensation",
        "updateAdditionalCompensation",
        "removeAdditionalCompensation",
    }
)

"""Sensitive details through the API: round trips, who may see and change them, validation,
uniqueness by blind index, the national id filter and step-up for bank and identity."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.sensitive_support import (
    ADD_BANK,
    ADD_PAY,
    BANK,
    CONTACT,
    IBAN_CANONICAL,
    IDENTITY,
    NATIONAL_ID_CANONICAL,
    PAY,
    PERSONAL,
    READ_DETAILS,
    SET_IDENTITY,
    SET_PERSONAL,
    UPDATE_BANK,
    UPDATE_CONTACT,
    SensitiveWriter,
)
from tests.support import Api, TenantFactory, TenantHandle, build_org, error_codes

FILTER = (
    "query($n: NationalIdFilter!) { employees(first: 10, filter: {nationalId: $n})"
    " { nodes { id } } }"
)


async def owner_with_org(api: Api, tenants: TenantFactory) -> tuple[TenantHandle, dict[str, str]]:
    tenant = await tenants.create(employees=1)
    await tenants.step_up(tenant)
    return tenant, await build_org(api, tenant)


async def count_rows(owner_engine: AsyncEngine, table: str, tenant: TenantHandle) -> int:
    async with owner_engine.connect() as conn:
        found: int = (
            await conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t"), {"t": tenant.id}
            )
        ).scalar_one()
        return found


async def test_every_detail_reads_back_in_canonical_form(api: Api, tenants: TenantFactory) -> None:
    tenant, people = await owner_with_org(api, tenants)
    await SensitiveWriter(api, tenant.token).everything(people["direct"])

    person = (await api.data(READ_DETAILS, {"id": people["direct"]}, token=tenant.token))[
        "employee"
    ]

    assert person["personal"] == {
        "version": 1,
        **PERSONAL,
        "homeAddress": {**PERSONAL["homeAddress"], "region": None},
    }
    assert person["identity"] == {
        "version": 1,
        **IDENTITY,
        "nationalId": NATIONAL_ID_CANONICAL,
    }
    [account] = person["bankAccounts"]
    assert account["iban"] == IBAN_CANONICAL
    assert account["isPrimary"] is True
    assert account["holder"] == BANK["holder"]
    assert account["bic"] == BANK["bic"]
    [contact] = person["emergencyContacts"]
    assert (contact["name"], contact["position"]) == ("Sven Holmqvist", 1)
    assert person["compensation"]["amount"] == "64350.00"
    assert person["compensation"]["currency"] == "SEK"
    assert person["additionalCompensation"][0]["description"] == "midsummer project bonus"


async def test_partial_update_keeps_other_values_and_null_clears(
    api: Api, tenants: TenantFactory
) -> None:
    tenant, people = await owner_with_org(api, tenants)
    writer = SensitiveWriter(api, tenant.token)
    await writer.personal(people["direct"])

    changed = await writer.personal(people["direct"], version=1, privatePhone=None, gender="MALE")

    assert changed["version"] == 2
    assert changed["privatePhone"] is None
    assert changed["gender"] == "MALE"
    assert changed["birthDate"] == PERSONAL["birthDate"]
    stale = await api.gql(
        SET_PERSONAL,
        {"e": people["direct"], "i": {"version": 1, "gender": "FEMALE"}},
        token=tenant.token,
    )
    assert error_codes(stale) == ["CONFLICT"]


async def test_roles_see_only_their_groups(api: Api, tenants: TenantFactory) -> None:
    tenant, people = await owner_with_org(api, tenants)
    await SensitiveWriter(api, tenant.token).everything(people["direct"])
    manager = await tenants.add_user(tenant, people["self"], ("manager",))
    payroll = await tenants.add_user(tenant, None, ("payroll",))
    employee = await tenants.add_user(tenant, people["direct"], ("employee",))
    colleague = await tenants.add_user(tenant, people["department"], ("employee",))

    async def read(token: str) -> tuple[dict[str, Any], set[str]]:
        body = await api.gql(READ_DETAILS, {"id": people["direct"]}, token=token)
        assert "errors" not in body
        restricted = {path[-1] for path in body.get("extensions", {}).get("restricted", [])}
        return body["data"]["employee"], restricted

    as_manager, hidden = await read(manager.token)
    assert as_manager["personal"] is None
    assert as_manager["compensation"] is None
    assert {"personal", "identity", "bankAccounts", "compensation"} <= hidden
    as_payroll, hidden = await read(payroll.token)
    assert as_payroll["compensation"]["amount"] == "64350.00"
    assert as_payroll["bankAccounts"][0]["iban"] == IBAN_CANONICAL
    assert as_payroll["personal"] is None
    assert "personal" in hidden
    as_self, hidden = await read(employee.token)
    assert as_self["personal"]["birthDate"] == PERSONAL["birthDate"]
    assert not hidden
    as_colleague, hidden = await read(colleague.token)
    assert all(as_colleague[g] is None for g in ("personal", "identity", "compensation"))


async def test_employee_edits_own_personal_details_but_not_their_pay(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine
) -> None:
    tenant, people = await owner_with_org(api, tenants)
    employee = await tenants.add_user(tenant, people["direct"], ("employee",))
    own = SensitiveWriter(api, employee.token)

    assert (await own.personal(people["direct"]))["birthDate"] == PERSONAL["birthDate"]
    others = await api.gql(
        SET_PERSONAL, {"e": people["indirect"], "i": PERSONAL}, token=employee.token
    )
    raise_pay = await api.gql(
        ADD_PAY, {"i": {"employee": people["direct"], **PAY}}, token=employee.token
    )

    assert error_codes(others) == ["FORBIDDEN"]
    assert error_codes(raise_pay) == ["FORBIDDEN"]
    assert raise_pay["errors"][0]["extensions"]["deniedFieldGroups"] == ["salary"]
    assert await count_rows(owner_engine, "compensations", tenant) == 0


async def test_bank_and_identity_changes_need_a_fresh_step_up(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine
) -> None:
    tenant, people = await owner_with_org(api, tenants)
    hr = await tenants.add_user(tenant, None, ("hr_admin",))  # logged in, not stepped up

    bank = await api.gql(ADD_BANK, {"i": {"employee": people["direct"], **BANK}}, token=hr.token)
    identity = await api.gql(SET_IDENTITY, {"e": people["direct"], "i": IDENTITY}, token=hr.token)

    assert error_codes(bank) == ["STEP_UP_REQUIRED"]
    assert error_codes(identity) == ["STEP_UP_REQUIRED"]
    assert await count_rows(owner_engine, "bank_accounts", tenant) == 0
    assert await count_rows(owner_engine, "employee_identity", tenant) == 0
    api.clock.advance(timedelta(minutes=11))  # the owner's step-up has gone stale too
    late = await api.gql(
        ADD_BANK, {"i": {"employee": people["direct"], **BANK}}, token=tenant.token
    )
    assert error_codes(late) == ["STEP_UP_REQUIRED"]


@pytest.mark.parametrize(
    ("document", "fields", "field"),
    [
        (SET_IDENTITY, {"nationalId": "880320-0017", "nationalIdCountry": "SE"}, "nationalId"),
        (SET_IDENTITY, {"nationalId": "36574261808", "nationalIdCountry": "DE"}, "nationalId"),
        (SET_IDENTITY, {"nationalId": "880320-0016"}, "nationalId"),
        (SET_IDENTITY, {"nationalId": "AB12", "nationalIdCountry": "XX"}, "nationalIdCountry"),
        (SET_PERSONAL, {"birthDate": "2040-01-01"}, "birthDate"),
        (SET_PERSONAL, {"nationality": "Sweden"}, "nationality"),
        (SET_PERSONAL, {"privateEmail": "not-an-email"}, "privateEmail"),
        (ADD_BANK, {"iban": "SE45 5000 0000 0583 9825 7467", "holder": "X"}, "iban"),
        (ADD_BANK, {"iban": BANK["iban"], "holder": "X", "bic": "NOPE"}, "bic"),
        (ADD_PAY, {**PAY, "currency": "SEQ"}, "currency"),
        (ADD_PAY, {**PAY, "amount": "-5"}, "amount"),
        (ADD_PAY, {**PAY, "amount": "1.005"}, "amount"),
    ],
)
async def test_invalid_values_are_refused_and_nothing_is_written(
    api: Api,
    tenants: TenantFactory,
    owner_engine: AsyncEngine,
    document: str,
    fields: dict[str, Any],
    field: str,
) -> None:
    tenant, people = await owner_with_org(api, tenants)
    person = people["direct"]
    variables = (
        {"i": {"employee": person, **fields}}
        if document in (ADD_BANK, ADD_PAY)
        else {"e": person, "i": fields}
    )

    body = await api.gql(document, variables, token=tenant.token)

    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == field
    for table in ("employee_personal", "employee_identity", "bank_accounts", "compensations"):
        assert await count_rows(owner_engine, table, tenant) == 0


async def test_national_id_and_iban_are_unique_per_tenant_whatever_the_formatting(
    api: Api, tenants: TenantFactory
) -> None:
    tenant, people = await owner_with_org(api, tenants)
    writer = SensitiveWriter(api, tenant.token)
    await writer.identity(people["direct"])
    await writer.bank(people["direct"])

    twelve_digits = {**IDENTITY, "nationalId": "198803200016"}
    same_id = await api.gql(
        SET_IDENTITY, {"e": people["indirect"], "i": twelve_digits}, token=tenant.token
    )
    same_iban = await api.gql(
        ADD_BANK,
        {"i": {"employee": people["indirect"], "iban": IBAN_CANONICAL.lower(), "holder": "Y"}},
        token=tenant.token,
    )

    assert error_codes(same_id) == ["BAD_USER_INPUT"]
    assert error_codes(same_iban) == ["BAD_USER_INPUT"]
    other = await tenants.create(employees=1)
    await tenants.step_up(other)
    elsewhere = await SensitiveWriter(api, other.token).identity(str(other.employees[0]))
    assert elsewhere["nationalId"] == NATIONAL_ID_CANONICAL  # another tenant, another index key


async def test_national_id_filter_matches_exactly_for_those_who_see_identity(
    api: Api, tenants: TenantFactory
) -> None:
    tenant, people = await owner_with_org(api, tenants)
    await SensitiveWriter(api, tenant.token).identity(people["direct"])
    manager = await tenants.add_user(tenant, people["self"], ("manager",))

    found = await api.data(
        FILTER, {"n": {"country": "SE", "number": "19880320-0016"}}, token=tenant.token
    )
    other_country = await api.data(
        FILTER, {"n": {"country": "AT", "number": "880320-0016"}}, token=tenant.token
    )
    refused = await api.gql(
        FILTER, {"n": {"country": "SE", "number": "880320-0016"}}, token=manager.token
    )

    assert found["employees"]["nodes"] == [{"id": people["direct"]}]
    assert other_country["employees"]["nodes"] == []
    assert error_codes(refused) == ["FORBIDDEN"]
    assert refused["errors"][0]["extensions"]["deniedFieldGroups"] == ["identity"]


async def test_primary_bank_account_moves_and_cannot_be_left_without(
    api: Api, tenants: TenantFactory
) -> None:
    tenant, people = await owner_with_org(api, tenants)
    writer = SensitiveWriter(api, tenant.token)
    first = await writer.bank(people["direct"])
    second = await writer.bank(
        people["direct"], iban="DE89 3704 0044 0532 0130 00", holder="I H", isPrimary=True
    )

    accounts = (await api.data(READ_DETAILS, {"id": people["direct"]}, token=tenant.token))[
        "employee"
    ]["bankAccounts"]
    unset = await api.gql(
        UPDATE_BANK,
        {"id": second["id"], "i": {"version": second["version"], "isPrimary": False}},
        token=tenant.token,
    )

    assert [a["id"] for a in accounts if a["isPrimary"]] == [second["id"]]
    assert {a["id"] for a in accounts} == {first["id"], second["id"]}
    assert error_codes(unset) == ["BAD_USER_INPUT"]


async def test_another_tenants_rows_are_not_found(api: Api, tenants: TenantFactory) -> None:
    tenant, people = await owner_with_org(api, tenants)
    account = await SensitiveWriter(api, tenant.token).bank(people["direct"])
    intruder = await tenants.create(employees=1)
    await tenants.step_up(intruder)

    body = await api.gql(
        UPDATE_BANK,
        {"id": account["id"], "i": {"version": account["version"], "holder": "Mallory"}},
        token=intruder.token,
    )
    read = await api.gql(READ_DETAILS, {"id": people["direct"]}, token=intruder.token)

    assert error_codes(body) == ["NOT_FOUND"]
    assert error_codes(read) == ["NOT_FOUND"]


async def test_reading_sensitive_values_leaves_a_sensitive_read_record(
    api: Api, tenants: TenantFactory
) -> None:
    tenant, people = await owner_with_org(api, tenants)
    await SensitiveWriter(api, tenant.token).everything(people["direct"])
    payroll = await tenants.add_user(tenant, None, ("payroll",))
    directory_only = "query($id: ID!) { employee(id: $id) { name jobTitle } }"

    await api.data(directory_only, {"id": people["indirect"]}, token=payroll.token)
    await api.data(READ_DETAILS, {"id": people["direct"]}, token=payroll.token)
    reads = await api.data(
        "{ sensitiveReads(first: 10) { edges { node { actor { id } changes"
        " { fieldGroup new } } } } }",
        token=tenant.token,
    )

    [record] = [
        edge["node"]
        for edge in reads["sensitiveReads"]["edges"]
        if edge["node"]["actor"]["id"] == payroll.user_id
    ]
    groups = {change["fieldGroup"]: change["new"] for change in record["changes"]}
    assert set(groups) == {"identity", "bank", "salary"}  # what payroll may see, not personal
    assert all(value == [people["direct"]] for value in groups.values())


async def test_a_change_of_plain_columns_only_answers_with_the_sealed_values(
    api: Api, tenants: TenantFactory
) -> None:
    tenant, people = await owner_with_org(api, tenants)
    writer = SensitiveWriter(api, tenant.token)
    first = await writer.contact(people["direct"])
    await writer.contact(people["direct"], name="Second", relation="parent", phone="+46 8 1234 56")

    moved = await api.data(
        UPDATE_CONTACT,
        {"id": first["id"], "i": {"version": first["version"], "position": 2}},
        token=tenant.token,
    )

    assert moved["updateEmergencyContact"]["position"] == 2
    assert moved["updateEmergencyContact"]["name"] == CONTACT["name"]

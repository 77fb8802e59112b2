"""The delegation rule through HTTP: every path that hands out or acts on powers, tried by
a caller one power short (refused with a typed reason, nothing written) and by a caller
holding exactly what it needs (allowed)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.partner_support import CREATE_TOKEN, REGISTER, issue, register, terms
from tests.support import Api, Login, TenantFactory, TenantHandle, error_codes, staff_session

GrantSpec = tuple[str, str, str]  # field group, action, scope (former included when ALL)
Powers = tuple[tuple[str, ...], tuple[GrantSpec, ...]] | str
"""Abilities and grants of a custom role, or the key of a built-in role."""

AUTHORITY_TABLES = (
    "roles",
    "role_grants",
    "role_abilities",
    "user_roles",
    "integrations",
    "partner_tokens",
    "support_grants",
    "document_categories",
    "totp_credentials",
)
CREATE_ROLE = "mutation($i: CreateRoleInput!) { createRole(input: $i) { id version } }"
DOCUMENT_ACTIONS = ("SEE", "UPLOAD", "DOWNLOAD", "DELETE")


def documents_on(group: str) -> tuple[GrantSpec, ...]:
    return tuple((group, action, "ALL") for action in DOCUMENT_ACTIONS)


class Setting:
    """One tenant (its Owner stepped up), and the roles and users a case needs."""

    def __init__(self, api: Api, tenants: TenantFactory, tenant: TenantHandle) -> None:
        self.api, self.tenants, self.tenant = api, tenants, tenant

    async def role(self, abilities: tuple[str, ...], grants: tuple[GrantSpec, ...]) -> str:
        """A custom role made by the Owner; returns its name."""
        name = f"Role {secrets.token_hex(3)}"
        given = [
            {"fieldGroup": g, "action": a, "scope": s, "includeFormer": s == "ALL"}
            for g, a, s in grants
        ]
        await self.api.data(
            CREATE_ROLE,
            {"i": {"name": name, "abilities": list(abilities), "grants": given}},
            token=self.tenant.token,
        )
        return name

    async def role_id(self, name: str) -> str:
        roles = (await self.api.data("{ roles { id name } }", token=self.tenant.token))["roles"]
        return str(next(r["id"] for r in roles if r["name"] == name))

    async def user(self, powers: Powers, *, step_up: bool = True) -> Login:
        role = powers if isinstance(powers, str) else await self.role(*powers)
        return await self.tenants.add_user(self.tenant, None, (role,), step_up=step_up)


Prepare = Callable[[Setting], Awaitable[tuple[str, dict[str, Any]]]]


@dataclass(frozen=True)
class Case:
    name: str
    short: Powers
    exact: Powers
    reason: str
    missing: tuple[str, ...]
    prepare: Prepare


def salary_role(setting: Setting) -> Awaitable[str]:
    return setting.role((), (("SALARY", "SEE", "ALL"),))


async def register_integration(_: Setting) -> tuple[str, dict[str, Any]]:
    given = terms(categories=["SALARY", "BANK"], access="READ_WRITE")
    return REGISTER, {"i": given}


async def create_partner_token(setting: Setting) -> tuple[str, dict[str, Any]]:
    made = await register(setting.api, setting.tenant.token, categories=["SALARY"])
    return CREATE_TOKEN, {"i": made["id"], "d": None}


async def rotate_partner_token(setting: Setting) -> tuple[str, dict[str, Any]]:
    made = await register(setting.api, setting.tenant.token, categories=["SALARY"])
    issued = await issue(setting.api, setting.tenant.token, made["id"])
    return (
        "mutation($id: ID!) { rotatePartnerToken(id: $id) { token } }",
        {"id": issued["info"]["id"]},
    )


GRANT = "mutation($i: SupportAccessInput!) { createSupportGrant(input: $i) { id fieldGroups } }"


async def create_support_grant(_: Setting) -> tuple[str, dict[str, Any]]:
    return GRANT, {"i": {"reason": "Ticket 42", "fieldGroups": ["BASIC", "JOB"]}}


async def approve_support_request(setting: Setting) -> tuple[str, dict[str, Any]]:
    staff = await staff_session(setting.api, setting.tenants)
    asked = await setting.api.data(
        "mutation($t: String!, $i: SupportAccessInput!) { requestSupportAccess(tenant: $t,"
        " input: $i) { id } }",
        {"t": setting.tenant.slug, "i": {"reason": "Login bug", "fieldGroups": ["BASIC", "JOB"]}},
        token=staff.token,
    )
    return (
        "mutation($g: ID!) { approveSupportRequest(id: $g) { id } }",
        {"g": asked["requestSupportAccess"]["id"]},
    )


async def create_role(_: Setting) -> tuple[str, dict[str, Any]]:
    wanted = [{"fieldGroup": "SALARY", "action": "SEE", "scope": "ALL"}]
    return CREATE_ROLE, {"i": {"name": "Pay readers", "grants": wanted}}


async def create_department_role(_: Setting) -> tuple[str, dict[str, Any]]:
    wanted = [{"fieldGroup": "SALARY", "action": "SEE", "scope": "DEPARTMENT"}]
    return CREATE_ROLE, {"i": {"name": "Department pay", "grants": wanted}}


async def _salary_role_ref(setting: Setting) -> dict[str, Any]:
    name = await salary_role(setting)
    roles = await setting.api.data("{ roles { id name version } }", token=setting.tenant.token)
    return dict(next(r for r in roles["roles"] if r["name"] == name))


async def update_role(setting: Setting) -> tuple[str, dict[str, Any]]:
    role = await _salary_role_ref(setting)
    return (
        'mutation($id: ID!, $v: Int!) { updateRole(id: $id, input: {version: $v, name: "Re"})'
        " { id } }",
        {"id": role["id"], "v": role["version"]},
    )


async def copy_role(setting: Setting) -> tuple[str, dict[str, Any]]:
    role = await _salary_role_ref(setting)
    return 'mutation($id: ID!) { copyRole(id: $id, name: "Copy") { id } }', {"id": role["id"]}


async def delete_role(setting: Setting) -> tuple[str, dict[str, Any]]:
    role = await _salary_role_ref(setting)
    return (
        "mutation($id: ID!, $v: Int!) { deleteRole(id: $id, version: $v) }",
        {"id": role["id"], "v": role["version"]},
    )


MEMBERSHIP = "mutation($u: ID!, $r: ID!) {{ {}(userId: $u, roleId: $r) {{ id }} }}"


async def assign_role(setting: Setting) -> tuple[str, dict[str, Any]]:
    role = await _salary_role_ref(setting)
    target = await setting.tenants.add_user(setting.tenant, None, (), log_in=False)
    return MEMBERSHIP.format("assignRole"), {"u": target.user_id, "r": role["id"]}


async def remove_role_of_stronger(setting: Setting) -> tuple[str, dict[str, Any]]:
    """The target holds a directory role (the caller holds it too) and a pay role: taking
    the directory role away acts on someone who sees pay."""
    directory = await setting.role((), (("BASIC", "SEE", "ALL"),))
    pay = await salary_role(setting)
    target = await setting.tenants.add_user(setting.tenant, None, (directory, pay), log_in=False)
    role_id = await setting.role_id(directory)
    return MEMBERSHIP.format("removeRole"), {"u": target.user_id, "r": role_id}


TOTP_REQUIREMENT = (
    "mutation($r: ID!, $q: Boolean!) { setRoleTotpRequirement(roleId: $r, required: $q) { id } }"
)


async def drop_owner_totp_requirement(setting: Setting) -> tuple[str, dict[str, Any]]:
    owner = await setting.role_id("Owner")
    await setting.api.data(TOTP_REQUIREMENT, {"r": owner, "q": True}, token=setting.tenant.token)
    return TOTP_REQUIREMENT, {"r": owner, "q": False}


async def set_role_totp_requirement(setting: Setting) -> tuple[str, dict[str, Any]]:
    role = await _salary_role_ref(setting)
    return TOTP_REQUIREMENT, {"r": role["id"], "q": True}


async def reset_owner_totp(setting: Setting) -> tuple[str, dict[str, Any]]:
    return "mutation($u: ID!) { resetTotp(userId: $u) }", {"u": str(setting.tenant.user_id)}


async def reset_totp(setting: Setting) -> tuple[str, dict[str, Any]]:
    target = await setting.tenants.add_user(
        setting.tenant, None, (await salary_role(setting),), step_up=True
    )
    return "mutation($u: ID!) { resetTotp(userId: $u) }", {"u": target.user_id}


async def loosen_session_settings(setting: Setting) -> tuple[str, dict[str, Any]]:
    current = await setting.api.data(
        "{ sessionSettings { version idleTimeoutSeconds } }", token=setting.tenant.token
    )
    settings = current["sessionSettings"]
    return (
        "mutation($v: Int!, $i: Int!) { updateSessionSettings(input: {version: $v,"
        " idleTimeoutSeconds: $i}) { version } }",
        {"v": settings["version"], "i": settings["idleTimeoutSeconds"] + 600},
    )


CATEGORY = (
    "mutation($c: String!, $g: FieldGroup!) { createDocumentCategory(input: {code: $c,"
    " name: $c, fieldGroup: $g}) { id version } }"
)


async def create_category(_: Setting) -> tuple[str, dict[str, Any]]:
    return CATEGORY, {"c": "bank_letter", "g": "BANK"}


async def _category(setting: Setting, group: str) -> dict[str, Any]:
    made = await setting.api.data(
        CATEGORY, {"c": f"c_{secrets.token_hex(3)}", "g": group}, token=setting.tenant.token
    )
    return dict(made["createDocumentCategory"])


async def remap_category(setting: Setting) -> tuple[str, dict[str, Any]]:
    category = await _category(setting, "DOCUMENTS")
    return (
        "mutation($id: ID!, $v: Int!) { updateDocumentCategory(id: $id, input: {version: $v,"
        " fieldGroup: BANK}) { id } }",
        {"id": category["id"], "v": category["version"]},
    )


async def delete_category(setting: Setting) -> tuple[str, dict[str, Any]]:
    category = await _category(setting, "BANK")
    return (
        "mutation($id: ID!, $v: Int!) { deleteDocumentCategory(id: $id, version: $v) }",
        {"id": category["id"], "v": category["version"]},
    )


ABILITIES = (
    "MANAGE_ROLES",
    "MANAGE_USERS",
    "MANAGE_ORGANISATION",
    "SEE_AUDIT",
    "MANAGE_INTEGRATIONS",
    "MANAGE_SUPPORT_ACCESS",
    "EXPORT",
)
EVERYTHING = tuple(
    (group, action, "ALL")
    for group in (
        "BASIC JOB EMPLOYMENT PERSONAL IDENTITY BANK EMERGENCY SALARY ABSENCE ABSENCE_REASON"
        " DOCUMENTS"
    ).split()
    for action in ("SEE", "ADD", "EDIT", "DELETE", "UPLOAD", "DOWNLOAD", "APPROVE")
)
"""Every grant the Owner holds."""
PAY_AND_BANK = tuple((g, a, "ALL") for g in ("SALARY", "BANK") for a in ("SEE", "ADD", "EDIT"))
"""What a read-write consent to pay and bank data hands out (bank editing last)."""
EXCEEDS = "delegation_exceeds_own_powers"
STRONGER = "target_holds_more_powers"
SALARY_ALL = ("SALARY", "SEE", "ALL")
BASIC_ALL = ("BASIC", "SEE", "ALL")

CASES = (
    Case(
        "registerIntegration",
        (("MANAGE_INTEGRATIONS",), PAY_AND_BANK[:-1]),
        (("MANAGE_INTEGRATIONS",), PAY_AND_BANK),
        EXCEEDS,
        ("edit:bank:all",),
        register_integration,
    ),
    Case(
        "createPartnerToken",
        (("MANAGE_INTEGRATIONS",), (BASIC_ALL,)),
        (("MANAGE_INTEGRATIONS",), (SALARY_ALL,)),
        EXCEEDS,
        ("see:salary:all",),
        create_partner_token,
    ),
    Case(
        "rotatePartnerToken",
        (("MANAGE_INTEGRATIONS",), (BASIC_ALL,)),
        (("MANAGE_INTEGRATIONS",), (SALARY_ALL,)),
        EXCEEDS,
        ("see:salary:all",),
        rotate_partner_token,
    ),
    Case(
        "createSupportGrant",
        (
            ("MANAGE_SUPPORT_ACCESS",),
            (("BASIC", "SEE", "ALL"), ("BASIC", "DOWNLOAD", "ALL"), ("JOB", "SEE", "ALL")),
        ),
        (
            ("MANAGE_SUPPORT_ACCESS",),
            tuple((g, a, "ALL") for g in ("BASIC", "JOB") for a in ("SEE", "DOWNLOAD")),
        ),
        EXCEEDS,
        ("download:job:all",),
        create_support_grant,
    ),
    Case(
        "approveSupportRequest",
        (
            ("MANAGE_SUPPORT_ACCESS",),
            (("BASIC", "SEE", "ALL"), ("BASIC", "DOWNLOAD", "ALL"), ("JOB", "SEE", "ALL")),
        ),
        (
            ("MANAGE_SUPPORT_ACCESS",),
            tuple((g, a, "ALL") for g in ("BASIC", "JOB") for a in ("SEE", "DOWNLOAD")),
        ),
        EXCEEDS,
        ("download:job:all",),
        approve_support_request,
    ),
    Case(
        "createRole (a narrower scope is short)",
        (("MANAGE_ROLES",), (("SALARY", "SEE", "DEPARTMENT"),)),
        (("MANAGE_ROLES",), (SALARY_ALL,)),
        EXCEEDS,
        ("see:salary:all",),
        create_role,
    ),
    Case(
        "createRole (the same relative scope is short: it is other people's)",
        (("MANAGE_ROLES",), (("SALARY", "SEE", "DEPARTMENT"),)),
        (("MANAGE_ROLES",), (SALARY_ALL,)),
        EXCEEDS,
        ("see:salary:department",),
        create_department_role,
    ),
    Case(
        "updateRole",
        (("MANAGE_ROLES",), ()),
        (("MANAGE_ROLES",), (SALARY_ALL,)),
        STRONGER,
        ("see:salary:all+former",),
        update_role,
    ),
    Case(
        "copyRole",
        (("MANAGE_ROLES",), ()),
        (("MANAGE_ROLES",), (SALARY_ALL,)),
        EXCEEDS,
        ("see:salary:all+former",),
        copy_role,
    ),
    Case(
        "deleteRole",
        (("MANAGE_ROLES",), ()),
        (("MANAGE_ROLES",), (SALARY_ALL,)),
        STRONGER,
        ("see:salary:all+former",),
        delete_role,
    ),
    Case(
        "assignRole",
        (("MANAGE_USERS",), ()),
        (("MANAGE_USERS",), (SALARY_ALL,)),
        EXCEEDS,
        ("see:salary:all+former",),
        assign_role,
    ),
    Case(
        "removeRole (of a stronger user)",
        (("MANAGE_USERS",), (BASIC_ALL,)),
        (("MANAGE_USERS",), (BASIC_ALL, SALARY_ALL)),
        STRONGER,
        ("see:salary:all+former",),
        remove_role_of_stronger,
    ),
    Case(
        "setRoleTotpRequirement",
        (("MANAGE_ROLES",), ()),
        (("MANAGE_ROLES",), (SALARY_ALL,)),
        STRONGER,
        ("see:salary:all+former",),
        set_role_totp_requirement,
    ),
    Case(
        "setRoleTotpRequirement (of Owner, by an admin short of one ability)",
        (tuple(a for a in ABILITIES if a != "MANAGE_SUPPORT_ACCESS"), EVERYTHING),
        "owner",
        STRONGER,
        ("ability:manage_support_access",),
        drop_owner_totp_requirement,
    ),
    Case(
        "resetTotp",
        (("MANAGE_USERS",), ()),
        (("MANAGE_USERS",), (SALARY_ALL,)),
        STRONGER,
        ("see:salary:all+former",),
        reset_totp,
    ),
    Case(
        "resetTotp (of the Owner, by HR Admin)",
        "hr_admin",
        "owner",
        STRONGER,
        ("ability:manage_integrations", "ability:manage_roles", "ability:manage_support_access"),
        reset_owner_totp,
    ),
    Case(
        "updateSessionSettings (loosening, by HR Admin)",
        "hr_admin",
        "owner",
        STRONGER,
        ("ability:manage_integrations", "ability:manage_roles", "ability:manage_support_access"),
        loosen_session_settings,
    ),
    Case(
        "createDocumentCategory",
        (("MANAGE_ORGANISATION",), documents_on("BANK")[:-1]),
        (("MANAGE_ORGANISATION",), documents_on("BANK")),
        EXCEEDS,
        ("delete:bank:all+former",),
        create_category,
    ),
    Case(
        "updateDocumentCategory (remap)",
        (("MANAGE_ORGANISATION",), documents_on("DOCUMENTS") + documents_on("BANK")[1:]),
        (("MANAGE_ORGANISATION",), documents_on("DOCUMENTS") + documents_on("BANK")),
        EXCEEDS,
        ("see:bank:all+former",),
        remap_category,
    ),
    Case(
        "deleteDocumentCategory",
        (("MANAGE_ORGANISATION",), documents_on("BANK")[:-1]),
        (("MANAGE_ORGANISATION",), documents_on("BANK")),
        STRONGER,
        ("delete:bank:all+former",),
        delete_category,
    ),
)


async def authority_snapshot(engine: AsyncEngine, tenant: TenantHandle) -> dict[str, str]:
    """A digest of every row that carries a power or a safeguard of the tenant."""
    digests = {}
    async with engine.connect() as conn:
        for table in AUTHORITY_TABLES:
            digests[table] = await conn.scalar(
                text(
                    f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
                    f" FROM {table} t WHERE tenant_id = :t"
                ),
                {"t": tenant.id},
            )
        digests["tenants"] = await conn.scalar(
            text("SELECT md5(t::text) FROM tenants t WHERE id = :t"), {"t": tenant.id}
        )
    return digests


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_one_power_short_is_refused_and_exactly_enough_is_allowed(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine, case: Case
) -> None:
    tenant = await tenants.create(employees=1)
    await tenants.step_up(tenant)
    setting = Setting(api, tenants, tenant)
    short = await setting.user(case.short)
    exact = await setting.user(case.exact)
    document, variables = await case.prepare(setting)

    before = await authority_snapshot(owner_engine, tenant)
    refused = await api.gql(document, variables, token=short.token)
    assert error_codes(refused) == ["FORBIDDEN"], refused
    extensions = refused["errors"][0]["extensions"]
    assert (extensions["reason"], tuple(extensions["missingPowers"])) == (
        case.reason,
        case.missing,
    )
    assert await authority_snapshot(owner_engine, tenant) == before, "a refusal wrote"

    allowed = await api.gql(document, variables, token=exact.token)
    assert "errors" not in allowed, allowed["errors"]
    assert await authority_snapshot(owner_engine, tenant) != before


async def test_an_integrations_manager_cannot_consent_to_pay_they_cannot_see(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine
) -> None:
    """The issue's case: manage_integrations alone, consenting to compensation, bank,
    identity and absence reasons for a partner that would then read and write pay."""
    tenant = await tenants.create(employees=2)
    await tenants.step_up(tenant)
    setting = Setting(api, tenants, tenant)
    manager = await setting.user((("MANAGE_INTEGRATIONS",), (BASIC_ALL,)))
    wide = terms(categories=["SALARY", "BANK", "IDENTITY", "ABSENCE_REASON"], access="READ_WRITE")
    before = await authority_snapshot(owner_engine, tenant)
    refused = await api.gql(REGISTER, {"i": wide}, token=manager.token)
    assert error_codes(refused) == ["FORBIDDEN"]
    extensions = refused["errors"][0]["extensions"]
    assert extensions["reason"] == "delegation_exceeds_own_powers"
    assert {p.split(":")[1] for p in extensions["missingPowers"]} == {
        "salary",
        "bank",
        "identity",
        "absence_reason",
    }
    assert await authority_snapshot(owner_engine, tenant) == before
    assert (await api.data("{ integrations { id } }", token=tenant.token))["integrations"] == []
    # What the manager holds, they may share.
    directory = await api.data(REGISTER, {"i": terms(categories=["BASIC"])}, token=manager.token)
    assert directory["registerIntegration"]["categories"] == ["BASIC"]


async def test_tightening_weakens_nobody_and_an_admin_still_resets_a_weaker_user(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    await tenants.step_up(tenant)
    setting = Setting(api, tenants, tenant)
    hr = await setting.user("hr_admin")
    current = await api.data("{ sessionSettings { version idleTimeoutSeconds } }", token=hr.token)
    settings = current["sessionSettings"]
    tightened = await api.data(
        "mutation($v: Int!, $i: Int!) { updateSessionSettings(input: {version: $v,"
        " idleTimeoutSeconds: $i}) { idleTimeoutSeconds } }",
        {"v": settings["version"], "i": settings["idleTimeoutSeconds"] - 60},
        token=hr.token,
    )
    assert tightened["updateSessionSettings"]["idleTimeoutSeconds"] == (
        settings["idleTimeoutSeconds"] - 60
    )
    employee = await tenants.add_user(tenant, None, ("employee",), step_up=True)
    reset = await api.data(
        "mutation($u: ID!) { resetTotp(userId: $u) }", {"u": employee.user_id}, token=hr.token
    )
    assert reset["resetTotp"] >= 1

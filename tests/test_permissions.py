"""P5 behaviour: restricted fields, SQL-side row scope, filters that leak nothing, role
administration without escalation, and changes that apply on the very next request."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support import (
    Api,
    StatementCounter,
    TenantFactory,
    build_org,
    error_codes,
)

PERSON = (
    "query($id: ID!) { employee(id: $id) { name jobTitle employments { id } absences { id } } }"
)
ROLE_IDS = "{ roles { id name builtIn version grants { fieldGroup action scope } abilities } }"


async def _role_id(api: Api, token: str, name: str) -> str:
    roles = (await api.data(ROLE_IDS, token=token))["roles"]
    return next(r["id"] for r in roles if r["name"] == name)


async def test_restricted_fields_are_null_listed_and_never_loaded(
    api: Api, tenants: TenantFactory, statements: StatementCounter
) -> None:
    owner = await tenants.create(employees=1)
    people = await build_org(api, owner)
    colleague = await tenants.add_user(owner, uuid.UUID(people["self"]), ("employee",))
    statements.reset()
    body = await api.gql(PERSON, {"id": people["unrelated"]}, token=colleague.token)
    assert "errors" not in body
    assert body["data"]["employee"] == {
        "name": "Unrelated Matrix",
        "jobTitle": "Matrix",
        "employments": None,
        "absences": None,
    }
    assert body["extensions"]["restricted"] == [
        ["employee", "employments"],
        ["employee", "absences"],
    ]
    touched = " ".join(statements.statements)
    assert "FROM employments" not in touched
    assert "FROM absences" not in touched
    own = await api.data(PERSON, {"id": people["self"]}, token=colleague.token)
    assert own["employee"]["employments"] is not None


async def test_lists_are_scoped_in_sql_before_paging(api: Api, tenants: TenantFactory) -> None:
    owner = await tenants.create(employees=1)
    people = await build_org(api, owner)
    manager = await tenants.add_user(owner, uuid.UUID(people["self"]), ("manager",))
    page = await api.data(
        "{ employees(first: 1) { nodes { id } pageInfo { hasNextPage endCursor } } }",
        token=manager.token,
    )
    first = page["employees"]["nodes"]
    assert len(first) == 1, "a Python-side filter after LIMIT would return an empty page"
    assert page["employees"]["pageInfo"]["hasNextPage"] is True
    rest = await api.data(
        "query($a: String!) { employees(first: 50, after: $a) { nodes { id } } }",
        {"a": page["employees"]["pageInfo"]["endCursor"]},
        token=manager.token,
    )
    seen = {n["id"] for n in first + rest["employees"]["nodes"]}
    assert seen == {people["direct"], people["indirect"]}


async def test_a_person_out_of_scope_is_not_found(api: Api, tenants: TenantFactory) -> None:
    owner = await tenants.create(employees=1)
    people = await build_org(api, owner)
    manager = await tenants.add_user(owner, uuid.UUID(people["self"]), ("manager",))
    hidden = await api.gql(PERSON, {"id": people["unrelated"]}, token=manager.token)
    missing = await api.gql(PERSON, {"id": str(uuid.uuid4())}, token=manager.token)
    assert error_codes(hidden) == ["NOT_FOUND"]
    assert hidden == missing


async def test_filters_never_match_on_hidden_groups(api: Api, tenants: TenantFactory) -> None:
    owner = await tenants.create(employees=1)
    await tenants.step_up(owner)  # role changes are sensitive
    people = await build_org(api, owner)
    departments = {
        d["name"]: d["id"]
        for d in (await api.data("{ departments { id name } }", token=owner.token))["departments"]
    }
    by_department = (
        "query($d: ID!) { employees(first: 50, filter: {department: $d}) { nodes { id } } }"
    )
    manager = await tenants.add_user(owner, uuid.UUID(people["self"]), ("manager",))
    beta = await api.data(by_department, {"d": departments["Beta"]}, token=manager.token)
    assert {n["id"] for n in beta["employees"]["nodes"]} == {people["direct"], people["indirect"]}
    alpha = await api.data(by_department, {"d": departments["Alpha"]}, token=manager.token)
    assert alpha["employees"]["nodes"] == []  # the peer is in Alpha, but not the manager's to see

    directory_only = await api.data(
        'mutation { createRole(input: {name: "Directory", grants: [{fieldGroup: BASIC, action: SEE, scope: ALL}]}) { id } }',
        token=owner.token,
    )
    assert directory_only["createRole"]["id"]
    reader = await tenants.add_user(owner, uuid.UUID(people["unrelated"]), ("Directory",))
    refused = await api.gql(by_department, {"d": departments["Alpha"]}, token=reader.token)
    assert error_codes(refused) == ["FORBIDDEN"]
    assert refused["errors"][0]["extensions"]["deniedFieldGroups"] == ["job"]


async def test_former_employees_need_a_grant_that_includes_them(
    api: Api, tenants: TenantFactory
) -> None:
    owner = await tenants.create(employees=1)
    people = await build_org(api, owner)
    current = await api.data(
        "query($id: ID!) { employee(id: $id) { version } }",
        {"id": people["unrelated"]},
        token=owner.token,
    )
    await api.data(
        "mutation($id: ID!, $v: Int!) { updateEmployee(id: $id, input: {version: $v, status: TERMINATED}) { id } }",
        {"id": people["unrelated"], "v": current["employee"]["version"]},
        token=owner.token,
    )
    colleague = await tenants.add_user(owner, uuid.UUID(people["self"]), ("employee",))
    payroll = await tenants.add_user(owner, uuid.UUID(people["department"]), ("payroll",))
    assert error_codes(
        await api.gql(PERSON, {"id": people["unrelated"]}, token=colleague.token)
    ) == ["NOT_FOUND"]
    seen = await api.data(PERSON, {"id": people["unrelated"]}, token=payroll.token)
    assert seen["employee"]["employments"] is not None


async def test_a_refused_mutation_names_the_groups_and_writes_nothing(
    api: Api, tenants: TenantFactory
) -> None:
    owner = await tenants.create(employees=1)
    people = await build_org(api, owner)
    colleague = await tenants.add_user(owner, uuid.UUID(people["self"]), ("employee",))
    body = await api.gql(
        'mutation($id: ID!) { updateEmployee(id: $id, input: {version: 1, firstName: "Me"}) { id } }',
        {"id": people["self"]},
        token=colleague.token,
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["extensions"]["deniedFieldGroups"] == ["basic"]
    unchanged = await api.data(
        "query($id: ID!) { employee(id: $id) { firstName version } }",
        {"id": people["self"]},
        token=owner.token,
    )
    assert unchanged["employee"] == {"firstName": "Self", "version": 1}


async def test_role_changes_apply_on_the_next_request(api: Api, tenants: TenantFactory) -> None:
    owner = await tenants.create(employees=1)
    await tenants.step_up(owner)  # role changes are sensitive
    people = await build_org(api, owner)
    colleague = await tenants.add_user(owner, uuid.UUID(people["self"]), ("employee",))
    assert (await api.data(PERSON, {"id": people["unrelated"]}, token=colleague.token))["employee"][
        "employments"
    ] is None
    hr = await _role_id(api, owner.token, "HR Admin")
    assign = "mutation($u: ID!, $r: ID!) { assignRole(userId: $u, roleId: $r) { roles { name } } }"
    granted = await api.data(assign, {"u": colleague.user_id, "r": hr}, token=owner.token)
    assert sorted(r["name"] for r in granted["assignRole"]["roles"]) == ["Employee", "HR Admin"]
    assert (await api.data(PERSON, {"id": people["unrelated"]}, token=colleague.token))["employee"][
        "employments"
    ] is not None
    await api.data(
        "mutation($u: ID!, $r: ID!) { removeRole(userId: $u, roleId: $r) { id } }",
        {"u": colleague.user_id, "r": hr},
        token=owner.token,
    )
    assert (await api.data(PERSON, {"id": people["unrelated"]}, token=colleague.token))["employee"][
        "employments"
    ] is None


async def test_nobody_hands_out_more_than_they_hold(api: Api, tenants: TenantFactory) -> None:
    owner = await tenants.create(employees=1)
    await tenants.step_up(owner)  # role changes are sensitive
    people = await build_org(api, owner)
    await api.data(
        'mutation { createRole(input: {name: "Role admin", abilities: [MANAGE_ROLES, MANAGE_USERS],'
        " grants: [{fieldGroup: BASIC, action: SEE, scope: ALL}]}) { id } }",
        token=owner.token,
    )
    admin = await tenants.add_user(owner, uuid.UUID(people["self"]), ("Role admin",), step_up=True)
    escalate = await api.gql(
        'mutation { createRole(input: {name: "Sneaky", grants: [{fieldGroup: SALARY, action: SEE, scope: ALL}]}) { id } }',
        token=admin.token,
    )
    assert error_codes(escalate) == ["FORBIDDEN"]
    refusal = escalate["errors"][0]["extensions"]
    assert refusal["reason"] == "delegation_exceeds_own_powers"
    assert refusal["missingPowers"] == ["see:salary:all"]
    allowed = await api.gql(
        'mutation { createRole(input: {name: "Narrow", grants: [{fieldGroup: BASIC, action: SEE, scope: SELF}]}) { id } }',
        token=admin.token,
    )
    assert "errors" not in allowed
    owner_role = await _role_id(api, owner.token, "Owner")
    grab = await api.gql(
        "mutation($u: ID!, $r: ID!) { assignRole(userId: $u, roleId: $r) { id } }",
        {"u": admin.user_id, "r": owner_role},
        token=admin.token,
    )
    assert error_codes(grab) == ["FORBIDDEN"]
    me = await api.data("{ me { roles { name } abilities } }", token=admin.token)
    assert me["me"] == {
        "roles": [{"name": "Role admin"}],
        "abilities": ["MANAGE_ROLES", "MANAGE_USERS"],
    }


async def test_administration_needs_its_ability(api: Api, tenants: TenantFactory) -> None:
    owner = await tenants.create(employees=1)
    people = await build_org(api, owner)
    colleague = await tenants.add_user(owner, uuid.UUID(people["self"]), ("employee",))
    for document in (
        ROLE_IDS,
        "{ users { id } }",
        'mutation { createRole(input: {name: "X"}) { id } }',
        'mutation { createOffice(input: {name: "X", countryCode: "SE", timezone: "UTC"}) { id } }',
    ):
        body = await api.gql(document, token=colleague.token)
        assert error_codes(body) == ["FORBIDDEN"], document
        assert body["data"] is None


async def test_built_in_roles_are_fixed_and_copies_are_free(
    api: Api, tenants: TenantFactory
) -> None:
    owner = await tenants.create(employees=1)
    await tenants.step_up(owner)  # role changes are sensitive
    roles = {r["name"]: r for r in (await api.data(ROLE_IDS, token=owner.token))["roles"]}
    assert set(roles) == {"Owner", "HR Admin", "Manager", "Employee", "Payroll", "Auditor"}
    manager = roles["Manager"]
    change = await api.gql(
        'mutation($id: ID!, $v: Int!) { updateRole(id: $id, input: {version: $v, name: "Boss"}) { id } }',
        {"id": manager["id"], "v": manager["version"]},
        token=owner.token,
    )
    assert error_codes(change) == ["CONFLICT"]
    deleted = await api.gql(
        "mutation($id: ID!) { deleteRole(id: $id, version: 1) }",
        {"id": manager["id"]},
        token=owner.token,
    )
    assert error_codes(deleted) == ["CONFLICT"]
    copy = (
        await api.data(
            'mutation($id: ID!) { copyRole(id: $id, name: "Team lead") { id name builtIn version grants { fieldGroup action scope } } }',
            {"id": manager["id"]},
            token=owner.token,
        )
    )["copyRole"]
    assert (copy["builtIn"], copy["grants"]) == (False, manager["grants"])
    widened = await api.data(
        "mutation($id: ID!, $v: Int!) { updateRole(id: $id, input: {version: $v,"
        " grants: [{fieldGroup: SALARY, action: SEE, scope: DIRECT_REPORTS}]}) { version grants { fieldGroup } } }",
        {"id": copy["id"], "v": copy["version"]},
        token=owner.token,
    )
    assert widened["updateRole"] == {"version": 2, "grants": [{"fieldGroup": "SALARY"}]}
    stale = await api.gql(
        'mutation($id: ID!) { updateRole(id: $id, input: {version: 1, name: "Old"}) { id } }',
        {"id": copy["id"]},
        token=owner.token,
    )
    assert error_codes(stale) == ["CONFLICT"]
    await api.data(
        "mutation($id: ID!) { deleteRole(id: $id, version: 2) }",
        {"id": copy["id"]},
        token=owner.token,
    )


async def test_the_last_owner_stays(api: Api, tenants: TenantFactory) -> None:
    owner = await tenants.create(employees=1)
    await tenants.step_up(owner)  # role changes are sensitive
    owner_role = await _role_id(api, owner.token, "Owner")
    remove = "mutation($u: ID!, $r: ID!) { removeRole(userId: $u, roleId: $r) { id } }"
    body = await api.gql(remove, {"u": str(owner.user_id), "r": owner_role}, token=owner.token)
    assert error_codes(body) == ["CONFLICT"]
    second = await tenants.add_user(owner, None, ("owner",), step_up=True)
    await api.data(remove, {"u": str(owner.user_id), "r": owner_role}, token=second.token)
    me = await api.gql("{ roles { id } }", token=owner.token)
    assert error_codes(me) == ["FORBIDDEN"]


async def test_who_can_access_and_why(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine
) -> None:
    owner = await tenants.create(employees=1)
    people = await build_org(api, owner)
    manager = await tenants.add_user(owner, uuid.UUID(people["self"]), ("manager",))
    colleague = await tenants.add_user(owner, uuid.UUID(people["department"]), ("employee",))
    holders = await api.data(
        "query($e: ID!) { whoCanAccess(employeeId: $e, fieldGroup: ABSENCE, action: APPROVE) {"
        " email grantedBy { roleName scope } } }",
        {"e": people["indirect"]},
        token=owner.token,
    )
    found = {h["email"]: h["grantedBy"] for h in holders["whoCanAccess"]}
    assert found == {
        owner.email: [{"roleName": "Owner", "scope": "ALL"}],
        manager.email: [{"roleName": "Manager", "scope": "ALL_REPORTS"}],
    }
    assert colleague.email not in found
    preview = await api.data(
        "query($r: ID!, $v: ID!, $e: ID!) { roleAccessPreview(roleId: $r, viewerId: $v, employeeId: $e) {"
        " fieldGroup actions { action } } }",
        {
            "r": await _role_id(api, owner.token, "Manager"),
            "v": people["self"],
            "e": people["direct"],
        },
        token=owner.token,
    )
    allowed = {
        g["fieldGroup"]: [a["action"] for a in g["actions"]] for g in preview["roleAccessPreview"]
    }
    assert allowed["ABSENCE"] == ["SEE", "APPROVE"]
    assert allowed["SALARY"] == []

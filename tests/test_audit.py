"""P8 and P13: every change is recorded in its own transaction, tamper-evidently."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.audit.checkpoints import write_checkpoints
from hrvault.audit.records import Change
from hrvault.audit.signing import load_or_create_signer
from hrvault.clock import ManualClock
from hrvault.config import Secret, Settings
from hrvault.schema.build import build_schema
from hrvault.vocabulary import FieldGroup
from tests.partner_support import CREATE_TOKEN, REGISTER, issue, register, terms
from tests.sensitive_support import SENSITIVE_MUTATIONS, SensitiveWriter, example_mutation
from tests.support import (
    PASSWORD,
    UPLOAD,
    Api,
    Login,
    TenantFactory,
    TenantHandle,
    build_org,
    error_codes,
    staff_session,
)

LOG = """query($f: AuditLogFilter) { auditLog(first: 100, filter: $f) { edges { node {
  seq action entityType entityId requestId operation subjectId
  actor { kind id name } changes { field fieldGroup old new redacted } } } } }"""


async def _records(api: Api, token: str, **where: Any) -> list[dict[str, Any]]:
    data = await api.data(LOG, {"f": where or None}, token=token)
    return [edge["node"] for edge in data["auditLog"]["edges"]]


async def _count(owner_engine: AsyncEngine, tenant: TenantHandle) -> int:
    async with owner_engine.connect() as conn:
        return int(
            await conn.scalar(
                text("SELECT count(*) FROM audit_log WHERE tenant_id = :t"), {"t": tenant.id}
            )
            or 0
        )


class Examples:
    """One real invocation of every mutation of the schema, run as the tenant's Owner."""

    def __init__(
        self, api: Api, tenants: TenantFactory, tenant: TenantHandle, people: dict[str, str]
    ) -> None:
        self.api, self.tenants, self.tenant, self.people = api, tenants, tenant, people
        self.direct_login: Login | None = None

    async def ids(self) -> dict[str, Any]:
        person = await self.api.data(
            "query($id: ID!) { employee(id: $id) { version jobHistory { id version }"
            " reportingLines { id version } employments { id version } } }",
            {"id": self.people["direct"]},
            token=self.tenant.token,
        )
        return person["employee"]

    async def absence(self) -> dict[str, Any]:
        """Asked for by the person themselves, so that the Owner may decide it."""
        if self.direct_login is None:
            self.direct_login = await self.tenants.add_user(
                self.tenant, uuid.UUID(self.people["direct"]), ("employee",)
            )
        made = await self.api.data(
            "mutation($e: ID!, $t: ID!) { requestAbsence(input: {employee: $e, absenceType: $t,"
            ' startDate: "2031-05-04", endDate: "2031-05-05"}) { id version } }',
            {"e": self.people["direct"], "t": str(self.tenant.absence_types["vacation"])},
            token=self.direct_login.token,
        )
        absence: dict[str, Any] = made["requestAbsence"]
        return absence

    async def role(self) -> dict[str, Any]:
        made = await self.api.data(
            'mutation { createRole(input: {name: "Temp"}) { id version } }', token=self.tenant.token
        )
        role: dict[str, Any] = made["createRole"]
        return role

    async def document(
        self, name: str
    ) -> tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], str]:
        ids = await self.ids()
        t = self.tenant
        office = (await self.api.data("{ offices { id version } }", token=t.token))["offices"][0]
        engineering = str(t.departments["engineering"])
        if name == "login":
            return (
                "mutation($t: String!, $e: String!, $p: String!) { login(tenant: $t, email: $e,"
                " password: $p) { token } }",
                {"t": t.slug, "e": t.email, "p": PASSWORD},
            )
        simple = {
            "logout": ("mutation { logout }", {}),
            "logoutEverywhere": ("mutation { logoutEverywhere }", {}),
            "createEmployee": (
                'mutation { createEmployee(input: {employeeNumber: "X9", firstName: "A",'
                ' lastName: "B"}) { id } }',
                {},
            ),
            "updateEmployee": (
                "mutation($id: ID!, $v: Int!) { updateEmployee(id: $id, input: {version: $v,"
                ' preferredName: "Dee"}) { id } }',
                {"id": self.people["direct"], "v": ids["version"]},
            ),
            "createOffice": (
                'mutation { createOffice(input: {name: "Annex", countryCode: "NO",'
                ' timezone: "Europe/Oslo"}) { id } }',
                {},
            ),
            "updateOffice": (
                "mutation($id: ID!, $v: Int!) { updateOffice(id: $id, input: {version: $v,"
                ' address: "Main street 1"}) { id } }',
                {"id": office["id"], "v": office["version"]},
            ),
            "createDepartment": (
                'mutation { createDepartment(input: {name: "Legal"}) { id } }',
                {},
            ),
            "updateDepartment": (
                "mutation($id: ID!) { updateDepartment(id: $id, input: {version: 1,"
                ' name: "R&D"}) { id } }',
                {"id": engineering},
            ),
            "createJobAssignment": (
                'mutation($e: ID!) { createJobAssignment(input: {employee: $e, title: "Lead",'
                ' effectiveFrom: "2032-01-01"}) { id } }',
                {"e": self.people["direct"]},
            ),
            "updateJobAssignment": (
                "mutation($id: ID!, $v: Int!) { updateJobAssignment(id: $id, input:"
                ' {version: $v, title: "Principal"}) { id } }',
                {"id": ids["jobHistory"][0]["id"], "v": ids["jobHistory"][0]["version"]},
            ),
            "createReportingLine": (
                "mutation($e: ID!) { createReportingLine(input: {employee: $e,"
                ' effectiveFrom: "2032-01-01"}) { id } }',
                {"e": self.people["direct"]},
            ),
            "updateReportingLine": (
                "mutation($id: ID!, $v: Int!) { updateReportingLine(id: $id, input:"
                ' {version: $v, effectiveFrom: "2030-06-01"}) { id } }',
                {"id": ids["reportingLines"][-1]["id"], "v": ids["reportingLines"][-1]["version"]},
            ),
            "createEmployment": (
                "mutation($e: ID!) { createEmployment(input: {employee: $e, employmentType:"
                ' INTERN, startDate: "2032-01-01", ftePercent: "50", legalEntity: "L",'
                ' countryCode: "SE"}) { id } }',
                {"e": self.people["direct"]},
            ),
            "updateEmployment": (
                "mutation($id: ID!, $v: Int!) { updateEmployment(id: $id, input: {version: $v,"
                ' ftePercent: "80"}) { id } }',
                {"id": ids["employments"][0]["id"], "v": ids["employments"][0]["version"]},
            ),
            "requestAbsence": (
                "mutation($e: ID!, $t: ID!) { requestAbsence(input: {employee: $e,"
                ' absenceType: $t, startDate: "2031-02-02", endDate: "2031-02-03"}) { id } }',
                {"e": self.people["direct"], "t": str(t.absence_types["vacation"])},
            ),
        }
        if name in simple:
            return simple[name]
        if name in ("updateAbsence", "approveAbsence", "rejectAbsence", "cancelAbsence"):
            absence = await self.absence()
            if name == "updateAbsence":
                return (
                    "mutation($id: ID!, $v: Int!) { updateAbsence(id: $id, input: {version: $v,"
                    ' endDate: "2031-05-06"}) { id } }',
                    {"id": absence["id"], "v": absence["version"]},
                )
            return (
                f"mutation($id: ID!, $v: Int!) {{ {name}(id: $id, version: $v) {{ id }} }}",
                {"id": absence["id"], "v": absence["version"]},
            )
        if name in ("createRole", "updateRole", "copyRole", "deleteRole"):
            if name == "createRole":
                return ('mutation { createRole(input: {name: "Made"}) { id } }', {})
            role = await self.role()
            return {
                "updateRole": (
                    "mutation($id: ID!, $v: Int!) { updateRole(id: $id, input: {version: $v,"
                    " grants: [{fieldGroup: JOB, action: SEE, scope: ALL}]}) { id } }",
                    {"id": role["id"], "v": role["version"]},
                ),
                "copyRole": (
                    'mutation($id: ID!) { copyRole(id: $id, name: "Copied") { id } }',
                    {"id": role["id"]},
                ),
                "deleteRole": (
                    "mutation($id: ID!, $v: Int!) { deleteRole(id: $id, version: $v) }",
                    {"id": role["id"], "v": role["version"]},
                ),
            }[name]
        if name in SENSITIVE_MUTATIONS:
            writer = SensitiveWriter(self.api, t.token)
            employee = self.people["direct"]
            made = {
                "bank": await writer.bank(employee),
                "contact": await writer.contact(employee),
                "pay": await writer.pay(employee),
                "bonus": await writer.bonus(employee),
            }
            return example_mutation(name, employee, made)
        totp = await self.totp_example(name)
        if totp is not None:
            return totp
        support = await self.support_example(name)
        if support is not None:
            return support
        if name == "registerIntegration":
            return REGISTER, {"i": terms()}
        if name in (
            "revokeIntegration",
            "createPartnerToken",
            "rotatePartnerToken",
            "revokePartnerToken",
        ):
            integration = await register(self.api, t.token)
            if name == "revokeIntegration":
                return (
                    "mutation($id: ID!, $v: Int!) { revokeIntegration(id: $id, version: $v) { id } }",
                    {"id": integration["id"], "v": integration["version"]},
                )
            if name == "createPartnerToken":
                return CREATE_TOKEN, {"i": integration["id"], "d": None}
            issued = await issue(self.api, t.token, integration["id"])
            return (
                f"mutation($id: ID!) {{ {name}(id: $id) {{ id: __typename }} }}",
                {"id": issued["info"]["id"]},
            )
        if name in ("assignRole", "removeRole"):
            roles = (await self.api.data("{ roles { id name } }", token=t.token))["roles"]
            payroll = next(r["id"] for r in roles if r["name"] == "Payroll")
            if name == "removeRole":
                await self.api.data(
                    "mutation($u: ID!, $r: ID!) { assignRole(userId: $u, roleId: $r) { id } }",
                    {"u": str(t.user_id), "r": payroll},
                    token=t.token,
                )
            return (
                f"mutation($u: ID!, $r: ID!) {{ {name}(userId: $u, roleId: $r) {{ id }} }}",
                {"u": str(t.user_id), "r": payroll},
            )
        if name == "setRoleTotpRequirement":
            roles = (await self.api.data("{ roles { id name } }", token=t.token))["roles"]
            payroll = next(r["id"] for r in roles if r["name"] == "Payroll")
            return (
                "mutation($r: ID!) { setRoleTotpRequirement(roleId: $r, required: true) { id } }",
                {"r": payroll},
            )
        documents = await self.documents_example(name)
        if documents is not None:
            return documents
        if name == "updateSessionSettings":
            current = await self.api.data("{ sessionSettings { version } }", token=t.token)
            return (
                "mutation($v: Int!) { updateSessionSettings(input: {version: $v,"
                " idleTimeoutSeconds: 900}) { version } }",
                {"v": current["sessionSettings"]["version"]},
            )
        raise KeyError(name)

    async def totp_example(self, name: str) -> tuple[str, dict[str, Any], str] | None:
        """Second-factor mutations; the owner is enrolled and stepped up already."""
        t, api = self.tenant, self.api
        owner = f"{t.slug}/{t.email}"
        if name == "verifyStepUp":
            return self.CODE.format("verifyStepUp"), {"c": api.code(owner)}, t.token
        if name == "disableTotp":
            return "mutation { disableTotp }", {}, t.token
        if name == "completeLogin":
            pending = await api.data(
                "mutation($t: String!, $e: String!, $p: String!) { login(tenant: $t, email: $e,"
                " password: $p) { token } }",
                {"t": t.slug, "e": t.email, "p": PASSWORD},
            )
            return (
                self.CODE.format("completeLogin"),
                {"c": api.code(owner)},
                pending["login"]["token"],
            )
        if name not in ("startTotpEnrollment", "confirmTotpEnrollment", "resetTotp"):
            return None
        user = await self.tenants.add_user(t, None, ("employee",), step_up=name == "resetTotp")
        if name == "resetTotp":
            return "mutation($u: ID!) { resetTotp(userId: $u) }", {"u": user.user_id}, t.token
        if name == "startTotpEnrollment":
            return "mutation { startTotpEnrollment { otpauthUri } }", {}, user.token
        started = await api.data(
            "mutation { startTotpEnrollment { otpauthUri } }", token=user.token
        )
        account = f"{t.slug}/{user.email}"
        query = parse_qs(urlparse(started["startTotpEnrollment"]["otpauthUri"]).query)
        api.devices[account] = Secret(query["secret"][0])
        return self.CODE.format("confirmTotpEnrollment"), {"c": api.code(account)}, user.token

    async def documents_example(self, name: str) -> tuple[str, dict[str, Any]] | None:
        t, api = self.tenant, self.api
        if name == "uploadDocument":
            return UPLOAD, {"e": self.people["direct"], "c": "contract", "f": None}
        if name in ("createDocumentDownloadUrl", "deleteDocument"):
            response = await api.upload(
                self.people["direct"], "contract", b"%PDF-1.7 audit", token=t.token
            )
            document = response.json()["data"]["uploadDocument"]["id"]
            field = "url" if name == "createDocumentDownloadUrl" else ""
            selection = f" {{ {field} }}" if field else ""
            return f"mutation($id: ID!) {{ {name}(id: $id){selection} }}", {"id": document}
        category = (
            'mutation { createDocumentCategory(input: {code: "memo", name: "Memo",'
            " fieldGroup: DOCUMENTS}) { id version } }"
        )
        if name == "createDocumentCategory":
            return category, {}
        if name in ("updateDocumentCategory", "deleteDocumentCategory"):
            made = (await api.data(category, token=t.token))["createDocumentCategory"]
            if name == "deleteDocumentCategory":
                return (
                    "mutation($id: ID!, $v: Int!) { deleteDocumentCategory(id: $id, version: $v) }",
                    {"id": made["id"], "v": made["version"]},
                )
            return (
                "mutation($id: ID!, $v: Int!) { updateDocumentCategory(id: $id, input:"
                " {version: $v, employeeVisible: true}) { id } }",
                {"id": made["id"], "v": made["version"]},
            )
        if name == "updateDocumentSettings":
            current = await api.data("{ documentSettings { version } }", token=t.token)
            return (
                "mutation($v: Int!) { updateDocumentSettings(input: {version: $v,"
                " maxDocumentBytes: 1048576}) { version } }",
                {"v": current["documentSettings"]["version"]},
            )
        return None

    CODE = "mutation($c: String!) {{ {}(code: $c) {{ token }} }}"
    GRANT = 'mutation { createSupportGrant(input: {reason: "Ticket 7"}) { id } }'

    async def support_example(self, name: str) -> tuple[str, dict[str, Any], str] | None:
        t, api = self.tenant, self.api
        if name == "createSupportGrant":
            return self.GRANT, {}, t.token
        if name == "revokeSupportGrant":
            grant = (await api.data(self.GRANT, token=t.token))["createSupportGrant"]["id"]
            return "mutation($g: ID!) { revokeSupportGrant(id: $g) { id } }", {"g": grant}, t.token
        if name not in (
            "requestSupportAccess",
            "approveSupportRequest",
            "declineSupportRequest",
            "activateSupportGrant",
            "staffLogout",
            "staffLogoutEverywhere",
        ):
            return None
        staff = await staff_session(api, self.tenants)
        if name in ("staffLogout", "staffLogoutEverywhere"):  # recorded while under a grant
            grant = (await api.data(self.GRANT, token=t.token))["createSupportGrant"]["id"]
            await api.data(
                "mutation($t: String!, $g: ID!) { activateSupportGrant(tenant: $t, grantId: $g)"
                " { id } }",
                {"t": t.slug, "g": grant},
                token=staff.token,
            )
            return f"mutation {{ {name} }}", {}, staff.token
        request = (
            'mutation($t: String!) { requestSupportAccess(tenant: $t, input: {reason: "Help"})'
            " { id } }"
        )
        if name == "requestSupportAccess":
            return request, {"t": t.slug}, staff.token
        if name == "activateSupportGrant":
            grant = (await api.data(self.GRANT, token=t.token))["createSupportGrant"]["id"]
            return (
                "mutation($t: String!, $g: ID!) { activateSupportGrant(tenant: $t, grantId: $g)"
                " { id } }",
                {"t": t.slug, "g": grant},
                staff.token,
            )
        asked = await api.data(request, {"t": t.slug}, token=staff.token)
        return (
            f"mutation($g: ID!) {{ {name}(id: $g) {{ id }} }}",
            {"g": asked["requestSupportAccess"]["id"]},
            t.token,
        )


# A staff login belongs to no tenant, so it has no place in any tenant's chain: it is in
# the staff audit log (tests/test_staff_totp.py), what follows in tests/test_support_access.py.
PLATFORM_MUTATIONS = {"staffLogin"}
MUTATIONS = sorted(
    set(build_schema()._schema.mutation_type.fields) - PLATFORM_MUTATIONS  # type: ignore[union-attr]
)


@pytest.mark.parametrize("mutation", MUTATIONS)
async def test_every_mutation_leaves_its_audit_record(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine, mutation: str
) -> None:
    tenant = await tenants.create(employees=1)
    await tenants.step_up(tenant)  # several mutations are sensitive
    people = await build_org(api, tenant)
    try:
        example = await Examples(api, tenants, tenant, people).document(mutation)
    except KeyError:
        pytest.fail(f"the mutation {mutation} has no audit coverage example: add one here")
    document, variables, token = (*example, tenant.token)[:3]
    before = await _count(owner_engine, tenant)
    if mutation == "uploadDocument":  # a GraphQL multipart request, the only way to upload
        response = await api.upload(
            variables["e"], variables["c"], b"%PDF-1.7 audited", token=token, query=document
        )
    else:
        response = await api.post(document, variables, token=token)
    assert "errors" not in response.json(), response.json()
    request_id = response.headers["x-request-id"]
    async with owner_engine.connect() as conn:
        recorded = (
            await conn.execute(
                text("SELECT action FROM audit_log WHERE tenant_id = :t AND request_id = :r"),
                {"t": tenant.id, "r": request_id},
            )
        ).all()
    assert recorded, f"{mutation} wrote no audit record"
    assert await _count(owner_engine, tenant) == before + len(recorded)


async def test_a_change_records_who_what_and_the_old_and_new_values(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=2)
    target = str(tenant.employees[1])
    response = await api.post(
        "mutation Rename($id: ID!) { updateEmployee(id: $id, input: {version: 1,"
        ' firstName: "Renamed"}) { id } }',
        {"id": target},
        token=tenant.token,
    )
    record = (await _records(api, tenant.token, entityId=target))[0]
    assert record["action"] == "update"
    assert record["entityType"] == "Employee"
    assert record["operation"] == "Rename"
    assert record["requestId"] == response.headers["x-request-id"]
    assert record["subjectId"] == target
    assert record["actor"] == {
        "kind": "user",
        "id": str(tenant.user_id),
        "name": "First00000 Last00000",
    }
    assert record["changes"] == [
        {
            "field": "first_name",
            "fieldGroup": "basic",
            "old": "First00001",
            "new": "Renamed",
            "redacted": False,
        }
    ]


async def test_readers_see_values_only_of_groups_they_may_see(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    await tenants.step_up(tenant)  # creating a role is sensitive
    people = await build_org(api, tenant)
    version = (
        await api.data(
            "query($id: ID!) { employee(id: $id) { version } }",
            {"id": people["direct"]},
            token=tenant.token,
        )
    )["employee"]["version"]
    await api.data(
        'mutation($id: ID!, $v: Int!) { updateEmployee(id: $id, input: {version: $v, firstName: "Hidden"}) { id } }',
        {"id": people["direct"], "v": version},
        token=tenant.token,
    )
    await api.data(
        'mutation { createRole(input: {name: "Log reader", abilities: [SEE_AUDIT]}) { id } }',
        token=tenant.token,
    )
    reader = await tenants.add_user(tenant, uuid.UUID(people["unrelated"]), ("Log reader",))
    change = (await _records(api, reader.token, entityId=people["direct"]))[0]["changes"][0]
    assert change == {
        "field": "first_name",
        "fieldGroup": "basic",
        "old": None,
        "new": None,
        "redacted": True,
    }
    auditor = await tenants.add_user(tenant, uuid.UUID(people["department"]), ("auditor",))
    shown = (await _records(api, auditor.token, entityId=people["direct"]))[0]["changes"][0]
    assert (shown["new"], shown["redacted"]) == ("Hidden", False)


async def test_reading_the_log_needs_see_audit(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=1)
    people = await build_org(api, tenant)
    colleague = await tenants.add_user(tenant, uuid.UUID(people["self"]), ("employee",))
    for document in (
        "{ auditLog { edges { cursor } } }",
        "{ auditIntegrity { ok } }",
        "{ sensitiveReads { edges { cursor } } }",
    ):
        assert error_codes(await api.gql(document, token=colleague.token)) == ["FORBIDDEN"]


async def test_authentication_events_are_recorded(
    api: Api, tenants: TenantFactory, clock: ManualClock
) -> None:
    tenant = await tenants.create(employees=1)
    bad = await api.gql(
        'mutation($t: String!, $e: String!) { login(tenant: $t, email: $e, password: "wrong wrong wrong") { token } }',
        {"t": tenant.slug, "e": tenant.email},
    )
    assert error_codes(bad) == ["UNAUTHENTICATED"]
    second = await api.login(tenant.slug, tenant.email)
    await api.data("mutation { logout }", token=second)
    third = await api.login(tenant.slug, tenant.email)
    clock.advance(timedelta(minutes=31))
    for _ in range(2):  # the expiry is recorded once, however often the token comes back
        assert error_codes(await api.gql("{ me { userId } }", token=third)) == ["UNAUTHENTICATED"]
    fresh = await api.login(tenant.slug, tenant.email)
    actions = [r["action"] for r in await _records(api, fresh)]
    assert actions[:7] == [
        "login", "session_expired", "login", "logout", "login", "login_failed", "login",
    ]  # fmt: skip
    assert actions.count("session_expired") == 1
    failed = next(r for r in await _records(api, fresh, action="login_failed"))
    assert failed["changes"][0]["new"] == tenant.email


async def test_the_log_exports_as_json_lines_and_csv(api: Api, tenants: TenantFactory) -> None:
    tenant = await tenants.create(employees=2)
    await api.data(
        'mutation($id: ID!) { updateEmployee(id: $id, input: {version: 1, firstName: "Csv"}) { id } }',
        {"id": str(tenant.employees[1])},
        token=tenant.token,
    )
    export = (
        'query($f: AuditExportFormat!) { auditLogExport(format: $f, filter: {action: "update"}) }'
    )
    jsonl = (await api.data(export, {"f": "JSONL"}, token=tenant.token))["auditLogExport"]
    lines = [json.loads(line) for line in jsonl.splitlines()]
    assert [line["action"] for line in lines] == ["update"]
    assert len(lines[0]["hash"]) == 64
    csv_text = (await api.data(export, {"f": "CSV"}, token=tenant.token))["auditLogExport"]
    header, row = csv_text.splitlines()[:2]
    assert header.startswith("seq,occurred_at,actor_kind")
    assert "Csv" in row


async def test_checkpoints_sign_each_new_head_once(
    api: Api,
    tenants: TenantFactory,
    owner_engine: AsyncEngine,
    settings: Settings,
    clock: ManualClock,
) -> None:
    tenant = await tenants.create(employees=1)
    signer = load_or_create_signer(settings.signing_key_path)
    await write_checkpoints(owner_engine, signer, clock.now())
    assert await write_checkpoints(owner_engine, signer, clock.now()) == 0  # nothing new anywhere
    await api.data("mutation { logout }", token=tenant.token)
    assert await write_checkpoints(owner_engine, signer, clock.now()) == 1
    report = await api.data(
        "{ auditIntegrity { ok checkpoints } }", token=await api.login(tenant.slug, tenant.email)
    )
    assert report["auditIntegrity"]["ok"] is True


def test_sensitive_values_are_never_logged_in_clear() -> None:
    """Deny by default: a column of a sensitive group is audited as its ciphertext, or in
    clear only where its model declares it plain; anything else is refused."""
    from hrvault.audit.collector import PlaintextRefused, recorded_change
    from hrvault.models import Compensation, Employee, IdentityDetails, PersonalDetails

    class Payslip:
        __tablename__ = "payslips"
        __field_group__ = FieldGroup.BASIC
        __column_groups__ = {"amount": FieldGroup.SALARY}  # noqa: RUF012

    with pytest.raises(PlaintextRefused, match="salary data"):
        recorded_change(Payslip(), "amount", None, 5)  # type: ignore[arg-type]
    assert recorded_change(Payslip(), "title", None, "x") == Change("title", "basic", None, "x")  # type: ignore[arg-type]
    assert recorded_change(Employee(), "work_phone", None, "1") == Change(
        "work_phone", "basic", None, "1"
    )
    sealed = recorded_change(PersonalDetails(), "birth_date_sealed", None, b"\x01ab")
    assert sealed == Change("birth_date_sealed", "personal", None, {"sealed": "AWFi"})
    assert recorded_change(Compensation(), "effective_from", None, date(2024, 1, 1)) == Change(
        "effective_from", "salary", None, "2024-01-01"
    )
    assert recorded_change(IdentityDetails(), "national_id_index", None, bytes(32)) is None

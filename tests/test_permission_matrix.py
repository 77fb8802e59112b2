"""P5: every built-in role x field group x action x relation, against an expected table.

The table below is written from the product definition of the built-in roles, not from
the implementation's own tables. Every cell is asked of the engine through the API
(``accessExplanation``), and every cell that has a real operation today is also executed
as a real query or mutation: allowed means it works, denied means FORBIDDEN (or
NOT_FOUND for a person the viewer may not even see) and nothing written. Document
actions on ``documents`` are executed as real uploads, listings, downloads (the link
fetched too) and deletions of a document in the ``other`` category.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support import Api, TenantFactory, TenantHandle, build_org, error_codes

GROUPS = (
    "basic",
    "job",
    "employment",
    "personal",
    "identity",
    "bank",
    "emergency",
    "salary",
    "absence",
    "absence_reason",
    "documents",
)
ACTIONS = ("see", "add", "edit", "delete", "upload", "download", "approve")
RELATIONS = ("self", "direct", "indirect", "department", "unrelated")
EVERYONE = set(RELATIONS)
REPORTS = {"direct", "indirect"}

# role -> {(group, action): relations it covers}. Absent pairs are denied everywhere.
EXPECTED: dict[str, dict[tuple[str, str], set[str]]] = {
    "owner": {(g, a): EVERYONE for g in GROUPS for a in ACTIONS},
    "hr_admin": {(g, a): EVERYONE for g in GROUPS for a in ACTIONS},
    "manager": {
        **{(g, "see"): REPORTS for g in ("basic", "job", "employment", "absence", "documents")},
        ("absence", "approve"): REPORTS,
    },
    "employee": {
        **{(g, "see"): {"self"} for g in GROUPS},
        ("basic", "see"): EVERYONE,
        ("job", "see"): EVERYONE,
        **{(g, "edit"): {"self"} for g in ("personal", "emergency", "bank")},
        **{(g, a): {"self"} for g in ("absence", "absence_reason") for a in ("add", "edit")},
        **{(g, "download"): {"self"} for g in GROUPS},
        **{(g, "upload"): {"self"} for g in GROUPS},
    },
    "payroll": {
        **{
            (g, a): EVERYONE
            for g in ("salary", "bank", "identity", "employment")
            for a in ("see", "add", "edit")
        },
        ("basic", "see"): EVERYONE,
        ("job", "see"): EVERYONE,
    },
    "auditor": {
        ("basic", "see"): EVERYONE,
        ("job", "see"): EVERYONE,
        ("documents", "see"): EVERYONE,
    },
}


def expected(role: str, group: str, action: str, relation: str) -> bool:
    return relation in EXPECTED[role].get((group, action), set())


NEVER_DONE = {("absence", "approve", "self")}
"""Cells a grant allows that no real operation does: nobody decides their own absence
(``permissions/deciding.py``), whatever their roles say."""


async def _snapshot(owner_engine: AsyncEngine, tenant: TenantHandle) -> list[Any]:
    async with owner_engine.connect() as conn:
        result = await conn.execute(
            text(
                "SELECT 'e', id, version FROM employees WHERE tenant_id = :t"
                " UNION ALL SELECT 'j', id, version FROM job_assignments WHERE tenant_id = :t"
                " UNION ALL SELECT 'm', id, version FROM employments WHERE tenant_id = :t"
                " UNION ALL SELECT 'a', id, version FROM absences WHERE tenant_id = :t"
                " UNION ALL SELECT 'p', id, version FROM employee_personal WHERE tenant_id = :t"
                " UNION ALL SELECT 'c', id, version FROM emergency_contacts WHERE tenant_id = :t"
                " UNION ALL SELECT 's', id, version FROM compensations WHERE tenant_id = :t"
                " UNION ALL SELECT 'd', id, 0 FROM documents WHERE tenant_id = :t"
                " ORDER BY 1, 2"
            ),
            {"t": tenant.id},
        )
        return [tuple(row) for row in result]


WRITES = {
    ("basic", "edit"),
    ("job", "add"),
    ("job", "edit"),
    ("employment", "add"),
    ("employment", "edit"),
    ("absence", "add"),
    ("absence", "edit"),
    ("absence", "approve"),
    ("absence_reason", "add"),
    ("personal", "edit"),
    ("emergency", "edit"),
    ("salary", "add"),
    ("salary", "edit"),
    ("salary", "delete"),
}
"""Bank and identity writes also need a TOTP step-up: tests/test_sensitive_data.py."""


class Operations:
    """The real query or mutation behind a (group, action), where one exists today."""

    def __init__(self, api: Api, owner: TenantHandle) -> None:
        self.api = api
        self.owner = owner
        self.dates = (date(2040, 1, 1) + timedelta(days=i) for i in itertools.count())

    async def _owner(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        return await self.api.data(document, variables, token=self.owner.token)

    async def _document(self, target: str) -> str:
        """A document of the ``other`` category (governed by ``documents``, visible to and
        uploadable by employees, so only the grants decide), uploaded by the Owner."""
        response = await self.api.upload(
            target, "other", b"%PDF-1.7 matrix", token=self.owner.token
        )
        document: str = response.json()["data"]["uploadDocument"]["id"]
        return document

    async def documents(self, token: str, action: str, target: str) -> bool:
        """The real document operation behind an action on the ``documents`` group."""
        if action == "upload":
            response = await self.api.upload(target, "other", b"%PDF-1.7 upload", token=token)
            return self._outcome(response.json(), "documents")
        document = await self._document(target)
        if action == "see":
            body = await self.api.gql(
                "query($e: ID!) { documents(employeeId: $e) { id } }", {"e": target}, token=token
            )
            if error_codes(body) == ["NOT_FOUND"]:
                return False
            assert "errors" not in body, body
            return document in {d["id"] for d in body["data"]["documents"]}
        if action == "download":
            body = await self.api.gql(
                "mutation($id: ID!) { createDocumentDownloadUrl(id: $id) { url } }",
                {"id": document},
                token=token,
            )
            if not self._outcome(body, "documents"):
                return False
            got = await self.api.client.get(body["data"]["createDocumentDownloadUrl"]["url"])
            assert got.status_code == 200, got.text
            return True
        body = await self.api.gql(
            "mutation($id: ID!) { deleteDocument(id: $id) }", {"id": document}, token=token
        )
        return self._outcome(body, "documents")

    @staticmethod
    def _outcome(body: dict[str, Any], group: str) -> bool:
        if "errors" not in body:
            return True
        assert error_codes(body) in (["FORBIDDEN"], ["NOT_FOUND"]), body
        if error_codes(body) == ["FORBIDDEN"]:
            assert group in body["errors"][0]["extensions"]["deniedFieldGroups"]
        return False

    async def see(self, token: str, group: str, target: str) -> bool | None:
        """Whether the group shows for the target; None where no field of it exists yet."""
        selection = {
            "basic": "",
            "job": "jobTitle",
            "employment": "employments { id }",
            "absence": "absences { id }",
            "personal": "personal { version }",
            "identity": "identity { version }",
            "bank": "bankAccounts { id }",
            "emergency": "emergencyContacts { id }",
            "salary": "compensationHistory { id }",
        }.get(group)
        return None if selection is None else await self._see(token, target, selection)

    async def _see(self, token: str, target: str, selection: str) -> bool:
        body = await self.api.gql(
            f"query($id: ID!) {{ employee(id: $id) {{ id {selection} }} }}",
            {"id": target},
            token=token,
        )
        if error_codes(body) == ["NOT_FOUND"]:
            return False
        assert "errors" not in body, body
        restricted = (body.get("extensions") or {}).get("restricted", [])
        return ["employee", selection.split()[0]] not in restricted if selection else True

    async def _fresh_absence(self, target: str) -> dict[str, Any]:
        day = next(self.dates).isoformat()
        made = await self._owner(
            "mutation($e: ID!, $t: ID!, $d: Date!) { requestAbsence(input: {employee: $e,"
            " absenceType: $t, startDate: $d, endDate: $d}) { id version endDate } }",
            {"e": target, "t": str(self.owner.absence_types["vacation"]), "d": day},
        )
        absence: dict[str, Any] = made["requestAbsence"]
        return absence

    async def _history(self, target: str) -> dict[str, Any]:
        found = await self._owner(
            "query($id: ID!) { employee(id: $id) { version jobHistory { id version }"
            " employments { id version } } }",
            {"id": target},
        )
        employee: dict[str, Any] = found["employee"]
        return employee

    async def prepare(
        self, group: str, action: str, target: str
    ) -> tuple[str, dict[str, Any]] | None:
        """The mutation (document, variables) for a write, with its fixtures in place."""
        if (group, action) not in WRITES:
            return None
        history = await self._history(target)
        day = next(self.dates).isoformat()
        calls: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
            ("basic", "edit"): (
                "mutation($id: ID!, $v: Int!) { updateEmployee(id: $id, input: {version: $v,"
                ' preferredName: "Renamed"}) { id } }',
                {"id": target, "v": history["version"]},
            ),
            ("job", "add"): (
                "mutation($e: ID!, $d: Date!) { createJobAssignment(input: {employee: $e,"
                ' title: "New", effectiveFrom: $d}) { id } }',
                {"e": target, "d": day},
            ),
            ("job", "edit"): (
                "mutation($id: ID!, $v: Int!) { updateJobAssignment(id: $id, input: {version: $v,"
                ' title: "Edited"}) { id } }',
                {"id": history["jobHistory"][-1]["id"], "v": history["jobHistory"][-1]["version"]},
            ),
            ("employment", "add"): (
                "mutation($e: ID!, $d: Date!) { createEmployment(input: {employee: $e,"
                ' employmentType: HOURLY, startDate: $d, ftePercent: "10", legalEntity: "X",'
                ' countryCode: "SE"}) { id } }',
                {"e": target, "d": day},
            ),
            ("employment", "edit"): (
                "mutation($id: ID!, $v: Int!) { updateEmployment(id: $id, input: {version: $v,"
                ' legalEntity: "Edited"}) { id } }',
                {
                    "id": history["employments"][-1]["id"],
                    "v": history["employments"][-1]["version"],
                },
            ),
            ("absence", "add"): (
                "mutation($e: ID!, $t: ID!, $d: Date!) { requestAbsence(input: {employee: $e,"
                " absenceType: $t, startDate: $d, endDate: $d}) { id } }",
                {"e": target, "t": str(self.owner.absence_types["vacation"]), "d": day},
            ),
            ("absence_reason", "add"): (
                "mutation($e: ID!, $t: ID!, $d: Date!) { requestAbsence(input: {employee: $e,"
                ' absenceType: $t, startDate: $d, endDate: $d, reason: "flu"}) { id } }',
                {"e": target, "t": str(self.owner.absence_types["sick"]), "d": day},
            ),
            ("personal", "edit"): (
                "mutation($e: ID!) { updatePersonalDetails(employeeId: $e,"
                ' input: {privatePhone: "+46 8 123 456"}) { version } }',
                {"e": target},
            ),
            ("emergency", "edit"): (
                'mutation($e: ID!) { addEmergencyContact(input: {employee: $e, name: "N",'
                ' relation: "friend", phone: "+46 8 123 456"}) { id } }',
                {"e": target},
            ),
            ("salary", "add"): (
                "mutation($e: ID!, $d: Date!) { addCompensation(input: {employee: $e,"
                ' effectiveFrom: $d, amount: "100", currency: "SEK", period: MONTH,'
                " payFrequency: MONTHLY}) { id } }",
                {"e": target, "d": day},
            ),
        }
        if (group, action) in (("salary", "edit"), ("salary", "delete")):
            made = await self._owner(
                "mutation($e: ID!, $d: Date!) { addCompensation(input: {employee: $e,"
                ' effectiveFrom: $d, amount: "100", currency: "SEK", period: MONTH,'
                " payFrequency: MONTHLY}) { id version } }",
                {"e": target, "d": next(self.dates).isoformat()},
            )
            pay = made["addCompensation"]
            calls[("salary", "edit")] = (
                "mutation($id: ID!, $v: Int!) { updateCompensation(id: $id, input: {version: $v,"
                ' amount: "200"}) { id } }',
                {"id": pay["id"], "v": pay["version"]},
            )
            calls[("salary", "delete")] = (
                "mutation($id: ID!, $v: Int!) { removeCompensation(id: $id, version: $v) }",
                {"id": pay["id"], "v": pay["version"]},
            )
        if (group, action) in (("absence", "edit"), ("absence", "approve")):
            absence = await self._fresh_absence(target)
            calls[("absence", "edit")] = (
                "mutation($id: ID!, $v: Int!, $d: Date!) { updateAbsence(id: $id, input:"
                " {version: $v, endDate: $d}) { id } }",
                {"id": absence["id"], "v": absence["version"], "d": absence["endDate"]},
            )
            calls[("absence", "approve")] = (
                "mutation($id: ID!, $v: Int!) { approveAbsence(id: $id, version: $v) { id } }",
                {"id": absence["id"], "v": absence["version"]},
            )
        return calls.get((group, action))

    async def write(self, token: str, group: str, call: tuple[str, dict[str, Any]]) -> bool:
        """True if the mutation went through, False if it was refused."""
        document, variables = call
        body = await self.api.gql(document, variables, token=token)
        if "errors" not in body:
            return True
        assert error_codes(body) in (["FORBIDDEN"], ["NOT_FOUND"]), body
        if error_codes(body) == ["FORBIDDEN"]:
            assert group in body["errors"][0]["extensions"]["deniedFieldGroups"]
        return False


DOCUMENT_ACTIONS = ("see", "upload", "download", "delete")
EXPLAIN = """query($u: ID!, $e: ID!) { accessExplanation(userId: $u, employeeId: $e) {
  fieldGroup actions { action grantedBy { roleName scope } } } }"""


@pytest.mark.parametrize("role", list(EXPECTED))
async def test_builtin_role_matrix(
    api: Api, tenants: TenantFactory, owner_engine: AsyncEngine, role: str
) -> None:
    owner = await tenants.create(employees=1)
    people = await build_org(api, owner)
    login = await tenants.add_user(owner, uuid.UUID(people["self"]), (role,))
    operations = Operations(api, owner)
    mismatches = []
    for relation in RELATIONS:
        target = people[relation]
        explained = await api.data(EXPLAIN, {"u": login.user_id, "e": target}, token=owner.token)
        granted = {
            (entry["fieldGroup"].lower(), access["action"].lower())
            for entry in explained["accessExplanation"]
            for access in entry["actions"]
        }
        for group, action in itertools.product(GROUPS, ACTIONS):
            want = expected(role, group, action, relation)
            if ((group, action) in granted) != want:
                mismatches.append(("engine", group, action, relation, want))
            real_want = want and expected(role, "basic", "see", relation)
            real_want = real_want and (group, action, relation) not in NEVER_DONE
            if group == "documents" and action in DOCUMENT_ACTIONS:
                before = await _snapshot(owner_engine, owner)
                outcome = await operations.documents(login.token, action, target)
                if outcome != real_want:
                    mismatches.append(("api", group, action, relation, real_want))
                if not outcome and action == "upload":
                    assert await _snapshot(owner_engine, owner) == before, (group, action)
                continue
            if action == "see":
                outcome = await operations.see(login.token, group, target)
                if outcome is not None and outcome != real_want:
                    mismatches.append(("api", group, action, relation, real_want))
                continue
            call = await operations.prepare(group, action, target)
            if call is None:
                continue
            before = await _snapshot(owner_engine, owner)
            outcome = await operations.write(login.token, group, call)
            if outcome != real_want:
                mismatches.append(("api", group, action, relation, real_want))
            if not outcome:
                assert await _snapshot(owner_engine, owner) == before, (group, action, relation)
    assert mismatches == [], mismatches
